// Package syncwrite is the syncer's private side of a c1z sync writer: the
// operations batonkit's syncer and grant expansion need and no other
// writer should call. They save the resume token with every commit, build
// lookup indexes in the middle of a bulk load, and read and clear the
// queue of grants waiting for expansion.
//
// c1z.SyncWriter.Syncer hands them out against a Key. The package is
// internal, so only batonkit's own packages can name a Key: the syncer
// and pkg/sync/expand reach these operations, a program using the SDK
// sees a writer with puts, checkpoints and End only.
package syncwrite

import (
	"context"
	"iter"

	connectorv2 "github.com/batonkit/batonkit/pb/c1/connector/v2"
)

// Key unlocks c1z.SyncWriter.Syncer. Its blank field keeps an untyped
// struct literal from converting to it outside this package's importers.
type Key struct{ _ struct{} }

// ExpandableGrant is a grant whose principal passes its entitlement on to
// the holders of other entitlements (see connectorv2.GrantExpandable).
type ExpandableGrant struct {
	EntitlementID string
	Principal     *connectorv2.ResourceId
	Expansion     *connectorv2.GrantExpandable
}

// Sync is what the syncer needs of the sync it writes beyond the public
// puts, checkpoints and End.
type Sync interface {
	// TrackToken makes every commit of buffered rows also save the resume
	// token, as token returns it at that moment, in the same transaction:
	// a crash loses at most one batch and never leaves a token ahead of
	// its rows. The caller buffers a step's rows before token reports the
	// step done. nil stops it.
	TrackToken(token func() (string, error))
	// EnsureIndexes builds the lookup indexes a bulk load dropped, before
	// a step that reads back what the sync wrote.
	EnsureIndexes(ctx context.Context) error
	// ExpandableGrants streams the grants still waiting for expansion,
	// with only the columns expansion needs.
	ExpandableGrants(ctx context.Context) iter.Seq2[ExpandableGrant, error]
	// MarkExpanded records that expansion of the sync is complete.
	MarkExpanded(ctx context.Context) error
}
