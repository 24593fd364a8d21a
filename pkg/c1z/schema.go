package c1z

import (
	"context"
	"database/sql"
	"fmt"
)

// The v1 schema, column for column and index for index as Baton's SQLite
// engine writes it, so files move freely between the two. Index names are
// kept even where they do not describe their columns: tools look them up by
// name.

const (
	tResourceTypes = "v1_resource_types"
	tResources     = "v1_resources"
	tEntitlements  = "v1_entitlements"
	tGrants        = "v1_grants"
	tAssets        = "v1_assets"
	tSessions      = "v1_connector_sessions"
	tSyncRuns      = "v1_sync_runs"
)

var createTables = []string{
	`create table if not exists v1_resource_types (
  id integer primary key,
  external_id text not null,
  data blob not null,
  sync_id text not null,
  discovered_at datetime not null
)`,
	`create table if not exists v1_resources (
  id integer primary key,
  resource_type_id text not null,
  external_id text not null,
  parent_resource_type_id text,
  parent_resource_id text,
  data blob not null,
  sync_id text not null,
  discovered_at datetime not null
)`,
	`create table if not exists v1_entitlements (
  id integer primary key,
  resource_type_id text not null,
  resource_id text not null,
  external_id text not null,
  data blob not null,
  sync_id text not null,
  discovered_at datetime not null
)`,
	`create table if not exists v1_sync_runs (
  id integer primary key,
  sync_id text not null,
  started_at datetime not null,
  ended_at datetime,
  sync_token text not null,
  sync_type text not null default 'full',
  parent_sync_id text not null default '',
  linked_sync_id text not null default '',
  supports_diff integer not null default 0,
  grants_backfilled integer not null default 0,
  stats text,
  ingest_invariant_generation text not null default '',
  ingest_invariant_coverage text not null default '',
  ingest_invariant_mode text not null default ''
)`,
	`create table if not exists v1_grants (
  id integer primary key,
  resource_type_id text not null,
  resource_id text not null,
  entitlement_id text not null,
  principal_resource_type_id text not null,
  principal_resource_id text not null,
  external_id text not null,
  expansion blob,
  needs_expansion integer not null default 0,
  data blob not null,
  sync_id text not null,
  discovered_at datetime not null
)`,
	`create table if not exists v1_assets (
  id integer primary key,
  external_id text not null,
  content_type text not null,
  data blob not null,
  sync_id text not null,
  discovered_at datetime not null
)`,
	`create table if not exists v1_connector_sessions (
  id integer primary key,
  sync_id text not null,
  key text not null,
  value blob not null
)`,
}

// addedColumns are columns newer Baton versions added to tables that older
// files already have; migrate adds whichever are missing.
var addedColumns = map[string][]struct{ name, decl string }{
	tSyncRuns: {
		{"sync_type", "text not null default 'full'"},
		{"parent_sync_id", "text not null default ''"},
		{"linked_sync_id", "text not null default ''"},
		{"supports_diff", "integer not null default 0"},
		{"grants_backfilled", "integer not null default 0"},
		{"stats", "text"},
		{"ingest_invariant_generation", "text not null default ''"},
		{"ingest_invariant_coverage", "text not null default ''"},
		{"ingest_invariant_mode", "text not null default ''"},
	},
	tGrants: {
		{"expansion", "blob"},
		{"needs_expansion", "integer not null default 0"},
	},
}

type index struct{ name, table, cols, where string }

func (ix index) create() string {
	s := fmt.Sprintf("create index if not exists %s on %s (%s)", ix.name, ix.table, ix.cols)
	if ix.where != "" {
		s += " where " + ix.where
	}
	return s
}

// uniqueIndexes stay live at all times: upserts depend on them.
var uniqueIndexes = []index{
	{"idx_resource_types_external_sync_v1", tResourceTypes, "external_id, sync_id", ""},
	{"idx_resources_parent_resource_id_v1", tResources, "external_id, sync_id", ""},
	{"idx_entitlements_external_sync_v1", tEntitlements, "external_id, sync_id", ""},
	{"idx_sync_runs_sync_id_v1", tSyncRuns, "sync_id", ""},
	{"idx_grants_external_sync_v1", tGrants, "external_id, sync_id", ""},
	{"idx_assets_external_sync_v1", tAssets, "external_id, sync_id", ""},
	{"idx_session_store_sync_key_v1", tSessions, "sync_id, key", ""},
}

// lookupIndexes serve reads. A bulk load drops them and builds them once
// afterwards, which is more than twice as fast as maintaining them per row.
var lookupIndexes = []index{
	{"idx_resources_resource_type_id_v1", tResources, "resource_type_id", ""},
	{"idx_resources_external_sync_v1", tResources, "parent_resource_type_id, parent_resource_id", ""},
	{"idx_entitlements_resource_id_v1", tEntitlements, "resource_type_id, resource_id", ""},
	{"idx_grants_resource_type_id_resource_id_v1", tGrants, "resource_type_id, resource_id", ""},
	{"idx_grants_principal_id_v1", tGrants, "principal_resource_type_id, principal_resource_id", ""},
	{"idx_grants_entitlement_id_principal_id_v1", tGrants, "entitlement_id, principal_resource_type_id, principal_resource_id", ""},
	{"idx_grants_entitlement_sync_grant_v1", tGrants, "entitlement_id, sync_id, id", ""},
	{"idx_grants_sync_expansion_v1", tGrants, "sync_id", "expansion is not null"},
	{"idx_grants_sync_needs_expansion_v1", tGrants, "sync_id", "needs_expansion = 1"},
}

func createUnique(ix index) string {
	return fmt.Sprintf("create unique index if not exists %s on %s (%s)", ix.name, ix.table, ix.cols)
}

// columns lists a table's column names.
func columns(ctx context.Context, q querier, table string) (map[string]bool, error) {
	rows, err := q.QueryContext(ctx, "select name from pragma_table_info(?)", table)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cols := map[string]bool{}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		cols[n] = true
	}
	return cols, rows.Err()
}

type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// migrate brings any v1 database, from an empty file to the newest layout,
// up to the current schema. It only adds: nothing is dropped or rewritten
// except moving GrantExpandable annotations of old grants into their column.
func migrate(ctx context.Context, db *sql.DB) error {
	if err := setPageSize(ctx, db); err != nil {
		return err
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for _, ddl := range createTables {
		if _, err := tx.ExecContext(ctx, ddl); err != nil {
			return fmt.Errorf("create table: %w", err)
		}
	}
	for table, add := range addedColumns {
		have, err := columns(ctx, tx, table)
		if err != nil {
			return err
		}
		for _, c := range add {
			if have[c.name] {
				continue
			}
			if _, err := tx.ExecContext(ctx, fmt.Sprintf("alter table %s add column %s %s", table, c.name, c.decl)); err != nil {
				return fmt.Errorf("add column %s.%s: %w", table, c.name, err)
			}
		}
	}
	for _, ix := range uniqueIndexes {
		if _, err := tx.ExecContext(ctx, createUnique(ix)); err != nil {
			return fmt.Errorf("create index %s: %w", ix.name, err)
		}
	}
	if err := backfillExpansions(ctx, tx); err != nil {
		return err
	}
	return tx.Commit()
}

// schemaInfo records which optional columns a database has, so a read-only
// store can read files older than the current schema without migrating them.
type schemaInfo struct {
	syncRunCols map[string]bool
	grantHasExp bool
	hasSessions bool
	hasAssets   bool
}

func inspect(ctx context.Context, db *sql.DB) (schemaInfo, error) {
	var si schemaInfo
	rows, err := db.QueryContext(ctx, "select name from sqlite_master where type = 'table'")
	if err != nil {
		return si, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	tables := map[string]bool{}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			rows.Close()
			return si, fmt.Errorf("%w: %v", ErrCorrupt, err)
		}
		tables[n] = true
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return si, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	for _, t := range []string{tResourceTypes, tResources, tEntitlements, tGrants, tSyncRuns} {
		if !tables[t] {
			return si, fmt.Errorf("%w: table %s is missing", ErrCorrupt, t)
		}
	}
	si.hasSessions, si.hasAssets = tables[tSessions], tables[tAssets]
	if si.syncRunCols, err = columns(ctx, db, tSyncRuns); err != nil {
		return si, err
	}
	gc, err := columns(ctx, db, tGrants)
	if err != nil {
		return si, err
	}
	si.grantHasExp = gc["expansion"]
	return si, nil
}

// newPageSize is the page size of databases this package creates: larger
// pages than SQLite's 4 KiB default carry less per-page overhead and give
// zstd longer runs, for files about 10% smaller. Existing files keep theirs.
const newPageSize = 16384

// setPageSize gives a brand-new, empty database the larger page size. The
// page size can only change outside WAL mode and before the first table.
func setPageSize(ctx context.Context, db *sql.DB) error {
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	var tables int
	if err := conn.QueryRowContext(ctx, "select count(*) from sqlite_master").Scan(&tables); err != nil || tables > 0 {
		return err
	}
	for _, q := range []string{"pragma journal_mode=DELETE", fmt.Sprintf("pragma page_size=%d", newPageSize), "vacuum", "pragma journal_mode=WAL"} {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("set page size: %s: %w", q, err)
		}
	}
	return nil
}
