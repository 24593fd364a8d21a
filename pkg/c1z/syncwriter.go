package c1z

import (
	"context"
	"fmt"
	"iter"
	"time"

	"github.com/segmentio/ksuid"

	connectorv2 "github.com/batonkit/batonkit/pb/c1/connector/v2"
	"github.com/batonkit/batonkit/pkg/internal/syncwrite"
)

// SyncWriter writes the rows of one sync. It comes from StartSync (a new
// sync), ResumeSync (an unfinished one) or AmendSync (a finished one a tool
// reworks), and carries the sync's id, so no call names it again. The
// embedded SyncRun is the row as the writer found or made it.
//
// Puts buffer rows and commit them in batches; Checkpoint and End commit
// what is buffered. Reads of what the writer wrote go through the store's
// Reader with the writer's ID.
type SyncWriter struct {
	SyncRun
	s       *Store
	amended bool // a finished sync: End recounts and keeps its end time
}

// StartSync records a new, unfinished sync run and returns its writer. A
// full or resources-only sync is a bulk load: lookup indexes are dropped
// and built again when next needed (before expansion, at End or Close).
func (s *Store) StartSync(ctx context.Context, typ SyncType, parentID string) (*SyncWriter, error) {
	if err := s.checkWritable(); err != nil {
		return nil, err
	}
	if typ == "" {
		typ = SyncFull
	}
	id, err := ksuid.NewRandom()
	if err != nil {
		return nil, err
	}
	r := SyncRun{ID: id.String(), StartedAt: time.Now().UTC(), Type: typ, ParentID: parentID}
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	if typ == SyncFull || typ == SyncResourcesOnly {
		if err := s.dropLookupIndexes(ctx); err != nil {
			return nil, err
		}
	}
	_, err = s.db.ExecContext(ctx, `insert into v1_sync_runs
		(sync_id, started_at, sync_token, sync_type, parent_sync_id, supports_diff, grants_backfilled)
		values (?, ?, '', ?, ?, 1, 1)`, r.ID, formatTime(r.StartedAt), string(typ), parentID)
	if err != nil {
		return nil, fmt.Errorf("start sync: %w", err)
	}
	s.dirty.Store(true)
	return &SyncWriter{SyncRun: r, s: s}, nil
}

// ResumeSync returns the writer of unfinished sync id, whose Token holds
// where the interrupted run stopped. A finished sync is refused with an
// error wrapping ErrSyncEnded.
func (s *Store) ResumeSync(ctx context.Context, id string) (*SyncWriter, error) {
	return s.reopen(ctx, id, false)
}

// AmendSync returns a writer on finished sync id, for tools that rework a
// sync after it ended: rolling back and replaying grant expansion, or
// recounting its stats (End). The sync keeps its end time. An unfinished
// sync is refused with an error wrapping ErrNotExpandable: its state is
// in its resume token, which only a resumed run may change.
func (s *Store) AmendSync(ctx context.Context, id string) (*SyncWriter, error) {
	return s.reopen(ctx, id, true)
}

// reopen returns a writer on sync id, which must be finished exactly when
// amend is set.
func (s *Store) reopen(ctx context.Context, id string, amend bool) (*SyncWriter, error) {
	if err := s.checkWritable(); err != nil {
		return nil, err
	}
	r, err := s.SyncRun(ctx, id)
	switch {
	case err != nil:
		return nil, err
	case amend && !r.Finished():
		return nil, fmt.Errorf("amend sync: %w: %s is unfinished", ErrNotExpandable, id)
	case !amend && r.Finished():
		return nil, fmt.Errorf("resume sync: %w: %s", ErrSyncEnded, id)
	}
	return &SyncWriter{SyncRun: r, s: s, amended: amend}, nil
}

// PutResourceTypes upserts resource types.
func (w *SyncWriter) PutResourceTypes(ctx context.Context, rts ...*connectorv2.ResourceType) error {
	return w.s.putResourceTypes(ctx, w.ID, rts...)
}

// PutResources upserts resources.
func (w *SyncWriter) PutResources(ctx context.Context, rs ...*connectorv2.Resource) error {
	return w.s.putResources(ctx, w.ID, rs...)
}

// PutEntitlements upserts entitlements.
func (w *SyncWriter) PutEntitlements(ctx context.Context, es ...*connectorv2.Entitlement) error {
	return w.s.putEntitlements(ctx, w.ID, es...)
}

// PutGrants upserts grants. A GrantExpandable annotation is moved out of
// the stored grant into the expansion column and the row is queued for
// grant expansion, as Baton stores it.
func (w *SyncWriter) PutGrants(ctx context.Context, gs ...*connectorv2.Grant) error {
	return w.s.putGrants(ctx, w.ID, gs...)
}

// PutAsset stores a binary asset (an icon, a logo) under its id.
func (w *SyncWriter) PutAsset(ctx context.Context, ref *connectorv2.AssetRef, contentType string, data []byte) error {
	return w.s.putAsset(ctx, w.ID, ref, contentType, data)
}

// DeleteGrants removes grants by id (ids the sync lacks are ignored).
func (w *SyncWriter) DeleteGrants(ctx context.Context, ids ...string) error {
	return w.s.deleteGrants(ctx, w.ID, ids...)
}

// Checkpoint stores the resume token of an unfinished sync. Every row put
// before the call commits with it, so a run resumed from the token never
// misses data the token claims is done.
func (w *SyncWriter) Checkpoint(ctx context.Context, token string) error {
	if err := w.s.checkWritable(); err != nil {
		return err
	}
	err := w.s.checkpoint(ctx, w.ID, token)
	if err == nil {
		w.Token = token
	}
	return err
}

// End commits what is buffered and records the sync's stats, which it
// returns. A new or resumed sync is marked finished (a second End fails
// with ErrSyncEnded); an amended one is recounted, keeping its end time
// and what the syncer recorded beside the counts (step timings, call
// statistics): what Baton's recalculate-stats does.
func (w *SyncWriter) End(ctx context.Context, opts ...EndOption) (Stats, error) {
	if w.amended {
		return w.s.recountStats(ctx, w.ID)
	}
	st, err := w.s.endSync(ctx, w.ID, opts...)
	if err == nil {
		w.Stats = &st
		w.EndedAt = time.Now().UTC()
	}
	return st, err
}

// Apply folds sync srcID, read through from (the store's own Reader or
// another file's), into this sync, by the source sync's type:
//
//   - full: the source replaces everything: this sync ends up holding exactly
//     its objects (a newer full sync supersedes what came before).
//   - partial: as resources_only, and the entitlements and grants on each
//     resource it holds are replaced by its own: one that it lacks is
//     removed (a targeted sync lists the whole of what it targets).
//   - resources_only: upserts by recency, Baton's rule: an object
//     is copied unless this sync holds a newer discovery of it (a
//     later sync wins a tie).
//   - partial_upserts: every object is copied, replacing this sync's (a diff
//     states what the applied sync holds).
//   - partial_deletions: the objects it lists are removed from this sync.
//
// Objects are matched by external id. Grant expansion is not re-run: see
// package compact.
func (w *SyncWriter) Apply(ctx context.Context, from *Reader, srcID string) error {
	return w.s.applySync(ctx, w.ID, from, srcID)
}

// RollbackExpansion returns an amended sync's grants to their shape before
// grant expansion, so expansion can run again (package expand's Replay):
// a grant with no sources is left alone; one whose sources include its own
// entitlement was direct and gets its sources emptied; any other was made
// by expansion and is deleted. Every expandable grant is queued for
// expansion again. This is what Baton's rollback-expansion does;
// Reader.PlanRollback counts it without changing anything.
func (w *SyncWriter) RollbackExpansion(ctx context.Context, opts RollbackOptions) (Rollback, error) {
	if err := w.s.checkWritable(); err != nil {
		return Rollback{}, err
	}
	return w.s.rollback(ctx, w.ID, opts, false)
}

// Syncer returns the operations only batonkit's syncer and grant
// expansion use (package syncwrite). Nothing outside batonkit can name a
// syncwrite.Key, so nothing else can call it.
func (w *SyncWriter) Syncer(syncwrite.Key) syncwrite.Sync { return syncOps{w} }

// syncOps is a SyncWriter's syncwrite.Sync.
type syncOps struct{ w *SyncWriter }

func (o syncOps) TrackToken(token func() (string, error)) {
	if token == nil {
		o.w.s.trackToken("", nil)
		return
	}
	o.w.s.trackToken(o.w.ID, token)
}

func (o syncOps) EnsureIndexes(ctx context.Context) error { return o.w.s.ensureIndexes(ctx) }

func (o syncOps) ExpandableGrants(ctx context.Context) iter.Seq2[syncwrite.ExpandableGrant, error] {
	return o.w.s.expandableGrants(ctx, o.w.ID)
}

func (o syncOps) MarkExpanded(ctx context.Context) error {
	if err := o.w.s.checkWritable(); err != nil {
		return err
	}
	return o.w.s.markExpanded(ctx, o.w.ID)
}

// Reader reads the store the writer writes, this sync's rows included.
func (w *SyncWriter) Reader() *Reader { return w.s.Reader }
