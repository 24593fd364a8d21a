package expand

import (
	"context"
	"fmt"

	"github.com/batonkit/batonkit/pkg/c1z"
)

// Replay undoes the grant expansion of the finished sync w amends (see
// c1z.Store.AmendSync) and runs it again over the sync's grants as they
// are now: after a compaction changed who holds what, or to check that
// expansion reproduces itself. keepSuspect keeps grants that look set by
// the connector rather than by expansion (see c1z.Rollback). The caller
// ends w to record the new counts.
func Replay(ctx context.Context, w *c1z.SyncWriter, keepSuspect bool, opts Options) (c1z.Rollback, Stats, error) {
	rb, err := w.RollbackExpansion(ctx, c1z.RollbackOptions{KeepSuspect: keepSuspect})
	if err != nil {
		return rb, Stats{}, fmt.Errorf("roll back expansion: %w", err)
	}
	stats, err := Run(ctx, w, opts)
	if err != nil {
		return rb, stats, fmt.Errorf("expand again: %w", err)
	}
	return rb, stats, nil
}
