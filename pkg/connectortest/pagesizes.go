package connectortest

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	connectorv2 "github.com/batonkit/batonkit/pb/c1/connector/v2"
	"github.com/batonkit/batonkit/pkg/annotations"
)

// WithPageSizes sets the page sizes every listing is walked at again, to
// compare with the walk at the connector's default size (default 1 and 2:
// small test data then reaches page 2 and beyond, where paging bugs live).
// WithPageSizes() with no sizes turns the check off.
func WithPageSizes(sizes ...int) Option { return func(o *options) { o.pageSizes = sizes } }

// pageFunc fetches one page of a listing at a page size and returns the
// ids on it.
type pageFunc func(ctx context.Context, token string, size uint32) (ids []string, next string, err error)

// walkIDs reads a whole listing at one page size.
func (k *kit) walkIDs(ctx context.Context, what string, size int, fetch pageFunc) []string {
	k.t.Helper()
	var all []string
	token := ""
	for i := 0; ; i++ {
		if i >= k.opts.maxPages {
			k.fatalf("%s at page size %d: still paging after %d pages", what, size, i)
		}
		ids, next, err := fetch(ctx, token, uint32(size))
		if err != nil {
			k.fatalf("%s at page size %d: %v", what, size, err)
		}
		all = append(all, ids...)
		if next == "" {
			return all
		}
		if next == token {
			k.fatalf("%s at page size %d: page token %q returned twice", what, size, next)
		}
		token = next
	}
}

// samePages walks a listing at the default size and at each configured
// size, and fails naming the ids a walk skipped or repeated.
func (k *kit) samePages(ctx context.Context, what string, fetch pageFunc) {
	k.t.Helper()
	base := k.walkIDs(ctx, what, 0, fetch)
	want := map[string]bool{}
	for _, id := range base {
		want[id] = true
	}
	for _, size := range k.opts.pageSizes {
		got := k.walkIDs(ctx, what, size, fetch)
		seen := map[string]int{}
		for _, id := range got {
			seen[id]++
		}
		var skipped, repeated, extra []string
		for id := range want {
			if seen[id] == 0 {
				skipped = append(skipped, id)
			}
		}
		for id, n := range seen {
			if n > 1 {
				repeated = append(repeated, id)
			}
			if !want[id] {
				extra = append(extra, id)
			}
		}
		if len(skipped)+len(repeated)+len(extra) > 0 {
			slices.Sort(skipped)
			slices.Sort(repeated)
			slices.Sort(extra)
			k.fatalf("%s at page size %d differs from the default size: skipped %s; repeated %s; not at the default size %s",
				what, size, list(skipped), list(repeated), list(extra))
		}
	}
}

func list(ids []string) string {
	if len(ids) == 0 {
		return "none"
	}
	if len(ids) > 10 {
		return strings.Join(ids[:10], ", ") + fmt.Sprintf(" and %d more", len(ids)-10)
	}
	return strings.Join(ids, ", ")
}

// pageSizes walks every resource, entitlement and grant listing again at
// small page sizes.
func (k *kit) pageSizes(ctx context.Context) {
	if len(k.opts.pageSizes) == 0 {
		return
	}
	type listing struct {
		typeID string
		parent *connectorv2.ResourceId
	}
	listings := map[string]listing{}
	for _, rt := range k.rep.Types {
		listings[rt.GetId()] = listing{typeID: rt.GetId()}
	}
	for _, r := range k.rep.Resources {
		for _, a := range r.GetAnnotations() {
			var crt connectorv2.ChildResourceType
			if a.MessageIs(&crt) && a.UnmarshalTo(&crt) == nil {
				listings[crt.GetResourceTypeId()+"@"+r.GetId().GetResource()] = listing{typeID: crt.GetResourceTypeId(), parent: r.GetId()}
			}
		}
	}
	for _, name := range slices.Sorted(maps.Keys(listings)) {
		l := listings[name]
		k.samePages(ctx, "ListResources("+name+")", func(ctx context.Context, tok string, size uint32) ([]string, string, error) {
			resp, err := k.c.ListResources(ctx, &connectorv2.ResourcesServiceListResourcesRequest{ResourceTypeId: l.typeID, ParentResourceId: l.parent, PageToken: tok, PageSize: size})
			var ids []string
			for _, r := range resp.GetList() {
				ids = append(ids, r.GetId().GetResourceType()+":"+r.GetId().GetResource())
			}
			return ids, resp.GetNextPageToken(), err
		})
	}
	for _, key := range slices.Sorted(maps.Keys(k.rep.Resources)) {
		r := k.rep.Resources[key]
		if k.inserted[key] {
			continue
		}
		annos := append(annotations.Annotations(r.GetAnnotations()), k.typeOf(r.GetId().GetResourceType()).GetAnnotations()...)
		if annos.Contains(&connectorv2.SkipEntitlementsAndGrants{}) {
			continue
		}
		if !annos.Contains(&connectorv2.SkipEntitlements{}) {
			k.samePages(ctx, "ListEntitlements("+key+")", func(ctx context.Context, tok string, size uint32) ([]string, string, error) {
				resp, err := k.c.ListEntitlements(ctx, &connectorv2.EntitlementsServiceListEntitlementsRequest{Resource: r, PageToken: tok, PageSize: size})
				var ids []string
				for _, e := range resp.GetList() {
					ids = append(ids, e.GetId())
				}
				return ids, resp.GetNextPageToken(), err
			})
		}
		if !annos.Contains(&connectorv2.SkipGrants{}) {
			k.samePages(ctx, "ListGrants("+key+")", func(ctx context.Context, tok string, size uint32) ([]string, string, error) {
				resp, err := k.c.ListGrants(ctx, &connectorv2.GrantsServiceListGrantsRequest{Resource: r, PageToken: tok, PageSize: size})
				var ids []string
				for _, g := range resp.GetList() {
					ids = append(ids, g.GetId())
				}
				return ids, resp.GetNextPageToken(), err
			})
		}
	}
}
