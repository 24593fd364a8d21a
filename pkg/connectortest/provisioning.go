package connectortest

import (
	"context"
	"google.golang.org/protobuf/proto"
	"slices"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	connectorv2 "github.com/batonkit/batonkit/pb/c1/connector/v2"
	"github.com/batonkit/batonkit/pkg/contract"
	"github.com/batonkit/batonkit/pkg/grant"
)

// checkProvisioning grants one grantable entitlement to the first
// principal (in id order) that lacks it, grants it again, revokes it and
// revokes it again, reading the entitlement's grants between steps. A
// repeat must not fail; one that succeeds without saying it changed
// nothing (GrantAlreadyExists, GrantAlreadyRevoked) is noted, as Baton's
// own connectors differ there.
func (k *kit) checkProvisioning(ctx context.Context, r *CheckResult) {
	if !k.opts.provisioning {
		skip(r, "changes the app: run with --provisioning (WithProvisioning) against a test instance")
		return
	}
	e, p := k.provisioningPair()
	if e == nil {
		skip(r, "no entitlement with grantable_to has a principal that lacks it")
		return
	}
	id := grant.ID(e.GetId(), p.GetId())
	r.saw(id)
	holders := func() []string {
		var out []string
		w := k.walkWith(ctx, k.c, listing{method: "ListGrants", typeID: e.GetResource().GetId().GetResourceType(), resource: e.GetResource()}, 0)
		if w.err != nil {
			r.failf("ListGrants(%s) between steps: %v", key(e.GetResource().GetId()), w.err)
		}
		for _, m := range w.items() {
			if g := m.(*connectorv2.Grant); g.GetEntitlement().GetId() == e.GetId() {
				out = append(out, g.GetId())
			}
		}
		slices.Sort(out)
		return out
	}
	before := holders()

	resp, err := k.c.Grant(ctx, &connectorv2.GrantManagerServiceGrantRequest{Entitlement: e, Principal: p})
	if err != nil {
		r.failf("Grant(%s to %s): %v", e.GetId(), key(p.GetId()), err)
		return
	}
	for _, g := range resp.GetGrants() {
		if err := contract.Validate(g); err != nil {
			r.failf("Grant returned an invalid grant %q: %v", g.GetId(), err)
		}
	}
	if !slices.Contains(holders(), id) {
		r.failf("after Grant, ListGrants(%s) does not list %q", key(e.GetResource().GetId()), id)
	}
	again, err := k.c.Grant(ctx, &connectorv2.GrantManagerServiceGrantRequest{Entitlement: e, Principal: p})
	if err != nil && status.Code(err) != codes.AlreadyExists {
		r.failf("a repeated Grant(%s to %s): %v", e.GetId(), key(p.GetId()), err)
	} else if err == nil && !anyIs(again.GetAnnotations(), &connectorv2.GrantAlreadyExists{}) {
		r.notef("a repeated Grant(%s to %s) succeeded without the GrantAlreadyExists annotation: idempotent, but a control plane cannot tell the no-op from a change", e.GetId(), key(p.GetId()))
	}

	g := grant.Of(e, p)
	if gs := resp.GetGrants(); len(gs) > 0 {
		g = gs[0]
	}
	if _, err := k.c.Revoke(ctx, &connectorv2.GrantManagerServiceRevokeRequest{Grant: g}); err != nil {
		r.failf("Revoke(%s): %v", g.GetId(), err)
		return
	}
	twice, err := k.c.Revoke(ctx, &connectorv2.GrantManagerServiceRevokeRequest{Grant: g})
	if err != nil && status.Code(err) != codes.NotFound {
		r.failf("a repeated Revoke(%s): %v", g.GetId(), err)
	} else if err == nil && !anyIs(twice.GetAnnotations(), &connectorv2.GrantAlreadyRevoked{}) {
		r.notef("a repeated Revoke(%s) succeeded without the GrantAlreadyRevoked annotation: idempotent, but a control plane cannot tell the no-op from a change", g.GetId())
	}
	if after := holders(); !slices.Equal(after, before) {
		r.failf("after grant and revoke, the holders of %s are %s; before they were %s", e.GetId(), list(after), list(before))
	}
}

func (k *kit) provisioningPair() (*connectorv2.Entitlement, *connectorv2.Resource) {
	held := map[string]bool{}
	for _, g := range k.rep.Grants {
		held[g.GetId()] = true
	}
	provisionable := k.typesWith(connectorv2.Capability_CAPABILITY_PROVISION)
	for _, eid := range sortedKeys(k.rep.Entitlements) {
		e := k.rep.Entitlements[eid]
		if !provisionable[e.GetResource().GetId().GetResourceType()] || len(e.GetGrantableTo()) == 0 {
			continue
		}
		for _, pid := range sortedKeys(k.rep.Resources) {
			p := k.rep.Resources[pid]
			// Never the entitlement's own resource: many apps refuse a
			// group as a member of itself, so a correct connector fails.
			if k.inserted[pid] || proto.Equal(p.GetId(), e.GetResource().GetId()) || !slices.ContainsFunc(e.GetGrantableTo(), func(rt *connectorv2.ResourceType) bool { return rt.GetId() == p.GetId().GetResourceType() }) ||
				held[grant.ID(e.GetId(), p.GetId())] || (k.opts.grantable != nil && !k.opts.grantable(e, p)) {
				continue
			}
			return e, p
		}
	}
	return nil, nil
}
