package explorer

import (
	"fmt"
	"sort"
	"unicode/utf8"
)

// Graph is a principal's access paths laid out for drawing: the principal
// on the left, then each entitlement it holds in the column after the
// furthest entitlement it comes through. The JSON carries the layout too,
// so a script can draw the same picture.
type Graph struct {
	Nodes     []*Node `json:"nodes"`
	Edges     []*Edge `json:"edges"`
	Width     int     `json:"width"`
	Height    int     `json:"height"`
	Truncated bool    `json:"truncated"` // more entitlements than drawn: pick one to focus on
}

// Node is the principal or one entitlement.
type Node struct {
	ID    string `json:"id"` // the entitlement id; the principal is "principal"
	Label string `json:"label"`
	Sub   string `json:"sub,omitempty"` // the resource it is on
	Kind  string `json:"kind"`          // principal, entitlement, focus, or unheld (a source the principal does not hold)
	Level int    `json:"level"`         // column
	X     int    `json:"x"`
	Y     int    `json:"y"`
	Link  string `json:"-"`
}

// Edge is one step of a path: From's holders get To. Label says how.
type Edge struct {
	From  string `json:"from"`
	To    string `json:"to"`
	Label string `json:"label"` // "granted" (by the connector) or "through"
	Path  string `json:"-"`     // SVG path data
}

const (
	nodeW, nodeH = 250, 46
	gapX, gapY   = 90, 18
	pad          = 12
	maxNodes     = 120
)

// buildGraph draws how principal holds its entitlements: all of them, or
// only the paths into focus when focus is set.
func buildGraph(principal Ref, rows []AccessRow, focus string) *Graph {
	byID := map[string]AccessRow{}
	for _, r := range rows {
		byID[r.Entitlement.ID] = r
	}
	g := &Graph{}
	nodes := map[string]*Node{}
	add := func(id string) *Node {
		if n, ok := nodes[id]; ok {
			return n
		}
		n := &Node{ID: id, Kind: "entitlement", Label: id}
		if r, ok := byID[id]; ok {
			n.Label = name(r.Entitlement.Name, r.Entitlement.ID)
			n.Sub = name(r.Entitlement.Resource.Name, r.Entitlement.Resource.Type+":"+r.Entitlement.Resource.ID)
		} else {
			n.Kind, n.Sub = "unheld", "not held by this principal"
		}
		nodes[id] = n
		g.Nodes = append(g.Nodes, n)
		return n
	}
	p := &Node{ID: "principal", Kind: "principal", Label: name(principal.Name, principal.ID), Sub: principal.Type}
	nodes[p.ID] = p
	g.Nodes = append(g.Nodes, p)

	// Which entitlements to draw: every one held, or focus and what it
	// comes through, transitively.
	var want []string
	if focus == "" {
		for _, r := range rows {
			want = append(want, r.Entitlement.ID)
		}
	} else {
		seen := map[string]bool{}
		queue := []string{focus}
		for len(queue) > 0 {
			id := queue[0]
			queue = queue[1:]
			if seen[id] {
				continue
			}
			seen[id] = true
			want = append(want, id)
			queue = append(queue, byID[id].Via.Through...)
		}
	}
	if len(want) > maxNodes {
		want, g.Truncated = want[:maxNodes], true
	}
	for _, id := range want {
		n := add(id)
		if id == focus {
			n.Kind = "focus"
		}
		r, held := byID[id]
		if !held {
			continue
		}
		if r.Via.Direct {
			g.Edges = append(g.Edges, &Edge{From: p.ID, To: id, Label: "granted"})
		}
		for _, src := range r.Via.Through {
			if _, drawn := nodes[src]; !drawn && len(nodes) > maxNodes {
				g.Truncated = true
				continue
			}
			add(src)
			g.Edges = append(g.Edges, &Edge{From: src, To: id, Label: "through"})
		}
	}
	layout(g, nodes)
	return g
}

// layout gives each node the column after its furthest predecessor
// (bounded, so a cycle of sources settles) and stacks each column.
func layout(g *Graph, nodes map[string]*Node) {
	for _, n := range g.Nodes {
		if n.Kind != "principal" {
			n.Level = 1
		}
	}
	for range len(g.Nodes) {
		changed := false
		for _, e := range g.Edges {
			from, to := nodes[e.From], nodes[e.To]
			if from.Level+1 > to.Level && from.Level+1 < len(g.Nodes) {
				to.Level, changed = from.Level+1, true
			}
		}
		if !changed {
			break
		}
	}
	cols := map[int][]*Node{}
	maxLevel := 0
	for _, n := range g.Nodes {
		cols[n.Level] = append(cols[n.Level], n)
		maxLevel = max(maxLevel, n.Level)
	}
	rows := 0
	for lv := 0; lv <= maxLevel; lv++ {
		col := cols[lv]
		sort.SliceStable(col, func(i, j int) bool { return col[i].Label < col[j].Label })
		for i, n := range col {
			n.X = pad + lv*(nodeW+gapX)
			n.Y = pad + i*(nodeH+gapY)
		}
		rows = max(rows, len(col))
	}
	g.Width = 2*pad + (maxLevel+1)*nodeW + maxLevel*gapX
	g.Height = 2*pad + rows*nodeH + max(0, rows-1)*gapY
	for _, e := range g.Edges {
		from, to := nodes[e.From], nodes[e.To]
		x1, y1 := from.X+nodeW, from.Y+nodeH/2
		x2, y2 := to.X, to.Y+nodeH/2
		if to.Level <= from.Level { // a cycle: loop back under the nodes
			x1, x2 = from.X+nodeW/2, to.X+nodeW/2
			y1, y2 = from.Y+nodeH, to.Y+nodeH
			low := max(y1, y2) + gapY
			e.Path = fmt.Sprintf("M%d,%d C%d,%d %d,%d %d,%d", x1, y1, x1, low, x2, low, x2, y2)
			g.Height = max(g.Height, low+pad)
			continue
		}
		mid := (x1 + x2) / 2
		e.Path = fmt.Sprintf("M%d,%d C%d,%d %d,%d %d,%d", x1, y1, mid, y1, mid, y2, x2, y2)
	}
}

func name(display, id string) string {
	if display != "" {
		return display
	}
	return id
}

// clip shortens s to n runes for a box of fixed width; the full text goes
// in the node's tooltip.
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}
