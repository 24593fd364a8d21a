package connectortest

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
)

// allListings is every listing the collecting checks walked.
func (k *kit) allListings() []listing {
	out := []listing{{method: "ListResourceTypes"}}
	out = append(out, k.resourceListings...)
	out = append(out, k.entListings...)
	return append(out, k.grantListings...)
}

func sizeName(size int) string {
	if size == 0 {
		return "the default page size"
	}
	return fmt.Sprintf("page size %d", size)
}

func (k *kit) checkPagination(ctx context.Context, r *CheckResult) {
	for _, l := range k.allListings() {
		if k.walkOf(ctx, l, 0).err != nil {
			continue // the collecting check reported it
		}
		r.saw(l.String())
		for _, size := range append([]int{0}, k.opts.pageSizes...) {
			w := k.walkOf(ctx, l, size)
			at := sizeName(size)
			switch {
			case w.err != nil:
				r.failf("%s at %s: %v", l, at, w.err)
			case w.endless:
				r.failf("%s at %s: still paging after %d pages", l, at, k.opts.maxPages)
			case w.repeatedToken != "":
				r.failf("%s at %s: next page token %q came back a second time; paging would never end", l, at, w.repeatedToken)
			}
			for _, i := range w.repeatedPages() {
				r.failf("%s at %s: page %d lists again %s, all listed on earlier pages", l, at, i+1, list(w.pages[i].ids))
			}
		}
	}
}

// checkUniqueIDs looks for objects a listing returns twice other than on
// a repeated page (the pagination check's): the syncer keeps one copy, so
// two that differ lose one silently.
func (k *kit) checkUniqueIDs(ctx context.Context, r *CheckResult) {
	for _, l := range k.allListings() {
		w := k.walkOf(ctx, l, 0)
		if w.err != nil {
			continue
		}
		r.saw(l.String())
		skip := map[int]bool{}
		for _, i := range w.repeatedPages() {
			skip[i] = true
		}
		var ids []string
		for i, p := range w.pages {
			if !skip[i] {
				ids = append(ids, p.ids...)
			}
		}
		if dup := repeated(ids); len(dup) > 0 {
			r.failf("%s lists %s more than once (the syncer keeps one copy)", l, list(dup))
		}
	}
}

func (k *kit) checkPageSizes(ctx context.Context, r *CheckResult) {
	if len(k.opts.pageSizes) == 0 {
		skip(r, "no page sizes to compare (WithPageSizes())")
		return
	}
	for _, l := range k.allListings() {
		base := k.walkOf(ctx, l, 0)
		if base.err != nil {
			continue
		}
		r.saw(l.String())
		want := set(base.ids)
		for _, size := range k.opts.pageSizes {
			w := k.walkOf(ctx, l, size)
			if w.err != nil || w.endless || w.repeatedToken != "" {
				continue // pagination reports it
			}
			got := set(w.ids)
			var skipped, extra []string
			for id := range want {
				if !got[id] {
					skipped = append(skipped, id)
				}
			}
			for id := range got {
				if !want[id] {
					extra = append(extra, id)
				}
			}
			if len(skipped)+len(extra) > 0 {
				sort.Strings(skipped)
				sort.Strings(extra)
				r.failf("%s at page size %d differs from the default size: skipped %s; not at the default size %s", l, size, list(skipped), list(extra))
			}
		}
	}
}

func set(ids []string) map[string]bool {
	m := make(map[string]bool, len(ids))
	for _, id := range ids {
		m[id] = true
	}
	return m
}

func repeated(ids []string) []string {
	n := map[string]int{}
	for _, id := range ids {
		n[id]++
	}
	var out []string
	for id, c := range n {
		if c > 1 {
			out = append(out, id)
		}
	}
	sort.Strings(out)
	return out
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

func sortedKeys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }
