package c1z

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"strings"
)

// writeWith runs fn in one write transaction of s on a connection that
// also sees other's database, read-only, as schema "other" — or, when
// other is s, as "main" too, so one SQL text serves both cases. The
// operations that combine two syncs (diffs, compaction) write through it.
func (s *Store) writeWith(ctx context.Context, other *Store, fn func(tx *sql.Tx, schema string) error) error {
	if err := s.checkWritable(); err != nil {
		return err
	}
	if err := other.checkOpen(); err != nil {
		return err
	}
	for _, st := range []*Store{s, other} {
		if err := st.flush(ctx); err != nil {
			return err
		}
		if err := st.need(ctx); err != nil {
			return err
		}
	}
	if other != s && !other.readOnly {
		// Another connection reads only what is checkpointed or in the
		// WAL it can see; make the other store's commits visible.
		if _, err := other.db.ExecContext(ctx, "pragma wal_checkpoint(PASSIVE)"); err != nil {
			return err
		}
	}
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	schema := "main"
	if other != s {
		uri := (&url.URL{Scheme: "file", Path: other.dbPath, RawQuery: "mode=ro"}).String()
		if _, err := conn.ExecContext(ctx, "attach database ? as other", uri); err != nil {
			return fmt.Errorf("open %s beside %s: %w", other.path, s.path, err)
		}
		defer conn.ExecContext(context.WithoutCancel(ctx), "detach database other")
		schema = "other"
	}
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := fn(tx, schema); err != nil {
		return s.spaceHint(err)
	}
	if err := tx.Commit(); err != nil {
		return s.spaceHint(err)
	}
	s.dirty.Store(true)
	return nil
}

// sharedColumns lists, comma-separated, the columns other than the row id
// that table has in both schemas: files written by older versions lack
// some, and only what both hold can be copied.
func sharedColumns(ctx context.Context, q querier, table, schema string) (string, error) {
	mine, err := columns(ctx, q, table)
	if err != nil {
		return "", err
	}
	rows, err := q.QueryContext(ctx, "select name from pragma_table_info(?, ?)", table, schema)
	if err != nil {
		return "", err
	}
	defer rows.Close()
	var cols []string
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			return "", err
		}
		if c != "id" && mine[c] {
			cols = append(cols, c)
		}
	}
	return strings.Join(cols, ", "), rows.Err()
}

// selectAs is cols with sync_id replaced by a placeholder, for copying rows
// into another sync.
func selectAs(cols string) string {
	parts := strings.Split(cols, ", ")
	for i, c := range parts {
		if c == "sync_id" {
			parts[i] = "? as sync_id"
		}
	}
	return strings.Join(parts, ", ")
}
