package cli

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	connectorv2 "github.com/batonkit/batonkit/pb/c1/connector/v2"
	"github.com/batonkit/batonkit/pkg/c1z"
)

// errUnknown marks an id or type the sync does not hold: an error, never
// an empty answer, so a typo cannot read as "nobody has access".
var errUnknown = errors.New("not in this sync")

// known checks what a command was asked about exists in the sync: any of
// a resource type, a resource (type and id), an entitlement id. A
// missing one is an error that suggests the closest that exist.
type known struct {
	typeID   string
	resource *connectorv2.ResourceId
	entID    string
}

func (k known) check(ctx context.Context, st *c1z.Store, syncID string) error {
	if k.typeID != "" {
		if _, err := st.ResourceType(ctx, syncID, k.typeID); errors.Is(err, c1z.ErrNotFound) {
			var ids []string
			for rt, err := range st.ResourceTypes(ctx, syncID) {
				if err != nil {
					return err
				}
				ids = append(ids, rt.GetId())
			}
			return unknown("resource type", k.typeID, ids)
		} else if err != nil {
			return err
		}
	}
	if k.resource != nil {
		if _, err := st.Resource(ctx, syncID, k.resource); errors.Is(err, c1z.ErrNotFound) && !inGrants(ctx, st, c1z.GrantQuery{SyncID: syncID, Principal: k.resource}) &&
			!inGrants(ctx, st, c1z.GrantQuery{SyncID: syncID, Resource: k.resource}) {
			var ids []string
			for r, err := range st.Resources(ctx, c1z.ResourceQuery{SyncID: syncID, ResourceTypeID: k.resource.GetResourceType()}) {
				if err != nil {
					return err
				}
				ids = append(ids, r.GetId().GetResource())
				if n := r.GetDisplayName(); n != "" && strings.EqualFold(n, k.resource.GetResource()) {
					return fmt.Errorf("%w: no %s with id %q; %q is the name of %s:%s, use its id", errUnknown,
						k.resource.GetResourceType(), k.resource.GetResource(), n, r.GetId().GetResourceType(), r.GetId().GetResource())
				}
			}
			return unknown(k.resource.GetResourceType(), k.resource.GetResource(), ids)
		} else if err != nil && !errors.Is(err, c1z.ErrNotFound) {
			return err
		}
	}
	if k.entID != "" {
		if _, err := st.Entitlement(ctx, syncID, k.entID); errors.Is(err, c1z.ErrNotFound) && !inGrants(ctx, st, c1z.GrantQuery{SyncID: syncID, EntitlementID: k.entID}) {
			var ids []string
			for e, err := range st.Entitlements(ctx, c1z.EntitlementQuery{SyncID: syncID}) {
				if err != nil {
					return err
				}
				ids = append(ids, e.GetId())
			}
			return unknown("entitlement", k.entID, ids)
		} else if err != nil && !errors.Is(err, c1z.ErrNotFound) {
			return err
		}
	}
	return nil
}

// inGrants reports whether any grant matches q: objects a connector only
// mentions in grants (a deleted account, a resource inserted from grants)
// are known too.
func inGrants(ctx context.Context, st *c1z.Store, q c1z.GrantQuery) bool {
	g, _, err := st.GrantsPage(ctx, q, c1z.Page{Size: 1})
	return err == nil && len(g) > 0
}

// unknown says what is missing and the closest ids that exist.
func unknown(what, id string, have []string) error {
	hint := ""
	if near := closest(id, have, 3); len(near) > 0 {
		hint = "; did you mean " + strings.Join(near, ", ") + "?"
	}
	return fmt.Errorf("%w: no %s %q%s", errUnknown, what, id, hint)
}

// closest returns up to n of have nearest to id by edit distance (ids
// that contain id, or that it contains, first).
func closest(id string, have []string, n int) []string {
	type scored struct {
		s string
		d int
	}
	var all []scored
	low := strings.ToLower(id)
	for _, h := range have {
		d := distance(low, strings.ToLower(h))
		if strings.Contains(strings.ToLower(h), low) || strings.Contains(low, strings.ToLower(h)) {
			d = 0
		}
		if d <= max(2, len(id)/3) {
			all = append(all, scored{h, d})
		}
	}
	slices.SortStableFunc(all, func(a, b scored) int { return a.d - b.d })
	var out []string
	for _, s := range all[:min(n, len(all))] {
		out = append(out, fmt.Sprintf("%q", s.s))
	}
	return out
}

// distance is the Levenshtein distance of a and b.
func distance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}
