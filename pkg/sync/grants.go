package sync

import (
	"context"
	"fmt"

	"google.golang.org/protobuf/types/known/anypb"

	connectorv2 "github.com/batonkit/batonkit/pb/c1/connector/v2"
	"github.com/batonkit/batonkit/pkg/annotations"
	"github.com/batonkit/batonkit/pkg/contract"
)

// pageGrants lists one page of a resource's (or a type-scoped type's)
// grants.
func (r *run) pageGrants(ctx context.Context, a action) (pageResult, error) {
	p, err := fetchLeaf(ctx, r, a, "ListGrants", "grant", func(res *connectorv2.Resource, reqAnnos annotations.Annotations) ([]*connectorv2.Grant, string, []*anypb.Any, error) {
		resp, err := r.s.client.ListGrants(ctx, &connectorv2.GrantsServiceListGrantsRequest{
			Resource: res, PageToken: a.PageToken, PageSize: uint32(r.s.opts.pageSize), ActiveSyncId: r.w.ID, Annotations: reqAnnos})
		return resp.GetList(), resp.GetNextPageToken(), resp.GetAnnotations(), err
	})
	if err != nil {
		return pageResult{}, err
	}
	for _, g := range p.items {
		r.checkGrant(ctx, g)
	}
	if annotations.Annotations(p.annos).Contains(&connectorv2.InsertResourceGrants{}) {
		if err := r.insertGrantResources(ctx, p.items); err != nil {
			return pageResult{}, err
		}
	}
	if err := r.w.PutGrants(ctx, p.items...); err != nil {
		return pageResult{}, err
	}
	r.count(&r.progress.Grants, len(p.items))
	return pageResult{next: p.next, spawned: p.spawned}, nil
}

// insertGrantResources stores the resources that a page of grants is on
// (the InsertResourceGrants annotation: "if a resource for a grant does not
// exist, insert it"), as Baton's syncer does: the entitlement's resource,
// for connectors that discover resources through grants.
func (r *run) insertGrantResources(ctx context.Context, grants []*connectorv2.Grant) error {
	seen := map[string]bool{}
	var out []*connectorv2.Resource
	for _, g := range grants {
		res := g.GetEntitlement().GetResource()
		if contract.Validate(res) != nil || res.GetId() == nil {
			r.drop("resource", "from a grant: "+g.GetId(), fmt.Errorf("invalid resource on the grant's entitlement"))
			continue
		}
		if name := resName(res); !seen[name] {
			seen[name] = true
			out = append(out, res)
		}
	}
	return r.w.PutResources(ctx, out...)
}

// checkGrant notes grant annotations this syncer stores but does not act
// on.
func (r *run) checkGrant(ctx context.Context, g *connectorv2.Grant) {
	annos := annotations.Annotations(g.GetAnnotations())
	if r.s.opts.external == nil && (annos.Contains(&connectorv2.ExternalResourceMatch{}) || annos.Contains(&connectorv2.ExternalResourceMatchAll{}) || annos.Contains(&connectorv2.ExternalResourceMatchID{})) {
		r.proto.note(ctx, "ExternalResourceMatch on grants", "stored as is: matching principals needs an external resource sync file (WithExternalResources, --external-resource-c1z); Baton's syncer too stores them as is without one")
	}
}
