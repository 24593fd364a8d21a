package expand

import "slices"

// edge: holders of src receive dst.
type edge struct {
	src, dst int
	shallow  bool     // only holders of src who hold it directly
	types    []string // only principals of these resource types; empty = all
}

// graph is the entitlement graph. Nodes are entitlement ids.
type graph struct {
	ids   []string
	index map[string]int
	edges map[[2]int]*edge
	out   [][]int // adjacency: node -> dst nodes
}

func newGraph() *graph {
	return &graph{index: map[string]int{}, edges: map[[2]int]*edge{}}
}

func (g *graph) node(id string) int {
	if n, ok := g.index[id]; ok {
		return n
	}
	n := len(g.ids)
	g.ids = append(g.ids, id)
	g.index[id] = n
	g.out = append(g.out, nil)
	return n
}

// addEdge records src -> dst. Repeated edges merge towards the more
// permissive reading: deep beats shallow, "all types" beats a filter.
func (g *graph) addEdge(src, dst string, shallow bool, types []string) {
	s, d := g.node(src), g.node(dst)
	key := [2]int{s, d}
	if e, ok := g.edges[key]; ok {
		e.shallow = e.shallow && shallow
		if len(e.types) == 0 || len(types) == 0 {
			e.types = nil
		} else {
			for _, t := range types {
				if !slices.Contains(e.types, t) {
					e.types = append(e.types, t)
				}
			}
		}
		return
	}
	g.edges[key] = &edge{src: s, dst: d, shallow: shallow, types: slices.Clone(types)}
	g.out[s] = append(g.out[s], d)
}

// components returns the strongly connected components in topological
// order: every edge between two components runs from an earlier one to a
// later one. Tarjan's algorithm, iterative so deep graphs cannot overflow
// the stack.
func (g *graph) components() [][]int {
	n := len(g.ids)
	index := make([]int, n)
	low := make([]int, n)
	onStack := make([]bool, n)
	for i := range index {
		index[i] = -1
	}
	var comps [][]int
	var tstack []int
	next := 0
	type frame struct{ v, i int }
	for root := 0; root < n; root++ {
		if index[root] >= 0 {
			continue
		}
		call := []frame{{root, 0}}
		index[root], low[root] = next, next
		next++
		tstack = append(tstack, root)
		onStack[root] = true
		for len(call) > 0 {
			f := &call[len(call)-1]
			if f.i < len(g.out[f.v]) {
				w := g.out[f.v][f.i]
				f.i++
				if index[w] < 0 {
					index[w], low[w] = next, next
					next++
					tstack = append(tstack, w)
					onStack[w] = true
					call = append(call, frame{w, 0})
				} else if onStack[w] {
					low[f.v] = min(low[f.v], index[w])
				}
				continue
			}
			v := f.v
			call = call[:len(call)-1]
			if len(call) > 0 {
				p := call[len(call)-1].v
				low[p] = min(low[p], low[v])
			}
			if low[v] == index[v] {
				var comp []int
				for {
					w := tstack[len(tstack)-1]
					tstack = tstack[:len(tstack)-1]
					onStack[w] = false
					comp = append(comp, w)
					if w == v {
						break
					}
				}
				comps = append(comps, comp)
			}
		}
	}
	// Tarjan emits components in reverse topological order.
	slices.Reverse(comps)
	return comps
}
