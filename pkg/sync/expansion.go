package sync

import (
	"context"

	"github.com/batonkit/batonkit/pkg/sync/expand"
)

// stepExpand expands the grants of nested entitlements, once every grant
// is stored.
func (r *run) stepExpand(ctx context.Context, a action) error {
	st, err := expand.Run(ctx, r.w, expand.Options{MaxDepth: r.s.opts.maxDepth, Logger: r.s.log})
	if err != nil {
		return err
	}
	r.expand = st
	r.count(&r.progress.Expanded, st.Created)
	_, err = r.st.advance(a.ID, "", false, nil)
	return err
}
