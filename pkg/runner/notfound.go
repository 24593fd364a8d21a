package runner

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/batonkit/batonkit/internal/suggest"
	connectorv2 "github.com/batonkit/batonkit/pb/c1/connector/v2"
	"github.com/batonkit/batonkit/pkg/c1z"
)

// errUnknown marks an id given to a provisioning flag that the sync file
// does not hold: exit 8, as the baton CLI exits for one, with the closest
// ids the file does hold.
var errUnknown = errors.New("not in the sync file")

// maxCandidates bounds how many ids are read to find the closest: enough
// for any typo, and a look-up in a huge file stays quick.
const maxCandidates = 200_000

// notInFile says what is missing and, when any are close, which ids of the
// file were probably meant.
func notInFile(what, id string, have []string) error {
	hint := ""
	if near := suggest.Closest(id, have, 3); len(near) > 0 {
		for i, n := range near {
			near[i] = fmt.Sprintf("%q", n)
		}
		hint = "; did you mean " + strings.Join(near, ", ") + "?"
	}
	return fmt.Errorf("%w: no %s %q%s (sync again if it is new)", errUnknown, what, id, hint)
}

// collect reads up to maxCandidates ids of a listing.
func collect[T any](seq func(func(T, error) bool), id func(T) string) []string {
	var out []string
	for v, err := range seq {
		if err != nil || len(out) == maxCandidates {
			break
		}
		out = append(out, id(v))
	}
	return out
}

// entitlementOf reads entitlement id, or says it is not there.
func entitlementOf(ctx context.Context, st *c1z.Reader, id string) (*connectorv2.Entitlement, error) {
	e, err := st.Entitlement(ctx, "", id)
	if errors.Is(err, c1z.ErrNotFound) {
		return nil, notInFile("entitlement", id, collect(st.Entitlements(ctx, c1z.EntitlementQuery{}), (*connectorv2.Entitlement).GetId))
	}
	return e, err
}

// resourceOf reads resource id, or says it is not there: the type, when
// the file has no resource of it, or the resource.
func resourceOf(ctx context.Context, st *c1z.Reader, id *connectorv2.ResourceId) (*connectorv2.Resource, error) {
	r, err := st.Resource(ctx, "", id)
	if !errors.Is(err, c1z.ErrNotFound) {
		return r, err
	}
	have := collect(st.Resources(ctx, c1z.ResourceQuery{ResourceTypeID: id.GetResourceType()}), func(r *connectorv2.Resource) string {
		return r.GetId().GetResource()
	})
	if len(have) == 0 {
		types := collect(st.ResourceTypes(ctx, ""), (*connectorv2.ResourceType).GetId)
		return nil, notInFile("resource type", id.GetResourceType(), types)
	}
	return nil, notInFile(id.GetResourceType(), id.GetResource(), have)
}

// grantOf reads grant id, or says it is not there.
func grantOf(ctx context.Context, st *c1z.Reader, id string) (*connectorv2.Grant, error) {
	g, err := st.Grant(ctx, "", id)
	if errors.Is(err, c1z.ErrNotFound) {
		return nil, notInFile("grant", id, collect(st.Grants(ctx, c1z.GrantQuery{}), (*connectorv2.Grant).GetId))
	}
	return g, err
}
