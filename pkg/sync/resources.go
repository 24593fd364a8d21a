package sync

import (
	"context"
	"fmt"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	connectorv2 "github.com/batonkit/batonkit/pb/c1/connector/v2"
	"github.com/batonkit/batonkit/pkg/contract"
)

func isUnimplemented(err error) bool { return status.Code(err) == codes.Unimplemented }

// pageResourceTypes lists one page of resource types and stores those the
// type filter keeps.
func (r *run) pageResourceTypes(ctx context.Context, a action) (pageResult, error) {
	var resp *connectorv2.ResourceTypesServiceListResourceTypesResponse
	err := r.s.call(ctx, "ListResourceTypes", func() (err error) {
		resp, err = r.s.client.ListResourceTypes(ctx, &connectorv2.ResourceTypesServiceListResourceTypesRequest{
			PageToken: a.PageToken, PageSize: uint32(r.s.opts.pageSize), ActiveSyncId: r.w.ID})
		return err
	})
	if err != nil {
		return pageResult{}, fmt.Errorf("list resource types: %w", err)
	}
	if err := r.checkResponse(ctx, "ListResourceTypes", a, resp.GetAnnotations()); err != nil {
		return pageResult{}, err
	}
	var keep []*connectorv2.ResourceType
	for _, rt := range resp.GetList() {
		if err := contract.Validate(rt); err != nil {
			r.drop("resource type", rt.GetId(), err)
			continue
		}
		if r.s.opts.types != nil && !r.s.opts.types[rt.GetId()] {
			continue
		}
		r.checkType(ctx, rt)
		keep = append(keep, rt)
	}
	if err := r.w.PutResourceTypes(ctx, keep...); err != nil {
		return pageResult{}, err
	}
	r.typesMu.Lock()
	for _, rt := range keep {
		r.types[rt.GetId()] = rt
	}
	r.typesMu.Unlock()
	r.count(&r.progress.ResourceTypes, len(keep))
	return pageResult{next: resp.GetNextPageToken()}, nil
}

// pageResources lists one page of resources of a type (the children of a
// parent, for child types) and schedules the child listings its resources
// announce. Those run after the current batch, never between the pages of
// this listing.
func (r *run) pageResources(ctx context.Context, a action) (pageResult, error) {
	var resp *connectorv2.ResourcesServiceListResourcesResponse
	err := r.s.call(ctx, "ListResources", func() (err error) {
		resp, err = r.s.client.ListResources(ctx, &connectorv2.ResourcesServiceListResourcesRequest{
			ResourceTypeId: a.TypeID, ParentResourceId: a.Parent.pb(), PageToken: a.PageToken,
			PageSize: uint32(r.s.opts.pageSize), ActiveSyncId: r.w.ID})
		return err
	})
	if err != nil {
		return pageResult{}, fmt.Errorf("list resources of type %q: %w", a.TypeID, err)
	}
	r.s.pace(ctx, resp.GetAnnotations())
	if err := r.checkResponse(ctx, "ListResources", a, resp.GetAnnotations()); err != nil {
		return pageResult{}, err
	}
	if err := r.checkPage(a, len(resp.GetList())); err != nil {
		return pageResult{}, err
	}
	var page []*connectorv2.Resource
	var children []action
	for _, res := range resp.GetList() {
		if err := contract.Validate(res); err != nil {
			r.drop("resource", resName(res), err)
			continue
		}
		page = append(page, res)
		children = append(children, r.childListings(res)...)
		r.noteNeeds(res)
	}
	if err := r.w.PutResources(ctx, page...); err != nil {
		return pageResult{}, err
	}
	r.count(&r.progress.Resources, len(page))
	return pageResult{next: resp.GetNextPageToken(), push: children}, nil
}

// childListings returns the listings of the child types res announces,
// each scheduled once per run however often res is seen.
func (r *run) childListings(res *connectorv2.Resource) []action {
	var out []action
	for _, anno := range res.GetAnnotations() {
		var crt connectorv2.ChildResourceType
		if !anno.MessageIs(&crt) || anno.UnmarshalTo(&crt) != nil {
			continue
		}
		child := crt.GetResourceTypeId()
		if r.s.opts.types != nil && !r.s.opts.types[child] {
			continue
		}
		key := child + "|" + res.GetId().GetResourceType() + "|" + res.GetId().GetResource()
		if _, dup := r.children.LoadOrStore(key, true); dup {
			continue
		}
		out = append(out, action{Op: opResources, TypeID: child, Parent: toRID(res.GetId())})
	}
	return out
}

// noteNeeds records which per-resource listings res will need, for the
// planners (state.Needs).
func (r *run) noteNeeds(res *connectorv2.Resource) {
	skipE, skipG := r.skips(res)
	bits := 0
	if !skipE {
		bits |= needEntitlements
	}
	if !skipG {
		bits |= needGrants
	}
	if bits != 0 {
		r.st.need(res.GetId().GetResourceType(), bits)
	}
}

func resName(res *connectorv2.Resource) string {
	return res.GetId().GetResourceType() + ":" + res.GetId().GetResource()
}
