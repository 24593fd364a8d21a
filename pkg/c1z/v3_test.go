package c1z_test

import (
	"context"
	"path/filepath"
	"slices"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/batonkit/batonkit/internal/c1ztest"
	"github.com/batonkit/batonkit/internal/testkit"
	connectorv2 "github.com/batonkit/batonkit/pb/c1/connector/v2"
	"github.com/batonkit/batonkit/pkg/c1z"
)

// A sync written in v3's layout reads back as the same objects as the v1
// file it was copied from: ids, names, annotations, parents, grant
// sources and expansion.
func TestV3ReadsWhatV1Holds(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	v1 := filepath.Join(dir, "v1.c1z")
	s, err := c1z.Open(ctx, v1)
	testkit.Must(t, err)
	run, err := s.StartSync(ctx, c1z.SyncFull, "")
	testkit.Must(t, err)
	eng, all := member(group("eng")), member(group("all"))
	child := user("carol")
	child.ParentResourceId = group("eng").GetId()
	testkit.Must(t, run.PutResourceTypes(ctx, &connectorv2.ResourceType{Id: "user", DisplayName: "User", Traits: []connectorv2.ResourceType_Trait{connectorv2.ResourceType_TRAIT_USER}},
		&connectorv2.ResourceType{Id: "group"}))
	testkit.Must(t, run.PutResources(ctx, user("alice"), user("bob"), child, group("eng"), group("all")))
	eng.Purpose, eng.DisplayName, eng.GrantableTo = connectorv2.Entitlement_PURPOSE_VALUE_ASSIGNMENT, "Eng member", []*connectorv2.ResourceType{{Id: "user"}}
	testkit.Must(t, run.PutEntitlements(ctx, eng, all))
	expanded := grant(all, user("alice"))
	expanded.Sources = &connectorv2.GrantSources{Sources: map[string]*connectorv2.GrantSources_GrantSource{eng.GetId(): {}, all.GetId(): {IsDirect: true}}}
	testkit.Must(t, run.PutGrants(ctx, grant(eng, user("alice")), grant(eng, user("bob")), expanded,
		grant(all, group("eng"), &connectorv2.GrantExpandable{EntitlementIds: []string{eng.GetId()}})))
	_, err = run.End(ctx)
	testkit.Must(t, err)
	testkit.Must(t, s.Close(ctx))

	v3 := filepath.Join(dir, "v3.c1z")
	testkit.Must(t, c1ztest.CopyToV3(ctx, v1, v3))
	// v3 records refer to other objects by id, and Baton's reader gives
	// those references as ids only: compare at that depth.
	if a, b := stubbed(t, v1), stubbed(t, v3); !slices.Equal(a, b) {
		t.Fatalf("the v3 copy reads differently:\nv1 %q\nv3 %q", a, b)
	}
	r, err := c1z.OpenReader(ctx, v3)
	testkit.Must(t, err)
	defer r.Close(ctx)
	var expandable int
	for g, err := range r.Grants(ctx, c1z.GrantQuery{SyncID: run.ID}) {
		testkit.Must(t, err)
		exp, err := r.GrantExpansion(ctx, run.ID, g.GetId())
		testkit.Must(t, err)
		if exp != nil {
			expandable++
		}
	}
	if expandable != 1 {
		t.Fatalf("%d expandable grants in the v3 copy, want 1", expandable)
	}
}

func stubbed(t *testing.T, path string) []string {
	ctx := context.Background()
	st, err := c1z.OpenReader(ctx, path)
	testkit.Must(t, err)
	defer st.Close(ctx)
	var out []string
	add := func(m proto.Message) {
		b, err := proto.MarshalOptions{Deterministic: true}.Marshal(m)
		testkit.Must(t, err)
		out = append(out, string(b))
	}
	ref := func(r *connectorv2.Resource) *connectorv2.Resource {
		return &connectorv2.Resource{Id: r.GetId(), ParentResourceId: r.GetParentResourceId()}
	}
	for rt, err := range st.ResourceTypes(ctx, "") {
		testkit.Must(t, err)
		add(rt)
	}
	for r, err := range st.Resources(ctx, c1z.ResourceQuery{}) {
		testkit.Must(t, err)
		add(r)
	}
	for e, err := range st.Entitlements(ctx, c1z.EntitlementQuery{}) {
		testkit.Must(t, err)
		e.Resource = &connectorv2.Resource{Id: e.GetResource().GetId()}
		add(e)
	}
	for g, err := range st.Grants(ctx, c1z.GrantQuery{}) {
		testkit.Must(t, err)
		g.Entitlement = &connectorv2.Entitlement{Id: g.GetEntitlement().GetId(), Resource: &connectorv2.Resource{Id: g.GetEntitlement().GetResource().GetId()}}
		g.Principal = ref(g.GetPrincipal())
		add(g)
	}
	slices.Sort(out)
	return out
}
