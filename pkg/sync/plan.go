package sync

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"google.golang.org/protobuf/proto"

	connectorv2 "github.com/batonkit/batonkit/pb/c1/connector/v2"
	"github.com/batonkit/batonkit/pkg/annotations"
	"github.com/batonkit/batonkit/pkg/c1z"
)

// plan runs one page of a planner: it reads what the store holds and
// pushes one leaf action per type or resource. Per-resource planners page
// through the stored resources type by type, batchSize at a time, so the
// stack (and the resume token) never holds more than one page of leaves.
func (r *run) plan(ctx context.Context, a action) (pageResult, error) {
	switch a.Op {
	case opResources, opStatic:
		types, err := r.storedTypes(ctx)
		if err != nil {
			return pageResult{}, err
		}
		var out []action
		for _, rt := range types {
			out = append(out, action{Op: a.Op, TypeID: rt.GetId()})
		}
		return pageResult{push: out}, nil
	case opEntitlements, opGrants:
		return r.planPerResource(ctx, a)
	}
	return pageResult{}, fmt.Errorf("unknown planner %q in sync token", a.Op)
}

// typeScopedMarker is the resource type annotation that moves op's
// listing from every resource to the type; it also marks the request.
func typeScopedMarker(op string) proto.Message {
	if op == opEntitlements {
		return &connectorv2.TypeScopedEntitlements{}
	}
	return &connectorv2.TypeScopedGrants{}
}

func (r *run) typeScoped(op, typeID string) bool {
	return annotations.Annotations(r.resourceType(typeID).GetAnnotations()).Contains(typeScopedMarker(op))
}

// planCursor is a per-resource planner's place: a type and a page of its
// stored resources. Types whose every resource would be skipped are never
// read, so a sync of 100k users that skip access costs no read-back.
type planCursor struct {
	Type string `json:"type"`
	Page string `json:"page,omitempty"`
}

func (r *run) planPerResource(ctx context.Context, a action) (pageResult, error) {
	types, err := r.storedTypes(ctx)
	if err != nil {
		return pageResult{}, err
	}
	var out []action
	var known []*connectorv2.Resource
	if !a.Planned {
		for _, rt := range types {
			if r.typeScoped(a.Op, rt.GetId()) {
				out = append(out, action{Op: a.Op, TypeID: rt.GetId(), ResourceID: rt.GetId(), TypeScoped: true})
				known = append(known, nil)
			}
		}
	}
	var at planCursor
	if a.PageToken != "" {
		if err := json.Unmarshal([]byte(a.PageToken), &at); err != nil {
			return pageResult{}, fmt.Errorf("plan %s: bad cursor %q in sync token: %w", phase(a.Op), a.PageToken, err)
		}
	}
	// Find the type to read: the cursor's, else the first one with work.
	i := 0
	if at.Type != "" {
		i = slices.IndexFunc(types, func(rt *connectorv2.ResourceType) bool { return rt.GetId() == at.Type })
		if i < 0 {
			return pageResult{}, fmt.Errorf("plan %s: resource type %q of the sync token is not in the file", phase(a.Op), at.Type)
		}
	}
	for ; i < len(types) && !r.typeHasLeaves(a.Op, types[i]); i++ {
		at.Page = ""
	}
	if i == len(types) {
		return pageResult{planned: true, push: out, pushRes: known}, nil
	}
	typeID := types[i].GetId()
	page, next, err := r.s.store.ResourcesPage(ctx, c1z.ResourceQuery{SyncID: r.w.ID, ResourceTypeID: typeID}, c1z.Page{Size: batchSize, Token: at.Page})
	if err != nil {
		return pageResult{}, fmt.Errorf("plan %s of type %q: %w", phase(a.Op), typeID, err)
	}
	for _, res := range page {
		skipE, skipG := r.skips(res)
		if (a.Op == opEntitlements && skipE) || (a.Op == opGrants && skipG) {
			continue
		}
		out = append(out, action{Op: a.Op, TypeID: typeID, ResourceID: res.GetId().GetResource()})
		known = append(known, res)
	}
	cursor := planCursor{Type: typeID, Page: next}
	if next == "" {
		cursor = planCursor{}
		for j := i + 1; j < len(types); j++ {
			if r.typeHasLeaves(a.Op, types[j]) {
				cursor.Type = types[j].GetId()
				break
			}
		}
	}
	tok := ""
	if cursor.Type != "" {
		b, _ := json.Marshal(cursor)
		tok = string(b)
	}
	return pageResult{next: tok, planned: true, push: out, pushRes: known}, nil
}

// typeHasLeaves reports whether any resource of rt needs a per-resource
// listing of op: not when the type is type-scoped, or when no resource of
// it stored in the resources phase needs one (state.Needs).
func (r *run) typeHasLeaves(op string, rt *connectorv2.ResourceType) bool {
	if r.typeScoped(op, rt.GetId()) {
		return false
	}
	bit := needGrants
	if op == opEntitlements {
		bit = needEntitlements
	}
	return r.st.needs(rt.GetId(), bit)
}

// skips reports which per-resource listings a resource opts out of, by
// the rules Baton's syncer applies: SkipEntitlementsAndGrants on the
// resource or its type skips both; SkipEntitlements on either skips
// entitlements; SkipGrants skips grants on a resource (not on a type).
func (r *run) skips(res *connectorv2.Resource) (entitlements, grants bool) {
	own := annotations.Annotations(res.GetAnnotations())
	typ := annotations.Annotations(r.resourceType(res.GetId().GetResourceType()).GetAnnotations())
	both := own.Contains(&connectorv2.SkipEntitlementsAndGrants{}) || typ.Contains(&connectorv2.SkipEntitlementsAndGrants{})
	entitlements = both || own.Contains(&connectorv2.SkipEntitlements{}) || typ.Contains(&connectorv2.SkipEntitlements{})
	grants = both || own.Contains(&connectorv2.SkipGrants{}) || r.s.opts.skipGrants
	return entitlements, grants
}
