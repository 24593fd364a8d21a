package ldap_test

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/batonkit/batonkit/examples/ldap"
	"github.com/batonkit/batonkit/internal/slapdtest"
	"github.com/batonkit/batonkit/internal/testkit"
	"github.com/batonkit/batonkit/pkg/c1z"
	"github.com/batonkit/batonkit/pkg/config"
	"github.com/batonkit/batonkit/pkg/connector"
	"github.com/batonkit/batonkit/pkg/runner"
	"github.com/batonkit/batonkit/pkg/session"
	"github.com/batonkit/batonkit/pkg/subprocess"
	"github.com/batonkit/batonkit/pkg/sync"
)

// command is baton-ldap's main, for runner.Run.
var command = runner.Command{Name: "baton-ldap", Version: "test", Schema: config.Schema{DisplayName: "LDAP", Fields: ldap.Fields},
	New: func(ctx context.Context, cfg *config.Values) (connector.Connector, error) {
		return ldap.New(ctx, ldap.FromValues(cfg))
	}}

// TestLDAPHelper is the connector as a child process (the helper-process
// pattern): its settings come from BATON_* variables, as an operator
// passes secrets.
func TestLDAPHelper(t *testing.T) {
	if os.Getenv("BATONKIT_LDAP_CHILD") == "" {
		return
	}
	os.Exit(runner.Run(context.Background(), command, flag.Args(), runner.IO{In: os.Stdin, Out: os.Stdout, Err: os.Stderr}))
}

func env(url string, pageSize int) []string {
	return []string{"BATON_URL=" + url, "BATON_BASE_DN=" + baseDN, "BATON_BIND_DN=" + adminDN, "BATON_BIND_PASSWORD=" + adminPW,
		"BATON_GROUP_SEARCH_DN=ou=Groups," + baseDN, fmt.Sprintf("BATON_PAGE_SIZE=%d", pageSize)}
}

// check compares a synced file with what seed wrote.
func check(t *testing.T, path string, d directory) {
	t.Helper()
	ctx := context.Background()
	st, err := c1z.OpenReader(ctx, path)
	testkit.Must(t, err)
	defer st.Close(ctx)
	stats, err := st.Stats(ctx, "")
	testkit.Must(t, err)
	if stats.ResourcesByType["user"] != int64(d.users) || stats.ResourcesByType["group"] != int64(len(d.groups)) {
		t.Fatalf("%d people and %d groups synced, the directory has %d and %d", stats.ResourcesByType["user"], stats.ResourcesByType["group"], d.users, len(d.groups))
	}
	if stats.Entitlements != int64(len(d.groups)) {
		t.Fatalf("%d entitlements, want one membership per group (%d)", stats.Entitlements, len(d.groups))
	}
	for g, members := range d.groups {
		for _, m := range members {
			typ := "user"
			if _, isGroup := d.groups[m]; isGroup {
				typ = "group"
			}
			id := "group:" + g + ":member:" + typ + ":" + m
			if _, err := st.Grant(ctx, "", id); err != nil {
				t.Fatalf("grant %s: %v", id, err)
			}
		}
	}
	// A person of the inner group is also a member of the outer one, by
	// expansion of the nested grant.
	outer, inner := d.nested[0], d.nested[1]
	g, err := st.Grant(ctx, "", "group:"+outer+":member:user:"+d.inInner)
	if err != nil || len(g.GetSources().GetSources()) == 0 {
		t.Fatalf("expanded grant of %s through %s: %v %v", d.inInner, inner, g, err)
	}
}

// The connector syncs a directory of more than 20 pages of people, with
// paged searches whose cookies live on one connection, in process (the
// runner's main, as `baton-ldap` runs it) and as a child of `baton sync`,
// with one worker and with four.
func TestSyncFromSlapd(t *testing.T) {
	url := startSlapd(t)
	d := seed(t, url, 2100, 60)
	const pageSize = 100 // 22 pages of people

	t.Run("in process", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "sync.c1z")
		for _, kv := range env(url, pageSize) {
			k, v, _ := strings.Cut(kv, "=")
			t.Setenv(k, v)
		}
		var stderr bytes.Buffer
		if code := runner.Run(context.Background(), command, []string{"--file", path}, runner.IO{In: bytes.NewReader(nil), Out: &stderr, Err: &stderr}); code != 0 {
			t.Fatalf("baton-ldap exited %d: %s", code, stderr.String())
		}
		check(t, path, d)
	})
	for _, workers := range []int{1, 4} {
		t.Run(fmt.Sprintf("child, %d workers", workers), func(t *testing.T) {
			host := session.NewServer()
			p, err := subprocess.Start(t.Context(), os.Args[0], []string{"-test.run=^TestLDAPHelper$", "--"}, subprocess.Options{
				Env: append(env(url, pageSize), "BATONKIT_LDAP_CHILD=1"), ReadyTimeout: 30 * time.Second, Sessions: host})
			testkit.Must(t, err)
			defer p.Close()
			path := filepath.Join(t.TempDir(), "sync.c1z")
			ctx := context.Background()
			st, err := c1z.Open(ctx, path)
			testkit.Must(t, err)
			pages := 0
			_, err = sync.New(p.Client, st, sync.WithWorkers(workers), sync.WithSessions(host), sync.WithProgress(func(pr sync.Progress) {
				if pr.Phase == "resources" {
					pages++
				}
			})).Run(ctx)
			testkit.Must(t, st.Close(ctx))
			testkit.Must(t, err)
			if pages < 20 {
				t.Fatalf("only %d resource pages: the directory is too small to test paging", pages)
			}
			check(t, path, d)
		})
	}
}

// Bad settings and an unreachable or refusing directory are errors that
// say what to fix.
func TestConfigErrors(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		cfg  ldap.Config
		want string
	}{
		{ldap.Config{URL: "http://x", BaseDN: baseDN}, "ldap://"},
		{ldap.Config{URL: "ldap://127.0.0.1:1", BaseDN: ""}, "--base-dn"},
		{ldap.Config{URL: fmt.Sprintf("ldap://127.0.0.1:%d", slapdtest.FreePort(t)), BaseDN: baseDN}, "connect to"},
	} {
		_, err := ldap.New(ctx, tc.cfg)
		if err == nil || !bytes.Contains([]byte(err.Error()), []byte(tc.want)) {
			t.Errorf("%+v: err = %v, want it to mention %q", tc.cfg, err, tc.want)
		}
	}
	url := startSlapd(t)
	seed(t, url, 1, 0)
	_, err := ldap.New(ctx, ldap.Config{URL: url, BaseDN: baseDN, BindDN: adminDN, BindPassword: "wrong"})
	if err == nil || !bytes.Contains([]byte(err.Error()), []byte("bind as")) {
		t.Fatalf("wrong password: %v", err)
	}
}
