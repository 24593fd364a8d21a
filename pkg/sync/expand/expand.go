package expand

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"log/slog"
	"slices"

	connectorv2 "github.com/batonkit/batonkit/pb/c1/connector/v2"
	"github.com/batonkit/batonkit/pkg/annotations"
	"github.com/batonkit/batonkit/pkg/c1z"
	"github.com/batonkit/batonkit/pkg/grant"
)

// Store is what expansion reads and writes; *c1z.Store implements it.
type Store interface {
	ExpandableGrants(ctx context.Context, syncID string) iter.Seq2[c1z.ExpandableGrant, error]
	Grants(ctx context.Context, q c1z.GrantQuery) iter.Seq2[*connectorv2.Grant, error]
	Grant(ctx context.Context, syncID, id string) (*connectorv2.Grant, error)
	Entitlement(ctx context.Context, syncID, id string) (*connectorv2.Entitlement, error)
	PutGrants(ctx context.Context, syncID string, gs ...*connectorv2.Grant) error
}

// ErrMaxDepth is returned when entitlements nest deeper than allowed.
var ErrMaxDepth = errors.New("grant expansion exceeds the maximum nesting depth")

// DefaultMaxDepth is how deep entitlements may nest (Baton's default too).
const DefaultMaxDepth = 20

// Options tune Run.
type Options struct {
	MaxDepth int // default DefaultMaxDepth
	Logger   *slog.Logger
}

// Stats reports what Run did.
type Stats struct {
	Edges      int // distinct source -> destination entitlement pairs
	Cycles     int // strongly connected components with more than one node or a self edge
	Created    int // grants that exist only through expansion
	Updated    int // existing grants that gained a source
	SkippedEdg int // edges whose destination entitlement is missing
}

// Run expands the grants of one sync.
func Run(ctx context.Context, st Store, syncID string, opts Options) (Stats, error) {
	if opts.MaxDepth <= 0 {
		opts.MaxDepth = DefaultMaxDepth
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	var stats Stats
	g := newGraph()
	for eg, err := range st.ExpandableGrants(ctx, syncID) {
		if err != nil {
			return stats, fmt.Errorf("read expandable grants: %w", err)
		}
		for _, src := range eg.Expansion.GetEntitlementIds() {
			g.addEdge(src, eg.EntitlementID, eg.Expansion.GetShallow(), eg.Expansion.GetResourceTypeIds())
		}
	}
	stats.Edges = len(g.edges)
	if stats.Edges == 0 {
		return stats, nil
	}

	comps := g.components()
	compOf := make([]int, len(g.ids))
	for ci, c := range comps {
		for _, v := range c {
			compOf[v] = ci
		}
	}
	// Incoming edges per component, split into those from earlier
	// components and those inside the component (a cycle).
	external := make([][]*edge, len(comps))
	internal := make([][]*edge, len(comps))
	for _, e := range sortedEdges(g) {
		if compOf[e.src] == compOf[e.dst] {
			internal[compOf[e.dst]] = append(internal[compOf[e.dst]], e)
		} else {
			external[compOf[e.dst]] = append(external[compOf[e.dst]], e)
		}
	}
	depth := make([]int, len(comps))
	x := &expander{st: st, syncID: syncID, g: g, log: opts.Logger, stats: &stats, ents: map[string]*connectorv2.Entitlement{}}
	for ci := range comps {
		for _, e := range external[ci] {
			depth[ci] = max(depth[ci], depth[compOf[e.src]]+1)
		}
		if len(internal[ci]) > 0 {
			stats.Cycles++
			depth[ci] += len(comps[ci]) - 1
		}
		if depth[ci] > opts.MaxDepth {
			return stats, fmt.Errorf("%w (%d): entitlement %q is nested %d levels deep", ErrMaxDepth, opts.MaxDepth, g.ids[comps[ci][0]], depth[ci])
		}
		// What the component's entitlements are held by is cached while
		// its edges are applied, and dropped after: memory stays at one
		// component's grants.
		x.held = map[string]map[string]*connectorv2.Grant{}
		for _, e := range external[ci] {
			if _, err := x.apply(ctx, e); err != nil {
				return stats, err
			}
		}
		// Edges from earlier components read only what earlier
		// components wrote: their grants are written in batches across
		// edges, and before anything reads them.
		if err := x.flush(ctx); err != nil {
			return stats, err
		}
		// Inside a cycle every member ends up with the union of the
		// others' holders: repeat until a pass changes nothing.
		for pass := 0; len(internal[ci]) > 0; pass++ {
			changed := 0
			for _, e := range internal[ci] {
				n, err := x.apply(ctx, e)
				if err == nil {
					err = x.flush(ctx) // the next edge of the cycle reads these
				}
				if err != nil {
					return stats, err
				}
				changed += n
			}
			if changed == 0 {
				break
			}
			if pass > len(comps[ci])+1 {
				return stats, fmt.Errorf("grant expansion did not settle in the cycle containing %q", g.ids[comps[ci][0]])
			}
		}
	}
	return stats, nil
}

func sortedEdges(g *graph) []*edge {
	out := make([]*edge, 0, len(g.edges))
	for _, e := range g.edges {
		out = append(out, e)
	}
	slices.SortFunc(out, func(a, b *edge) int {
		if a.src != b.src {
			return a.src - b.src
		}
		return a.dst - b.dst
	})
	return out
}

type expander struct {
	st     Store
	syncID string
	g      *graph
	log    *slog.Logger
	stats  *Stats
	// held maps each destination entitlement of the current component
	// to its grants by principal, as written so far.
	held map[string]map[string]*connectorv2.Grant
	// ents caches destination entitlements (nil: not in the sync).
	ents map[string]*connectorv2.Entitlement
	// pending are grants created or changed, not yet written.
	pending []*connectorv2.Grant
}

func (x *expander) flush(ctx context.Context) error {
	if len(x.pending) == 0 {
		return nil
	}
	err := x.st.PutGrants(ctx, x.syncID, x.pending...)
	x.pending = x.pending[:0]
	return err
}

// holders returns the grants of entitlement id by principal, read once
// per component: one listing instead of a lookup per inherited grant.
func (x *expander) holders(ctx context.Context, id string) (map[string]*connectorv2.Grant, error) {
	if m, ok := x.held[id]; ok {
		return m, nil
	}
	m := map[string]*connectorv2.Grant{}
	for g, err := range x.st.Grants(ctx, c1z.GrantQuery{SyncID: x.syncID, EntitlementID: id}) {
		if err != nil {
			return nil, err
		}
		m[principalKey(g.GetPrincipal().GetId())] = g
	}
	x.held[id] = m
	return m, nil
}

func principalKey(id *connectorv2.ResourceId) string {
	return id.GetResourceType() + "\x00" + id.GetResource()
}

// writeBatch bounds how many grants wait in memory before being written.
const writeBatch = 512

// apply gives the holders of e.src the entitlement e.dst and returns how
// many grants it created or changed.
func (x *expander) apply(ctx context.Context, e *edge) (int, error) {
	srcID, dstID := x.g.ids[e.src], x.g.ids[e.dst]
	dst, ok := x.ents[dstID]
	var err error
	if !ok {
		dst, err = x.st.Entitlement(ctx, x.syncID, dstID)
		if err == nil || errors.Is(err, c1z.ErrNotFound) {
			x.ents[dstID] = dst // nil: known missing
		}
	}
	if dst == nil && err == nil {
		err = c1z.ErrNotFound
	}
	if errors.Is(err, c1z.ErrNotFound) {
		x.stats.SkippedEdg++
		x.log.WarnContext(ctx, "grant expansion: destination entitlement not found; edge skipped", "source", srcID, "destination", dstID)
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	held, err := x.holders(ctx, dstID)
	if err != nil {
		return 0, err
	}
	changed := 0
	for sg, err := range x.st.Grants(ctx, c1z.GrantQuery{SyncID: x.syncID, EntitlementID: srcID}) {
		if err != nil {
			return changed, err
		}
		p := sg.GetPrincipal()
		if len(e.types) > 0 && !slices.Contains(e.types, p.GetId().GetResourceType()) {
			continue
		}
		srcSources := sg.GetSources().GetSources()
		direct := len(srcSources) == 0 || srcSources[srcID] != nil
		if e.shallow && !direct {
			continue
		}
		key := principalKey(p.GetId())
		existing := held[key]
		switch {
		case existing == nil:
			ng := &connectorv2.Grant{
				Id: grant.ID(dstID, p.GetId()), Entitlement: dst, Principal: p,
				Sources:     &connectorv2.GrantSources{Sources: map[string]*connectorv2.GrantSources_GrantSource{srcID: {IsDirect: direct}}},
				Annotations: annotations.New(&connectorv2.GrantImmutable{}),
			}
			held[key] = ng
			x.pending = append(x.pending, ng)
			x.stats.Created++
			changed++
		default:
			sources := existing.GetSources().GetSources()
			if sources == nil {
				sources = map[string]*connectorv2.GrantSources_GrantSource{}
			}
			updated := false
			if len(sources) == 0 {
				// A direct grant learning it is also inherited keeps a
				// record of being direct.
				sources[dstID] = &connectorv2.GrantSources_GrantSource{IsDirect: true}
				updated = true
			}
			if sources[srcID] == nil {
				sources[srcID] = &connectorv2.GrantSources_GrantSource{IsDirect: direct}
				updated = true
			}
			if updated {
				existing.Sources = &connectorv2.GrantSources{Sources: sources}
				x.pending = append(x.pending, existing)
				x.stats.Updated++
				changed++
			}
		}
		if len(x.pending) >= writeBatch {
			if err := x.flush(ctx); err != nil {
				return changed, err
			}
		}
	}
	return changed, nil
}
