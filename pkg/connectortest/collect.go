package connectortest

import (
	"context"

	"google.golang.org/protobuf/proto"

	connectorv2 "github.com/batonkit/batonkit/pb/c1/connector/v2"
	"github.com/batonkit/batonkit/pkg/annotations"
	"github.com/batonkit/batonkit/pkg/entitlement"
)

// The collecting checks read the connector in the syncer's order and keep
// what they read for the checks after them.

func (k *kit) checkMetadata(ctx context.Context, r *CheckResult) {
	md, err := k.c.GetMetadata(ctx, &connectorv2.ConnectorServiceGetMetadataRequest{})
	if err != nil {
		r.failf("GetMetadata: %v", err)
		return
	}
	k.rep.Metadata = md.GetMetadata()
	k.rep.Connector = md.GetMetadata().GetDisplayName()
	r.saw("metadata")
	if k.rep.Connector == "" {
		r.failf("the metadata has no display name")
		k.rep.Connector = "(unnamed connector)"
	}
	if _, err := k.c.Validate(ctx, &connectorv2.ConnectorServiceValidateRequest{}); err != nil {
		r.failf("Validate: %v", err)
	}
}

func (k *kit) checkResourceTypes(ctx context.Context, r *CheckResult) {
	w := k.walkOf(ctx, listing{method: "ListResourceTypes"}, 0)
	if w.err != nil {
		r.failf("ListResourceTypes: %v", w.err)
	}
	for _, m := range w.items() {
		rt := m.(*connectorv2.ResourceType)
		k.rep.Types = append(k.rep.Types, rt)
		r.saw(rt.GetId())
		annos := annotations.Annotations(rt.GetAnnotations())
		k.scopedEnts[rt.GetId()] = annos.Contains(&connectorv2.TypeScopedEntitlements{})
		k.scopedGrants[rt.GetId()] = annos.Contains(&connectorv2.TypeScopedGrants{})
	}
	if len(k.rep.Types) == 0 && w.err == nil {
		r.failf("the connector lists no resource types")
	}
}

func (k *kit) typeOf(id string) *connectorv2.ResourceType {
	for _, rt := range k.rep.Types {
		if rt.GetId() == id {
			return rt
		}
	}
	return nil
}

func (k *kit) checkResources(ctx context.Context, r *CheckResult) {
	var queue []listing
	for _, rt := range k.rep.Types {
		queue = append(queue, listing{method: "ListResources", typeID: rt.GetId()})
	}
	listed := map[string]bool{}
	for len(queue) > 0 {
		l := queue[0]
		queue = queue[1:]
		if listed[l.String()] {
			continue
		}
		listed[l.String()] = true
		k.resourceListings = append(k.resourceListings, l)
		w := k.walkOf(ctx, l, 0)
		if w.err != nil {
			r.failf("%s: %v", l, w.err)
		}
		for _, m := range w.items() {
			res := m.(*connectorv2.Resource)
			id := key(res.GetId())
			r.saw(id)
			if res.GetId().GetResourceType() != l.typeID {
				r.failf("%s returned %s, of another type", l, id)
			}
			if l.parent != nil && !proto.Equal(res.GetParentResourceId(), l.parent) {
				r.failf("%s returned %s, which names parent %s", l, id, key(res.GetParentResourceId()))
			}
			k.rep.Resources[id] = res
			for _, a := range res.GetAnnotations() {
				var crt connectorv2.ChildResourceType
				if a.MessageIs(&crt) && a.UnmarshalTo(&crt) == nil {
					queue = append(queue, listing{method: "ListResources", typeID: crt.GetResourceTypeId(), parent: res.GetId()})
				}
			}
		}
	}
}

// skips reads the annotations that take a resource out of the entitlement
// and grant phases, as the syncer reads them: on the resource or its type,
// SkipGrants on the resource only.
func (k *kit) skips(res *connectorv2.Resource) (skipEnts, skipGrants bool) {
	own := annotations.Annotations(res.GetAnnotations())
	both := append(own, k.typeOf(res.GetId().GetResourceType()).GetAnnotations()...)
	all := both.Contains(&connectorv2.SkipEntitlementsAndGrants{})
	return all || both.Contains(&connectorv2.SkipEntitlements{}), all || own.Contains(&connectorv2.SkipGrants{})
}

// perResource lists method once per type that is type-scoped for it and
// once per resource of the other types, in a stable order.
func (k *kit) perResource(method string, scoped map[string]bool, skip func(*connectorv2.Resource) bool) []listing {
	var out []listing
	for _, rt := range k.rep.Types {
		if scoped[rt.GetId()] {
			stub := &connectorv2.Resource{Id: &connectorv2.ResourceId{ResourceType: rt.GetId(), Resource: rt.GetId()}}
			out = append(out, listing{method: method, typeID: rt.GetId(), resource: stub, scoped: true})
		}
	}
	for _, id := range sortedKeys(k.rep.Resources) {
		res := k.rep.Resources[id]
		if k.inserted[id] || scoped[res.GetId().GetResourceType()] || skip(res) {
			continue
		}
		out = append(out, listing{method: method, typeID: res.GetId().GetResourceType(), resource: res})
	}
	return out
}

func (k *kit) checkEntitlements(ctx context.Context, r *CheckResult) {
	for _, rt := range k.rep.Types {
		l := listing{method: "ListStaticEntitlements", typeID: rt.GetId()}
		k.entListings = append(k.entListings, l)
		w := k.walkOf(ctx, l, 0)
		if unimplemented(w.err) {
			continue // connectors built before static entitlements existed: none, as the syncer reads it
		}
		if w.err != nil {
			r.failf("%s: %v", l, w.err)
		}
		for _, m := range w.items() {
			e := m.(*connectorv2.Entitlement)
			r.saw(e.GetId())
			if e.GetSlug() == "" {
				r.failf("static entitlement %q of %s has no slug, so it cannot be made for each resource", e.GetId(), rt.GetId())
				continue
			}
			// It exists on every resource of its type, made as the
			// syncer makes it: its id and resource those of the resource.
			for _, res := range k.rep.Resources {
				if res.GetId().GetResourceType() == rt.GetId() {
					inst := proto.CloneOf(e)
					inst.Id, inst.Resource = entitlement.ID(res.GetId(), e.GetSlug()), res
					k.rep.Entitlements[inst.GetId()] = inst
				}
			}
		}
	}
	for _, l := range k.perResource("ListEntitlements", k.scopedEnts, func(res *connectorv2.Resource) bool { s, _ := k.skips(res); return s }) {
		k.entListings = append(k.entListings, l)
		w := k.walkOf(ctx, l, 0)
		if w.err != nil {
			r.failf("%s: %v", l, w.err)
		}
		for _, m := range w.items() {
			e := m.(*connectorv2.Entitlement)
			r.saw(e.GetId())
			if !l.scoped && !proto.Equal(e.GetResource().GetId(), l.resource.GetId()) {
				r.failf("%s returned entitlement %q, which is on %s", l, e.GetId(), key(e.GetResource().GetId()))
			}
			k.rep.Entitlements[e.GetId()] = e
		}
	}
}

func (k *kit) checkGrants(ctx context.Context, r *CheckResult) {
	for _, l := range k.perResource("ListGrants", k.scopedGrants, func(res *connectorv2.Resource) bool { _, s := k.skips(res); return s }) {
		k.grantListings = append(k.grantListings, l)
		w := k.walkOf(ctx, l, 0)
		if w.err != nil {
			r.failf("%s: %v", l, w.err)
		}
		for _, p := range w.pages {
			// Resources the connector discovers only through grants
			// arrive on the grants' entitlements, flagged by
			// InsertResourceGrants: the syncer stores them, as Baton's does.
			inserts := p.annos.Contains(&connectorv2.InsertResourceGrants{})
			for _, m := range p.items {
				g := m.(*connectorv2.Grant)
				r.saw(g.GetId())
				e := g.GetEntitlement()
				if inserts {
					id := key(e.GetResource().GetId())
					if _, listed := k.rep.Resources[id]; !listed {
						k.rep.Resources[id] = e.GetResource()
						k.inserted[id] = true
					}
					if _, listed := k.rep.Entitlements[e.GetId()]; !listed {
						k.rep.Entitlements[e.GetId()] = e
					}
				} else if !l.scoped && !proto.Equal(e.GetResource().GetId(), l.resource.GetId()) {
					r.failf("%s returned grant %q, of an entitlement on %s", l, g.GetId(), key(e.GetResource().GetId()))
				}
				k.rep.Grants = append(k.rep.Grants, g)
			}
		}
	}
}
