package connectortest

import (
	"context"
	"slices"
)

// checkRestart asks a second, fresh process what a resumed sync asks a
// connector that never saw the earlier phases: the entitlements and grants
// of a resource straight away, and a page of a listing by a token the
// first process handed out. A fresh process must answer the first as the
// first process did; for the second it may refuse the token with an error
// (an LDAP paged-search cookie lives on one connection) but must never
// answer with another page.
func (k *kit) checkRestart(ctx context.Context, r *CheckResult) {
	if k.opts.restart == nil {
		skip(r, "needs a second process of the connector (baton conformance --connector starts one)")
		return
	}
	fresh, stop, err := k.opts.restart(ctx)
	if err != nil {
		r.failf("start a second process: %v", err)
		return
	}
	defer stop()
	phases := [][]listing{k.grantListings, k.entListings}
	for _, ls := range phases {
		n := 0
		for _, l := range ls {
			if l.method == "ListStaticEntitlements" || n == k.opts.sample {
				continue
			}
			n++
			before := k.walkOf(ctx, l, 0)
			if before.err != nil {
				continue
			}
			r.saw(l.String())
			after := k.walkWith(ctx, fresh, l, 0)
			switch {
			case after.err != nil:
				r.failf("%s in a fresh process: %v (it answered in the first)", l, after.err)
			case !sameSet(before.ids, after.ids):
				r.failf("%s in a fresh process lists %s; the first process listed %s", l, list(after.ids), list(before.ids))
			}
		}
	}
	// Tokens from the walks at page size 1, where listings of a few
	// objects have a second page.
	replayed := 0
	for _, l := range k.allListings() {
		w := k.walkOf(ctx, l, 1)
		if w.err != nil || len(w.tokens) == 0 || replayed == k.opts.sample {
			continue
		}
		replayed++
		token := w.tokens[0]
		p, err := k.fetch(ctx, fresh, l, token, 1)
		if err != nil {
			continue // a clear refusal is allowed
		}
		if !slices.Equal(p.ids, w.pages[1].ids) {
			r.failf("%s in a fresh process answers token %q with %s; the first process gave %s", l, token, list(p.ids), list(w.pages[1].ids))
		}
	}
}

func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	sa, sb := set(a), set(b)
	for id := range sa {
		if !sb[id] {
			return false
		}
	}
	return true
}
