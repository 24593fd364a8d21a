package connector_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	connectorv2 "github.com/batonkit/batonkit/pb/c1/connector/v2"
	"github.com/batonkit/batonkit/pkg/c1z"
	"github.com/batonkit/batonkit/pkg/connector"
	"github.com/batonkit/batonkit/pkg/entitlement"
	"github.com/batonkit/batonkit/pkg/grant"
	"github.com/batonkit/batonkit/pkg/resource"
	"github.com/batonkit/batonkit/pkg/sync"
)

// projects is an app whose memberships come from one export API for all
// projects at once, ten per numbered page: a type-scoped grant lister
// whose first page fans out the others.
type projects struct{ team }

const nProjects, perPage = 25, 10

func (projects) ResourceSyncers(context.Context) []connector.ResourceSyncer {
	return []connector.ResourceSyncer{projects{}}
}
func (projects) ResourceType(context.Context) *connectorv2.ResourceType {
	return resource.NewType("project", "Project")
}
func (projects) List(context.Context, *connectorv2.ResourceId, connector.PageRequest) (connector.Page[*connectorv2.Resource], error) {
	var p connector.Page[*connectorv2.Resource]
	for i := range nProjects {
		r, _ := resource.New("project", strconv.Itoa(i), fmt.Sprintf("Project %d", i))
		p.Items = append(p.Items, r)
	}
	return p, nil
}
func (projects) Entitlements(_ context.Context, r *connectorv2.Resource, _ connector.PageRequest) (connector.Page[*connectorv2.Entitlement], error) {
	return connector.Page[*connectorv2.Entitlement]{Items: []*connectorv2.Entitlement{entitlement.NewAssignment(r, "member")}}, nil
}

// Grants is never called: TypeGrants replaces it for the whole type.
func (projects) Grants(context.Context, *connectorv2.Resource, connector.PageRequest) (connector.Page[*connectorv2.Grant], error) {
	panic("not called for a type-scoped type")
}

// TypeGrants serves page N of the export; the first call also hands the
// syncer every other page number, to fetch in parallel.
func (projects) TypeGrants(_ context.Context, req connector.PageRequest) (connector.Page[*connectorv2.Grant], error) {
	page := 0
	if req.Token != "" {
		page, _ = strconv.Atoi(req.Token)
	}
	var p connector.Page[*connectorv2.Grant]
	for i := page * perPage; i < min(nProjects, (page+1)*perPage); i++ {
		r, _ := resource.New("project", strconv.Itoa(i), "")
		p.Items = append(p.Items, grant.New(r, "member", resource.ID("user", "alice")))
	}
	if req.Token == "" {
		for n := 1; n*perPage < nProjects; n++ {
			p.Fanout = append(p.Fanout, strconv.Itoa(n))
		}
	}
	return p, nil
}

func ExampleTypeGrantLister() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)

	srv, err := connector.NewServer(ctx, projects{})
	if err != nil {
		panic(err)
	}
	st, err := c1z.Open(ctx, filepath.Join(dir, "sync.c1z"))
	if err != nil {
		panic(err)
	}
	res, err := sync.New(connector.InProcessClient(srv), st, sync.WithWorkers(3)).Run(ctx)
	if err != nil {
		panic(err)
	}
	st.Close(ctx)
	fmt.Println(res.Stats.Resources, "projects,", res.Stats.Grants, "memberships")
	// Output: 25 projects, 25 memberships
}
