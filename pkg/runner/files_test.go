package runner_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/batonkit/batonkit/pkg/c1z"
)

func fullSyncs(t *testing.T, path string) []string {
	t.Helper()
	ctx := context.Background()
	st, err := c1z.Open(ctx, path, c1z.ReadOnly())
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
