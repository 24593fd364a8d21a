package sync

import (
	"context"
	"errors"
	"fmt"
	stdsync "sync"

	connectorv2 "github.com/batonkit/batonkit/pb/c1/connector/v2"
)

// pageResult is what one step of an action produced.
type pageResult struct {
	next    string   // the action continues at this page token; empty: it is done
	planned bool     // a planner pushed its type-scoped actions
	push    []action // new work for the stack (children, per-resource leaves)
	// pushRes holds, beside each pushed per-resource leaf, its resource as
	// the planner read it, so the leaf need not read it back.
	pushRes []*connectorv2.Resource
	spawned []action // sibling cursors of the same op, run in the current batch
}

// stepFunc runs one step (one connector call, or one planner page) of a.
type stepFunc func(ctx context.Context, a action) (pageResult, error)

// drain runs a to its end, one step at a time: the pages of one listing
// always run in sequence, as stateful connectors need (an LDAP paged
// search's cookie lives on one connection; many APIs' cursors expire when
// another query runs). Spawned siblings go to q when it is set.
func (r *run) drain(ctx context.Context, a action, step stepFunc, q *queue) error {
	for pages := 1; ; pages++ {
		if pages > r.s.opts.maxPages {
			return fmt.Errorf("%w: %s passed %d pages (last token %q)", ErrListingTooLong, a.what(), r.s.opts.maxPages, a.PageToken)
		}
		if err := r.reserve(); err != nil {
			return err
		}
		res, err := step(ctx, a)
		if err != nil {
			if err = r.notFoundOK(ctx, a, err); err != nil {
				return err
			}
			res = pageResult{}
		}
		if res.next != "" && res.next == a.PageToken {
			return fmt.Errorf("%w: %s, token %q", ErrPageTokenRepeated, a.what(), res.next)
		}
		if err := r.fanout.check(a, res, r.s.opts.maxFanout); err != nil {
			return err
		}
		pushed, err := r.st.advance(a.ID, res.next, res.planned, append(res.push, res.spawned...))
		if err != nil {
			return err
		}
		for i, known := range res.pushRes {
			if known != nil {
				r.resCache.Store(pushed[i].ID, known)
			}
		}
		if q != nil {
			q.add(pushed[len(res.push):]...)
		}
		if res.next == "" {
			r.resCache.Delete(a.ID)
		}
		if err := r.maybeCheckpoint(ctx); err != nil {
			return err
		}
		r.report()
		// A planner yields after each page that planned work: its leaves
		// run before its next page is read (Baton's syncer interleaves them
		// so too), so the stack, and the resume token saved with every
		// commit, holds one page of leaves, not every resource's.
		if res.next == "" || a.planner() && len(res.push) > 0 {
			return nil
		}
		a.PageToken, a.Planned = res.next, a.Planned || res.planned
	}
}

// runBatch runs a batch of leaf actions of one op on the workers, as
// Baton's parallel syncer does: each worker takes a whole action and
// drains it; siblings a connector enqueues join the batch. The first error
// cancels the rest of the batch.
func (r *run) runBatch(ctx context.Context, op string, batch []action) error {
	step := r.leaf(op)
	if step == nil {
		return fmt.Errorf("unknown action %q in sync token", op)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	q := newQueue(batch)
	var (
		wg   stdsync.WaitGroup
		mu   stdsync.Mutex
		errs []error
	)
	for range max(1, r.s.opts.workers) {
		wg.Go(func() {
			for {
				a, ok := q.next()
				if !ok {
					return
				}
				err := r.drain(ctx, a, step, q)
				q.done()
				if err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
					cancel()
					q.abort()
					return
				}
			}
		})
	}
	wg.Wait()
	return firstCause(errs)
}

// firstCause prefers an error that explains the failure over the
// cancellations it caused in sibling workers.
func firstCause(errs []error) error {
	for _, err := range errs {
		if !errors.Is(err, context.Canceled) {
			return err
		}
	}
	if len(errs) > 0 {
		return errs[0]
	}
	return nil
}

func (r *run) leaf(op string) stepFunc {
	switch op {
	case opResources:
		return r.pageResources
	case opStatic:
		return r.pageStatic
	case opEntitlements:
		return r.pageEntitlements
	case opGrants:
		return r.pageGrants
	case opTarget:
		return r.stepTarget
	}
	return nil
}

// queue is a batch's work list. It grows while it runs (spawned
// siblings), so workers stop only when nothing is queued or in flight.
type queue struct {
	mu          stdsync.Mutex
	cond        *stdsync.Cond
	items       []action
	outstanding int
	aborted     bool
}

func newQueue(batch []action) *queue {
	q := &queue{items: append([]action(nil), batch...), outstanding: len(batch)}
	q.cond = stdsync.NewCond(&q.mu)
	return q
}

func (q *queue) add(as ...action) {
	if len(as) == 0 {
		return
	}
	q.mu.Lock()
	q.items = append(q.items, as...)
	q.outstanding += len(as)
	q.mu.Unlock()
	q.cond.Broadcast()
}

func (q *queue) next() (action, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for !q.aborted && len(q.items) == 0 && q.outstanding > 0 {
		q.cond.Wait()
	}
	if q.aborted || len(q.items) == 0 {
		return action{}, false
	}
	a := q.items[0]
	q.items = q.items[1:]
	return a, true
}

func (q *queue) done() {
	q.mu.Lock()
	q.outstanding--
	q.mu.Unlock()
	q.cond.Broadcast()
}

func (q *queue) abort() {
	q.mu.Lock()
	q.aborted = true
	q.mu.Unlock()
	q.cond.Broadcast()
}
