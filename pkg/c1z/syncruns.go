package c1z

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// SyncType is the kind of a sync run, stored as text in v1_sync_runs.
type SyncType string

// The sync types Baton defines.
const (
	SyncFull             SyncType = "full"
	SyncPartial          SyncType = "partial"
	SyncResourcesOnly    SyncType = "resources_only"
	SyncPartialUpserts   SyncType = "partial_upserts"
	SyncPartialDeletions SyncType = "partial_deletions"
)

// SyncRun is one row of v1_sync_runs: a sync that finished or is still in
// progress. Every object row belongs to exactly one sync run.
type SyncRun struct {
	ID        string
	StartedAt time.Time
	EndedAt   time.Time // zero while the sync is unfinished
	Token     string    // the syncer's resume state (JSON)
	Type      SyncType
	ParentID  string // for partial syncs: the full sync they apply to
	LinkedID  string
	Stats     *Stats // recorded when the sync ended; nil for older files
}

// Finished reports whether the sync ended.
func (r SyncRun) Finished() bool { return !r.EndedAt.IsZero() }

// timeLayout is how Baton's SQLite engine stores times.
const timeLayout = "2006-01-02 15:04:05.999999999"

func formatTime(t time.Time) string { return t.UTC().Format(timeLayout) }

func parseTime(s string) (time.Time, error) {
	for _, layout := range []string{timeLayout, "2006-01-02 15:04:05.999999999-07:00", time.RFC3339Nano, "2006-01-02T15:04:05.999999999"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	// Go's time.Time.String form, which some writers stored.
	if i := strings.Index(s, " m="); i > 0 {
		s = s[:i]
	}
	t, err := time.Parse("2006-01-02 15:04:05.999999999 -0700 MST", s)
	if err != nil {
		return time.Time{}, fmt.Errorf("unrecognised time %q", s)
	}
	return t.UTC(), nil
}

func (s *Store) syncRunSelect() string {
	col := func(name, fallback string) string {
		if s.schema.syncRunCols[name] {
			return name
		}
		return fallback
	}
	return "select sync_id, started_at, ended_at, sync_token, " +
		col("sync_type", "'full'") + ", " + col("parent_sync_id", "''") + ", " +
		col("linked_sync_id", "''") + ", " + col("stats", "null") + " from " + tSyncRuns
}

func scanSyncRun(sc interface{ Scan(...any) error }) (SyncRun, error) {
	var (
		r            SyncRun
		started      string
		ended, stats sql.NullString
		typ          string
	)
	if err := sc.Scan(&r.ID, &started, &ended, &r.Token, &typ, &r.ParentID, &r.LinkedID, &stats); err != nil {
		return r, err
	}
	r.Type = SyncType(typ)
	var err error
	if r.StartedAt, err = parseTime(started); err != nil {
		return r, fmt.Errorf("sync %s started_at: %w", r.ID, err)
	}
	if ended.Valid && ended.String != "" {
		if r.EndedAt, err = parseTime(ended.String); err != nil {
			return r, fmt.Errorf("sync %s ended_at: %w", r.ID, err)
		}
	}
	if stats.Valid && stats.String != "" {
		var st Stats
		if json.Unmarshal([]byte(stats.String), &st) == nil {
			r.Stats = &st
		}
	}
	return r, nil
}

// Syncs lists every sync run, oldest first.
func (rd *Reader) Syncs(ctx context.Context) ([]SyncRun, error) {
	s := rd.s
	if err := s.checkOpen(); err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, s.syncRunSelect()+" order by id")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []SyncRun
	for rows.Next() {
		r, err := scanSyncRun(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// SyncRun returns one sync run by id, or an error wrapping ErrNoSync.
func (rd *Reader) SyncRun(ctx context.Context, id string) (SyncRun, error) {
	s := rd.s
	if err := s.checkOpen(); err != nil {
		return SyncRun{}, err
	}
	r, err := scanSyncRun(s.db.QueryRowContext(ctx, s.syncRunSelect()+" where sync_id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return r, fmt.Errorf("%w: no sync with id %q", ErrNoSync, id)
	}
	return r, err
}

// LatestFinishedSync returns the newest finished sync of type typ (any type
// when typ is empty), or an error wrapping ErrNoSync.
func (rd *Reader) LatestFinishedSync(ctx context.Context, typ SyncType) (SyncRun, error) {
	s := rd.s
	return s.latest(ctx, typ, true)
}

// UnfinishedSync returns the newest unfinished sync of type typ: the one a
// new run of the same kind should resume. The error wraps ErrNoSync when
// there is none.
func (rd *Reader) UnfinishedSync(ctx context.Context, typ SyncType) (SyncRun, error) {
	s := rd.s
	return s.latest(ctx, typ, false)
}

func (s *Store) latest(ctx context.Context, typ SyncType, finished bool) (SyncRun, error) {
	if err := s.checkOpen(); err != nil {
		return SyncRun{}, err
	}
	q := s.syncRunSelect()
	if finished {
		q += " where ended_at is not null and ended_at != ''"
	} else {
		q += " where (ended_at is null or ended_at = '')"
	}
	var args []any
	if typ != "" {
		if s.schema.syncRunCols["sync_type"] {
			q += " and sync_type = ?"
			args = append(args, string(typ))
		} else if typ != SyncFull {
			return SyncRun{}, fmt.Errorf("%w of type %s", ErrNoSync, typ)
		}
	}
	r, err := scanSyncRun(s.db.QueryRowContext(ctx, q+" order by id desc limit 1", args...))
	if errors.Is(err, sql.ErrNoRows) {
		state := "unfinished"
		if finished {
			state = "finished"
		}
		if typ == "" {
			return r, fmt.Errorf("%w: no %s sync", ErrNoSync, state)
		}
		return r, fmt.Errorf("%w: no %s %s sync", ErrNoSync, state, typ)
	}
	return r, err
}

// DefaultSync is the sync readers use when none is named: the latest
// finished full sync, else the latest finished sync of any type, else the
// latest sync at all (so an interrupted first sync can still be inspected).
func (rd *Reader) DefaultSync(ctx context.Context) (SyncRun, error) {
	s := rd.s
	r, err := s.LatestFinishedSync(ctx, SyncFull)
	if !errors.Is(err, ErrNoSync) {
		return r, err
	}
	if r, err = s.LatestFinishedSync(ctx, ""); !errors.Is(err, ErrNoSync) {
		return r, err
	}
	if r, err = s.UnfinishedSync(ctx, ""); errors.Is(err, ErrNoSync) {
		return r, fmt.Errorf("%w: the file holds no syncs", ErrNoSync)
	}
	return r, err
}

// checkpoint stores the resume token of unfinished sync syncID in the
// transaction that commits the buffered rows.
func (s *Store) checkpoint(ctx context.Context, syncID, token string) error {
	return s.withTx(ctx, func(tx *sql.Tx) error {
		return updateUnfinished(ctx, tx, syncID, "update v1_sync_runs set sync_token = ? where sync_id = ? and (ended_at is null or ended_at = '')", token, syncID)
	})
}

// EndOption adds to what SyncWriter.End records.
type EndOption func(*Stats)

// WithUnhandled records, in the sync's stats, the protocol features the
// syncer did not act on (name -> uses).
func WithUnhandled(n map[string]int) EndOption {
	return func(st *Stats) {
		for k, v := range n {
			if st.Unhandled == nil {
				st.Unhandled = map[string]int64{}
			}
			st.Unhandled[k] = int64(v)
		}
	}
}

// WithDropped records, in the sync's stats, the objects the syncer
// dropped as invalid (kind -> count).
func WithDropped(n map[string]int) EndOption {
	return func(st *Stats) {
		for k, v := range n {
			if st.Dropped == nil {
				st.Dropped = map[string]int64{}
			}
			st.Dropped[k] = int64(v)
		}
	}
}

// WithExternal records, in the sync's stats, what matching grants against
// an external sync file did (what -> count); nothing when all are zero.
func WithExternal(n map[string]int) EndOption {
	return func(st *Stats) {
		for k, v := range n {
			if v == 0 {
				continue
			}
			if st.External == nil {
				st.External = map[string]int64{}
			}
			st.External[k] = int64(v)
		}
	}
}

// endSync marks a sync finished, records its statistics and returns them.
func (s *Store) endSync(ctx context.Context, syncID string, opts ...EndOption) (Stats, error) {
	if err := s.checkWritable(); err != nil {
		return Stats{}, err
	}
	if err := s.flush(ctx); err != nil {
		return Stats{}, err
	}
	st, err := s.Stats(ctx, syncID)
	if err != nil {
		return st, err
	}
	for _, o := range opts {
		o(&st)
	}
	js, err := json.Marshal(st)
	if err != nil {
		return st, err
	}
	err = s.withTx(ctx, func(tx *sql.Tx) error {
		return updateUnfinished(ctx, tx, syncID, "update v1_sync_runs set ended_at = ?, stats = ? where sync_id = ? and (ended_at is null or ended_at = '')",
			formatTime(time.Now()), string(js), syncID)
	})
	if err != nil {
		return st, err
	}
	return st, s.ensureIndexes(ctx)
}

func updateUnfinished(ctx context.Context, tx *sql.Tx, syncID, q string, args ...any) error {
	res, err := tx.ExecContext(ctx, q, args...)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 1 {
		return nil
	}
	var ended sql.NullString
	switch err := tx.QueryRowContext(ctx, "select ended_at from v1_sync_runs where sync_id = ?", syncID).Scan(&ended); {
	case errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("%w: no sync with id %q", ErrNoSync, syncID)
	case err != nil:
		return err
	}
	return fmt.Errorf("%w: %s", ErrSyncEnded, syncID)
}

// recountStats counts the objects of sync syncID again and records the
// counts as its stats, keeping what the syncer recorded beside them (step
// timings, call statistics, batonkit's own notes).
func (s *Store) recountStats(ctx context.Context, syncID string) (Stats, error) {
	if err := s.checkWritable(); err != nil {
		return Stats{}, err
	}
	run, err := s.SyncRun(ctx, syncID)
	if err != nil {
		return Stats{}, err
	}
	st, err := s.Stats(ctx, syncID)
	if err != nil {
		return st, err
	}
	if old := run.Stats; old != nil {
		st.StepDurationsMs, st.ConnectorCallStats, st.Unhandled, st.Dropped, st.External = old.StepDurationsMs, old.ConnectorCallStats, old.Unhandled, old.Dropped, old.External
	}
	js, err := json.Marshal(st)
	if err != nil {
		return st, err
	}
	err = s.withTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, "update v1_sync_runs set stats = ? where sync_id = ?", string(js), syncID)
		return err
	})
	if err == nil {
		s.dirty.Store(true)
	}
	return st, err
}
