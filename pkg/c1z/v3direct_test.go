package c1z_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/batonkit/batonkit/internal/c1ztest"
	"github.com/batonkit/batonkit/internal/testkit"
	connectorv2 "github.com/batonkit/batonkit/pb/c1/connector/v2"
	"github.com/batonkit/batonkit/pkg/c1z"
)

// richV3 writes a sync with parents, an expandable grant, grant sources,
// a grant whose principal is not a resource of the sync and ids with the
// bytes Baton's keys escape, and copies it into v3's layout.
func richV3(t *testing.T) string {
	ctx := context.Background()
	dir := t.TempDir()
	v1 := filepath.Join(dir, "v1.c1z")
	s, err := c1z.Open(ctx, v1)
	testkit.Must(t, err)
	run, err := s.StartSync(ctx, c1z.SyncFull, "")
	testkit.Must(t, err)
	eng, all, odd := member(group("eng")), member(group("all")), member(group("odd\x00\x01:id"))
	child := user("carol")
	child.ParentResourceId = group("eng").GetId()
	testkit.Must(t, run.PutResourceTypes(ctx, &connectorv2.ResourceType{Id: "user", DisplayName: "User"}, &connectorv2.ResourceType{Id: "group"}))
	testkit.Must(t, run.PutResources(ctx, user("alice"), user("bob"), child, group("eng"), group("all"), group("odd\x00\x01:id"), user("z\x01")))
	testkit.Must(t, run.PutEntitlements(ctx, eng, all, odd))
	expanded := grant(all, user("alice"))
	expanded.Sources = &connectorv2.GrantSources{Sources: map[string]*connectorv2.GrantSources_GrantSource{eng.GetId(): {}, all.GetId(): {IsDirect: true}}}
	testkit.Must(t, run.PutGrants(ctx, grant(eng, user("alice")), grant(eng, user("bob")), expanded, grant(odd, user("z\x01")),
		grant(eng, user("gone")), grant(all, group("eng"), &connectorv2.GrantExpandable{EntitlementIds: []string{eng.GetId()}})))
	_, err = run.End(ctx)
	testkit.Must(t, err)
	testkit.Must(t, s.Close(ctx))
	v3 := filepath.Join(dir, "v3.c1z")
	testkit.Must(t, c1ztest.CopyToV3(ctx, v1, v3))
	return v3
}

// Every listing a v3 file serves from its payload gives, in the same
// order, what the same query gives on its conversion to v1: whole, by
// type, by resource, entitlement and principal, with the objects views
// join, and the Get methods and stats.
func TestV3DirectReadsMatchTheConversion(t *testing.T) {
	ctx := context.Background()
	files := map[string]string{"rich": richV3(t)}
	for _, name := range []string{"demo-v3-pebble", "harness-3k-v3"} {
		files[name] = filepath.Join(fixtureDir(t), name+".c1z")
	}
	for name, v3 := range files {
		t.Run(name, func(t *testing.T) {
			direct, err := c1z.OpenReader(ctx, v3)
			testkit.Must(t, err)
			defer direct.Close(ctx)
			v1 := filepath.Join(t.TempDir(), "v1.c1z")
			converted, err := c1z.OpenReader(ctx, v3)
			testkit.Must(t, err)
			testkit.Must(t, converted.Export(ctx, "", v1))
			testkit.Must(t, converted.Close(ctx))
			conv, err := c1z.OpenReader(ctx, v1)
			testkit.Must(t, err)
			defer conv.Close(ctx)
			want, got := listings(t, conv), listings(t, direct)
			if len(want) < 20 {
				t.Fatalf("only %d listings compared", len(want))
			}
			for i := range want {
				if want[i] != got[i] {
					t.Fatalf("differs from the conversion:\nv1 %q\nv3 %q", want[i], got[i])
				}
			}
		})
	}
}

// listings runs every query with a payload path on st and returns one
// line per answer, in order.
func listings(t *testing.T, st *c1z.Reader) []string {
	ctx := context.Background()
	var out []string
	add := func(what string, ms ...proto.Message) {
		line := what
		for _, m := range ms {
			if m == nil || m.ProtoReflect().IsValid() == false {
				line += " | nil"
				continue
			}
			line += " | " + canonical(t, m)
		}
		out = append(out, line)
	}
	run, err := st.DefaultSync(ctx)
	testkit.Must(t, err)
	stats, err := st.Stats(ctx, "")
	testkit.Must(t, err)
	out = append(out, fmt.Sprintf("stats %+v", stats))
	if none, err := st.Stats(ctx, "no-such-sync"); err != nil || none.Grants != 0 {
		t.Fatalf("stats of another sync: %+v, %v", none, err)
	}
	var types []string
	for rt, err := range st.ResourceTypes(ctx, run.ID) {
		testkit.Must(t, err)
		types = append(types, rt.GetId())
		add("type", rt)
	}
	var resources []*connectorv2.ResourceId
	for _, typ := range append([]string{""}, types...) {
		for v, err := range st.ResourceViews(ctx, c1z.ResourceQuery{ResourceTypeID: typ}) {
			testkit.Must(t, err)
			add("resource view "+typ, v.Resource, v.Parent)
			if typ == "" {
				resources = append(resources, v.Resource.GetId())
			}
		}
		for r, err := range st.Resources(ctx, c1z.ResourceQuery{SyncID: run.ID, ResourceTypeID: typ}) {
			testkit.Must(t, err)
			add("resource "+typ, r)
		}
		for v, err := range st.EntitlementViews(ctx, c1z.EntitlementQuery{ResourceTypeID: typ}) {
			testkit.Must(t, err)
			add("entitlement view "+typ, v.Entitlement, v.Resource)
		}
		for v, err := range st.GrantViews(ctx, c1z.GrantQuery{ResourceTypeID: typ}) {
			testkit.Must(t, err)
			add("grant view "+typ, v.Grant, v.Entitlement, v.Resource, v.Principal)
		}
	}
	var ents []string
	for e, err := range st.Entitlements(ctx, c1z.EntitlementQuery{}) {
		testkit.Must(t, err)
		ents = append(ents, e.GetId())
		add("entitlement", e)
	}
	for _, id := range append(slices.Clip(ents), "no-such-entitlement") {
		for v, err := range st.GrantViews(ctx, c1z.GrantQuery{EntitlementID: id}) {
			testkit.Must(t, err)
			add("grants of "+id, v.Grant, v.Entitlement, v.Resource, v.Principal)
		}
		e, err := st.Entitlement(ctx, "", id)
		if errors.Is(err, c1z.ErrNotFound) {
			out = append(out, "entitlement "+id+": "+err.Error())
		} else {
			testkit.Must(t, err)
			add("entitlement "+id, e)
		}
	}
	for _, id := range append(resources[:min(len(resources), 40)], &connectorv2.ResourceId{ResourceType: "user", Resource: "gone"}) {
		for _, q := range []c1z.GrantQuery{{Principal: id}, {Resource: id}} {
			for v, err := range st.GrantViews(ctx, q) {
				testkit.Must(t, err)
				add(fmt.Sprintf("grants %v", q), v.Grant, v.Entitlement, v.Resource, v.Principal)
			}
		}
		for e, err := range st.EntitlementViews(ctx, c1z.EntitlementQuery{Resource: id}) {
			testkit.Must(t, err)
			add("entitlements on "+id.String(), e.Entitlement, e.Resource)
		}
		r, err := st.Resource(ctx, "", id)
		if errors.Is(err, c1z.ErrNotFound) {
			out = append(out, "resource: "+err.Error())
		} else {
			testkit.Must(t, err)
			add("resource", r)
		}
	}
	for _, typ := range append(types, "no-such-type") {
		rt, err := st.ResourceType(ctx, "", typ)
		if errors.Is(err, c1z.ErrNotFound) {
			out = append(out, "type: "+err.Error())
		} else {
			testkit.Must(t, err)
			add("type", rt)
		}
	}
	for range st.GrantViews(ctx, c1z.GrantQuery{SyncID: "no-such-sync"}) {
		t.Fatal("grants of a sync the file does not hold")
	}
	return out
}
