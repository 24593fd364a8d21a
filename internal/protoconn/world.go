// Package protoconn is a connector that speaks the whole sync protocol
// the way connectors built with Baton's SDK do: generated from a seed, it
// mixes per-resource and type-scoped listings, next-page chains and
// fan-out page tokens (EnqueuePageTokens), child resource types, static
// entitlements, skip annotations and retryable failures. It serves the raw
// c1.connector.v2 contract (not the batonkit author API), so tests see
// exactly what a foreign connector sends.
//
// Two stateful modes model real connectors: Strict makes a page token valid
// only while nothing else has reached the connector (an LDAP paged search
// on one connection), and Cache makes entitlement and grant listings fail
// for resources this process has not listed (a cache filled by
// ListResources).
//
// Reference walks any connector from the contract alone, sequentially and
// naively, and returns what a complete sync must store: the oracle of the
// differential tests.
package protoconn

import (
	"fmt"
	"math/rand/v2"
	"strconv"

	connectorv2 "github.com/batonkit/batonkit/pb/c1/connector/v2"
	"github.com/batonkit/batonkit/pkg/annotations"
)

// typeSpec is one generated resource type.
type typeSpec struct {
	rt        *connectorv2.ResourceType
	parent    int // index of the parent type, or -1 for a top-level type
	static    []*connectorv2.Entitlement
	resources []*connectorv2.Resource // in listing order; children under their parents
}

// world is the app behind the connector.
type world struct {
	types        []*typeSpec
	entitlements map[string][]*connectorv2.Entitlement // resource key -> its own entitlements
	grants       map[string][]*connectorv2.Grant       // resource key -> grants on its entitlements
	style        map[string]pageStyle                  // listing key -> how it pages
}

// pageStyle is how one listing pages.
type pageStyle struct {
	size   int  // items per page, at least 1
	fanout bool // the first page enqueues the other segments
	empty  bool // with fanout: the first page carries no items at all
}

func key(id *connectorv2.ResourceId) string { return id.GetResourceType() + ":" + id.GetResource() }

// newWorld generates the app for seed.
func newWorld(seed uint64, scale int) *world {
	scale = max(1, scale)
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	w := &world{entitlements: map[string][]*connectorv2.Entitlement{}, grants: map[string][]*connectorv2.Grant{}, style: map[string]pageStyle{}}
	traits := []connectorv2.ResourceType_Trait{connectorv2.ResourceType_TRAIT_USER, connectorv2.ResourceType_TRAIT_GROUP, connectorv2.ResourceType_TRAIT_ROLE, connectorv2.ResourceType_TRAIT_UNSPECIFIED}
	nTypes := 1 + rng.IntN(4)
	for i := range nTypes {
		id := fmt.Sprintf("t%d", i)
		rt := &connectorv2.ResourceType{Id: id, DisplayName: "Type " + id}
		if tr := traits[rng.IntN(len(traits))]; tr != connectorv2.ResourceType_TRAIT_UNSPECIFIED {
			rt.Traits = []connectorv2.ResourceType_Trait{tr}
		}
		var annos annotations.Annotations
		if rng.IntN(4) == 0 {
			annos = annos.With(&connectorv2.TypeScopedEntitlements{})
		}
		if rng.IntN(3) == 0 {
			annos = annos.With(&connectorv2.TypeScopedGrants{})
		}
		if rng.IntN(7) == 0 {
			annos = annos.With(&connectorv2.SkipEntitlementsAndGrants{})
		}
		rt.Annotations = annos
		ts := &typeSpec{rt: rt, parent: -1}
		if i > 0 && rng.IntN(3) == 0 {
			ts.parent = rng.IntN(i)
		}
		if rng.IntN(3) == 0 {
			for s := range 1 + rng.IntN(2) {
				e := &connectorv2.Entitlement{Slug: fmt.Sprintf("s%d", s), Resource: &connectorv2.Resource{Id: &connectorv2.ResourceId{ResourceType: id, Resource: id}},
					Purpose: connectorv2.Entitlement_PURPOSE_VALUE_PERMISSION}
				if rng.IntN(2) == 0 {
					e.DisplayName = fmt.Sprintf("static %d", s) // else: the resource's name
				}
				e.Id = id + ":" + id + ":" + e.Slug
				ts.static = append(ts.static, e)
			}
		}
		w.types = append(w.types, ts)
	}
	// Resources: top-level types first, then children under each parent.
	for i, ts := range w.types {
		if ts.parent >= 0 {
			continue
		}
		for j := range rng.IntN(13 * scale) {
			ts.resources = append(ts.resources, w.newResource(rng, i, strconv.Itoa(j), nil))
		}
	}
	for i, ts := range w.types {
		if ts.parent < 0 {
			continue
		}
		parent := w.types[ts.parent]
		for pi, p := range parent.resources {
			// The parent announces the child type.
			p.Annotations = annotations.Annotations(p.GetAnnotations()).With(&connectorv2.ChildResourceType{ResourceTypeId: ts.rt.GetId()})
			for j := range rng.IntN(5 * scale) {
				ts.resources = append(ts.resources, w.newResource(rng, i, fmt.Sprintf("%d-%d", pi, j), p.GetId()))
			}
		}
	}
	var all []*connectorv2.Resource
	for _, ts := range w.types {
		all = append(all, ts.resources...)
	}
	for _, ts := range w.types {
		for _, r := range ts.resources {
			k := key(r.GetId())
			for e := range rng.IntN(4) {
				ent := &connectorv2.Entitlement{Id: k + fmt.Sprintf(":e%d", e), Slug: fmt.Sprintf("e%d", e), DisplayName: fmt.Sprintf("%s e%d", r.GetDisplayName(), e),
					Resource: r, Purpose: connectorv2.Entitlement_PURPOSE_VALUE_ASSIGNMENT}
				w.entitlements[k] = append(w.entitlements[k], ent)
				for _, pi := range rng.Perm(len(all))[:min(len(all), rng.IntN(5))] {
					p := all[pi]
					w.grants[k] = append(w.grants[k], &connectorv2.Grant{Id: ent.GetId() + ":" + key(p.GetId()), Entitlement: ent, Principal: p})
				}
			}
		}
	}
	return w
}

func (w *world) newResource(rng *rand.Rand, typeIdx int, n string, parent *connectorv2.ResourceId) *connectorv2.Resource {
	id := w.types[typeIdx].rt.GetId()
	r := &connectorv2.Resource{Id: &connectorv2.ResourceId{ResourceType: id, Resource: fmt.Sprintf("%s-r%s", id, n)}, DisplayName: fmt.Sprintf("%s #%s", id, n), ParentResourceId: parent}
	var annos annotations.Annotations
	switch rng.IntN(10) {
	case 0:
		annos = annos.With(&connectorv2.SkipGrants{})
	case 1:
		annos = annos.With(&connectorv2.SkipEntitlements{})
	}
	r.Annotations = annos
	return r
}

// styleOf is how the listing named key pages, fixed per world.
func (w *world) styleOf(seed uint64, listing string, fanoutOK bool) pageStyle {
	if s, ok := w.style[listing]; ok {
		return s
	}
	h := seed
	for _, c := range listing {
		h = h*1099511628211 + uint64(c)
	}
	rng := rand.New(rand.NewPCG(h, seed))
	s := pageStyle{size: 1 + rng.IntN(4)}
	if fanoutOK && rng.IntN(5) < 2 {
		s.fanout = true
		s.empty = rng.IntN(3) == 0
	}
	w.style[listing] = s
	return s
}
