package compact_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/batonkit/batonkit/internal/c1ztest"
	"github.com/batonkit/batonkit/internal/testconnector"
	"github.com/batonkit/batonkit/internal/testkit"
	connectorv2 "github.com/batonkit/batonkit/pb/c1/connector/v2"
	"github.com/batonkit/batonkit/pkg/c1z"
	"github.com/batonkit/batonkit/pkg/compact"
	"github.com/batonkit/batonkit/pkg/sync"
)

type app = *c1ztest.App

func newApp(t *testing.T, c *testconnector.Connector) app { return c1ztest.NewApp(t, c) }

func member(a app, path, group, user string) {
	a.Grant(path, "group:"+group+":member", &connectorv2.ResourceId{ResourceType: "user", Resource: user})
}

func group(id string) *connectorv2.ResourceId {
	return &connectorv2.ResourceId{ResourceType: "group", Resource: id}
}

func compactFiles(t *testing.T, out string, paths ...string) compact.Result {
	t.Helper()
	ctx := context.Background()
	in, err := compact.Select(ctx, paths...)
	testkit.Must(t, err)
	res, err := compact.Compact(ctx, out, in, compact.Options{})
	testkit.Must(t, err)
	return res
}

func sameDump(t *testing.T, got, want string) {
	t.Helper()
	g, w := c1ztest.Dump(t, got), c1ztest.Dump(t, want)
	if slices.Equal(g, w) {
		return
	}
	var only []string
	for _, l := range g {
		if !slices.Contains(w, l) {
			only = append(only, "+ "+l)
		}
	}
	for _, l := range w {
		if !slices.Contains(g, l) {
			only = append(only, "- "+l)
		}
	}
	t.Fatalf("%s (%d objects) differs from %s (%d objects):\n%s", got, len(g), want, len(w), strings.Join(only[:min(len(only), 12)], "\n"))
}

// A full sync and the targeted syncs after it compact to what a full sync
// of the app after those changes lists: members added and removed, through
// nested groups, in one file or across several.
func TestCompactionEqualsAFullSyncAfterTheChanges(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(a app, path string)
		target []string
		apart  bool // the targeted sync goes to a file of its own
	}{
		{"member added", func(a app, p string) { member(a, p, "g002", "u000") }, []string{"g002"}, false},
		{"member added, nested group", func(a app, p string) { member(a, p, "g003", "u001") }, []string{"g003"}, false},
		{"member removed", func(a app, p string) { a.Revoke(p, "group:g001:member:user:u001") }, []string{"g001"}, false},
		{"added and removed in two groups", func(a app, p string) {
			member(a, p, "g004", "u002")
			a.Revoke(p, "group:g000:member:user:u006")
		}, []string{"g004", "g000"}, false},
		{"targeted sync in another file", func(a app, p string) { member(a, p, "g001", "u005") }, []string{"g001"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			c := testconnector.New(20, 6, 4)
			a := newApp(t, c)
			base := filepath.Join(dir, "base.c1z")
			a.Sync(base)
			tc.change(a, base)
			var targets []*connectorv2.ResourceId
			for _, g := range tc.target {
				targets = append(targets, group(g))
			}
			partial := base
			if tc.apart {
				partial = filepath.Join(dir, "partial.c1z")
			}
			if res := a.Sync(partial, sync.WithTargets(targets...)); res.Type != c1z.SyncPartial {
				t.Fatalf("targeted sync is %s", res.Type)
			}
			want := filepath.Join(dir, "want.c1z")
			a.Sync(want)
			if slices.Equal(c1ztest.Dump(t, base), c1ztest.Dump(t, want)) {
				t.Fatal("the change did not change the app")
			}
			paths := []string{base}
			if tc.apart {
				paths = append(paths, partial)
			}
			res := compactFiles(t, filepath.Join(dir, "out.c1z"), paths...)
			if res.Type != c1z.SyncFull || !res.Expanded || len(res.Applied) != 2 {
				t.Fatalf("compaction: %+v", res)
			}
			sameDump(t, res.Path, want)
			sameSchemaAsBaton(t, res.Path)
		})
	}
}

// A diff written into a file and applied to its base gives back the
// applied sync exactly: a property over generated pairs of app states,
// with users, groups and memberships added, removed and changed.
func TestSyncDiffAppliedToItsBaseGivesBackTheAppliedSync(t *testing.T) {
	ctx := context.Background()
	for seed := range uint64(12) {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, 37))
			dir := t.TempDir()
			path := filepath.Join(dir, "s.c1z")
			first := randomApp(t, rng, path, filepath.Join(dir, "scratch1.c1z"))
			baseID := first.Sync(path).SyncID
			second := randomApp(t, rng, path, filepath.Join(dir, "scratch2.c1z"))
			appliedID := second.Sync(path).SyncID

			// The diff is written into the file holding both syncs, or,
			// for odd seeds, into a file of the applied sync alone with
			// the base in another.
			baseFile, diffFile := path, path
			if seed%2 == 1 {
				baseFile, diffFile = filepath.Join(dir, "base.c1z"), filepath.Join(dir, "applied.c1z")
				exportSync(t, path, baseID, baseFile)
				exportSync(t, path, appliedID, diffFile)
			}
			st, err := c1z.Open(ctx, diffFile)
			testkit.Must(t, err)
			base := st.Reader
			if baseFile != diffFile {
				base, err = c1z.OpenReader(ctx, baseFile)
				testkit.Must(t, err)
			}
			d, err := st.WriteSyncDiff(ctx, base, baseID, appliedID)
			testkit.Must(t, err)
			if base != st.Reader {
				testkit.Must(t, base.Close(ctx))
			}
			checkDiffRuns(t, st, d, baseID)
			testkit.Must(t, st.Close(ctx))

			out := filepath.Join(dir, "out.c1z")
			res, err := compact.Compact(ctx, out, []compact.Input{
				{Path: baseFile, SyncID: baseID}, {Path: diffFile, SyncID: d.Deletions}, {Path: diffFile, SyncID: d.Upserts},
			}, compact.Options{})
			testkit.Must(t, err)
			if res.Expanded {
				t.Error("applying a diff ran expansion again; a diff carries its expansion")
			}
			applied := filepath.Join(dir, "applied-alone.c1z")
			exportSync(t, path, appliedID, applied)
			sameDump(t, out, applied)
			if seed == 0 {
				sameSchemaAsBaton(t, diffFile)
				sameSchemaAsBaton(t, out)
			}
		})
	}
}

// randomApp builds a test app of random size and changes some of its
// memberships (read from a scratch sync, as a control plane would).
func randomApp(t *testing.T, rng *rand.Rand, _ string, scratch string) app {
	t.Helper()
	nUsers, nGroups := 5+rng.IntN(25), 2+rng.IntN(6)
	a := newApp(t, testconnector.New(nUsers, nGroups, rng.IntN(nGroups)))
	a.Sync(scratch)
	for range rng.IntN(4) {
		member(a, scratch, fmt.Sprintf("g%03d", rng.IntN(nGroups)), fmt.Sprintf("u%03d", rng.IntN(nUsers)))
	}
	if rng.IntN(2) == 0 {
		u := rng.IntN(nUsers)
		a.Revoke(scratch, fmt.Sprintf("group:g%03d:member:user:u%03d", u%nGroups, u))
	}
	return a
}

func exportSync(t *testing.T, from, id, to string) {
	t.Helper()
	ctx := context.Background()
	st, err := c1z.OpenReader(ctx, from)
	testkit.Must(t, err)
	defer st.Close(ctx)
	testkit.Must(t, st.Export(ctx, id, to))
}

// checkDiffRuns checks the two syncs are recorded as Baton links them.
func checkDiffRuns(t *testing.T, st *c1z.Store, d c1z.SyncDiff, baseID string) {
	t.Helper()
	ctx := context.Background()
	del, err := st.SyncRun(ctx, d.Deletions)
	testkit.Must(t, err)
	up, err := st.SyncRun(ctx, d.Upserts)
	testkit.Must(t, err)
	if del.Type != c1z.SyncPartialDeletions || up.Type != c1z.SyncPartialUpserts {
		t.Fatalf("diff sync types %s, %s", del.Type, up.Type)
	}
	if del.ParentID != baseID || up.ParentID != baseID || del.LinkedID != up.ID || up.LinkedID != del.ID {
		t.Fatalf("diff links: deletions %+v, upserts %+v", del, up)
	}
	if !del.Finished() || !up.Finished() || del.ID >= up.ID || up.Stats == nil {
		t.Fatalf("diff syncs not finished in order: %+v %+v", del, up)
	}
}

// sameSchemaAsBaton checks a file we wrote is laid out as Baton's files.
func sameSchemaAsBaton(t *testing.T, path string) {
	t.Helper()
	want := c1ztest.Schema(t, c1ztest.Upstream(t, "demo-v1"))
	if got := c1ztest.Schema(t, path); !slices.Equal(got, want) {
		t.Fatalf("%s: schema differs from Baton's:\n%s", path, strings.Join(got, "\n"))
	}
}
