package expand

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"log/slog"
	"maps"
	"slices"

	connectorv2 "github.com/batonkit/batonkit/pb/c1/connector/v2"
	"github.com/batonkit/batonkit/pkg/annotations"
	"github.com/batonkit/batonkit/pkg/c1z"
	"github.com/batonkit/batonkit/pkg/grant"
	"github.com/batonkit/batonkit/pkg/internal/syncwrite"
)

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

// Run expands the grants of the sync w writes: it builds the graph of
// edges the grants waiting for expansion describe, orders its components,
// checks the nesting depth, applies the edges level by level, and marks
// the sync expanded.
func Run(ctx context.Context, w *c1z.SyncWriter, opts Options) (Stats, error) {
	if opts.MaxDepth <= 0 {
		opts.MaxDepth = DefaultMaxDepth
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	var stats Stats
	ops := w.Syncer(syncwrite.Key{})
	// The lookup indexes a bulk load dropped serve expansion's reads.
	if err := ops.EnsureIndexes(ctx); err != nil {
		return stats, err
	}
	g, err := buildGraph(ctx, ops)
	if err != nil {
		return stats, err
	}
	stats.Edges = len(g.edges)
	if stats.Edges == 0 {
		return stats, ops.MarkExpanded(ctx)
	}
	p := newPlan(g)
	stats.Cycles = p.cycles()
	if err := p.checkDepth(opts.MaxDepth); err != nil {
		return stats, err
	}
	x := &expander{w: w, rd: w.Reader(), g: g, compOf: p.compOf, log: opts.Logger, stats: &stats, ents: map[string]*connectorv2.Entitlement{}, dirty: map[string]bool{}}
	if err := x.loadEntitlements(ctx); err != nil {
		return stats, err
	}
	for _, ci := range p.levelOrder() {
		if err := x.expandComponent(ctx, p, ci); err != nil {
			return stats, err
		}
	}
	return stats, ops.MarkExpanded(ctx)
}

// buildGraph reads the expandable grants' edges.
func buildGraph(ctx context.Context, ops syncwrite.Sync) (*graph, error) {
	g := newGraph()
	for eg, err := range ops.ExpandableGrants(ctx) {
		if err != nil {
			return nil, fmt.Errorf("read expandable grants: %w", err)
		}
		for _, src := range eg.Expansion.GetEntitlementIds() {
			g.addEdge(src, eg.EntitlementID, eg.Expansion.GetShallow(), eg.Expansion.GetResourceTypeIds())
		}
	}
	return g, nil
}

// plan is the order expansion follows: the graph's strongly connected
// components, each component's incoming edges split into those from
// earlier components and those inside it (a cycle), and its depth.
type plan struct {
	g        *graph
	comps    [][]int
	compOf   []int
	external [][]*edge
	internal [][]*edge
	depth    []int
}

func newPlan(g *graph) *plan {
	p := &plan{g: g, comps: g.components(), compOf: make([]int, len(g.ids))}
	for ci, c := range p.comps {
		for _, v := range c {
			p.compOf[v] = ci
		}
	}
	p.external = make([][]*edge, len(p.comps))
	p.internal = make([][]*edge, len(p.comps))
	for _, e := range sortedEdges(g) {
		if dst := p.compOf[e.dst]; p.compOf[e.src] == dst {
			p.internal[dst] = append(p.internal[dst], e)
		} else {
			p.external[dst] = append(p.external[dst], e)
		}
	}
	// Components come in topological order: every source's depth is
	// known before its destinations'.
	p.depth = make([]int, len(p.comps))
	for ci := range p.comps {
		for _, e := range p.external[ci] {
			p.depth[ci] = max(p.depth[ci], p.depth[p.compOf[e.src]]+1)
		}
		if len(p.internal[ci]) > 0 {
			p.depth[ci] += len(p.comps[ci]) - 1
		}
	}
	return p
}

// cycles counts the components with a cycle.
func (p *plan) cycles() int {
	n := 0
	for ci := range p.comps {
		if len(p.internal[ci]) > 0 {
			n++
		}
	}
	return n
}

func (p *plan) checkDepth(maxDepth int) error {
	for ci := range p.comps {
		if p.depth[ci] > maxDepth {
			return fmt.Errorf("%w (%d): entitlement %q is nested %d levels deep", ErrMaxDepth, maxDepth, p.g.ids[p.comps[ci][0]], p.depth[ci])
		}
	}
	return nil
}

// levelOrder lists the components level by level (every source of a
// component is on an earlier level): a level reads what earlier levels
// wrote, so the store writes its buffer out about once a level, not once
// a component.
func (p *plan) levelOrder() []int {
	order := make([]int, len(p.comps))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return p.depth[a] - p.depth[b] })
	return order
}

// loadEntitlements reads the graph's entitlements in one pass before
// anything is written: a lookup per edge would make the store write out
// the grants buffered so far each time, in small transactions.
func (x *expander) loadEntitlements(ctx context.Context) error {
	for ent, err := range x.rd.Entitlements(ctx, c1z.EntitlementQuery{SyncID: x.w.ID}) {
		if err != nil {
			return fmt.Errorf("read entitlements: %w", err)
		}
		if _, ok := x.g.index[ent.GetId()]; ok {
			x.ents[ent.GetId()] = ent
		}
	}
	for _, id := range x.g.ids {
		if _, ok := x.ents[id]; !ok {
			x.ents[id] = nil // not in the sync
		}
	}
	return nil
}

// expandComponent applies the edges into component ci: those from earlier
// components once, then those inside it until a pass changes nothing.
func (x *expander) expandComponent(ctx context.Context, p *plan, ci int) error {
	// What the component's entitlements are held by is cached while its
	// edges are applied, and dropped after: memory stays at one
	// component's grants.
	x.held = map[string]map[string]*connectorv2.Grant{}
	for _, e := range p.external[ci] {
		if _, err := x.apply(ctx, e); err != nil {
			return err
		}
	}
	// Edges from earlier components read only what earlier components
	// wrote: their grants are written in batches across edges, and before
	// anything reads them.
	if err := x.flush(ctx); err != nil {
		return err
	}
	if len(p.internal[ci]) == 0 {
		return nil
	}
	// Inside a cycle every member ends up with the union of the others'
	// holders. The sources are the component's own entitlements, whose
	// holders are in memory with every change so far: the passes read and
	// write nothing until the component settles.
	for pass := 0; ; pass++ {
		changed := 0
		for _, e := range p.internal[ci] {
			n, err := x.apply(ctx, e)
			if err != nil {
				return err
			}
			changed += n
		}
		if changed == 0 {
			break
		}
		if pass > len(p.comps[ci])+1 {
			return fmt.Errorf("grant expansion did not settle in the cycle containing %q", x.g.ids[p.comps[ci][0]])
		}
	}
	return x.flush(ctx)
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
	w      *c1z.SyncWriter
	rd     *c1z.Reader // of w's store
	g      *graph
	compOf []int // each node's component
	log    *slog.Logger
	stats  *Stats
	// held maps each destination entitlement of the current component
	// to its grants by principal, as written so far.
	held map[string]map[string]*connectorv2.Grant
	// ents caches destination entitlements (nil: not in the sync).
	ents map[string]*connectorv2.Entitlement
	// pending are grants created or changed, not yet written.
	pending []*connectorv2.Grant
	// dirty are the entitlements with grants written since the last read
	// that made the store write out its buffer: only a read of one of
	// those needs it.
	dirty map[string]bool
}

func (x *expander) flush(ctx context.Context) error {
	if len(x.pending) == 0 {
		return nil
	}
	err := x.w.PutGrants(ctx, x.pending...)
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
	for g, err := range x.grants(ctx, id) {
		if err != nil {
			return nil, err
		}
		m[principalKey(g.GetPrincipal().GetId())] = g
	}
	x.held[id] = m
	return m, nil
}

// sourceGrants are the grants of the edge's source: from the store for a
// source in an earlier component (written before this one started), from
// memory for one in the same component (a cycle), whose holders change
// as its edges are applied; in principal order either way.
func (x *expander) sourceGrants(ctx context.Context, e *edge, srcID string) iter.Seq2[*connectorv2.Grant, error] {
	if x.compOf[e.src] != x.compOf[e.dst] {
		return x.grants(ctx, srcID)
	}
	return func(yield func(*connectorv2.Grant, error) bool) {
		held, err := x.holders(ctx, srcID)
		if err != nil {
			yield(nil, err)
			return
		}
		keys := slices.Sorted(maps.Keys(held))
		for _, k := range keys {
			if !yield(held[k], nil) {
				return
			}
		}
	}
}

// grants lists the grants of entitlement id as written, making the store
// write out its buffer first only when some of it is id's.
func (x *expander) grants(ctx context.Context, id string) iter.Seq2[*connectorv2.Grant, error] {
	q := c1z.GrantQuery{SyncID: x.w.ID, EntitlementID: id, Written: true}
	if x.dirty[id] {
		if err := x.flush(ctx); err != nil {
			return func(yield func(*connectorv2.Grant, error) bool) { yield(nil, err) }
		}
		q.Written = false
		clear(x.dirty)
	}
	return x.rd.Grants(ctx, q)
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
		dst, err = x.rd.Entitlement(ctx, x.w.ID, dstID)
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
	for sg, err := range x.sourceGrants(ctx, e, srcID) {
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
			x.dirty[dstID] = true
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
				x.dirty[dstID] = true
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
