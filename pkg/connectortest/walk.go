package connectortest

import (
	"context"
	"fmt"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"

	connectorv2 "github.com/batonkit/batonkit/pb/c1/connector/v2"
	"github.com/batonkit/batonkit/pkg/annotations"
	"github.com/batonkit/batonkit/pkg/contract"
)

// listing is one paged call of the contract with its fixed arguments.
type listing struct {
	method   string // ListResourceTypes, ListResources, ListStaticEntitlements, ListEntitlements, ListGrants
	typeID   string
	parent   *connectorv2.ResourceId // ListResources of a child type
	resource *connectorv2.Resource   // ListEntitlements, ListGrants
	scoped   bool                    // once per type: a stub resource and the marker, as the syncer sends it
}

func (l listing) String() string {
	switch {
	case l.method == "ListResourceTypes":
		return l.method
	case l.scoped:
		return fmt.Sprintf("%s(type %s)", l.method, l.typeID)
	case l.resource != nil:
		return fmt.Sprintf("%s(%s)", l.method, key(l.resource.GetId()))
	case l.parent != nil:
		return fmt.Sprintf("%s(%s under %s)", l.method, l.typeID, key(l.parent))
	}
	return fmt.Sprintf("%s(%s)", l.method, l.typeID)
}

func key(id *connectorv2.ResourceId) string { return id.GetResourceType() + ":" + id.GetResource() }

// page is one response of a listing.
type page struct {
	items []proto.Message
	ids   []string
	next  string
	annos annotations.Annotations
}

func (k *kit) fetch(ctx context.Context, c contract.Client, l listing, token string, size uint32) (page, error) {
	var p page
	add := func(m proto.Message, id string) {
		p.items = append(p.items, m)
		p.ids = append(p.ids, id)
	}
	switch l.method {
	case "ListResourceTypes":
		resp, err := c.ListResourceTypes(ctx, &connectorv2.ResourceTypesServiceListResourceTypesRequest{PageToken: token, PageSize: size})
		if err != nil {
			return p, err
		}
		for _, rt := range resp.GetList() {
			add(rt, rt.GetId())
		}
		p.next, p.annos = resp.GetNextPageToken(), resp.GetAnnotations()
	case "ListResources":
		resp, err := c.ListResources(ctx, &connectorv2.ResourcesServiceListResourcesRequest{ResourceTypeId: l.typeID, ParentResourceId: l.parent, PageToken: token, PageSize: size})
		if err != nil {
			return p, err
		}
		for _, r := range resp.GetList() {
			add(r, key(r.GetId()))
		}
		p.next, p.annos = resp.GetNextPageToken(), resp.GetAnnotations()
	case "ListStaticEntitlements":
		resp, err := c.ListStaticEntitlements(ctx, &connectorv2.EntitlementsServiceListStaticEntitlementsRequest{ResourceTypeId: l.typeID, PageToken: token, PageSize: size})
		if err != nil {
			return p, err
		}
		for _, e := range resp.GetList() {
			add(e, e.GetId())
		}
		p.next, p.annos = resp.GetNextPageToken(), resp.GetAnnotations()
	case "ListEntitlements":
		req := &connectorv2.EntitlementsServiceListEntitlementsRequest{Resource: l.resource, PageToken: token, PageSize: size}
		if l.scoped {
			req.Annotations = annotations.New(&connectorv2.TypeScopedEntitlements{})
		}
		resp, err := c.ListEntitlements(ctx, req)
		if err != nil {
			return p, err
		}
		for _, e := range resp.GetList() {
			add(e, e.GetId())
		}
		p.next, p.annos = resp.GetNextPageToken(), resp.GetAnnotations()
	case "ListGrants":
		req := &connectorv2.GrantsServiceListGrantsRequest{Resource: l.resource, PageToken: token, PageSize: size}
		if l.scoped {
			req.Annotations = annotations.New(&connectorv2.TypeScopedGrants{})
		}
		resp, err := c.ListGrants(ctx, req)
		if err != nil {
			return p, err
		}
		for _, g := range resp.GetList() {
			add(g, g.GetId())
		}
		p.next, p.annos = resp.GetNextPageToken(), resp.GetAnnotations()
	default:
		return p, fmt.Errorf("connectortest: no listing %q", l.method)
	}
	return p, nil
}

// walk is a whole listing read at one page size.
type walk struct {
	pages         []page
	ids           []string
	tokens        []string // the token each page after the first was asked with
	err           error    // the call that failed (the walk stops there)
	endless       bool     // stopped at the page bound
	repeatedToken string   // a next token the listing had already returned
}

type walkKey struct {
	listing string
	size    int
}

// walkOf reads l at size (0: the connector's default) once per run; the
// checks share walks.
func (k *kit) walkOf(ctx context.Context, l listing, size int) *walk {
	wk := walkKey{l.String(), size}
	if w, ok := k.walks[wk]; ok {
		return w
	}
	w := k.walkWith(ctx, k.c, l, size)
	k.walks[wk] = w
	return w
}

func (k *kit) walkWith(ctx context.Context, c contract.Client, l listing, size int) *walk {
	w := &walk{}
	seen := map[string]bool{"": true}
	token := ""
	for {
		if len(w.pages) >= k.opts.maxPages {
			w.endless = true
			return w
		}
		p, err := k.fetch(ctx, c, l, token, uint32(size))
		if err != nil {
			w.err = err
			return w
		}
		w.pages = append(w.pages, p)
		w.ids = append(w.ids, p.ids...)
		if p.next == "" {
			return w
		}
		if seen[p.next] {
			w.repeatedToken = p.next
			return w
		}
		seen[p.next] = true
		w.tokens = append(w.tokens, p.next)
		token = p.next
	}
}

// items are a walk's objects, in order.
func (w *walk) items() []proto.Message {
	var out []proto.Message
	for _, p := range w.pages {
		out = append(out, p.items...)
	}
	return out
}

func anyIs(as []*anypb.Any, m proto.Message) bool { return annotations.Annotations(as).Contains(m) }

// repeatedPages are the pages (by index) that list only ids an earlier
// page of the walk listed: a cursor that went back.
func (w *walk) repeatedPages() []int {
	var out []int
	seen := map[string]bool{}
	for i, p := range w.pages {
		again := len(p.ids) > 0
		for _, id := range p.ids {
			if !seen[id] {
				again = false
			}
		}
		if again && i > 0 {
			out = append(out, i)
		}
		for _, id := range p.ids {
			seen[id] = true
		}
	}
	return out
}
