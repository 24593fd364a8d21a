package runner_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/batonkit/batonkit/internal/testkit"
)

// A child that never answers a call fails it, naming the call and the
// bound, in baton sync and baton conformance alike, instead of hanging.
func TestHungChildFailsItsCall(t *testing.T) {
	dir := t.TempDir()
	for _, args := range [][]string{
		{"-f", "s.c1z", "sync", "--connector", bins.testapp, "--call-timeout", "2s", "--", "--latency", "1h"},
		{"conformance", "--connector", bins.testapp, "--call-timeout", "2s", "--", "--latency", "1h"},
	} {
		r := runIn(t, dir, nil, bins.baton, args...)
		if r.code == 0 || !strings.Contains(r.stdout+r.stderr, "got no answer within 2s") || !strings.Contains(r.stdout+r.stderr, "/c1.connector.v2.") {
			t.Fatalf("%v: exit %d, want the call named as timed out:\n%s\n%s", args[:4], r.code, r.stdout, r.stderr)
		}
	}
}

// A child connector gets its own settings and what it needs to run, not
// the parent's cloud keys or service-mode secret; --env passes more.
func TestChildGetsOnlyItsEnvironment(t *testing.T) {
	dir := t.TempDir()
	dump := filepath.Join(dir, "env")
	// Not a connector: it writes what it was given and exits.
	script := filepath.Join(dir, "dump-env")
	testkit.Must(t, os.WriteFile(script, []byte("#!/bin/sh\nenv > "+dump+"\nexit 3\n"), 0o700))
	env := []string{"AWS_SECRET_ACCESS_KEY=aws-secret", "BATON_CLIENT_SECRET=svc-secret", "BATON_TOKEN=app-token",
		"EXTRA_SETTING=extra", "LC_ALL=C.UTF-8", "HTTPS_PROXY=http://proxy:3128"}
	for _, pass := range []bool{false, true} {
		args := []string{"-f", "s.c1z", "sync", "--connector", script}
		if pass {
			args = append(args, "--env", "EXTRA_SETTING")
		}
		if r := runIn(t, dir, env, bins.baton, args...); r.code == 0 {
			t.Fatalf("a child that exits at once: exit 0")
		}
		b, err := os.ReadFile(dump)
		testkit.Must(t, err)
		got := string(b)
		for _, want := range []string{"BATON_TOKEN=app-token", "PATH=", "LC_ALL=C.UTF-8", "HTTPS_PROXY=http://proxy:3128"} {
			if !strings.Contains(got, want) {
				t.Errorf("the child lacks %s", want)
			}
		}
		for _, leak := range []string{"aws-secret", "svc-secret"} {
			if strings.Contains(got, leak) {
				t.Errorf("the child received %s", leak)
			}
		}
		if strings.Contains(got, "EXTRA_SETTING=extra") != pass {
			t.Errorf("--env passed: %v, the child has EXTRA_SETTING: %v", pass, !pass)
		}
	}
}

// baton conformance --provisioning grants the pair the operator names.
func TestConformanceGrantsTheNamedPair(t *testing.T) {
	dir := t.TempDir()
	r := ok(t, runIn(t, dir, nil, bins.baton, "conformance", "--connector", bins.testapp, "-o", "json", "--check", "provisioning",
		"--grant-entitlement", "group:g001:member", "--grant-principal-type", "user"))
	if !strings.Contains(r.stdout, `"group:g001:member:user:`) {
		t.Fatalf("the provisioning check did not grant the named entitlement to a user:\n%s", r.stdout)
	}
	if r := runIn(t, dir, nil, bins.baton, "conformance", "--connector", bins.testapp, "--check", "provisioning", "--grant-entitlement", "group:nope:member"); r.code != 2 {
		t.Fatalf("a pair that matches nothing: exit %d, want 2\n%s", r.code, r.stderr)
	}
}
