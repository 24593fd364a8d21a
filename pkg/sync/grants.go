package sync

import (
	"context"
	"fmt"

	connectorv2 "github.com/batonkit/batonkit/pb/c1/connector/v2"
	"github.com/batonkit/batonkit/pkg/annotations"
	"github.com/batonkit/batonkit/pkg/contract"
)

// pageGrants lists one page of a resource's (or a type-scoped type's)
// grants.
func (r *run) pageGrants(ctx context.Context, a action) (pageResult, error) {
	res, reqAnnos, err := r.leafResource(ctx, a)
	if err != nil {
		return pageResult{}, err
	}
	var resp *connectorv2.GrantsServiceListGrantsResponse
	err = r.s.call(ctx, "ListGrants", func() (err error) {
		resp, err = r.s.client.ListGrants(ctx, &connectorv2.GrantsServiceListGrantsRequest{
			Resource: res, PageToken: a.PageToken, PageSize: uint32(r.s.opts.pageSize), ActiveSyncId: r.syncID, Annotations: reqAnnos})
		return err
	})
	if err != nil {
		return pageResult{}, fmt.Errorf("list grants of %s: %w", target(a), err)
	}
	r.s.pace(ctx, resp.GetAnnotations())
	if err := r.checkResponse(ctx, "ListGrants", a, resp.GetAnnotations()); err != nil {
		return pageResult{}, err
	}
	if err := r.checkPage(a, len(resp.GetList())); err != nil {
		return pageResult{}, err
	}
	spawned, estimated, err := enqueued(a, resp.GetAnnotations())
	if err != nil {
		return pageResult{}, err
	}
	r.count(&r.progress.Estimated, int(estimated))
	batch := make([]*connectorv2.Grant, 0, len(resp.GetList()))
	for _, g := range resp.GetList() {
		if err := contract.Validate(g); err != nil {
			r.drop("grant", g.GetId(), err)
			continue
		}
		r.checkGrant(ctx, g)
		batch = append(batch, g)
	}
	if annotations.Annotations(resp.GetAnnotations()).Contains(&connectorv2.InsertResourceGrants{}) {
		if err := r.insertGrantResources(ctx, batch); err != nil {
			return pageResult{}, err
		}
	}
	if err := r.s.store.PutGrants(ctx, r.syncID, batch...); err != nil {
		return pageResult{}, err
	}
	r.count(&r.progress.Grants, len(batch))
	return pageResult{next: resp.GetNextPageToken(), spawned: spawned}, nil
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
	return r.s.store.PutResources(ctx, r.syncID, out...)
}

// checkGrant notes grant annotations this syncer stores but does not act
// on.
func (r *run) checkGrant(ctx context.Context, g *connectorv2.Grant) {
	annos := annotations.Annotations(g.GetAnnotations())
	if annos.Contains(&connectorv2.ExternalResourceMatch{}) || annos.Contains(&connectorv2.ExternalResourceMatchAll{}) || annos.Contains(&connectorv2.ExternalResourceMatchID{}) {
		r.proto.note(ctx, "ExternalResourceMatch on grants", "stored as is: matching principals needs an external resource sync file, which this syncer does not take (Baton's does the same without one)")
	}
}
