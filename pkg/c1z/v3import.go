package c1z

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	storagev3 "github.com/batonkit/batonkit/pb/c1/storage/v3"
	"github.com/batonkit/batonkit/pkg/c1z/internal/v3file"
)

// openV3 opens the v3 file f (positioned after its header): it unpacks
// the Pebble payload into s.tmpDir and starts a private SQLite database
// of the v1 schema there holding the file's one sync run. The listings a
// user runs most (stats, resource types, resources, entitlements and
// grants, whole or by type, principal or entitlement) read the payload
// directly, in its key order, which is the order a conversion would give
// their rows (v3direct.go); everything else asks for need, which copies
// the objects into the v1 tables once, and then serves it as any v1 file:
// one reader for both formats.
func (s *Store) openV3(ctx context.Context, f *os.File) (err error) {
	// Pebble trusts its own files; one damaged on purpose can make it
	// panic rather than fail. Such a file is corrupt, not a crash.
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: v3 Pebble database: %v", ErrCorrupt, r)
		}
	}()
	m, payloadAt, err := v3file.ReadHead(f)
	if err != nil {
		return err
	}
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	budget, _ := s.opts.limits.limitFor(fi.Size() - payloadAt)
	if budget <= 0 {
		budget = 1 << 62
	}
	pdir := filepath.Join(s.tmpDir, "pebble")
	if err := os.Mkdir(pdir, 0o700); err != nil {
		return err
	}
	if err := v3file.Extract(f, m, payloadAt, pdir, s.opts.limits.MaxWindow, budget); err != nil {
		return err
	}
	stats := v3ManifestStats(m)
	pdb, err := v3file.Open(pdir)
	if err != nil {
		return err
	}
	v3 := &v3Store{pdb: pdb}
	s.v3 = v3 // closed with the store, from here on
	if v3.run, err = v3OneRun(pdb); err != nil {
		return err
	}
	v3.recorded = stats[v3.run.ID]

	dbPath := filepath.Join(s.tmpDir, "db")
	if f, err := os.OpenFile(dbPath, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600); err != nil {
		return err
	} else if err := f.Close(); err != nil {
		return err
	}
	// Writable: the conversion fills it later. The store itself stays
	// read-only (checkWritable), as for any file opened to read.
	if err := s.openDB(ctx, dbPath, false); err != nil {
		return err
	}
	if err := migrate(ctx, s.db); err != nil {
		return err
	}
	if err := insertV3Run(ctx, s.db, v3.run, stats); err != nil {
		return err
	}
	s.schema, err = inspect(ctx, s.db)
	return err
}

// need makes the v1 tables of a store opened on a v3 file hold its
// objects, converting them on the first call: every read of those tables
// calls it first. It is a no-op for v1 files and once converted.
func (s *Store) need(ctx context.Context) error {
	v3 := s.v3
	if v3 == nil || v3.converted.Load() {
		return nil
	}
	v3.convertMu.Lock()
	defer v3.convertMu.Unlock()
	if v3.converted.Load() {
		return nil
	}
	if v3.convertErr != nil {
		return v3.convertErr
	}
	err := s.convertV3(ctx)
	if err != nil && ctx.Err() == nil {
		// A corrupt record fails every later read the same way; a
		// cancelled conversion may be tried again.
		v3.convertErr = err
	}
	return err
}

func (s *Store) convertV3(ctx context.Context) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: v3 Pebble database: %v", ErrCorrupt, r)
		}
	}()
	// A bulk load: lookup indexes are built once, after it.
	if err := s.dropLookupIndexes(ctx); err != nil {
		return err
	}
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return err
	}
	err = importV3(ctx, conn, s.v3.pdb, s.v3.run)
	conn.Close()
	if err != nil {
		return err
	}
	for _, ix := range lookupIndexes {
		if _, err := s.db.ExecContext(ctx, ix.create()); err != nil {
			return fmt.Errorf("create index %s: %w", ix.name, err)
		}
	}
	// Everything in the main file: other connections attach it by name
	// (export, diff).
	if _, err := s.db.ExecContext(ctx, "pragma wal_checkpoint(TRUNCATE)"); err != nil {
		return err
	}
	s.v3.converted.Store(true)
	return nil
}

// v3OneRun reads the one sync run a v3 file holds.
func v3OneRun(pdb *v3file.DB) (SyncRun, error) {
	var runs []SyncRun
	if err := pdb.Scan(v3file.KindSyncRun, func(v []byte) error {
		r, err := v3file.SyncRun(v)
		if err == nil && r.GetSyncId() != "" {
			runs = append(runs, v3SyncRun(r))
		}
		return err
	}); err != nil {
		return SyncRun{}, err
	}
	if len(runs) != 1 {
		return SyncRun{}, fmt.Errorf("%w: a v3 file holds one sync, this one %d", ErrCorrupt, len(runs))
	}
	return runs[0], nil
}

// insertV3Run writes a v3 file's sync run as its v1 row, with the stats
// its manifest recorded.
func insertV3Run(ctx context.Context, db *sql.DB, run SyncRun, stats map[string]*Stats) error {
	var statsJSON any
	if st := stats[run.ID]; st != nil {
		b, err := json.Marshal(st)
		if err != nil {
			return err
		}
		statsJSON = string(b)
	}
	_, err := db.ExecContext(ctx, `insert into v1_sync_runs
		(sync_id, started_at, ended_at, sync_token, sync_type, parent_sync_id, linked_sync_id, supports_diff, grants_backfilled, stats)
		values (?, ?, ?, ?, ?, ?, ?, 1, 1, ?)`,
		run.ID, formatTime(run.StartedAt), v3Time(run.EndedAt), run.Token, string(run.Type), run.ParentID, run.LinkedID, statsJSON)
	return err
}

// importV3 copies the objects of a v3 database's one sync, run, into
// the v1 tables, kind by kind.
func importV3(ctx context.Context, db *sql.Conn, pdb *v3file.DB, run SyncRun) error {
	// A throwaway database, written once: no sync, a larger cache.
	for _, q := range []string{"pragma synchronous=off", "pragma cache_size=-16384"} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			return err
		}
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	b := &batchInsert{ctx: ctx, tx: tx}
	defer b.close()
	for _, k := range v3Kinds(run) {
		if err := importKind(pdb, b, k); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// v3Kind is one kind of v3 record and how it becomes a v1 row.
type v3Kind struct {
	key   v3file.Kind
	what  string
	table *table
	row   func(v []byte) ([]any, error)
}

// v3Kinds are the kinds of record a v3 sync holds, in v1's table order,
// with rows stamped with run's id and start.
func v3Kinds(run SyncRun) []v3Kind {
	at := formatTime(run.StartedAt)
	// Each kind's rows are made on one goroutine: a decoder each.
	var resources v3file.ResourceDecoder
	var grants v3file.GrantDecoder
	return []v3Kind{
		{v3file.KindResourceType, "resource type", resourceTypesTable, func(v []byte) ([]any, error) {
			rt, err := v3file.ResourceType(v)
			if err != nil {
				return nil, err
			}
			data, err := marshal.Marshal(rt)
			return []any{rt.GetId(), data, run.ID, at}, err
		}},
		{v3file.KindResource, "resource", resourcesTable, func(v []byte) ([]any, error) {
			rec, err := resources.Decode(v)
			if err != nil {
				return nil, err
			}
			r := v3file.ResourceFrom(rec)
			data, err := marshal.Marshal(r)
			var pType, pID any
			if p := r.GetParentResourceId(); p != nil {
				pType, pID = p.GetResourceType(), p.GetResource()
			}
			return []any{r.GetId().GetResourceType(), ResourceExternalID(r.GetId()), pType, pID, data, run.ID, at}, err
		}},
		{v3file.KindEntitlement, "entitlement", entitlementsTable, func(v []byte) ([]any, error) {
			e, err := v3file.Entitlement(v)
			if err != nil {
				return nil, err
			}
			data, err := marshal.Marshal(e)
			rid := e.GetResource().GetId()
			return []any{rid.GetResourceType(), rid.GetResource(), e.GetId(), data, run.ID, at}, err
		}},
		{v3file.KindGrant, "grant", grantsTable, func(v []byte) ([]any, error) {
			rec, err := grants.Decode(v)
			if err != nil {
				return nil, err
			}
			g, err := v3file.GrantFrom(rec, true, nil)
			if err != nil {
				return nil, err
			}
			row, err := grantRow(g)
			return []any{row.resType, row.resID, row.entID, row.pType, row.pID, g.GetId(), row.expansion, row.needsExpansion, row.data, run.ID, at}, err
		}},
		{v3file.KindAsset, "asset", assetsTable, func(v []byte) ([]any, error) {
			a, err := v3file.Asset(v)
			return []any{a.GetExternalId(), a.GetContentType(), a.GetData(), run.ID, at}, err
		}},
	}
}

// importKind copies the records of one kind. Pebble reads and record
// decoding run on one goroutine, SQLite inserts on this one: each takes
// about half of an import.
func importKind(pdb *v3file.DB, b *batchInsert, k v3Kind) error {
	rows := make(chan []any, 512)
	scanErr := make(chan error, 1)
	stop := make(chan struct{})
	go func() {
		defer close(rows)
		scanErr <- pdb.Scan(k.key, func(v []byte) error {
			vals, err := k.row(v)
			if err != nil {
				return fmt.Errorf("%w: v3 %s record: %v", ErrCorrupt, k.what, err)
			}
			select {
			case rows <- vals:
				return nil
			case <-stop:
				return context.Canceled
			}
		})
	}()
	var err error
	for vals := range rows {
		if err = b.add(k.table, vals); err != nil {
			break
		}
	}
	close(stop)
	for range rows {
	}
	if serr := <-scanErr; err == nil {
		err = serr
	}
	if err == nil {
		err = b.flush()
	}
	return err
}

// batchInsert writes rows of one table at a time in multi-row inserts,
// full batches through one prepared statement per table. An import
// writes each object once, so plain inserts do.
type batchInsert struct {
	ctx   context.Context
	tx    *sql.Tx
	table *table
	vals  []any
	stmts map[*table]*sql.Stmt
}

func insertSQL(t *table, n int) string {
	one := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(t.cols)), ", ") + ")"
	return "insert into " + t.name + " (" + strings.Join(t.cols, ", ") + ") values " + strings.TrimSuffix(strings.Repeat(one+", ", n), ", ")
}

func (b *batchInsert) add(t *table, vals []any) error {
	if b.table != t {
		if err := b.flush(); err != nil {
			return err
		}
		b.table = t
	}
	b.vals = append(b.vals, vals...)
	if len(b.vals) < rowsPerStatement*len(t.cols) {
		return nil
	}
	st := b.stmts[t]
	if st == nil {
		var err error
		if st, err = b.tx.PrepareContext(b.ctx, insertSQL(t, rowsPerStatement)); err != nil {
			return err
		}
		if b.stmts == nil {
			b.stmts = map[*table]*sql.Stmt{}
		}
		b.stmts[t] = st
	}
	_, err := st.ExecContext(b.ctx, b.vals...)
	b.vals = b.vals[:0]
	return err
}

func (b *batchInsert) flush() error {
	if b.table == nil || len(b.vals) == 0 {
		return nil
	}
	_, err := b.tx.ExecContext(b.ctx, insertSQL(b.table, len(b.vals)/len(b.table.cols)), b.vals...)
	b.vals = b.vals[:0]
	return err
}

func (b *batchInsert) close() {
	for _, st := range b.stmts {
		st.Close()
	}
}

// v3Types maps c1.storage.v3 sync types to v1's names.
var v3Types = map[storagev3.SyncType]SyncType{
	storagev3.SyncType_SYNC_TYPE_FULL: SyncFull, storagev3.SyncType_SYNC_TYPE_PARTIAL: SyncPartial,
	storagev3.SyncType_SYNC_TYPE_RESOURCES_ONLY: SyncResourcesOnly, storagev3.SyncType_SYNC_TYPE_PARTIAL_UPSERTS: SyncPartialUpserts,
	storagev3.SyncType_SYNC_TYPE_PARTIAL_DELETIONS: SyncPartialDeletions,
}

// v3SyncRun is a SyncRunRecord as v1 stores the run; an unset type is a
// full sync, an unset or zero end an unfinished one.
func v3SyncRun(r *storagev3.SyncRunRecord) SyncRun {
	run := SyncRun{ID: r.GetSyncId(), Type: v3Types[r.GetType()], ParentID: r.GetParentSyncId(), Token: r.GetSyncToken(), LinkedID: r.GetLinkedSyncId()}
	if run.Type == "" {
		run.Type = SyncFull
	}
	if r.GetStartedAt() != nil {
		run.StartedAt = r.GetStartedAt().AsTime()
	}
	if end := r.GetEndedAt(); end.GetSeconds() != 0 || end.GetNanos() != 0 {
		run.EndedAt = end.AsTime()
	}
	return run
}

// v3ManifestStats are the stats the manifest's sync-run summaries record,
// by sync id: the counts, and the step timings and connector call
// statistics Baton's v3 syncer records.
func v3ManifestStats(m v3file.Manifest) map[string]*Stats {
	out := map[string]*Stats{}
	for _, sum := range m.GetSyncRuns() {
		r := sum.GetStats()
		if sum.GetSyncId() == "" || r == nil {
			continue
		}
		st := &Stats{
			ResourceTypes: r.GetResourceTypes(), Resources: r.GetResources(), Entitlements: r.GetEntitlements(),
			Grants: r.GetGrants(), Assets: r.GetAssets(),
			ResourcesByType: nilIfEmpty(r.GetResourcesByResourceType()), GrantsByType: nilIfEmpty(r.GetGrantsByEntitlementResourceType()),
			EntitlementsByType: nilIfEmpty(r.GetEntitlementsByResourceType()), StepDurationsMs: nilIfEmpty(r.GetStepDurationsMs()),
		}
		for k, cs := range r.GetConnectorCallStats() {
			if st.ConnectorCallStats == nil {
				st.ConnectorCallStats = map[string]CallStat{}
			}
			st.ConnectorCallStats[k] = CallStat{Count: cs.GetCount(), TotalMs: cs.GetTotalMs(), MaxMs: cs.GetMaxMs(), Errors: cs.GetErrors(), Timeouts: cs.GetTimeouts()}
		}
		out[sum.GetSyncId()] = st
	}
	return out
}

func nilIfEmpty(m map[string]int64) map[string]int64 {
	if len(m) == 0 {
		return nil
	}
	return m
}

// v3Time formats a time for v1_sync_runs; the zero time is NULL.
func v3Time(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return formatTime(t)
}
