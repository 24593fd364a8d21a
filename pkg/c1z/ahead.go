package c1z

import (
	"context"
	"iter"
	"sync"
)

// ahead streams what produce sends, a chunk at a time, while produce
// works on a goroutine of its own: reading and decoding a listing then
// overlap with the caller's work on its items. The goroutine is done when
// the loop over the listing ends, however it ends, since the caller may
// close the store next. send reports false once the caller has stopped;
// an error produce returns follows the items sent before it.
func ahead[V any](ctx context.Context, produce func(ctx context.Context, send func([]V) bool) error) iter.Seq2[V, error] {
	return func(yield func(V, error) bool) {
		ctx, cancel := context.WithCancel(ctx)
		var wg sync.WaitGroup
		defer wg.Wait()
		defer cancel()
		type chunk struct {
			items []V
			err   error
		}
		out := make(chan chunk, 1)
		wg.Go(func() {
			defer close(out)
			err := produce(ctx, func(items []V) bool {
				select {
				case out <- chunk{items: items}:
					return true
				case <-ctx.Done():
					return false
				}
			})
			if err != nil && ctx.Err() == nil {
				select {
				case out <- chunk{err: err}:
				case <-ctx.Done():
				}
			}
		})
		for c := range out {
			for _, v := range c.items {
				if !yield(v, nil) {
					return
				}
			}
			if c.err != nil {
				var zero V
				yield(zero, c.err)
				return
			}
		}
	}
}
