package sync

import (
	"context"
	"fmt"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	connectorv2 "github.com/batonkit/batonkit/pb/c1/connector/v2"
	"github.com/batonkit/batonkit/pkg/contract"
)

// stepTarget refreshes one resource of a targeted (partial) sync: it is
// fetched with GetResource and stored, then its child listings, its
// entitlements and its grants are scheduled, in that order of execution.
// Type-scoped types get no per-resource listing here: their whole-type
// listings belong to a full sync, as in Baton.
func (r *run) stepTarget(ctx context.Context, a action) (pageResult, error) {
	if r.resourceType(a.TypeID) == nil {
		return pageResult{}, fmt.Errorf("target %s:%s: unknown resource type %q", a.TypeID, a.ResourceID, a.TypeID)
	}
	var resp *connectorv2.ResourceGetterServiceGetResourceResponse
	err := r.s.call(ctx, "GetResource", func() (err error) {
		resp, err = r.s.client.GetResource(ctx, &connectorv2.ResourceGetterServiceGetResourceRequest{ResourceId: a.resource(), ActiveSyncId: r.w.ID})
		return err
	})
	if status.Code(err) == codes.NotFound {
		r.s.log.WarnContext(ctx, "target resource not found; skipped", "resource", a.TypeID+":"+a.ResourceID)
		return pageResult{}, nil
	}
	if err != nil {
		return pageResult{}, fmt.Errorf("get resource %s:%s: %w", a.TypeID, a.ResourceID, err)
	}
	res := resp.GetResource()
	if err := contract.Validate(res); err != nil {
		r.drop("resource", resName(res), err)
		return pageResult{}, nil
	}
	if err := r.w.PutResources(ctx, res); err != nil {
		return pageResult{}, err
	}
	r.count(&r.progress.Resources, 1)
	var out []action
	var known []*connectorv2.Resource
	skipE, skipG := r.skips(res)
	id := res.GetId()
	if !skipG && !r.typeScoped(opGrants, id.GetResourceType()) {
		out = append(out, action{Op: opGrants, TypeID: id.GetResourceType(), ResourceID: id.GetResource()})
		known = append(known, res)
	}
	if !skipE && !r.typeScoped(opEntitlements, id.GetResourceType()) {
		out = append(out, action{Op: opEntitlements, TypeID: id.GetResourceType(), ResourceID: id.GetResource()})
		known = append(known, res)
	}
	for _, c := range r.childListings(res) {
		out = append(out, c)
		known = append(known, nil)
	}
	return pageResult{push: out, pushRes: known}, nil
}
