package suggest

import (
	"slices"
	"strings"
)

// Closest returns up to n of have nearest to word, nearest first: those
// that contain word or that word contains, then by edit distance, case
// ignored, within a third of word's length (at least 2).
func Closest(word string, have []string, n int) []string {
	type scored struct {
		s string
		d int
	}
	var all []scored
	low := strings.ToLower(word)
	for _, h := range have {
		lh := strings.ToLower(h)
		d := Distance(low, lh)
		if low != "" && (strings.Contains(lh, low) || strings.Contains(low, lh)) {
			d = 0
		}
		if d <= max(2, len(word)/3) {
			all = append(all, scored{h, d})
		}
	}
	slices.SortStableFunc(all, func(a, b scored) int { return a.d - b.d })
	out := make([]string, 0, min(n, len(all)))
	for _, s := range all[:min(n, len(all))] {
		out = append(out, s.s)
	}
	return out
}

// Distance is the Levenshtein distance of a and b, in bytes.
func Distance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
