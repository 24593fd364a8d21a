package grant

import (
	"maps"
	"slices"

	"google.golang.org/protobuf/proto"

	connectorv2 "github.com/batonkit/batonkit/pb/c1/connector/v2"
	"github.com/batonkit/batonkit/pkg/annotations"
	"github.com/batonkit/batonkit/pkg/entitlement"
)

// ID is the id of the grant of entitlement entitlementID to principal.
func ID(entitlementID string, principal *connectorv2.ResourceId) string {
	return entitlementID + ":" + principal.GetResourceType() + ":" + principal.GetResource()
}

// Option configures a grant.
type Option func(*connectorv2.Grant)

// New grants the entitlement slug on resource r to principal. The
// grant's entitlement keeps what it is given: its id, resource and slug.
func New(r *connectorv2.Resource, slug string, principal *connectorv2.ResourceId, opts ...Option) *connectorv2.Grant {
	e := &connectorv2.Entitlement{Resource: r, Id: entitlement.ID(r.GetId(), slug), Slug: slug}
	return Of(e, &connectorv2.Resource{Id: principal}, opts...)
}

// Of grants entitlement e to principal.
func Of(e *connectorv2.Entitlement, principal *connectorv2.Resource, opts ...Option) *connectorv2.Grant {
	g := &connectorv2.Grant{Entitlement: e, Principal: principal, Id: ID(e.GetId(), principal.GetId())}
	for _, o := range opts {
		o(g)
	}
	return g
}

// Expandable marks a grant whose principal (a group) passes the
// entitlement on to everyone holding entitlementIDs (usually the group's
// own membership entitlement).
func Expandable(entitlementIDs ...string) Option {
	return func(g *connectorv2.Grant) {
		addAnnotation(g, &connectorv2.GrantExpandable{EntitlementIds: entitlementIDs})
	}
}

// ExpandableShallow is Expandable limited to one level of nesting.
func ExpandableShallow(entitlementIDs ...string) Option {
	return func(g *connectorv2.Grant) {
		addAnnotation(g, &connectorv2.GrantExpandable{EntitlementIds: entitlementIDs, Shallow: true})
	}
}

// WithAnnotations attaches annotations.
func WithAnnotations(msgs ...proto.Message) Option {
	return func(g *connectorv2.Grant) {
		for _, m := range msgs {
			addAnnotation(g, m)
		}
	}
}

func addAnnotation(g *connectorv2.Grant, m proto.Message) {
	a := annotations.Annotations(g.Annotations)
	a.Append(m)
	g.Annotations = a
}

// HeldVia says how a grant of entitlement entID is held, from its
// expansion sources: directly (no sources, or its own entitlement among
// them) and through which other entitlements, sorted.
func HeldVia(g *connectorv2.Grant, entID string) (direct bool, through []string) {
	srcs := g.GetSources().GetSources()
	if len(srcs) == 0 {
		return true, nil
	}
	for _, k := range slices.Sorted(maps.Keys(srcs)) {
		if k != entID {
			through = append(through, k)
		}
	}
	return srcs[entID] != nil, through
}
