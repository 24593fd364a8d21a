package cli_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/batonkit/batonkit/internal/c1ztest"
	"github.com/batonkit/batonkit/internal/testconnector"
	connectorv2 "github.com/batonkit/batonkit/pb/c1/connector/v2"
	"github.com/batonkit/batonkit/pkg/c1z"
	"github.com/batonkit/batonkit/pkg/sync"
)

// history is a file with a full sync, then a member added to a nested
// group and a targeted sync of that group; want is a full sync after.
func history(t *testing.T) (path, want string) {
	t.Helper()
	dir := t.TempDir()
	a := c1ztest.NewApp(t, testconnector.New(12, 4, 3))
	path, want = filepath.Join(dir, "s.c1z"), filepath.Join(dir, "want.c1z")
	a.Sync(path)
	a.Grant(path, "group:g002:member", &connectorv2.ResourceId{ResourceType: "user", Resource: "u000"})
	a.Sync(path, sync.WithTargets(&connectorv2.ResourceId{ResourceType: "group", Resource: "g002"}))
	a.Sync(want)
	return path, want
}

func TestCompactCommand(t *testing.T) {
	path, want := history(t)
	out := filepath.Join(t.TempDir(), "out.c1z")
	stdout, stderr, code := run(t, "-f", path, "compact", "--out", out)
	if code != 0 || !strings.Contains(stdout, "compacted 2 syncs") || !strings.Contains(stdout, "(full)") || !strings.Contains(stdout, "expansion ran again") {
		t.Fatalf("exit %d: %s%s", code, stdout, stderr)
	}
	// u000 now holds g002 and, through nesting, g001 and g000.
	grants, _, _ := run(t, "-f", out, "grants", "--principal", "user:u000")
	for _, g := range []string{"g000", "g001", "g002"} {
		if !strings.Contains(grants, "group:"+g+":member") {
			t.Errorf("compacted file: u000 lacks %s:\n%s", g, grants)
		}
	}
	if g, w := c1ztest.Dump(t, out), c1ztest.Dump(t, want); strings.Join(g, "\n") != strings.Join(w, "\n") {
		t.Fatalf("compacted file holds %d objects, a full sync after the change %d", len(g), len(w))
	}
	if info, err := os.Stat(out); err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("compacted file: %v %v", info.Mode(), err)
	}

	// An existing --out is refused and left alone; so are mismatched ids.
	before, _ := os.ReadFile(out)
	if _, stderr, code := run(t, "-f", path, "compact", "--out", out); code == 0 || !strings.Contains(stderr, "exists") {
		t.Fatalf("compacting over an existing file: exit %d %s", code, stderr)
	}
	if after, _ := os.ReadFile(out); string(after) != string(before) {
		t.Fatal("a refused compaction changed the existing file")
	}
	if _, stderr, code := run(t, "compact", "--out", out+"2", path, want, "--sync-ids", "x"); code != 2 || !strings.Contains(stderr, "one sync per file") {
		t.Fatalf("mismatched --sync-ids: exit %d %s", code, stderr)
	}
	if _, stderr, code := run(t, "-f", path, "compact"); code != 2 || !strings.Contains(stderr, "--out") {
		t.Fatalf("no --out: exit %d %s", code, stderr)
	}
	if _, err := os.Stat(out + "2"); err == nil {
		t.Fatal("a refused compaction left a file")
	}
}

func TestRollbackExpansionCommand(t *testing.T) {
	path, _ := history(t)
	stdout, stderr, code := run(t, "-f", path, "rollback-expansion", "--dry-run")
	if code != 0 || !strings.Contains(stdout, "dry run") || strings.Contains(stdout, "delete 0 ") {
		t.Fatalf("dry run: exit %d: %s%s", code, stdout, stderr)
	}
	out := filepath.Join(t.TempDir(), "replayed.c1z")
	stdout, stderr, code = run(t, "-f", path, "rollback-expansion", "--out", out, "--replay", "--validate")
	if code != 0 || !strings.Contains(stdout, "validated") {
		t.Fatalf("replay: exit %d: %s%s", code, stdout, stderr)
	}
	// The replayed copy is the sync it was copied from.
	src := filepath.Join(t.TempDir(), "src.c1z")
	if _, stderr, code := run(t, "-f", path, "export", "c1z", "--out", src); code != 0 {
		t.Fatalf("export: %s", stderr)
	}
	if g, w := c1ztest.Dump(t, out), c1ztest.Dump(t, src); strings.Join(g, "\n") != strings.Join(w, "\n") {
		t.Fatalf("replayed copy holds %d objects, the source %d", len(g), len(w))
	}
	// Without --replay the copy holds only what the connector listed.
	flat := filepath.Join(t.TempDir(), "flat.c1z")
	if _, stderr, code := run(t, "-f", path, "rollback-expansion", "--out", flat); code != 0 || !strings.Contains(stderr, "--replay") {
		t.Fatalf("rollback: exit %d %s", code, stderr)
	}
	ctx := context.Background()
	st, err := c1z.OpenReader(ctx, flat)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close(ctx)
	for g, err := range st.Grants(ctx, c1z.GrantQuery{}) {
		if err != nil || len(g.GetSources().GetSources()) != 0 {
			t.Fatalf("rolled-back grant %s has sources %v (%v)", g.GetId(), g.GetSources(), err)
		}
	}
	for _, args := range [][]string{{"rollback-expansion"}, {"rollback-expansion", "--out", "x.c1z", "--validate"}} {
		if _, _, code := run(t, append([]string{"-f", path}, args...)...); code != 2 {
			t.Errorf("%v: exit %d, want a usage error", args, code)
		}
	}
}

// A diff recorded in the file (diff --record) lists, in `baton syncs`, as Baton's two
// linked syncs, and `baton diff --recorded` shows what `baton diff`
// computes between the two syncs.
func TestRecordedDiff(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "s.c1z")
	c := testconnector.New(12, 4, 2)
	a := c1ztest.NewApp(t, c)
	base := a.Sync(path).SyncID
	a.Grant(path, "group:g003:member", &connectorv2.ResourceId{ResourceType: "user", Resource: "u001"})
	a.Revoke(path, "group:g000:member:user:u004")
	applied := a.Sync(path).SyncID
	out, stderr, code := run(t, "-f", path, "diff", "--base", base, "--applied", applied, "--record")
	lines := strings.Fields(out)
	if code != 0 || len(lines) != 4 || lines[0] != "partial_upserts" || lines[2] != "partial_deletions" {
		t.Fatalf("diff --record: exit %d %q %s", code, out, stderr)
	}
	d := c1z.SyncDiff{Upserts: lines[1], Deletions: lines[3]}
	syncs, _, _ := run(t, "-f", path, "syncs")
	if !strings.Contains(syncs, "partial_upserts") || !strings.Contains(syncs, "partial_deletions") {
		t.Fatalf("syncs:\n%s", syncs)
	}
	computed, _, code := run(t, "-f", path, "diff", "--base", base, "--applied", applied)
	if code != 0 || !strings.Contains(computed, "deleted") || !strings.Contains(computed, "created") {
		t.Fatalf("diff: exit %d\n%s", code, computed)
	}
	for _, id := range []string{d.Upserts, d.Deletions} {
		recorded, stderr, code := run(t, "-f", path, "diff", "--recorded", id)
		if code != 0 || recorded != computed {
			t.Fatalf("diff --recorded %s: exit %d %s\n%s\nwant\n%s", id, code, stderr, recorded, computed)
		}
	}
	if _, stderr, code := run(t, "diff", "--record", path, path); code != 2 {
		t.Fatalf("diff --record of two files: exit %d %s", code, stderr)
	}
	if _, stderr, code := run(t, "-f", path, "diff", "--recorded", base); code == 0 || !strings.Contains(stderr, "not one of a recorded diff") {
		t.Fatalf("diff --recorded of a full sync: exit %d %s", code, stderr)
	}
}

// baton sync matches a child connector's grants that name principals by
// email against an identity provider's sync file, as its runner does.
func TestSyncWithExternalResources(t *testing.T) {
	bin := built(t, "github.com/batonkit/batonkit/internal/testconnector/cmd/baton-testapp")
	dir := t.TempDir()
	idp := c1ztest.WriteApp(t, filepath.Join(dir, "idp.c1z"), []c1ztest.FleetUser{{ID: "ada", Emails: []string{"ada@example.test"}}})
	out := filepath.Join(dir, "app.c1z")
	if _, stderr, code := run(t, "-f", out, "sync", "--connector", bin, "--external-resource-c1z", idp, "--", "--external-admins", "Ada@Example.test"); code != 0 {
		t.Fatalf("sync: exit %d %s", code, stderr)
	}
	admins, _, _ := run(t, "-f", out, "principals", "-e", "role:admin:assigned")
	if !strings.Contains(admins, "ada") || strings.Contains(admins, "external:") {
		t.Fatalf("admins:\n%s", admins)
	}
	if _, stderr, code := run(t, "-f", out, "sync", "--connector", bin, "--external-resource-c1z", idp, "--external-resource-traits", "robot"); code != 2 || !strings.Contains(stderr, "robot") {
		t.Fatalf("a bad trait: exit %d %s", code, stderr)
	}
}
