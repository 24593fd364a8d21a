package protoconn

import (
	"context"
	"fmt"
	"slices"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"

	connectorv2 "github.com/batonkit/batonkit/pb/c1/connector/v2"
	"github.com/batonkit/batonkit/pkg/annotations"
	"github.com/batonkit/batonkit/pkg/contract"
)

// Reference walks a connector from the contract alone and returns every
// object a complete full sync stores, in the form of c1ztest.Dump. It is
// deliberately simple and shares no code with pkg/sync: one call at a
// time, every listing followed through next-page tokens and fan-out tokens
// with a work list, retryable errors retried, a listing that answers
// NotFound taken as empty, objects keyed by id (a later copy replaces an
// earlier one, as in the store), objects the contract's rules reject left
// out.
func Reference(ctx context.Context, c connectorv2.ResourceTypesServiceClient, rc connectorv2.ResourcesServiceClient, ec connectorv2.EntitlementsServiceClient, gc connectorv2.GrantsServiceClient) ([]string, error) {
	objs := map[string]proto.Message{}
	put := func(kind, id string, m proto.Message) { objs[kind+" "+id] = m }

	var types []*connectorv2.ResourceType
	if err := walk(ctx, func(tok string) (string, []*anypb.Any, error) {
		resp, err := c.ListResourceTypes(ctx, &connectorv2.ResourceTypesServiceListResourceTypesRequest{PageToken: tok})
		types = append(types, resp.GetList()...)
		return resp.GetNextPageToken(), nil, err
	}); err != nil {
		return nil, err
	}
	for _, rt := range types {
		put("rt", rt.GetId(), rt)
	}
	typeAnnos := map[string]annotations.Annotations{}
	for _, rt := range types {
		typeAnnos[rt.GetId()] = rt.GetAnnotations()
	}

	// Resources: every type at the top level, then the child types each
	// resource announces, under it.
	var resources []*connectorv2.Resource
	type listing struct {
		typeID string
		parent *connectorv2.ResourceId
	}
	todo := []listing{}
	for _, rt := range types {
		todo = append(todo, listing{typeID: rt.GetId()})
	}
	for len(todo) > 0 {
		l := todo[0]
		todo = todo[1:]
		if err := walk(ctx, func(tok string) (string, []*anypb.Any, error) {
			resp, err := rc.ListResources(ctx, &connectorv2.ResourcesServiceListResourcesRequest{ResourceTypeId: l.typeID, ParentResourceId: l.parent, PageToken: tok})
			for _, r := range resp.GetList() {
				if contract.Validate(r) != nil {
					continue // a syncer drops it, and lists nothing of it
				}
				resources = append(resources, r)
				put("r", key(r.GetId()), r)
				for _, a := range r.GetAnnotations() {
					var crt connectorv2.ChildResourceType
					if a.MessageIs(&crt) && a.UnmarshalTo(&crt) == nil {
						todo = append(todo, listing{typeID: crt.GetResourceTypeId(), parent: r.GetId()})
					}
				}
			}
			return resp.GetNextPageToken(), nil, err
		}); err != nil {
			return nil, err
		}
	}

	// Static entitlements: each template on every resource of its type.
	for _, rt := range types {
		var templates []*connectorv2.Entitlement
		if err := walk(ctx, func(tok string) (string, []*anypb.Any, error) {
			resp, err := ec.ListStaticEntitlements(ctx, &connectorv2.EntitlementsServiceListStaticEntitlementsRequest{ResourceTypeId: rt.GetId(), PageToken: tok})
			templates = append(templates, resp.GetList()...)
			return resp.GetNextPageToken(), nil, err
		}); err != nil && status.Code(err) != codes.Unimplemented {
			return nil, err
		}
		for _, r := range resources {
			if r.GetId().GetResourceType() != rt.GetId() {
				continue
			}
			for _, t := range templates {
				e := proto.Clone(t).(*connectorv2.Entitlement)
				e.Resource, e.Id = r, key(r.GetId())+":"+t.GetSlug()
				if e.DisplayName == "" {
					e.DisplayName = r.GetDisplayName()
				}
				if e.Description == "" {
					e.Description = r.GetDescription()
				}
				put("e", e.GetId(), e)
			}
		}
	}

	// Entitlements, then grants: once per type for type-scoped types
	// (with a stub resource and the marker on the request), else once per
	// resource that does not opt out.
	stub := func(typeID string) *connectorv2.Resource {
		return &connectorv2.Resource{Id: &connectorv2.ResourceId{ResourceType: typeID, Resource: typeID}}
	}
	skipBoth := func(r *connectorv2.Resource) bool {
		return annotations.Annotations(r.GetAnnotations()).Contains(&connectorv2.SkipEntitlementsAndGrants{}) ||
			typeAnnos[r.GetId().GetResourceType()].Contains(&connectorv2.SkipEntitlementsAndGrants{})
	}
	for _, phase := range []string{"entitlements", "grants"} {
		var marker proto.Message = &connectorv2.TypeScopedEntitlements{}
		if phase == "grants" {
			marker = &connectorv2.TypeScopedGrants{}
		}
		var targets []*connectorv2.Resource
		var scoped []bool
		for _, rt := range types {
			if typeAnnos[rt.GetId()].Contains(marker) {
				targets, scoped = append(targets, stub(rt.GetId())), append(scoped, true)
			}
		}
		for _, r := range resources {
			if typeAnnos[r.GetId().GetResourceType()].Contains(marker) || skipBoth(r) {
				continue
			}
			own := annotations.Annotations(r.GetAnnotations())
			if phase == "entitlements" && (own.Contains(&connectorv2.SkipEntitlements{}) || typeAnnos[r.GetId().GetResourceType()].Contains(&connectorv2.SkipEntitlements{})) {
				continue
			}
			if phase == "grants" && own.Contains(&connectorv2.SkipGrants{}) {
				continue
			}
			targets, scoped = append(targets, r), append(scoped, false)
		}
		for i, r := range targets {
			var reqAnnos annotations.Annotations
			if scoped[i] {
				reqAnnos = annotations.New(marker)
			}
			err := walk(ctx, func(tok string) (string, []*anypb.Any, error) {
				if phase == "entitlements" {
					resp, err := ec.ListEntitlements(ctx, &connectorv2.EntitlementsServiceListEntitlementsRequest{Resource: r, PageToken: tok, Annotations: reqAnnos})
					for _, e := range resp.GetList() {
						put("e", e.GetId(), e)
					}
					return resp.GetNextPageToken(), resp.GetAnnotations(), err
				}
				resp, err := gc.ListGrants(ctx, &connectorv2.GrantsServiceListGrantsRequest{Resource: r, PageToken: tok, Annotations: reqAnnos})
				for _, g := range resp.GetList() {
					put("g", g.GetId(), g)
				}
				return resp.GetNextPageToken(), resp.GetAnnotations(), err
			})
			if err != nil {
				return nil, err
			}
		}
	}

	out := make([]string, 0, len(objs))
	for k, m := range objs {
		if contract.Validate(m) != nil {
			continue // the contract's rules say a syncer drops it
		}
		b, err := proto.MarshalOptions{Deterministic: true}.Marshal(m)
		if err != nil {
			return nil, err
		}
		kind := k[:slices.Index([]byte(k), ' ')]
		out = append(out, kind+" "+string(b))
	}
	slices.Sort(out)
	return out, nil
}

// walk follows one listing: every next-page token, and every token a
// response enqueues, each followed in turn. Retryable errors are retried.
func walk(ctx context.Context, call func(tok string) (next string, annos []*anypb.Any, err error)) error {
	pending := []string{""}
	for len(pending) > 0 {
		tok := pending[0]
		pending = pending[1:]
		var next string
		var annos []*anypb.Any
		var err error
		for attempt := 0; attempt < 5; attempt++ {
			if next, annos, err = call(tok); status.Code(err) != codes.Unavailable {
				break
			}
		}
		if status.Code(err) == codes.NotFound {
			return nil // the resource vanished: its listing is empty
		}
		if err != nil {
			return fmt.Errorf("reference walk, page %q: %w", tok, err)
		}
		if next != "" {
			// A chain continues at once: a connector may keep its cursor
			// only until the next call.
			pending = append([]string{next}, pending...)
		}
		var e connectorv2.EnqueuePageTokens
		for _, a := range annos {
			if a.MessageIs(&e) && a.UnmarshalTo(&e) == nil {
				pending = append(pending, e.GetPageTokens()...)
			}
		}
	}
	return nil
}
