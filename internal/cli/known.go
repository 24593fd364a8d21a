package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/batonkit/batonkit/internal/suggest"
	connectorv2 "github.com/batonkit/batonkit/pb/c1/connector/v2"
	"github.com/batonkit/batonkit/pkg/c1z"
)

// errUnknown marks an id or type the sync does not hold: an error, never
// an empty answer, so a typo cannot read as "nobody has access".
var errUnknown = errors.New("not in this sync")

// resolver turns what a user typed (an id, or a display name) into ids
// of one sync. Unknown ones are errUnknown with the closest matches;
// names shared by several objects are a usage error listing them.
type resolver struct {
	st     *c1z.Reader
	syncID string
}

// resourceType checks typeID is a resource type of the sync ("" passes).
func (r resolver) resourceType(ctx context.Context, typeID string) error {
	if typeID == "" {
		return nil
	}
	_, err := r.st.ResourceType(ctx, r.syncID, typeID)
	if !errors.Is(err, c1z.ErrNotFound) {
		return err
	}
	var ids []string
	for rt, err := range r.st.ResourceTypes(ctx, r.syncID) {
		if err != nil {
			return err
		}
		ids = append(ids, rt.GetId())
	}
	return unknown("resource type", typeID, ids)
}

// resource finds the resource of type typeID whose id is text or, failing
// that, whose display name is text (case-insensitively). A resource known
// only from grants (a deleted account, a guest) resolves by id.
func (r resolver) resource(ctx context.Context, typeID, text string) (*connectorv2.ResourceId, error) {
	if err := r.resourceType(ctx, typeID); err != nil {
		return nil, err
	}
	id := &connectorv2.ResourceId{ResourceType: typeID, Resource: text}
	if _, err := r.st.Resource(ctx, r.syncID, id); err == nil {
		return id, nil
	} else if !errors.Is(err, c1z.ErrNotFound) {
		return nil, err
	}
	if inGrants(ctx, r.st, c1z.GrantQuery{SyncID: r.syncID, Principal: id}) || inGrants(ctx, r.st, c1z.GrantQuery{SyncID: r.syncID, Resource: id}) {
		return id, nil
	}
	var ids []string
	var named []*connectorv2.Resource
	for res, err := range r.st.Resources(ctx, c1z.ResourceQuery{SyncID: r.syncID, ResourceTypeID: typeID}) {
		if err != nil {
			return nil, err
		}
		ids = append(ids, res.GetId().GetResource())
		if n := res.GetDisplayName(); n != "" {
			ids = append(ids, n) // suggested too: people type names
		}
		if strings.EqualFold(res.GetDisplayName(), text) {
			named = append(named, res)
		}
	}
	switch len(named) {
	case 0:
		return nil, unknown(typeID, text, ids)
	case 1:
		return named[0].GetId(), nil
	}
	var list []string
	for _, n := range named[:min(len(named), 10)] {
		list = append(list, rid(n.GetId()))
	}
	more := ""
	if len(named) > 10 {
		more = fmt.Sprintf(" and %d more", len(named)-10)
	}
	return nil, usagef("%d %s resources are named %q: %s%s; give one by id", len(named), typeID, text, strings.Join(list, ", "), more)
}

// principal reads "type:id" or "type:display name", as listings print
// principals (the id may itself contain colons: role:role:16388).
func (r resolver) principal(ctx context.Context, text string) (*connectorv2.ResourceId, error) {
	typ, id, ok := strings.Cut(text, ":")
	if !ok || typ == "" || id == "" {
		return nil, usagef("principal %q: want <resource type>:<id or display name>, as listings print it, for example user:alice", text)
	}
	return r.resource(ctx, typ, id)
}

// entitlement finds the entitlement whose id is text or, failing that,
// whose display name is text.
func (r resolver) entitlement(ctx context.Context, text string) (string, error) {
	if _, err := r.st.Entitlement(ctx, r.syncID, text); err == nil {
		return text, nil
	} else if !errors.Is(err, c1z.ErrNotFound) {
		return "", err
	}
	if inGrants(ctx, r.st, c1z.GrantQuery{SyncID: r.syncID, EntitlementID: text}) {
		return text, nil
	}
	var ids, named []string
	for e, err := range r.st.Entitlements(ctx, c1z.EntitlementQuery{SyncID: r.syncID}) {
		if err != nil {
			return "", err
		}
		ids = append(ids, e.GetId())
		if strings.EqualFold(e.GetDisplayName(), text) {
			named = append(named, e.GetId())
		}
	}
	switch len(named) {
	case 0:
		return "", unknown("entitlement", text, ids)
	case 1:
		return named[0], nil
	}
	return "", usagef("%d entitlements are named %q: %s; give one by id", len(named), text, strings.Join(named[:min(len(named), 10)], ", "))
}

// inGrants reports whether any grant matches q: objects a connector only
// mentions in grants (a deleted account, a resource inserted from grants)
// are known too.
func inGrants(ctx context.Context, st *c1z.Reader, q c1z.GrantQuery) bool {
	g, _, err := st.GrantsPage(ctx, q, c1z.Page{Size: 1})
	return err == nil && len(g) > 0
}

// unknown says what is missing and the closest ids that exist.
func unknown(what, id string, have []string) error {
	hint := ""
	if near := suggest.Closest(id, have, 3); len(near) > 0 {
		for i, n := range near {
			near[i] = fmt.Sprintf("%q", n)
		}
		hint = "; did you mean " + strings.Join(near, ", ") + "?"
	}
	return fmt.Errorf("%w: no %s %q%s", errUnknown, what, id, hint)
}
