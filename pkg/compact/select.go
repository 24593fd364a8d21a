package compact

import (
	"context"
	"fmt"

	"github.com/batonkit/batonkit/pkg/c1z"
)

// Select picks the syncs to compact from files, in the order given: from
// each file, its latest finished full sync and every finished sync after
// it (targeted syncs and diffs), or every finished sync when the file
// holds no full one. The first sync selected must be full or
// resources-only for the result to be one; Compact reports its type.
func Select(ctx context.Context, paths ...string) ([]Input, error) {
	var out []Input
	for _, p := range paths {
		st, err := c1z.OpenReader(ctx, p)
		if err != nil {
			return nil, err
		}
		syncs, err := st.Syncs(ctx)
		st.Close(ctx)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		from := 0
		for i, r := range syncs {
			if r.Type == c1z.SyncFull && r.Finished() {
				from = i
			}
		}
		for _, r := range syncs[from:] {
			if r.Finished() {
				out = append(out, Input{Path: p, SyncID: r.ID})
			}
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: no finished sync in %v", ErrNothingToCompact, paths)
	}
	return out, nil
}
