package cli

import (
	"context"
	"strings"

	"github.com/batonkit/batonkit/internal/explorer"
	connectorv2 "github.com/batonkit/batonkit/pb/c1/connector/v2"
	"github.com/batonkit/batonkit/pkg/c1z"
)

// A grant records only the last hop of an expansion ("through
// team:t1:member"); --path rebuilds whole chains from the principal's other
// grants, as the explorer's access graph draws them: the principal was
// granted the chain's first entitlement, and holding each one gave it the
// next.

const (
	maxChains      = 16  // per grant: enough to read, and a bound on fan-out
	maxChainLength = 32  // real nesting is a few levels
	maxCachedHeld  = 256 // principals whose grants are kept between rows
)

// chainFinder answers chains for many grants, reading each principal's
// grants once while they are asked about.
type chainFinder struct {
	st     *c1z.Reader
	syncID string
	held   map[string]map[string]explorer.Via // by principal, then entitlement
}

func newChainFinder(st *c1z.Reader, syncID string) *chainFinder {
	return &chainFinder{st: st, syncID: syncID, held: map[string]map[string]explorer.Via{}}
}

// chains lists every way g gives its principal entitlement entID, each as
// the entitlements from the one granted by the connector to entID. A chain
// starting at an entitlement the principal does not hold (a file written
// by a partial or older sync) starts where the record ends.
func (f *chainFinder) chains(ctx context.Context, g *connectorv2.Grant, entID string) ([][]string, error) {
	via := explorer.ViaOf(g, entID)
	if len(via.Through) == 0 {
		return [][]string{{entID}}, nil
	}
	held, err := f.heldBy(ctx, g.GetPrincipal().GetId())
	if err != nil {
		return nil, err
	}
	held[entID] = via // this grant, whatever the rest of the file says
	var out [][]string
	var walk func(id string, suffix []string, onPath map[string]bool)
	walk = func(id string, suffix []string, onPath map[string]bool) {
		if len(out) >= maxChains || onPath[id] || len(suffix) >= maxChainLength {
			return
		}
		chain := append([]string{id}, suffix...)
		v, ok := held[id]
		if !ok || v.Direct {
			out = append(out, chain)
		}
		onPath[id] = true
		for _, src := range v.Through {
			walk(src, chain, onPath)
		}
		delete(onPath, id)
	}
	walk(entID, nil, map[string]bool{})
	return out, nil
}

func (f *chainFinder) heldBy(ctx context.Context, pid *connectorv2.ResourceId) (map[string]explorer.Via, error) {
	key := rid(pid)
	if h, ok := f.held[key]; ok {
		return h, nil
	}
	if len(f.held) >= maxCachedHeld {
		clear(f.held)
	}
	h := map[string]explorer.Via{}
	for v, err := range f.st.GrantViews(ctx, c1z.GrantQuery{SyncID: f.syncID, Principal: pid}) {
		if err != nil {
			return nil, err
		}
		id := v.Grant.GetEntitlement().GetId()
		h[id] = explorer.ViaOf(v.Grant, id)
	}
	f.held[key] = h
	return h, nil
}

// chainText prints chains for a table: "granted by the connector; a > b
// > c", where a is what the connector granted.
func chainText(chains [][]string) string {
	s := make([]string, len(chains))
	for i, c := range chains {
		if len(c) == 1 {
			s[i] = "granted by the connector"
			continue
		}
		s[i] = strings.Join(c, " > ")
	}
	return strings.Join(s, "; ")
}

// pathRow is one grant's chains in JSON output's "paths" list.
func pathRow(principal *connectorv2.ResourceId, entID string, chains [][]string) map[string]any {
	return map[string]any{"principal": rid(principal), "entitlement": entID, "paths": chains}
}

// text is the VIA column of g: its last hops, or with --path (f not nil)
// its whole chains.
func (f *chainFinder) text(ctx context.Context, g *connectorv2.Grant) (string, error) {
	entID := g.GetEntitlement().GetId()
	if f == nil {
		return paths(g, entID), nil
	}
	c, err := f.chains(ctx, g, entID)
	return chainText(c), err
}

// appendRow adds g's chains to JSON output's "paths" when it has any
// longer than the grant itself: the rest the grant's own sources say.
func (f *chainFinder) appendRow(ctx context.Context, rows []map[string]any, g *connectorv2.Grant) ([]map[string]any, error) {
	entID := g.GetEntitlement().GetId()
	c, err := f.chains(ctx, g, entID)
	if err != nil || (len(c) == 1 && len(c[0]) == 1) {
		return rows, err
	}
	return append(rows, pathRow(g.GetPrincipal().GetId(), entID, c)), nil
}

func viaHeader(path bool) string {
	if path {
		return "PATH"
	}
	return "VIA"
}
