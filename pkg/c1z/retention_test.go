package c1z_test

import (
	"context"
	"path/filepath"
	"slices"
	"testing"

	"github.com/batonkit/batonkit/internal/testkit"
	connectorv2 "github.com/batonkit/batonkit/pb/c1/connector/v2"
	"github.com/batonkit/batonkit/pkg/c1z"
)

func TestRetainKeepsTheNewestFullSyncs(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "r.c1z")
	s, err := c1z.Open(ctx, path)
	testkit.Must(t, err)
	var ids []string
	for i := 0; i < 4; i++ {
		run, err := s.StartSync(ctx, c1z.SyncFull, "")
		testkit.Must(t, err)
		testkit.Must(t, run.PutResources(ctx, user("alice")))
		_, err = run.End(ctx)
		testkit.Must(t, err)
		ids = append(ids, run.ID)
	}
	partial, err := s.StartSync(ctx, c1z.SyncPartial, ids[0])
	testkit.Must(t, err)
	_, err = partial.End(ctx)
	testkit.Must(t, err)
	removed, err := s.Retain(ctx, 2)
	testkit.Must(t, err)
	slices.Sort(removed)
	want := []string{ids[0], ids[1], partial.ID}
	slices.Sort(want)
	if !slices.Equal(removed, want) {
		t.Fatalf("removed %v, want %v", removed, want)
	}
	testkit.Must(t, s.Close(ctx))
	r, err := c1z.OpenReader(ctx, path)
	testkit.Must(t, err)
	defer r.Close(ctx)
	syncs, err := r.Syncs(ctx)
	testkit.Must(t, err)
	if len(syncs) != 2 || syncs[0].ID != ids[2] || syncs[1].ID != ids[3] {
		t.Fatalf("left %+v", syncs)
	}
	n := 0
	for _, err := range r.Resources(ctx, c1z.ResourceQuery{SyncID: ids[2]}) {
		testkit.Must(t, err)
		n++
	}
	if n != 1 {
		t.Fatalf("kept sync has %d resources", n)
	}
	if _, err := r.Resource(ctx, ids[0], &connectorv2.ResourceId{ResourceType: "user", Resource: "alice"}); err == nil {
		t.Fatal("a removed sync's rows are still there")
	}
}

func TestSessionStore(t *testing.T) {
	ctx := context.Background()
	s, run := newSync(t)
	testkit.Must(t, s.SessionSet(ctx, run.ID, "cursor/users", []byte("42")))
	testkit.Must(t, s.SessionSet(ctx, run.ID, "cursor/groups", []byte("7")))
	testkit.Must(t, s.SessionSet(ctx, run.ID, "other", []byte("x")))
	testkit.Must(t, s.SessionSet(ctx, run.ID, "cursor/users", []byte("43")))
	v, ok, err := s.SessionGet(ctx, run.ID, "cursor/users")
	if err != nil || !ok || string(v) != "43" {
		t.Fatalf("get: %q %v %v", v, ok, err)
	}
	var keys []string
	page, next, err := s.SessionPage(ctx, run.ID, "cursor/", "", 10)
	testkit.Must(t, err)
	if next != "" {
		t.Fatalf("one page expected, next %q", next)
	}
	for _, e := range page {
		k := e.Key
		keys = append(keys, k)
	}
	if !slices.Equal(keys, []string{"cursor/groups", "cursor/users"}) {
		t.Fatalf("keys %v", keys)
	}
	testkit.Must(t, s.SessionDelete(ctx, run.ID, "other"))
	if _, ok, _ := s.SessionGet(ctx, run.ID, "other"); ok {
		t.Fatal("deleted key still there")
	}
	testkit.Must(t, s.SessionClear(ctx, run.ID, ""))
	if _, ok, _ := s.SessionGet(ctx, run.ID, "cursor/users"); ok {
		t.Fatal("cleared key still there")
	}
}

func TestExportOneSync(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := c1z.OpenReader(ctx, filepath.Join(fixtureDir(t), "demo-v1-two-syncs.c1z"), c1z.WithTempDir(dir))
	testkit.Must(t, err)
	defer s.Close(ctx)
	syncs, err := s.Syncs(ctx)
	testkit.Must(t, err)
	out := filepath.Join(dir, "one.c1z")
	testkit.Must(t, s.Export(ctx, syncs[0].ID, out))
	e, err := c1z.OpenReader(ctx, out)
	testkit.Must(t, err)
	defer e.Close(ctx)
	got, err := e.Syncs(ctx)
	testkit.Must(t, err)
	if len(got) != 1 || got[0].ID != syncs[0].ID || !got[0].Finished() {
		t.Fatalf("exported syncs %+v", got)
	}
	a, err := s.Stats(ctx, syncs[0].ID)
	testkit.Must(t, err)
	b, err := e.Stats(ctx, "")
	testkit.Must(t, err)
	if a.Resources != b.Resources || a.Grants != b.Grants || a.Entitlements != b.Entitlements {
		t.Fatalf("exported stats %+v, source %+v", b, a)
	}
	if err := s.Export(ctx, syncs[0].ID, out); err == nil {
		t.Fatal("export over an existing file was allowed")
	}
}
