package sync

import (
	"context"
	"errors"
	"fmt"
	stdsync "sync"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	connectorv2 "github.com/batonkit/batonkit/pb/c1/connector/v2"
	"github.com/batonkit/batonkit/pkg/annotations"
	"github.com/batonkit/batonkit/pkg/contract"
	"github.com/batonkit/batonkit/pkg/entitlement"
	"github.com/batonkit/batonkit/pkg/sync/expand"
)

func isUnimplemented(err error) bool { return status.Code(err) == codes.Unimplemented }

// step runs the action on top of the stack once.
func (r *run) step(ctx context.Context) error {
	a := r.st.top()
	switch a.Op {
	case opResourceTypes:
		return r.stepResourceTypes(ctx, a)
	case opResources:
		return r.stepResources(ctx, a)
	case opTargets:
		return r.stepTargets(ctx, a)
	case opExpand:
		return r.stepExpand(ctx)
	}
	return fmt.Errorf("unknown action %q in sync token", a.Op)
}

func (r *run) stepResourceTypes(ctx context.Context, a *action) error {
	r.progress.Phase = "resource types"
	var resp *connectorv2.ResourceTypesServiceListResourceTypesResponse
	err := r.s.call(ctx, "ListResourceTypes", func() (err error) {
		resp, err = r.s.client.ListResourceTypes(ctx, &connectorv2.ResourceTypesServiceListResourceTypesRequest{
			PageToken: a.PageToken, PageSize: uint32(r.s.opts.pageSize), ActiveSyncId: r.syncID})
		return err
	})
	if err != nil {
		return fmt.Errorf("list resource types: %w", err)
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
		keep = append(keep, rt)
		r.types[rt.GetId()] = rt
	}
	if err := r.s.store.PutResourceTypes(ctx, r.syncID, keep...); err != nil {
		return err
	}
	r.progress.ResourceTypes += len(keep)
	next := resp.GetNextPageToken()
	if next != "" {
		if next == a.PageToken {
			return fmt.Errorf("%w: ListResourceTypes, token %q", ErrPageTokenRepeated, next)
		}
		a.PageToken = next
		// Types of this page are walked after the listing completes; keep
		// their order by remembering them in the store (loadTypes).
		return nil
	}
	r.st.pop()
	// Walk types in the order the connector listed them: push in reverse.
	ordered, err := r.storedTypeOrder(ctx)
	if err != nil {
		return err
	}
	for i := len(ordered) - 1; i >= 0; i-- {
		r.st.push(action{Op: opResources, TypeID: ordered[i]})
	}
	return nil
}

// storedTypeOrder lists the sync's resource types in the order stored.
func (r *run) storedTypeOrder(ctx context.Context) ([]string, error) {
	var ids []string
	for rt, err := range r.s.store.ResourceTypes(ctx, r.syncID) {
		if err != nil {
			return nil, err
		}
		r.types[rt.GetId()] = rt
		ids = append(ids, rt.GetId())
	}
	return ids, nil
}

// stepResources lists one page of resources and, unless skipped, the
// entitlements and grants of every resource on it.
func (r *run) stepResources(ctx context.Context, a *action) error {
	r.progress.Phase = "resources: " + a.TypeID
	var resp *connectorv2.ResourcesServiceListResourcesResponse
	err := r.s.call(ctx, "ListResources", func() (err error) {
		resp, err = r.s.client.ListResources(ctx, &connectorv2.ResourcesServiceListResourcesRequest{
			ResourceTypeId: a.TypeID, ParentResourceId: a.Parent.pb(), PageToken: a.PageToken,
			PageSize: uint32(r.s.opts.pageSize), ActiveSyncId: r.syncID})
		return err
	})
	if err != nil {
		return fmt.Errorf("list resources of type %q: %w", a.TypeID, err)
	}
	r.s.pace(ctx, resp.GetAnnotations())
	var page []*connectorv2.Resource
	var children []action
	for _, res := range resp.GetList() {
		if err := contract.Validate(res); err != nil {
			r.drop("resource", resName(res), err)
			continue
		}
		page = append(page, res)
		for _, anno := range res.GetAnnotations() {
			var crt connectorv2.ChildResourceType
			if anno.MessageIs(&crt) && anno.UnmarshalTo(&crt) == nil {
				if r.s.opts.types == nil || r.s.opts.types[crt.GetResourceTypeId()] {
					children = append(children, action{Op: opResources, TypeID: crt.GetResourceTypeId(), Parent: toRID(res.GetId())})
				}
			}
		}
	}
	if err := r.s.store.PutResources(ctx, r.syncID, page...); err != nil {
		return err
	}
	r.progress.Resources += len(page)
	if !r.s.opts.resourcesOnly {
		if err := r.perResource(ctx, page); err != nil {
			return err
		}
	}
	next := resp.GetNextPageToken()
	if next != "" && next == a.PageToken {
		return fmt.Errorf("%w: ListResources of resource type %q, token %q", ErrPageTokenRepeated, a.TypeID, next)
	}
	if next == "" {
		r.st.pop()
	} else {
		a.PageToken = next
	}
	// Children run next, before the rest of this listing.
	for i := len(children) - 1; i >= 0; i-- {
		r.st.push(children[i])
	}
	return nil
}

func resName(res *connectorv2.Resource) string {
	return res.GetId().GetResourceType() + ":" + res.GetId().GetResource()
}

// skips reports which per-resource listings a resource opts out of, by
// its own annotations or its type's.
func (r *run) skips(res *connectorv2.Resource) (entitlements, grants bool) {
	for _, annos := range []annotations.Annotations{res.GetAnnotations(), r.types[res.GetId().GetResourceType()].GetAnnotations()} {
		if annos.Contains(&connectorv2.SkipEntitlementsAndGrants{}) {
			entitlements, grants = true, true
		}
		if annos.Contains(&connectorv2.SkipEntitlements{}) {
			entitlements = true
		}
		if annos.Contains(&connectorv2.SkipGrants{}) {
			grants = true
		}
	}
	if r.s.opts.skipGrants {
		grants = true
	}
	return entitlements, grants
}

// perResource lists the entitlements and grants of resources with up to
// `workers` resources in flight.
func (r *run) perResource(ctx context.Context, resources []*connectorv2.Resource) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	sem := make(chan struct{}, r.s.opts.workers)
	var wg stdsync.WaitGroup
	var once stdsync.Once
	var first error
	for _, res := range resources {
		skipE, skipG := r.skips(res)
		if skipE && skipG {
			continue
		}
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			err := r.syncOne(ctx, res, skipE, skipG)
			if err != nil {
				once.Do(func() { first = err; cancel() })
			}
		}()
	}
	wg.Wait()
	return first
}

// syncOne lists every page of one resource's entitlements and grants.
func (r *run) syncOne(ctx context.Context, res *connectorv2.Resource, skipE, skipG bool) error {
	if !skipE {
		if err := r.entitlementsOf(ctx, res); err != nil {
			return r.notFoundOK(ctx, res, err)
		}
	}
	if !skipG {
		if err := r.grantsOf(ctx, res); err != nil {
			return r.notFoundOK(ctx, res, err)
		}
	}
	return nil
}

// notFoundOK treats a resource that vanished mid-sync as a warning, until
// the budget runs out.
func (r *run) notFoundOK(ctx context.Context, res *connectorv2.Resource, err error) error {
	if status.Code(errors.Unwrap(err)) != codes.NotFound && status.Code(err) != codes.NotFound {
		return err
	}
	n := r.notFound.Add(1)
	r.s.log.WarnContext(ctx, "resource not found while listing its access; skipped", "resource", resName(res), "error", err)
	if int(n) > r.s.opts.notFoundBudget {
		return fmt.Errorf("%w (%d, budget %d): last was %s", ErrTooManyNotFound, n, r.s.opts.notFoundBudget, resName(res))
	}
	return nil
}

func (r *run) entitlementsOf(ctx context.Context, res *connectorv2.Resource) error {
	statics, err := r.staticEntitlements(ctx, res.GetId().GetResourceType())
	if err != nil {
		return err
	}
	var batch []*connectorv2.Entitlement
	for _, tmpl := range statics {
		e := proto.Clone(tmpl).(*connectorv2.Entitlement)
		e.Resource = res
		e.Id = entitlement.ID(res.GetId(), tmpl.GetSlug())
		batch = append(batch, e)
	}
	token := ""
	for {
		var resp *connectorv2.EntitlementsServiceListEntitlementsResponse
		err := r.s.call(ctx, "ListEntitlements", func() (err error) {
			resp, err = r.s.client.ListEntitlements(ctx, &connectorv2.EntitlementsServiceListEntitlementsRequest{
				Resource: res, PageToken: token, PageSize: uint32(r.s.opts.pageSize), ActiveSyncId: r.syncID})
			return err
		})
		if err != nil {
			return fmt.Errorf("list entitlements of %s: %w", resName(res), err)
		}
		r.s.pace(ctx, resp.GetAnnotations())
		for _, e := range resp.GetList() {
			if err := contract.Validate(e); err != nil {
				r.drop("entitlement", e.GetId(), err)
				continue
			}
			batch = append(batch, e)
		}
		if err := r.s.store.PutEntitlements(ctx, r.syncID, batch...); err != nil {
			return err
		}
		r.count(&r.progress.Entitlements, len(batch))
		batch = batch[:0]
		next := resp.GetNextPageToken()
		if next == "" {
			return nil
		}
		if next == token {
			return fmt.Errorf("%w: ListEntitlements of %s (resource type %q), token %q", ErrPageTokenRepeated, resName(res), res.GetId().GetResourceType(), next)
		}
		token = next
	}
}

// staticEntitlements returns a type's static entitlements, fetched once per run.
func (r *run) staticEntitlements(ctx context.Context, typeID string) ([]*connectorv2.Entitlement, error) {
	if v, ok := r.statics.Load(typeID); ok {
		return v.([]*connectorv2.Entitlement), nil
	}
	var all []*connectorv2.Entitlement
	token := ""
	for {
		var resp *connectorv2.EntitlementsServiceListStaticEntitlementsResponse
		err := r.s.call(ctx, "ListStaticEntitlements", func() (err error) {
			resp, err = r.s.client.ListStaticEntitlements(ctx, &connectorv2.EntitlementsServiceListStaticEntitlementsRequest{
				ResourceTypeId: typeID, PageToken: token, ActiveSyncId: r.syncID})
			return err
		})
		if isUnimplemented(err) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("list static entitlements of %q: %w", typeID, err)
		}
		all = append(all, resp.GetList()...)
		next := resp.GetNextPageToken()
		if next == "" {
			break
		}
		if next == token {
			return nil, fmt.Errorf("%w: ListStaticEntitlements of resource type %q", ErrPageTokenRepeated, typeID)
		}
		token = next
	}
	v, _ := r.statics.LoadOrStore(typeID, all)
	return v.([]*connectorv2.Entitlement), nil
}

func (r *run) grantsOf(ctx context.Context, res *connectorv2.Resource) error {
	token := ""
	for {
		var resp *connectorv2.GrantsServiceListGrantsResponse
		err := r.s.call(ctx, "ListGrants", func() (err error) {
			resp, err = r.s.client.ListGrants(ctx, &connectorv2.GrantsServiceListGrantsRequest{
				Resource: res, PageToken: token, PageSize: uint32(r.s.opts.pageSize), ActiveSyncId: r.syncID})
			return err
		})
		if err != nil {
			return fmt.Errorf("list grants of %s: %w", resName(res), err)
		}
		r.s.pace(ctx, resp.GetAnnotations())
		batch := make([]*connectorv2.Grant, 0, len(resp.GetList()))
		for _, g := range resp.GetList() {
			if err := contract.Validate(g); err != nil {
				r.drop("grant", g.GetId(), err)
				continue
			}
			batch = append(batch, g)
		}
		if annotations.Annotations(resp.GetAnnotations()).Contains(&connectorv2.InsertResourceGrants{}) {
			var principals []*connectorv2.Resource
			for _, g := range batch {
				if contract.Validate(g.GetPrincipal()) == nil {
					principals = append(principals, g.GetPrincipal())
				}
			}
			if err := r.s.store.PutResources(ctx, r.syncID, principals...); err != nil {
				return err
			}
		}
		if err := r.s.store.PutGrants(ctx, r.syncID, batch...); err != nil {
			return err
		}
		r.count(&r.progress.Grants, len(batch))
		next := resp.GetNextPageToken()
		if next == "" {
			return nil
		}
		if next == token {
			return fmt.Errorf("%w: ListGrants of %s (resource type %q), token %q", ErrPageTokenRepeated, resName(res), res.GetId().GetResourceType(), next)
		}
		token = next
	}
}

// stepTargets refreshes a list of resources in one step: each is fetched
// with GetResource, then its entitlements and grants are listed.
func (r *run) stepTargets(ctx context.Context, a *action) error {
	r.progress.Phase = "targets"
	if len(r.types) == 0 {
		var resp *connectorv2.ResourceTypesServiceListResourceTypesResponse
		err := r.s.call(ctx, "ListResourceTypes", func() (err error) {
			resp, err = r.s.client.ListResourceTypes(ctx, &connectorv2.ResourceTypesServiceListResourceTypesRequest{ActiveSyncId: r.syncID})
			return err
		})
		if err != nil {
			return fmt.Errorf("list resource types: %w", err)
		}
		for _, rt := range resp.GetList() {
			r.types[rt.GetId()] = rt
		}
	}
	var fetched []*connectorv2.Resource
	for _, t := range a.Targets {
		rt, ok := r.types[t.Type]
		if !ok {
			return fmt.Errorf("target %s:%s: unknown resource type %q", t.Type, t.ID, t.Type)
		}
		if err := r.s.store.PutResourceTypes(ctx, r.syncID, rt); err != nil {
			return err
		}
		var resp *connectorv2.ResourceGetterServiceGetResourceResponse
		err := r.s.call(ctx, "GetResource", func() (err error) {
			resp, err = r.s.client.GetResource(ctx, &connectorv2.ResourceGetterServiceGetResourceRequest{ResourceId: t.pb(), ActiveSyncId: r.syncID})
			return err
		})
		if status.Code(err) == codes.NotFound {
			r.s.log.WarnContext(ctx, "target resource not found; skipped", "resource", t.Type+":"+t.ID)
			continue
		}
		if err != nil {
			return fmt.Errorf("get resource %s:%s: %w", t.Type, t.ID, err)
		}
		res := resp.GetResource()
		if err := contract.Validate(res); err != nil {
			r.drop("resource", resName(res), err)
			continue
		}
		fetched = append(fetched, res)
	}
	if err := r.s.store.PutResources(ctx, r.syncID, fetched...); err != nil {
		return err
	}
	r.progress.Resources += len(fetched)
	if err := r.perResource(ctx, fetched); err != nil {
		return err
	}
	r.st.pop()
	return nil
}

func (r *run) stepExpand(ctx context.Context) error {
	r.progress.Phase = "grant expansion"
	if err := r.s.store.EnsureIndexes(ctx); err != nil {
		return err
	}
	st, err := expand.Run(ctx, r.s.store, r.syncID, expand.Options{MaxDepth: r.s.opts.maxDepth, Logger: r.s.log})
	if err != nil {
		return err
	}
	if err := r.s.store.MarkExpanded(ctx, r.syncID); err != nil {
		return err
	}
	r.expand = st
	r.st.pop()
	return nil
}
