package runner_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// bins holds real binaries built once for the package's tests: the tests
// run programs as users do, not functions.
var bins struct{ dir, baton, sqlapp, testapp string }

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "runner-bins-*")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	bins.dir = dir
	bins.baton = filepath.Join(dir, "baton")
	bins.sqlapp = filepath.Join(dir, "baton-sqlapp")
	bins.testapp = filepath.Join(dir, "baton-testapp")
	for out, pkg := range map[string]string{
		bins.baton:   "github.com/batonkit/batonkit/cmd/baton",
		bins.sqlapp:  "github.com/batonkit/batonkit/examples/sqlapp/cmd/baton-sqlapp",
		bins.testapp: "github.com/batonkit/batonkit/internal/testconnector/cmd/baton-testapp",
	} {
		// With the commit, as `make demo` builds them (this machine's
		// go env may turn VCS stamping off).
		cmd := exec.Command("go", "build", "-buildvcs=auto", "-o", out, pkg)
		cmd.Stderr = os.Stderr
		if err := cmd.Run(); err != nil {
			fmt.Fprintln(os.Stderr, "build", pkg, err)
			os.Exit(1)
		}
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

type result struct {
	stdout, stderr string
	code           int
}

// runIn runs a binary in dir with extra environment and returns its output.
func runIn(t *testing.T, dir string, env []string, bin string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = dir
	cmd.Env = append(cleanEnv(), env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("run %s: %v", bin, err)
	}
	return result{out.String(), errb.String(), code}
}

// cleanEnv drops BATON_* variables of the outer environment.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "BATON_") && !strings.HasPrefix(kv, "NO_COLOR") {
			env = append(env, kv)
		}
	}
	return env
}

func ok(t *testing.T, r result) result {
	t.Helper()
	if r.code != 0 {
		t.Fatalf("exit %d\nstdout: %s\nstderr: %s", r.code, r.stdout, r.stderr)
	}
	return r
}
