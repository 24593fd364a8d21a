package session_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	connectorv2 "github.com/batonkit/batonkit/pb/c1/connector/v2"
	"github.com/batonkit/batonkit/pkg/annotations"
	"github.com/batonkit/batonkit/pkg/c1z"
	"github.com/batonkit/batonkit/pkg/connector"
	"github.com/batonkit/batonkit/pkg/entitlement"
	"github.com/batonkit/batonkit/pkg/grant"
	"github.com/batonkit/batonkit/pkg/resource"
	"github.com/batonkit/batonkit/pkg/session"
	"github.com/batonkit/batonkit/pkg/sync"
)

// teams remembers, in the session store, each team's owner as it lists
// the teams, and reads it back when it lists the grants: an API that tells
// the owner only in the listing.
type teams struct{}

func (teams) Metadata(context.Context) (*connectorv2.ConnectorMetadata, error) {
	return &connectorv2.ConnectorMetadata{DisplayName: "Teams"}, nil
}
func (teams) Validate(context.Context) (annotations.Annotations, error) { return nil, nil }
func (t teams) ResourceSyncers(context.Context) []connector.ResourceSyncer {
	return []connector.ResourceSyncer{t}
}
func (teams) ResourceType(context.Context) *connectorv2.ResourceType {
	return resource.NewType("team", "Team")
}
func (teams) List(ctx context.Context, _ *connectorv2.ResourceId, _ connector.PageRequest) (connector.Page[*connectorv2.Resource], error) {
	var p connector.Page[*connectorv2.Resource]
	owners := session.FromContext(ctx).WithPrefix("owner/")
	for id, owner := range map[string]string{"red": "ada", "blue": "grace"} {
		r, _ := resource.New("team", id, id)
		if err := owners.Set(ctx, id, []byte(owner)); err != nil {
			return p, err
		}
		p.Items = append(p.Items, r)
	}
	return p, nil
}
func (teams) Entitlements(_ context.Context, r *connectorv2.Resource, _ connector.PageRequest) (connector.Page[*connectorv2.Entitlement], error) {
	return connector.Page[*connectorv2.Entitlement]{Items: []*connectorv2.Entitlement{entitlement.NewOwnership(r, "owner")}}, nil
}
func (teams) Grants(ctx context.Context, r *connectorv2.Resource, _ connector.PageRequest) (connector.Page[*connectorv2.Grant], error) {
	owner, ok, err := session.FromContext(ctx).WithPrefix("owner/").Get(ctx, r.GetId().GetResource())
	if err != nil || !ok {
		return connector.Page[*connectorv2.Grant]{}, fmt.Errorf("owner of %s not recorded: %v", r.GetId().GetResource(), err)
	}
	return connector.Page[*connectorv2.Grant]{Items: []*connectorv2.Grant{grant.New(r, "owner", resource.ID("user", string(owner)))}}, nil
}

func ExampleFromContext() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)

	// The process running the sync hosts the store; pkg/runner and
	// `baton sync` do this for you.
	host := session.NewServer()
	srv, err := connector.NewServer(ctx, teams{}, connector.WithSessions(session.LocalClient(host)))
	if err != nil {
		panic(err)
	}
	st, err := c1z.Open(ctx, filepath.Join(dir, "sync.c1z"))
	if err != nil {
		panic(err)
	}
	defer st.Close(ctx)
	res, err := sync.New(connector.InProcessClient(srv), st, sync.WithSessions(host)).Run(ctx)
	if err != nil {
		panic(err)
	}
	g, err := st.Grant(ctx, res.SyncID, "team:red:owner:user:ada")
	fmt.Println(g.GetPrincipal().GetId().GetResource(), err)
	// Output: ada <nil>
}
