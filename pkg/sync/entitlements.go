package sync

import (
	"context"
	"errors"
	"fmt"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"

	connectorv2 "github.com/batonkit/batonkit/pb/c1/connector/v2"
	"github.com/batonkit/batonkit/pkg/annotations"
	"github.com/batonkit/batonkit/pkg/c1z"
	"github.com/batonkit/batonkit/pkg/contract"
	"github.com/batonkit/batonkit/pkg/entitlement"
)

// pageStatic lists one page of a type's static entitlements and stores
// one copy of each on every stored resource of the type, as Baton's syncer
// does: the id is built from the resource and the slug, and an empty
// display name or description is the resource's own.
func (r *run) pageStatic(ctx context.Context, a action) (pageResult, error) {
	var resp *connectorv2.EntitlementsServiceListStaticEntitlementsResponse
	err := r.s.call(ctx, "ListStaticEntitlements", func() (err error) {
		resp, err = r.s.client.ListStaticEntitlements(ctx, &connectorv2.EntitlementsServiceListStaticEntitlementsRequest{
			ResourceTypeId: a.TypeID, PageToken: a.PageToken, PageSize: uint32(r.s.opts.pageSize), ActiveSyncId: r.w.ID})
		return err
	})
	if isUnimplemented(err) {
		return pageResult{}, nil
	}
	if err != nil {
		return pageResult{}, fmt.Errorf("list static entitlements of type %q: %w", a.TypeID, err)
	}
	r.s.pace(ctx, resp.GetAnnotations())
	if err := r.checkResponse(ctx, "ListStaticEntitlements", a, resp.GetAnnotations()); err != nil {
		return pageResult{}, err
	}
	if err := r.checkPage(a, len(resp.GetList())); err != nil {
		return pageResult{}, err
	}
	templates := resp.GetList()
	if len(templates) == 0 {
		return pageResult{next: resp.GetNextPageToken()}, nil
	}
	token := ""
	for {
		resources, next, err := r.s.store.ResourcesPage(ctx, c1z.ResourceQuery{SyncID: r.w.ID, ResourceTypeID: a.TypeID}, c1z.Page{Size: 1000, Token: token})
		if err != nil {
			return pageResult{}, fmt.Errorf("static entitlements of type %q: %w", a.TypeID, err)
		}
		batch := make([]*connectorv2.Entitlement, 0, len(resources)*len(templates))
		for _, res := range resources {
			for _, tmpl := range templates {
				e, err := staticCopy(tmpl, res)
				if err != nil {
					return pageResult{}, err
				}
				if err := contract.Validate(e); err != nil {
					r.drop("entitlement", e.GetId(), err)
					continue
				}
				batch = append(batch, e)
			}
		}
		if err := r.w.PutEntitlements(ctx, batch...); err != nil {
			return pageResult{}, err
		}
		r.count(&r.progress.Entitlements, len(batch))
		if next == "" {
			return pageResult{next: resp.GetNextPageToken()}, nil
		}
		token = next
	}
}

// staticCopy is a static entitlement template placed on one resource.
func staticCopy(tmpl *connectorv2.Entitlement, res *connectorv2.Resource) (*connectorv2.Entitlement, error) {
	e := proto.Clone(tmpl).(*connectorv2.Entitlement)
	e.Resource = res
	e.Id = entitlement.ID(res.GetId(), tmpl.GetSlug())
	if e.DisplayName == "" {
		e.DisplayName = res.GetDisplayName()
	}
	if e.Description == "" {
		e.Description = res.GetDescription()
	}
	var group connectorv2.EntitlementExclusionGroup
	annos := annotations.Annotations(e.GetAnnotations())
	if ok, err := annos.Pick(&group); err != nil {
		return nil, fmt.Errorf("static entitlement %q: %w", tmpl.GetSlug(), err)
	} else if ok && group.GetScopeToResource() {
		group.ExclusionGroupId += "-" + res.GetId().GetResource()
		rest, _ := annos.Without(&group)
		e.Annotations = rest.With(&group)
	}
	return e, nil
}

// leafResource is the resource a per-resource leaf lists: as its planner
// read it, or (after a resume) from the store. A type-scoped leaf sends a
// stub naming the type, as Baton's syncer does.
func (r *run) leafResource(ctx context.Context, a action) (*connectorv2.Resource, annotations.Annotations, error) {
	if a.TypeScoped {
		stub := &connectorv2.Resource{Id: &connectorv2.ResourceId{ResourceType: a.TypeID, Resource: a.TypeID}}
		return stub, annotations.New(typeScopedMarker(a.Op)), nil
	}
	if v, ok := r.resCache.Load(a.ID); ok {
		return v.(*connectorv2.Resource), nil, nil
	}
	res, err := r.s.store.Resource(ctx, r.w.ID, a.resource())
	if err != nil {
		return nil, nil, fmt.Errorf("%s: read the resource back: %w", a.what(), err)
	}
	return res, nil, nil
}

// leafPage is what every page of an entitlement or grant listing shares:
// the call (with retries) for a's resource or type, rate-limit pacing, the
// protocol audit, the page bound, the sibling cursors, and validation
// (invalid objects are dropped and counted as kind).
type leafPage[T interface{ GetId() string }] struct {
	items   []T // the valid ones
	annos   []*anypb.Any
	next    string
	spawned []action
}

func fetchLeaf[T interface{ GetId() string }](ctx context.Context, r *run, a action, call, kind string,
	list func(res *connectorv2.Resource, reqAnnos annotations.Annotations) ([]T, string, []*anypb.Any, error)) (leafPage[T], error) {
	var p leafPage[T]
	res, reqAnnos, err := r.leafResource(ctx, a)
	if err != nil {
		return p, err
	}
	var items []T
	err = r.s.call(ctx, call, func() (err error) {
		items, p.next, p.annos, err = list(res, reqAnnos)
		return err
	})
	if err != nil {
		return p, fmt.Errorf("list %ss of %s: %w", kind, target(a), err)
	}
	r.s.pace(ctx, p.annos)
	if err := r.checkResponse(ctx, call, a, p.annos); err != nil {
		return p, err
	}
	if err := r.checkPage(a, len(items)); err != nil {
		return p, err
	}
	spawned, estimated, err := enqueued(a, p.annos)
	if err != nil {
		return p, err
	}
	p.spawned = spawned
	r.count(&r.progress.Estimated, int(estimated))
	p.items = make([]T, 0, len(items))
	for _, it := range items {
		if err := contract.Validate(it); err != nil {
			r.drop(kind, it.GetId(), err)
			continue
		}
		p.items = append(p.items, it)
	}
	return p, nil
}

// pageEntitlements lists one page of a resource's (or a type-scoped
// type's) entitlements.
func (r *run) pageEntitlements(ctx context.Context, a action) (pageResult, error) {
	p, err := fetchLeaf(ctx, r, a, "ListEntitlements", "entitlement", func(res *connectorv2.Resource, reqAnnos annotations.Annotations) ([]*connectorv2.Entitlement, string, []*anypb.Any, error) {
		resp, err := r.s.client.ListEntitlements(ctx, &connectorv2.EntitlementsServiceListEntitlementsRequest{
			Resource: res, PageToken: a.PageToken, PageSize: uint32(r.s.opts.pageSize), ActiveSyncId: r.w.ID, Annotations: reqAnnos})
		return resp.GetList(), resp.GetNextPageToken(), resp.GetAnnotations(), err
	})
	if err != nil {
		return pageResult{}, err
	}
	if err := r.w.PutEntitlements(ctx, p.items...); err != nil {
		return pageResult{}, err
	}
	r.count(&r.progress.Entitlements, len(p.items))
	return pageResult{next: p.next, spawned: p.spawned}, nil
}

// target names what a leaf lists, for errors.
func target(a action) string {
	if a.TypeScoped {
		return fmt.Sprintf("resource type %q (type-scoped)", a.TypeID)
	}
	return fmt.Sprintf("%s:%s (resource type %q)", a.TypeID, a.ResourceID, a.TypeID)
}

// notFoundOK treats a resource that vanished mid-sync as a warning, until
// the budget runs out. Only per-resource listings may vanish.
func (r *run) notFoundOK(ctx context.Context, a action, err error) error {
	if a.ResourceID == "" || a.TypeScoped || (a.Op != opEntitlements && a.Op != opGrants) {
		return err
	}
	if status.Code(errors.Unwrap(err)) != codes.NotFound && status.Code(err) != codes.NotFound {
		return err
	}
	n := r.notFound.Add(1)
	r.s.log.WarnContext(ctx, "resource not found while listing its access; skipped", "resource", a.TypeID+":"+a.ResourceID, "error", err)
	if int(n) > r.s.opts.notFoundBudget {
		return fmt.Errorf("%w (%d, budget %d): last was %s", ErrTooManyNotFound, n, r.s.opts.notFoundBudget, a.TypeID+":"+a.ResourceID)
	}
	return nil
}
