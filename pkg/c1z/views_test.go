package c1z_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/batonkit/batonkit/internal/c1ztest"
	"github.com/batonkit/batonkit/internal/testkit"
	connectorv2 "github.com/batonkit/batonkit/pb/c1/connector/v2"
	"github.com/batonkit/batonkit/pkg/c1z"
)

// viewsFile writes two syncs: one with more entitlements than
// a view caches and more grants than a chunk, a grant of an entitlement
// (and resource) the sync does not hold, one of a principal it does not
// hold, and consecutive grants of one entitlement id that embed different
// copies of it; then a later one whose objects share ids with the first
// but differ. It returns the first sync's id.
func viewsFile(t *testing.T, path string) string {
	t.Helper()
	ctx := context.Background()
	st, err := c1z.Open(ctx, path)
	testkit.Must(t, err)
	write := func(label string, groups int) string {
		run, err := st.StartSync(ctx, c1z.SyncFull, "")
		testkit.Must(t, err)
		u1, u2 := user("u1"), user("u2")
		u1.DisplayName += label
		testkit.Must(t, run.PutResources(ctx, u1, u2))
		for i := range groups {
			g := group(fmt.Sprintf("g%04d", i))
			g.DisplayName += label
			e := member(g)
			e.DisplayName = "Member " + label
			testkit.Must(t, run.PutResources(ctx, g))
			testkit.Must(t, run.PutEntitlements(ctx, e))
			testkit.Must(t, run.PutGrants(ctx, grant(e, u1), grant(e, u2)))
		}
		gone := member(group("gone"))
		testkit.Must(t, run.PutGrants(ctx, grant(gone, u1), grant(member(group("g0001")), user("nobody"))))
		// One entitlement id, embedded three ways in a row.
		e := member(group("g0002"))
		for i, p := range []*connectorv2.Resource{user("x1"), user("x2"), user("x3")} {
			e = proto.CloneOf(e)
			e.DisplayName = fmt.Sprintf("copy %d", i%2)
			testkit.Must(t, run.PutResources(ctx, p))
			testkit.Must(t, run.PutGrants(ctx, grant(e, p)))
		}
		_, err = run.End(ctx)
		testkit.Must(t, err)
		return run.ID
	}
	id := write("", 4500)
	write(" (later)", 50) // rows after the ones read: a lookup ignoring the sync would see these last
	testkit.Must(t, st.Close(ctx))
	return id
}

// GrantViews reads a grant's entitlement and resource once per chunk
// rather than joining them into every row, and shares decoded copies
// between rows: every view must still be what looking each object up
// by id gives.
func TestGrantViewsMatchLookups(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "views.c1z")
	syncID := viewsFile(t, path)
	st, err := c1z.OpenReader(ctx, path)
	testkit.Must(t, err)
	defer st.Close(ctx)

	lookup := func(get func() (*connectorv2.Resource, error)) *connectorv2.Resource {
		r, err := get()
		if errors.Is(err, c1z.ErrNotFound) {
			return nil
		}
		testkit.Must(t, err)
		return r
	}
	n := 0
	for v, err := range st.GrantViews(ctx, c1z.GrantQuery{SyncID: syncID}) {
		testkit.Must(t, err)
		n++
		g := v.Grant
		// By id, from its own row: the three embedded copies of
		// group:g0002:member differ row by row.
		want, err := st.Grant(ctx, syncID, g.GetId())
		testkit.Must(t, err)
		if !proto.Equal(g, want) {
			t.Fatalf("grant %s:\n got %v\nwant %v", g.GetId(), g, want)
		}
		ent, err := st.Entitlement(ctx, syncID, g.GetEntitlement().GetId())
		if errors.Is(err, c1z.ErrNotFound) {
			ent = nil
		} else {
			testkit.Must(t, err)
		}
		if (ent == nil) != (v.Entitlement == nil) || !proto.Equal(ent, v.Entitlement) {
			t.Fatalf("grant %s: entitlement %v, want %v", g.GetId(), v.Entitlement, ent)
		}
		res := lookup(func() (*connectorv2.Resource, error) {
			return st.Resource(ctx, syncID, g.GetEntitlement().GetResource().GetId())
		})
		if (res == nil) != (v.Resource == nil) || !proto.Equal(res, v.Resource) {
			t.Fatalf("grant %s: resource %v, want %v", g.GetId(), v.Resource, res)
		}
		p := lookup(func() (*connectorv2.Resource, error) { return st.Resource(ctx, syncID, g.GetPrincipal().GetId()) })
		if (p == nil) != (v.Principal == nil) || !proto.Equal(p, v.Principal) {
			t.Fatalf("grant %s: principal %v, want %v", g.GetId(), v.Principal, p)
		}
	}
	if want := 2*4500 + 2 + 3; n != want {
		t.Fatalf("%d views, want %d", n, want)
	}
}

// An entitlement whose stored bytes do not decode fails each grant that
// refers to it, named by the grant's row, or is skipped with SkipInvalid,
// as when it was joined into the row.
func TestGrantViewsNameRowsOfABrokenEntitlement(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "views.c1z")
	syncID := viewsFile(t, path)
	broken := c1ztest.RewriteDB(t, path, fmt.Sprintf(
		"update v1_entitlements set data = x'ffffffffff' where external_id = 'group:g0100:member' and sync_id = '%s'", syncID))

	st, err := c1z.OpenReader(ctx, broken)
	testkit.Must(t, err)
	var rowErr *c1z.RowError
	for _, err := range st.GrantViews(ctx, c1z.GrantQuery{SyncID: syncID}) {
		if err != nil {
			if !errors.As(err, &rowErr) || rowErr.ID != "group:g0100:member:user:u1" {
				t.Fatalf("error %v; want a RowError naming the first grant of group:g0100:member", err)
			}
			break
		}
	}
	if rowErr == nil {
		t.Fatal("the broken entitlement went unnoticed")
	}
	st.Close(ctx)

	var skipped []string
	st, err = c1z.OpenReader(ctx, broken, c1z.SkipInvalid(func(e *c1z.RowError) { skipped = append(skipped, e.ID) }))
	testkit.Must(t, err)
	defer st.Close(ctx)
	n := 0
	for _, err := range st.GrantViews(ctx, c1z.GrantQuery{SyncID: syncID}) {
		testkit.Must(t, err)
		n++
	}
	if want := 2*4500 + 2 + 3 - 2; n != want || len(skipped) != 2 {
		t.Fatalf("%d views and skipped %v; want %d and the two grants of group:g0100:member", n, skipped, want)
	}
}

// A loop that stops early leaves nothing running: the store can be
// closed at once (the view reads ahead on other goroutines).
func TestViewsStopWhenTheLoopDoes(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "views.c1z")
	syncID := viewsFile(t, path)
	for range 20 {
		st, err := c1z.OpenReader(ctx, path)
		testkit.Must(t, err)
		for _, err := range st.GrantViews(ctx, c1z.GrantQuery{SyncID: syncID}) {
			testkit.Must(t, err)
			break
		}
		testkit.Must(t, st.Close(ctx))
	}
}
