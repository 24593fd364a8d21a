package runner_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/batonkit/batonkit/internal/c1ztest"
	"github.com/batonkit/batonkit/pkg/c1z"
	"github.com/batonkit/batonkit/pkg/config"
	"github.com/batonkit/batonkit/pkg/connector"
	"github.com/batonkit/batonkit/pkg/runner"
)

func fullSyncs(t *testing.T, path string) []string {
	t.Helper()
	ctx := context.Background()
	st, err := c1z.OpenReader(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close(ctx)
	runs, err := st.Syncs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, r := range runs {
		if r.Type == c1z.SyncFull {
			ids = append(ids, r.ID)
		}
	}
	return ids
}

// A targeted sync after a grant, compacted with Baton's flags, gives the
// access a full sync would (expansion through nested groups included);
// --diff-syncs records the change between two full syncs.
func TestCompactAndDiffSyncFlags(t *testing.T) {
	dir := t.TempDir()
	ok(t, runIn(t, dir, nil, bins.sqlapp))
	ok(t, runIn(t, dir, nil, bins.sqlapp, "--provisioning", "--grant-entitlement", "group:platform:member",
		"--grant-principal", "u6", "--grant-principal-type", "user"))
	ok(t, runIn(t, dir, nil, bins.sqlapp, "--sync-resources", "group:platform"))
	if access := ok(t, runIn(t, dir, nil, bins.baton, "-f", "sync.c1z", "access", "-t", "user", "-r", "u6")).stdout; strings.Contains(access, "group:platform") {
		t.Fatalf("readers see the targeted sync before compaction:\n%s", access)
	}
	out := filepath.Join(dir, "out")
	if err := os.Mkdir(out, 0o700); err != nil {
		t.Fatal(err)
	}
	r := ok(t, runIn(t, dir, nil, bins.sqlapp, "--compact-syncs", "--compact-file-paths", "sync.c1z", "--compact-output-path", out))
	compacted := strings.TrimSpace(r.stdout)
	if filepath.Dir(compacted) != out || !strings.HasPrefix(filepath.Base(compacted), "compacted-") {
		t.Fatalf("compacted file %q", compacted)
	}
	access := ok(t, runIn(t, dir, nil, bins.baton, "-f", compacted, "access", "-t", "user", "-r", "u6")).stdout
	for _, e := range []string{"group:platform:member", "group:engineering:member", "group:everyone:member"} {
		if !strings.Contains(access, e) {
			t.Errorf("compacted: u6's access lacks %s:\n%s", e, access)
		}
	}
	if names, _ := os.ReadDir(out); len(names) != 1 {
		t.Fatalf("the output directory holds %d files, want the compacted one", len(names))
	}

	ok(t, runIn(t, dir, nil, bins.sqlapp))
	ids := fullSyncs(t, filepath.Join(dir, "sync.c1z"))
	r = ok(t, runIn(t, dir, nil, bins.sqlapp, "--diff-syncs", "--base-sync-id", ids[0], "--applied-sync-id", ids[1]))
	if !strings.Contains(r.stdout, "partial_upserts ") || !strings.Contains(r.stdout, "partial_deletions ") {
		t.Fatalf("--diff-syncs printed %q", r.stdout)
	}
	upserts := strings.Fields(strings.Split(r.stdout, "\n")[0])[1]
	diff := ok(t, runIn(t, dir, nil, bins.baton, "-f", "sync.c1z", "diff", "--recorded", upserts)).stdout
	if !strings.Contains(diff, "group:platform:member:user:u6") {
		t.Fatalf("the recorded diff lacks the new grant:\n%s", diff)
	}

	for _, args := range [][]string{
		{"--diff-syncs", "--base-sync-id", ids[0]},
		{"--compact-syncs"},
		{"--compact-syncs", "--compact-file-paths", "a.c1z,b.c1z", "--compact-sync-ids", "x"},
		{"--diff-syncs", "--base-sync-id", "a", "--applied-sync-id", "b", "--provisioning"},
	} {
		if r := runIn(t, dir, nil, bins.sqlapp, args...); r.code != 2 {
			t.Errorf("%v: exit %d, want a usage error\n%s", args, r.code, r.stderr)
		}
	}
}

// A connector whose admins live in an identity provider: the grants that
// name them by email are matched against the provider's sync (sqlapp's
// users) and given to the matching users, copied in; the address that
// matches nobody is counted.
func TestExternalResourceFlags(t *testing.T) {
	dir := t.TempDir()
	ok(t, runIn(t, dir, nil, bins.sqlapp, "--file", "idp.c1z"))
	ok(t, runIn(t, dir, nil, bins.testapp, "--external-admins", "ADA@example.com,nobody@example.com", "--external-resource-c1z", "idp.c1z"))
	admins := ok(t, runIn(t, dir, nil, bins.baton, "-f", "sync.c1z", "principals", "-e", "role:admin:assigned")).stdout
	if !strings.Contains(admins, "Ada Lovelace") || strings.Contains(admins, "external:") {
		t.Fatalf("admins after matching:\n%s", admins)
	}
	ctx := context.Background()
	st, err := c1z.OpenReader(ctx, filepath.Join(dir, "sync.c1z"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close(ctx)
	run, err := st.DefaultSync(ctx)
	if err != nil || run.Stats == nil || run.Stats.External["unmatched"] != 1 || run.Stats.External["matched"] != 1 {
		t.Fatalf("recorded stats %+v (%v)", run.Stats, err)
	}

	// Without the file the grants stay as the connector sent them.
	ok(t, runIn(t, dir, nil, bins.testapp, "--file", "plain.c1z", "--external-admins", "ada@example.com"))
	if admins := ok(t, runIn(t, dir, nil, bins.baton, "-f", "plain.c1z", "principals", "-e", "role:admin:assigned")).stdout; !strings.Contains(admins, "external:ada@example.com") || strings.Contains(admins, "Ada Lovelace") {
		t.Fatalf("admins without an external file:\n%s", admins)
	}
	for _, args := range [][]string{
		{"--external-resource-traits", "user"},
		{"--external-resource-c1z", "idp.c1z", "--external-resource-traits", "robot"},
	} {
		if r := runIn(t, dir, nil, bins.testapp, args...); r.code != 2 {
			t.Errorf("%v: exit %d, want a usage error\n%s", args, r.code, r.stderr)
		}
	}
	if r := runIn(t, dir, nil, bins.testapp, "--file", "x.c1z", "--external-resource-c1z", "missing.c1z"); r.code == 0 || !strings.Contains(r.stderr, "missing.c1z") {
		t.Errorf("a missing external file: exit %d\n%s", r.code, r.stderr)
	}
}

// A file operation builds no connector, so the connector's required
// settings are not asked for; a sync still asks.
func TestFileOperationsNeedNoConnectorSettings(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.c1z")
	users := []c1ztest.FleetUser{{ID: "a", Groups: []string{"g"}}}
	c1ztest.WriteApp(t, path, users)
	c1ztest.WriteApp(t, path, append(users, c1ztest.FleetUser{ID: "b"}))
	ids := fullSyncs(t, path)
	cmd := runner.Command{Name: "baton-strict", Version: "test",
		Schema: config.Schema{Fields: []config.Field{config.String("url", "the app", config.Required())}},
		New: func(context.Context, *config.Values) (connector.Connector, error) {
			return nil, errors.New("a file operation built the connector")
		}}
	var out, errb bytes.Buffer
	code := runner.Run(context.Background(), cmd, []string{"--file", path, "--diff-syncs", "--base-sync-id", ids[0], "--applied-sync-id", ids[1]}, runner.IO{Out: &out, Err: &errb})
	if code != runner.ExitOK || !strings.Contains(out.String(), "partial_upserts") {
		t.Fatalf("--diff-syncs: exit %d %s%s", code, out.String(), errb.String())
	}
	errb.Reset()
	if code := runner.Run(context.Background(), cmd, []string{"--file", path}, runner.IO{Out: &out, Err: &errb}); code != runner.ExitUsage || !strings.Contains(errb.String(), "--url") {
		t.Fatalf("a sync without --url: exit %d %s", code, errb.String())
	}
}
