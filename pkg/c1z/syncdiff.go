package c1z

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"iter"
	"time"

	"github.com/segmentio/ksuid"
)

// SyncDiff names the two syncs WriteSyncDiff records.
type SyncDiff struct {
	// Upserts is a partial_upserts sync: every object of the applied
	// sync that the base lacks or holds with other contents, as the
	// applied sync has it.
	Upserts string
	// Deletions is a partial_deletions sync: every object of the base
	// that the applied sync lacks, as the base had it.
	Deletions string
}

// diffTables are the tables a sync diff covers, Baton's four: assets and
// sessions are not part of what a diff describes.
var diffTables = []string{tResourceTypes, tResources, tEntitlements, tGrants}

// WriteSyncDiff records in s how sync appliedID of s differs from sync
// baseID of base (s itself, or the file holding the older sync), as the
// two linked syncs Baton writes for ConductorOne's incremental ingestion:
// a partial_deletions sync and a partial_upserts sync, both with baseID
// as their parent and each naming the other as linked. Objects are
// matched by external id and compared by their stored encoding (and, for
// grants, their expansion column too). Both syncs must be finished.
// Applying the two to the base (Compact) gives back the applied sync.
func (s *Store) WriteSyncDiff(ctx context.Context, from *Reader, baseID, appliedID string) (SyncDiff, error) {
	base := from.s
	var d SyncDiff
	for _, c := range []struct {
		st *Store
		id string
	}{{base, baseID}, {s, appliedID}} {
		r, err := c.st.SyncRun(ctx, c.id)
		if err != nil {
			return d, err
		}
		if !r.Finished() {
			return d, fmt.Errorf("%w: sync %s is unfinished; only finished syncs can be diffed", ErrNoSync, c.id)
		}
	}
	d.Upserts, d.Deletions = ksuid.New().String(), ksuid.New().String()
	// Deletions first, so the upserts sync is the newer of the two, as
	// in Baton's files.
	if d.Deletions > d.Upserts {
		d.Deletions, d.Upserts = d.Upserts, d.Deletions
	}
	err := s.writeWith(ctx, base, func(tx *sql.Tx, old string) error {
		started := now()
		for _, r := range []struct {
			id, linked string
			typ        SyncType
		}{{d.Deletions, d.Upserts, SyncPartialDeletions}, {d.Upserts, d.Deletions, SyncPartialUpserts}} {
			if _, err := tx.ExecContext(ctx, `insert into v1_sync_runs
				(sync_id, started_at, sync_token, sync_type, parent_sync_id, linked_sync_id, supports_diff, grants_backfilled)
				values (?, ?, '', ?, ?, ?, 1, 1)`, r.id, started, string(r.typ), baseID, r.linked); err != nil {
				return fmt.Errorf("record the %s sync: %w", r.typ, err)
			}
		}
		for _, table := range diffTables {
			cols, err := sharedColumns(ctx, tx, table, old)
			if err != nil {
				return err
			}
			// In the base, not in the applied sync: deleted.
			q := fmt.Sprintf(`insert into main.%[1]s (%[2]s) select %[3]s from %[4]s.%[1]s a
				where a.sync_id = ? and not exists (select 1 from main.%[1]s m where m.external_id = a.external_id and m.sync_id = ?)
				order by a.id`, table, cols, selectAs(cols), old)
			if _, err := tx.ExecContext(ctx, q, d.Deletions, baseID, appliedID); err != nil {
				return fmt.Errorf("diff %s (deletions): %w", table, err)
			}
			differs := "a.data != m.data"
			if table == tGrants && s.schema.grantHasExp && base.schema.grantHasExp {
				differs = "(a.data != m.data or ifnull(a.expansion, x'') != ifnull(m.expansion, x''))"
			}
			// In the applied sync and new or changed: upserted.
			q = fmt.Sprintf(`insert into main.%[1]s (%[2]s) select %[3]s from main.%[1]s m
				where m.sync_id = ? and not exists (select 1 from %[4]s.%[1]s a where a.external_id = m.external_id and a.sync_id = ? and not %[5]s)
				order by m.id`, table, cols, selectAs(cols), old, differs)
			if _, err := tx.ExecContext(ctx, q, d.Upserts, appliedID, baseID); err != nil {
				return fmt.Errorf("diff %s (upserts): %w", table, err)
			}
		}
		return nil
	})
	if err != nil {
		return SyncDiff{}, err
	}
	for _, id := range []string{d.Deletions, d.Upserts} {
		if err := s.finishDerived(ctx, id); err != nil {
			return d, err
		}
	}
	return d, nil
}

// finishDerived ends a sync that was written whole by one operation (a
// diff, a compaction), recording its counts as its stats.
func (s *Store) finishDerived(ctx context.Context, id string) error {
	st, err := s.Stats(ctx, id)
	if err != nil {
		return err
	}
	js, err := json.Marshal(st)
	if err != nil {
		return err
	}
	return s.withTx(ctx, func(tx *sql.Tx) error {
		return updateUnfinished(ctx, tx, id, "update v1_sync_runs set ended_at = ?, stats = ? where sync_id = ? and (ended_at is null or ended_at = '')",
			formatTime(time.Now()), string(js), id)
	})
}

// CompareRecorded streams the differences a recorded sync diff states
// (id names either of its two syncs), in Compare's order and shape:
// upserted objects as Created or, when the diff's parent sync in this
// file holds them, Modified with their base version and changed fields;
// the deletions sync's objects as Deleted. When the parent is in another
// file every upserted object is reported Created.
func (rd *Reader) CompareRecorded(ctx context.Context, id string) iter.Seq2[Difference, error] {
	s := rd.s
	return walk(func(fn func(Difference) error) error { return s.compareRecorded(ctx, id, fn) })
}

func (s *Store) compareRecorded(ctx context.Context, id string, fn func(Difference) error) error {
	run, err := s.SyncRun(ctx, id)
	if err != nil {
		return err
	}
	ups, dels := run.ID, run.LinkedID
	switch run.Type {
	case SyncPartialUpserts:
	case SyncPartialDeletions:
		ups, dels = dels, ups
	default:
		return fmt.Errorf("%w: sync %s is a %s sync, not one of a recorded diff", ErrNoSync, id, run.Type)
	}
	parent := run.ParentID
	if _, err := s.SyncRun(ctx, parent); err != nil {
		parent = ""
	}
	if err := s.flush(ctx); err != nil {
		return err
	}
	if err := s.need(ctx); err != nil {
		return err
	}
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	upserted := differ{conn: conn, base: "main.", applied: "main.", baseID: parent, appliedID: ups, fn: fn}
	deleted := differ{conn: conn, base: "main.", applied: "main.", baseID: dels, appliedID: "", fn: fn}
	for _, k := range diffKinds {
		for _, step := range []struct {
			d differ
			c Change
		}{{upserted, Created}, {deleted, Deleted}, {upserted, Modified}} {
			if err := step.d.table(ctx, k.table, step.c, k.newMsg); err != nil {
				return err
			}
		}
	}
	return nil
}
