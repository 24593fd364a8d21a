package expand_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"testing"

	connectorv2 "github.com/batonkit/batonkit/pb/c1/connector/v2"
	"github.com/batonkit/batonkit/pkg/annotations"
	"github.com/batonkit/batonkit/pkg/c1z"
	"github.com/batonkit/batonkit/pkg/entitlement"
	"github.com/batonkit/batonkit/pkg/grant"
	"github.com/batonkit/batonkit/pkg/resource"
	"github.com/batonkit/batonkit/pkg/sync/expand"
)

// world is a store holding groups whose membership entitlements nest.
type world struct {
	t      *testing.T
	st     *c1z.Store
	run    *c1z.SyncWriter
	syncID string
}

func newWorld(t *testing.T) *world {
	t.Helper()
	ctx := context.Background()
	st, err := c1z.Open(ctx, filepath.Join(t.TempDir(), "w.c1z"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close(ctx) })
	run, err := st.StartSync(ctx, c1z.SyncFull, "")
	if err != nil {
		t.Fatal(err)
	}
	return &world{t: t, st: st, run: run, syncID: run.ID}
}

func groupRes(id string) *connectorv2.Resource {
	r, _ := resource.New("group", id, id, resource.Group(nil))
	return r
}

func (w *world) groups(ids ...string) {
	for _, id := range ids {
		g := groupRes(id)
		if err := w.run.PutResources(context.Background(), g); err != nil {
			w.t.Fatal(err)
		}
		if err := w.run.PutEntitlements(context.Background(), entitlement.NewAssignment(g, "member")); err != nil {
			w.t.Fatal(err)
		}
	}
}

// user puts user u directly in group g.
func (w *world) user(g, u string) {
	w.put(grant.New(groupRes(g), "member", resource.ID("user", u)))
}

// nest makes group inner a member of group outer; its members inherit.
func (w *world) nest(outer, inner string, opts ...grant.Option) {
	if len(opts) == 0 {
		opts = []grant.Option{grant.Expandable("group:" + inner + ":member")}
	}
	w.put(grant.New(groupRes(outer), "member", resource.ID("group", inner), opts...))
}

func (w *world) put(g *connectorv2.Grant) {
	if err := w.run.PutGrants(context.Background(), g); err != nil {
		w.t.Fatal(err)
	}
}

func (w *world) expand(opts expand.Options) (expand.Stats, error) {
	return expand.Run(context.Background(), w.run, opts)
}

// members lists the principals holding group g's membership.
func (w *world) members(g string) []string {
	var out []string
	for gr, err := range w.st.Grants(context.Background(), c1z.GrantQuery{SyncID: w.syncID, EntitlementID: "group:" + g + ":member"}) {
		if err != nil {
			w.t.Fatal(err)
		}
		out = append(out, gr.GetPrincipal().GetId().GetResourceType()+":"+gr.GetPrincipal().GetId().GetResource())
	}
	slices.Sort(out)
	return out
}

func (w *world) grant(g, principal string) *connectorv2.Grant {
	gr, err := w.st.Grant(context.Background(), w.syncID, "group:"+g+":member:"+principal)
	if err != nil {
		w.t.Fatal(err)
	}
	return gr
}

func TestNestingTwelveDeep(t *testing.T) {
	w := newWorld(t)
	var ids []string
	for i := 0; i <= 12; i++ {
		ids = append(ids, fmt.Sprintf("g%02d", i))
	}
	w.groups(ids...)
	for i := 0; i < 12; i++ {
		w.nest(ids[i], ids[i+1]) // g00 contains g01 contains ... g12
	}
	w.user("g12", "deep")
	st, err := w.expand(expand.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range ids {
		if !slices.Contains(w.members(g), "user:deep") {
			t.Fatalf("user:deep is not a member of %s after expansion", g)
		}
	}
	// The outermost group also holds every group nested in it.
	if got := len(w.members("g00")); got != 13 {
		t.Fatalf("g00 has %d members, want 12 groups + 1 user", got)
	}
	if st.Created == 0 {
		t.Fatalf("stats %+v", st)
	}
	src := w.grant("g00", "user:deep").GetSources().GetSources()
	if _, ok := src["group:g01:member"]; !ok || len(src) != 1 {
		t.Fatalf("g00's grant to deep has sources %v, want g01's membership", src)
	}
	if !annotations.Annotations(w.grant("g00", "user:deep").GetAnnotations()).Contains(&connectorv2.GrantImmutable{}) {
		t.Fatal("an expansion-only grant should be immutable")
	}
	w.end()
	if _, _, err := expand.Replay(context.Background(), w.amend(), false, expand.Options{MaxDepth: 5}); !errors.Is(err, expand.ErrMaxDepth) {
		t.Fatalf("depth limit 5 on 12 levels: %v, want ErrMaxDepth", err)
	}
}

func TestCycleOfThree(t *testing.T) {
	w := newWorld(t)
	w.groups("a", "b", "c")
	w.nest("a", "b")
	w.nest("b", "c")
	w.nest("c", "a")
	w.user("a", "ua")
	w.user("b", "ub")
	w.user("c", "uc")
	st, err := w.expand(expand.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if st.Cycles != 1 {
		t.Fatalf("cycles %d, want 1", st.Cycles)
	}
	for _, g := range []string{"a", "b", "c"} {
		m := w.members(g)
		for _, u := range []string{"user:ua", "user:ub", "user:uc"} {
			if !slices.Contains(m, u) {
				t.Fatalf("%s lacks %s after expanding the cycle: %v", g, u, m)
			}
		}
	}
	// ua's own membership of a is direct and stays marked so.
	if src := w.grant("a", "user:ua").GetSources().GetSources(); len(src) != 0 && src["group:a:member"] == nil {
		t.Fatalf("direct grant lost its direct source: %v", src)
	}
}

func TestDiamond(t *testing.T) {
	// top contains left and right; both contain bottom.
	w := newWorld(t)
	w.groups("top", "left", "right", "bottom")
	w.nest("top", "left")
	w.nest("top", "right")
	w.nest("left", "bottom")
	w.nest("right", "bottom")
	w.user("bottom", "u")
	if _, err := w.expand(expand.Options{}); err != nil {
		t.Fatal(err)
	}
	src := w.grant("top", "user:u").GetSources().GetSources()
	if len(src) != 2 || src["group:left:member"] == nil || src["group:right:member"] == nil {
		t.Fatalf("top's grant to u has sources %v, want both left and right", src)
	}
	n := 0
	for _, m := range w.members("top") {
		if m == "user:u" {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("u appears %d times in top, want exactly once", n)
	}
}

func TestShallowEdge(t *testing.T) {
	// outer contains mid shallowly: only mid's direct members inherit, not
	// the members mid itself inherits from inner.
	w := newWorld(t)
	w.groups("outer", "mid", "inner")
	w.nest("outer", "mid", grant.ExpandableShallow("group:mid:member"))
	w.nest("mid", "inner")
	w.user("mid", "direct")
	w.user("inner", "indirect")
	if _, err := w.expand(expand.Options{}); err != nil {
		t.Fatal(err)
	}
	m := w.members("outer")
	if !slices.Contains(m, "user:direct") {
		t.Fatalf("outer lacks mid's direct member: %v", m)
	}
	if slices.Contains(m, "user:indirect") {
		t.Fatalf("a shallow edge passed on an inherited member: %v", m)
	}
	if !slices.Contains(w.members("mid"), "user:indirect") {
		t.Fatal("the deep edge mid<-inner was not expanded")
	}
}

func TestResourceTypeFilter(t *testing.T) {
	w := newWorld(t)
	w.groups("outer", "inner", "sub")
	w.nest("outer", "inner", grant.WithAnnotations(&connectorv2.GrantExpandable{
		EntitlementIds: []string{"group:inner:member"}, ResourceTypeIds: []string{"user"}}))
	w.nest("inner", "sub", grant.WithAnnotations(&connectorv2.GrantExpandable{EntitlementIds: []string{"group:sub:member"}, ResourceTypeIds: []string{"user"}}))
	w.user("inner", "u1")
	if _, err := w.expand(expand.Options{}); err != nil {
		t.Fatal(err)
	}
	m := w.members("outer")
	if !slices.Contains(m, "user:u1") {
		t.Fatalf("outer lacks user u1: %v", m)
	}
	if slices.Contains(m, "group:sub") {
		t.Fatalf("the filter let a group principal through: %v", m)
	}
}

func TestExpansionKeepsTheExpandableFlag(t *testing.T) {
	// Adding sources to an expandable grant must not make it forget it is
	// expandable: expansion run again gives the same result.
	w := newWorld(t)
	w.groups("a", "b", "c")
	w.nest("a", "b")
	w.nest("b", "c")
	w.nest("a", "c") // a also holds c directly, and through b
	w.user("c", "u")
	if _, err := w.expand(expand.Options{}); err != nil {
		t.Fatal(err)
	}
	first := w.members("a")
	w.end()
	rb, st, err := expand.Replay(context.Background(), w.amend(), false, expand.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := w.members("a"); !slices.Equal(got, first) {
		t.Fatalf("expanding again changed a's members: %v -> %v", first, got)
	}
	if st.Edges != 3 || st.Created != rb.Deleted {
		t.Fatalf("the second run saw %d edges and made %d grants; want the 3 nesting grants and the %d rolled back", st.Edges, st.Created, rb.Deleted)
	}
}
