package c1z_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/batonkit/batonkit/internal/testkit"
	c1zv1 "github.com/batonkit/batonkit/pb/c1/c1z/v1"
	connectorv2 "github.com/batonkit/batonkit/pb/c1/connector/v2"
	"github.com/batonkit/batonkit/pkg/annotations"
	"github.com/batonkit/batonkit/pkg/c1z"
)

func TestDiffMatchesUpstream(t *testing.T) {
	ctx := context.Background()
	s := openFixture(t, "demo-v1-two-syncs")
	base, applied, err := s.LatestTwoFullSyncs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.Diff(ctx, base, applied)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(fixtureDir(t), "expected", "demo-v1-two-syncs.diff.json"))
	if err != nil {
		t.Fatal(err)
	}
	want := &c1zv1.C1ZDiffOutput{}
	if err := protojson.Unmarshal(raw, want); err != nil {
		t.Fatal(err)
	}
	// Upstream omits empty lists; compare as multisets per list.
	pairs := []struct {
		name      string
		got, want []proto.Message
	}{
		{"resources created", msgs(got.GetResources().GetCreated()), msgs(want.GetResources().GetCreated())},
		{"resources deleted", msgs(got.GetResources().GetDeleted()), msgs(want.GetResources().GetDeleted())},
		{"resources modified", msgs(got.GetResources().GetModified()), msgs(want.GetResources().GetModified())},
		{"entitlements created", msgs(got.GetEntitlements().GetCreated()), msgs(want.GetEntitlements().GetCreated())},
		{"entitlements deleted", msgs(got.GetEntitlements().GetDeleted()), msgs(want.GetEntitlements().GetDeleted())},
		{"entitlements modified", msgs(got.GetEntitlements().GetModified()), msgs(want.GetEntitlements().GetModified())},
		{"grants created", msgs(got.GetGrants().GetCreated()), msgs(want.GetGrants().GetCreated())},
		{"grants deleted", msgs(got.GetGrants().GetDeleted()), msgs(want.GetGrants().GetDeleted())},
		{"grants modified", msgs(got.GetGrants().GetModified()), msgs(want.GetGrants().GetModified())},
	}
	for _, p := range pairs {
		if len(p.got) != len(p.want) {
			t.Errorf("%s: %d, upstream %d", p.name, len(p.got), len(p.want))
			continue
		}
		left := map[string]int{}
		for _, m := range p.want {
			left[canonical(t, m)]++
		}
		for _, m := range p.got {
			k := canonical(t, m)
			if left[k] == 0 {
				t.Errorf("%s: unexpected %v", p.name, m)
			}
			left[k]--
		}
	}
}

func msgs[T proto.Message](in []T) []proto.Message {
	out := make([]proto.Message, len(in))
	for i, m := range in {
		out[i] = m
	}
	return out
}

// Two files compare as two syncs of one file do: a second file written
// with one user disabled and renamed, one grant gone and one group added
// reports exactly those, and names the fields that changed.
func TestCompareTwoFiles(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	oldPath, newPath := filepath.Join(dir, "old.c1z"), filepath.Join(dir, "new.c1z")
	oldID := writeSmall(t, oldPath)

	s, err := c1z.Open(ctx, newPath)
	testkit.Must(t, err)
	run, err := s.StartSync(ctx, c1z.SyncFull, "")
	testkit.Must(t, err)
	bob := user("bob")
	bob.DisplayName = "Robert"
	bob.Annotations = annotations.New(&connectorv2.UserTrait{Login: "bob", Status: &connectorv2.UserTrait_Status{Status: connectorv2.UserTrait_Status_STATUS_DISABLED}})
	testkit.Must(t, run.PutResourceTypes(ctx, &connectorv2.ResourceType{Id: "user"}, &connectorv2.ResourceType{Id: "group"}))
	testkit.Must(t, run.PutResources(ctx, user("alice"), bob, group("eng"), group("all"), group("ops")))
	eng, all := member(group("eng")), member(group("all"))
	testkit.Must(t, run.PutEntitlements(ctx, eng, all))
	testkit.Must(t, run.PutGrants(ctx, grant(eng, user("alice")),
		grant(all, group("eng"), &connectorv2.GrantExpandable{EntitlementIds: []string{eng.GetId()}})))
	_, err = run.End(ctx)
	testkit.Must(t, err)
	testkit.Must(t, s.Close(ctx))

	base, err := c1z.OpenReader(ctx, oldPath)
	testkit.Must(t, err)
	defer base.Close(ctx)
	applied, err := c1z.OpenReader(ctx, newPath)
	testkit.Must(t, err)
	defer applied.Close(ctx)
	var got []string
	for d, err := range base.Compare(ctx, oldID, applied, run.ID) {
		testkit.Must(t, err)
		line := d.Change.String() + " " + describe(d.Object)
		if len(d.Fields) > 0 {
			line += " " + strings.Join(d.Fields, ",")
		}
		got = append(got, line)
	}
	want := []string{
		"created resource group:ops",
		"modified resource user:bob displayName,annotations.UserTrait.status",
		"deleted grant group:eng:member:user:bob",
	}
	if !slices.Equal(got, want) {
		t.Fatalf("differences:\n got %q\nwant %q", got, want)
	}
	// The base store is still usable alone afterwards (the other file was
	// detached).
	if _, err := base.Resource(ctx, oldID, user("bob").GetId()); err != nil {
		t.Fatal(err)
	}
	// A sync id of the wrong file is an error, not an empty diff.
	var err2 error
	for _, err := range base.Compare(ctx, oldID, applied, oldID) {
		err2 = err
	}
	if err := err2; !errors.Is(err, c1z.ErrNoSync) && !errors.Is(err, c1z.ErrNotFound) {
		t.Fatalf("a sync id of the other file: %v", err)
	}
}

func describe(m proto.Message) string {
	switch o := m.(type) {
	case *connectorv2.Resource:
		return "resource " + o.GetId().GetResourceType() + ":" + o.GetId().GetResource()
	case *connectorv2.Entitlement:
		return "entitlement " + o.GetId()
	case *connectorv2.Grant:
		return "grant " + o.GetId()
	}
	return "?"
}

func TestChangedFields(t *testing.T) {
	status := func(s connectorv2.UserTrait_Status_Status) *connectorv2.UserTrait {
		return &connectorv2.UserTrait{Login: "a", Status: &connectorv2.UserTrait_Status{Status: s}}
	}
	for _, tc := range []struct {
		name       string
		base, appl proto.Message
		want       []string
	}{
		{"same", user("a"), user("a"), nil},
		{"name", user("a"), &connectorv2.Resource{Id: user("a").GetId(), DisplayName: "Ada", Annotations: user("a").GetAnnotations()}, []string{"displayName"}},
		{"annotation field", &connectorv2.Resource{Annotations: annotations.New(status(connectorv2.UserTrait_Status_STATUS_ENABLED))},
			&connectorv2.Resource{Annotations: annotations.New(status(connectorv2.UserTrait_Status_STATUS_DELETED))}, []string{"annotations.UserTrait.status"}},
		{"annotation added", &connectorv2.Resource{}, &connectorv2.Resource{Annotations: annotations.New(&connectorv2.GroupTrait{})}, []string{"annotations.GroupTrait"}},
		{"annotation removed", &connectorv2.Resource{Annotations: annotations.New(&connectorv2.GroupTrait{}, &connectorv2.RoleTrait{})},
			&connectorv2.Resource{Annotations: annotations.New(&connectorv2.RoleTrait{})}, []string{"annotations.GroupTrait"}},
		{"parent", &connectorv2.Resource{}, &connectorv2.Resource{ParentResourceId: group("g").GetId()}, []string{"parentResourceId"}},
		{"grant sources", &connectorv2.Grant{Id: "x"}, &connectorv2.Grant{Id: "x", Sources: &connectorv2.GrantSources{Sources: map[string]*connectorv2.GrantSources_GrantSource{"e": {}}}}, []string{"sources"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := c1z.ChangedFields(tc.base, tc.appl); !slices.Equal(got, tc.want) {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
		})
	}
}
