package connectortest

import (
	"context"
	"slices"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	connectorv2 "github.com/batonkit/batonkit/pb/c1/connector/v2"
)

func (k *kit) hasConnectorCap(c connectorv2.Capability) bool {
	return slices.Contains(k.rep.Metadata.GetCapabilities().GetConnectorCapabilities(), c)
}

// typesWith are the resource types that advertise c. The connector-wide
// list is the union of the types' lists, so it speaks for every type only
// when the metadata has no per-type lists.
func (k *kit) typesWith(c connectorv2.Capability) map[string]bool {
	out := map[string]bool{}
	perType := k.rep.Metadata.GetCapabilities().GetResourceTypeCapabilities()
	for _, rt := range k.rep.Types {
		if len(perType) == 0 && k.hasConnectorCap(c) {
			out[rt.GetId()] = true
		}
	}
	for _, rtc := range perType {
		if slices.Contains(rtc.GetCapabilities(), c) {
			out[rtc.GetResourceType().GetId()] = true
		}
	}
	return out
}

// targetedTypes are the types that advertise targeted sync (GetResource),
// in the order ListResourceTypes gave them.
func (k *kit) targetedTypes() []string {
	with := k.typesWith(connectorv2.Capability_CAPABILITY_TARGETED_SYNC)
	var out []string
	for _, rt := range k.rep.Types {
		if with[rt.GetId()] {
			out = append(out, rt.GetId())
		}
	}
	return out
}

// resourcesOfType are up to n listed (not inserted) resources of the
// type, in id order.
func (k *kit) resourcesOfType(typeID string, n int) []*connectorv2.Resource {
	var out []*connectorv2.Resource
	for _, id := range sortedKeys(k.rep.Resources) {
		res := k.rep.Resources[id]
		if res.GetId().GetResourceType() == typeID && !k.inserted[id] && len(out) < n {
			out = append(out, res)
		}
	}
	return out
}

func unimplemented(err error) bool { return status.Code(err) == codes.Unimplemented }

// checkCapabilities asks each advertised capability's service one
// read-only question. Capabilities that can only be exercised by changing
// the app are left to the provisioning check.
func (k *kit) checkCapabilities(ctx context.Context, r *CheckResult) {
	probe := func(what string, err error) {
		r.saw(what)
		if unimplemented(err) {
			r.failf("the metadata advertises %s, but the call is not implemented: %v", what, err)
		} else if err != nil {
			r.failf("%s: %v", what, err)
		}
	}
	for _, typeID := range k.targetedTypes() {
		for _, res := range k.resourcesOfType(typeID, 1) {
			_, err := k.c.GetResource(ctx, &connectorv2.ResourceGetterServiceGetResourceRequest{ResourceId: res.GetId(), ParentResourceId: res.GetParentResourceId()})
			probe("targeted sync of "+typeID+" (GetResource)", err)
		}
	}
	// The other way round, read-only: a type whose GetResource answers
	// without the capability advertised is noted (a syncer will not ask).
	targeted := k.typesWith(connectorv2.Capability_CAPABILITY_TARGETED_SYNC)
	for _, rt := range k.rep.Types {
		if targeted[rt.GetId()] {
			continue
		}
		for _, res := range k.resourcesOfType(rt.GetId(), 1) {
			resp, err := k.c.GetResource(ctx, &connectorv2.ResourceGetterServiceGetResourceRequest{ResourceId: res.GetId(), ParentResourceId: res.GetParentResourceId()})
			if err == nil && resp.GetResource() != nil {
				r.notef("GetResource answers for %s, but the metadata does not advertise targeted sync for it", rt.GetId())
			}
		}
	}
	if k.hasConnectorCap(connectorv2.Capability_CAPABILITY_TICKETING) {
		_, err := k.c.ListTicketSchemas(ctx, &connectorv2.TicketsServiceListTicketSchemasRequest{})
		probe("ticketing (ListTicketSchemas)", err)
	}
	if k.hasConnectorCap(connectorv2.Capability_CAPABILITY_ACTIONS) {
		resp, err := k.c.ListActionSchemas(ctx, &connectorv2.ListActionSchemasRequest{})
		probe("actions (ListActionSchemas)", err)
		for _, s := range resp.GetSchemas() {
			if s.GetName() == "" {
				r.failf("an action schema has no name")
			}
		}
	}
	if k.hasConnectorCap(connectorv2.Capability_CAPABILITY_EVENT_FEED_V2) {
		feeds, err := k.c.ListEventFeeds(ctx, &connectorv2.ListEventFeedsRequest{})
		probe("event feeds (ListEventFeeds)", err)
		for _, f := range feeds.GetList() {
			cursor := ""
			for i := 0; ; i++ {
				resp, err := k.c.ListEvents(ctx, &connectorv2.ListEventsRequest{EventFeedId: f.GetId(), Cursor: cursor})
				if err != nil {
					r.failf("ListEvents(%s): %v", f.GetId(), err)
					break
				}
				if !resp.GetHasMore() {
					break
				}
				if resp.GetCursor() == cursor || i >= k.opts.maxPages {
					r.failf("ListEvents(%s): has_more with no progress (cursor %q)", f.GetId(), cursor)
					break
				}
				cursor = resp.GetCursor()
			}
		}
	}
}

func (k *kit) checkGetMatchesList(ctx context.Context, r *CheckResult) {
	types := k.targetedTypes()
	if len(types) == 0 {
		skip(r, "no resource type advertises targeted sync")
		return
	}
	for _, typeID := range types {
		for _, res := range k.resourcesOfType(typeID, k.opts.sample) {
			id := key(res.GetId())
			resp, err := k.c.GetResource(ctx, &connectorv2.ResourceGetterServiceGetResourceRequest{ResourceId: res.GetId(), ParentResourceId: res.GetParentResourceId()})
			if unimplemented(err) {
				skip(r, "GetResource is not implemented (the capabilities check reports it)")
				return
			}
			r.saw(id)
			got := resp.GetResource()
			switch {
			case err != nil:
				r.failf("GetResource(%s): %v", id, err)
			case key(got.GetId()) != id:
				r.failf("GetResource(%s) returned %s", id, key(got.GetId()))
			case got.GetDisplayName() != res.GetDisplayName():
				r.failf("GetResource(%s) names it %q, ListResources %q", id, got.GetDisplayName(), res.GetDisplayName())
			case key(got.GetParentResourceId()) != key(res.GetParentResourceId()):
				r.failf("GetResource(%s) gives parent %s, ListResources %s", id, key(got.GetParentResourceId()), key(res.GetParentResourceId()))
			}
		}
	}
}
