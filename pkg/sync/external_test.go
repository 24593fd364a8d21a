package sync_test

import (
	"context"

	"google.golang.org/protobuf/proto"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/batonkit/batonkit/internal/c1ztest"
	"github.com/batonkit/batonkit/internal/testkit"
	connectorv2 "github.com/batonkit/batonkit/pb/c1/connector/v2"
	"github.com/batonkit/batonkit/pkg/annotations"
	"github.com/batonkit/batonkit/pkg/c1z"
	"github.com/batonkit/batonkit/pkg/connector"
	"github.com/batonkit/batonkit/pkg/entitlement"
	"github.com/batonkit/batonkit/pkg/resource"
	"github.com/batonkit/batonkit/pkg/sync"
)

// cloudApp is an app whose users live in an identity provider: its
// grants name principals by email, by id, or all groups at once.
type cloudApp struct{}

func (cloudApp) Metadata(context.Context) (*connectorv2.ConnectorMetadata, error) {
	return &connectorv2.ConnectorMetadata{DisplayName: "Cloud"}, nil
}
func (cloudApp) Validate(context.Context) (annotations.Annotations, error) { return nil, nil }
func (cloudApp) ResourceSyncers(context.Context) []connector.ResourceSyncer {
	return []connector.ResourceSyncer{projects{}}
}

type projects struct{}

var projectType = resource.NewType("project", "Project")

func project() *connectorv2.Resource {
	r, _ := resource.New("project", "p1", "Project One")
	return r
}

func (projects) ResourceType(context.Context) *connectorv2.ResourceType { return projectType }
func (projects) List(context.Context, *connectorv2.ResourceId, connector.PageRequest) (connector.Page[*connectorv2.Resource], error) {
	return connector.Page[*connectorv2.Resource]{Items: []*connectorv2.Resource{project()}}, nil
}
func (projects) Entitlements(_ context.Context, r *connectorv2.Resource, _ connector.PageRequest) (connector.Page[*connectorv2.Entitlement], error) {
	return connector.Page[*connectorv2.Entitlement]{Items: []*connectorv2.Entitlement{entitlement.NewAssignment(r, "member")}}, nil
}

func (projects) Grants(_ context.Context, r *connectorv2.Resource, _ connector.PageRequest) (connector.Page[*connectorv2.Grant], error) {
	ent := entitlement.NewAssignment(r, "member")
	mk := func(placeholder string, a proto.Message) *connectorv2.Grant {
		p := &connectorv2.Resource{Id: &connectorv2.ResourceId{ResourceType: "user", Resource: placeholder}}
		return &connectorv2.Grant{Id: ent.GetId() + ":user:" + placeholder, Entitlement: ent, Principal: p, Annotations: annotations.New(a)}
	}
	return connector.Page[*connectorv2.Grant]{Items: []*connectorv2.Grant{
		mk("by-email", &connectorv2.ExternalResourceMatch{ResourceType: connectorv2.ResourceType_TRAIT_USER, Key: "email", Value: "ADA@example.test"}),
		mk("by-id", &connectorv2.ExternalResourceMatchID{Id: "grace"}),
		mk("all-groups", &connectorv2.ExternalResourceMatchAll{ResourceType: connectorv2.ResourceType_TRAIT_GROUP}),
		mk("nobody", &connectorv2.ExternalResourceMatch{ResourceType: connectorv2.ResourceType_TRAIT_USER, Key: "email", Value: "nobody@example.test"}),
	}}, nil
}

// The IdP: three people, two groups.
func idp(t *testing.T) string {
	return c1ztest.WriteApp(t, filepath.Join(t.TempDir(), "idp.c1z"), []c1ztest.FleetUser{
		{ID: "ada", Emails: []string{"ada@example.test"}, Groups: []string{"eng"}},
		{ID: "grace", Emails: []string{"grace@example.test"}, Groups: []string{"eng", "ops"}},
		{ID: "linus", Emails: []string{"linus@example.test"}},
	})
}

func holders(t *testing.T, path string) []string {
	t.Helper()
	ctx := context.Background()
	st, err := c1z.OpenReader(ctx, path)
	testkit.Must(t, err)
	defer st.Close(ctx)
	var out []string
	for g, err := range st.Grants(ctx, c1z.GrantQuery{EntitlementID: "project:p1:member"}) {
		testkit.Must(t, err)
		out = append(out, g.GetPrincipal().GetId().GetResourceType()+":"+g.GetPrincipal().GetId().GetResource())
	}
	slices.Sort(out)
	return out
}

// Grants naming principals by email (any case), by id and by trait are
// replaced by grants to the IdP's matching principals, which are copied
// with their memberships; one that matches nobody is removed and counted.
func TestExternalPrincipalsAreMatched(t *testing.T) {
	ext := idp(t)
	for _, tc := range []struct {
		name   string
		e      sync.External
		want   []string
		copied int
		miss   int
	}{
		{"every user and group", sync.External{Path: ext}, []string{"group:eng", "group:ops", "user:ada", "user:grace"}, 5, 1},
		{"members of ops only", sync.External{Path: ext, EntitlementID: "group:ops:member"}, []string{"user:grace"}, 1, 3},
		{"users only", sync.External{Path: ext, Traits: []connectorv2.ResourceType_Trait{connectorv2.ResourceType_TRAIT_USER}}, []string{"user:ada", "user:grace"}, 3, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "cloud.c1z")
			res, err := syncTo(t, inProcess(t, cloudApp{}), path, sync.WithExternalResources(tc.e))
			testkit.Must(t, err)
			if got := holders(t, path); !slices.Equal(got, tc.want) {
				t.Fatalf("project members %v, want %v", got, tc.want)
			}
			x := res.External
			if x.Principals != tc.copied || x.Grants != 4 || x.Unmatched != tc.miss || x.Matched != len(tc.want) {
				t.Fatalf("external stats %+v", x)
			}
			if res.Stats.External["unmatched"] != int64(tc.miss) {
				t.Fatalf("recorded stats %v", res.Stats.External)
			}
			ctx := context.Background()
			st, err := c1z.OpenReader(ctx, path)
			testkit.Must(t, err)
			defer st.Close(ctx)
			for _, p := range tc.want {
				typ, id, _ := strings.Cut(p, ":")
				r, err := st.Resource(ctx, "", &connectorv2.ResourceId{ResourceType: typ, Resource: id})
				if err != nil || !annotations.Annotations(r.GetAnnotations()).Contains(&connectorv2.BatonID{}) {
					t.Fatalf("principal %s not copied with BatonID: %v %v", p, r, err)
				}
			}
			if tc.e.EntitlementID == "" && tc.e.Traits == nil {
				// The IdP's memberships came along, immutable.
				e, err := st.Entitlement(ctx, "", "group:eng:member")
				if err != nil || !annotations.Annotations(e.GetAnnotations()).Contains(&connectorv2.EntitlementImmutable{}) {
					t.Fatalf("group entitlement: %v %v", e, err)
				}
				if _, err := st.Grant(ctx, "", "group:eng:member:user:ada"); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}

// Without an external file the grants are stored as the connector sent
// them, as Baton's syncer does, and the feature is noted.
func TestExternalPrincipalsWithoutAFileAreKept(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cloud.c1z")
	res, err := syncTo(t, inProcess(t, cloudApp{}), path)
	testkit.Must(t, err)
	if got := holders(t, path); len(got) != 4 || res.Unhandled["ExternalResourceMatch on grants"] != 4 {
		t.Fatalf("members %v, unhandled %v", got, res.Unhandled)
	}
}
