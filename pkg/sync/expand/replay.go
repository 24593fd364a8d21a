package expand

import (
	"context"
	"fmt"

	"github.com/batonkit/batonkit/pkg/c1z"
)

// ReplayStore is what Replay needs beyond Run's Store; *c1z.Store
// implements it.
type ReplayStore interface {
	Store
	RollbackExpansion(ctx context.Context, syncID string, opts c1z.RollbackOptions) (c1z.Rollback, error)
	EnsureIndexes(ctx context.Context) error
	MarkExpanded(ctx context.Context, syncID string) error
}

// Replay undoes the grant expansion of a finished sync and runs it again
// over the sync's grants as they are now: after a compaction changed who
// holds what, or to check that expansion reproduces itself. keepSuspect
// keeps grants that look set by the connector rather than by expansion
// (see c1z.Rollback).
func Replay(ctx context.Context, st ReplayStore, syncID string, keepSuspect bool, opts Options) (c1z.Rollback, Stats, error) {
	rb, err := st.RollbackExpansion(ctx, syncID, c1z.RollbackOptions{KeepSuspect: keepSuspect})
	if err != nil {
		return rb, Stats{}, fmt.Errorf("roll back expansion: %w", err)
	}
	if err := st.EnsureIndexes(ctx); err != nil {
		return rb, Stats{}, err
	}
	stats, err := Run(ctx, st, syncID, opts)
	if err != nil {
		return rb, stats, fmt.Errorf("expand again: %w", err)
	}
	return rb, stats, st.MarkExpanded(ctx, syncID)
}
