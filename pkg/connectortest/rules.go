package connectortest

import (
	"context"

	connectorv2 "github.com/batonkit/batonkit/pb/c1/connector/v2"
	"github.com/batonkit/batonkit/pkg/annotations"
	"github.com/batonkit/batonkit/pkg/contract"
	"github.com/batonkit/batonkit/pkg/entitlement"
	"github.com/batonkit/batonkit/pkg/grant"
)

func (k *kit) checkValidate(_ context.Context, r *CheckResult) {
	valid := func(what string, m any) {
		r.saw(what)
		if err := contract.Validate(m); err != nil {
			r.failf("%s is invalid: %v", what, err)
		}
	}
	if k.rep.Metadata != nil {
		valid("metadata", k.rep.Metadata)
	}
	for _, rt := range k.rep.Types {
		valid("resource type "+rt.GetId(), rt)
	}
	for _, id := range sortedKeys(k.rep.Resources) {
		valid("resource "+id, k.rep.Resources[id])
	}
	for _, id := range sortedKeys(k.rep.Entitlements) {
		valid("entitlement "+id, k.rep.Entitlements[id])
	}
	for _, g := range k.rep.Grants {
		valid("grant "+g.GetId(), g)
	}
}

func (k *kit) checkIDs(_ context.Context, r *CheckResult) {
	for _, id := range sortedKeys(k.rep.Entitlements) {
		e := k.rep.Entitlements[id]
		r.saw(id)
		if e.GetSlug() != "" {
			if want := entitlement.ID(e.GetResource().GetId(), e.GetSlug()); id != want {
				r.failf("entitlement id %q does not follow <type>:<id>:<slug> (want %q)", id, want)
			}
		}
	}
	for _, g := range k.rep.Grants {
		r.saw(g.GetId())
		if want := grant.ID(g.GetEntitlement().GetId(), g.GetPrincipal().GetId()); g.GetId() != want {
			r.failf("grant id %q does not follow <entitlement id>:<principal type>:<principal id> (want %q)", g.GetId(), want)
		}
	}
}

// external reports whether a grant says its principal lives in another
// sync (Baton's ExternalResourceMatch annotations).
func external(g *connectorv2.Grant) bool {
	a := annotations.Annotations(g.GetAnnotations())
	return a.Contains(&connectorv2.ExternalResourceMatch{}) || a.Contains(&connectorv2.ExternalResourceMatchAll{}) || a.Contains(&connectorv2.ExternalResourceMatchID{})
}

func (k *kit) checkReferences(_ context.Context, r *CheckResult) {
	for _, g := range k.rep.Grants {
		r.saw(g.GetId())
		if _, ok := k.rep.Entitlements[g.GetEntitlement().GetId()]; !ok {
			r.failf("grant %q is of entitlement %q, which no listing returned", g.GetId(), g.GetEntitlement().GetId())
		}
		if p := g.GetPrincipal().GetId(); k.rep.Resources[key(p)] == nil && !external(g) {
			r.failf("grant %q is held by %s, which ListResources does not return (and the grant does not announce it as external)", g.GetId(), key(p))
		}
		for _, a := range g.GetAnnotations() {
			var ge connectorv2.GrantExpandable
			if a.MessageIs(&ge) && a.UnmarshalTo(&ge) == nil {
				for _, id := range ge.GetEntitlementIds() {
					if _, ok := k.rep.Entitlements[id]; !ok {
						r.failf("grant %q expands from entitlement %q, which no listing returned", g.GetId(), id)
					}
				}
			}
		}
	}
}

func (k *kit) checkHierarchy(_ context.Context, r *CheckResult) {
	for _, id := range sortedKeys(k.rep.Resources) {
		res := k.rep.Resources[id]
		r.saw(id)
		if k.typeOf(res.GetId().GetResourceType()) == nil {
			r.failf("%s is of type %q, which ListResourceTypes does not return", id, res.GetId().GetResourceType())
		}
		for _, a := range res.GetAnnotations() {
			var crt connectorv2.ChildResourceType
			if a.MessageIs(&crt) && a.UnmarshalTo(&crt) == nil && k.typeOf(crt.GetResourceTypeId()) == nil {
				r.failf("%s announces child type %q, which ListResourceTypes does not return", id, crt.GetResourceTypeId())
			}
		}
		if p := res.GetParentResourceId(); p != nil && !k.inserted[id] && k.rep.Resources[key(p)] == nil {
			r.failf("%s names parent %s, which no listing returned", id, key(p))
		}
	}
}
