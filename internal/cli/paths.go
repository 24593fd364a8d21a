package cli

import (
	"context"
	"slices"
	"strings"

	"github.com/batonkit/batonkit/internal/explorer"
	connectorv2 "github.com/batonkit/batonkit/pb/c1/connector/v2"
	"github.com/batonkit/batonkit/pkg/c1z"
)

// paths says every way a grant gives its principal entitlement entID, as
// the file records it (explorer.ViaOf reads the sources): "granted by the
// connector", and "through X" for each entitlement it was expanded from.
// One grant may be both, and revoking what the connector granted then
// leaves the rest.
func paths(g *connectorv2.Grant, entID string) string {
	v := explorer.ViaOf(g, entID)
	return viaText(v.Direct, v.Through)
}

// viaText is the VIA column: granted directly, and the entitlements a
// grant was expanded from.
func viaText(direct bool, through []string) string {
	var out []string
	if direct {
		out = append(out, "granted by the connector")
	}
	for _, k := range through {
		out = append(out, "through "+k)
	}
	return strings.Join(out, "; ")
}

// derived is access --effective infers from membership grants the file
// records but the connector did not mark expandable: the principal holds
// each entitlement of chain in turn, the last one on a resource that
// holds entitlement (or, for principals, the other way around).
type derived struct {
	entitlement *connectorv2.Entitlement
	principal   *connectorv2.ResourceId
	chain       []string
}

func (d derived) label() string {
	return "derived through " + strings.Join(d.chain, " > ")
}

// membership reports whether holding e makes one a member of e's
// resource, so that the resource's own access passes on: assignment
// entitlements (and unlabelled ones), not permissions.
func membership(e *connectorv2.Entitlement) bool {
	return e.GetPurpose() != connectorv2.Entitlement_PURPOSE_VALUE_PERMISSION
}

// maxDerivedDepth bounds the walk over nested memberships: real nesting
// is a few levels; the bound keeps a pathological file from running on.
const maxDerivedDepth = 32

// effectiveAccess walks from the entitlements pid holds (have, by id, as
// recorded) through membership to what those resources hold in turn.
func effectiveAccess(ctx context.Context, st *c1z.Reader, syncID string, pid *connectorv2.ResourceId, held []*connectorv2.Entitlement) ([]derived, error) {
	have := map[string]bool{}
	type step struct {
		res   *connectorv2.ResourceId
		chain []string
	}
	var queue []step
	seen := map[string]bool{rid(pid): true}
	for _, e := range held {
		have[e.GetId()] = true
	}
	for _, e := range held {
		if r := e.GetResource().GetId(); membership(e) && !seen[rid(r)] {
			seen[rid(r)] = true
			queue = append(queue, step{r, []string{e.GetId()}})
		}
	}
	var out []derived
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		for v, err := range st.GrantViews(ctx, c1z.GrantQuery{SyncID: syncID, Principal: s.res}) {
			if err != nil {
				return nil, err
			}
			e := v.Entitlement
			if e == nil {
				e = v.Grant.GetEntitlement()
			}
			if !have[e.GetId()] {
				have[e.GetId()] = true
				out = append(out, derived{entitlement: e, principal: pid, chain: s.chain})
			}
			if r := e.GetResource().GetId(); membership(e) && !seen[rid(r)] && len(s.chain) < maxDerivedDepth {
				seen[rid(r)] = true
				queue = append(queue, step{r, append(slices.Clone(s.chain), e.GetId())})
			}
		}
	}
	return out, nil
}

// effectiveHolders walks from the principals holding entID (listed, as
// recorded) to the members of those that are resources with membership
// entitlements, and on to their members.
func effectiveHolders(ctx context.Context, st *c1z.Reader, syncID string, ent *connectorv2.Entitlement, listed []*connectorv2.ResourceId) ([]derived, error) {
	type step struct {
		res   *connectorv2.ResourceId
		chain []string
	}
	seen := map[string]bool{}
	var queue []step
	for _, p := range listed {
		seen[rid(p)] = true
		queue = append(queue, step{p, nil})
	}
	var out []derived
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		if len(s.chain) >= maxDerivedDepth {
			continue
		}
		for m, err := range st.Entitlements(ctx, c1z.EntitlementQuery{SyncID: syncID, Resource: s.res}) {
			if err != nil {
				return nil, err
			}
			if !membership(m) {
				continue
			}
			chain := append([]string{m.GetId()}, s.chain...)
			for gr, err := range st.Grants(ctx, c1z.GrantQuery{SyncID: syncID, EntitlementID: m.GetId()}) {
				if err != nil {
					return nil, err
				}
				p := gr.GetPrincipal().GetId()
				if seen[rid(p)] {
					continue
				}
				seen[rid(p)] = true
				out = append(out, derived{entitlement: ent, principal: p, chain: chain})
				queue = append(queue, step{p, chain})
			}
		}
	}
	return out, nil
}
