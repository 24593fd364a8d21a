package c1z

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
)

// Export writes sync syncID (empty: the default sync) alone into a new c1z
// at dest, for handing one snapshot to someone without the file's history.
// dest must not exist.
func (rd *Reader) Export(ctx context.Context, syncID, dest string, opts ...Option) (err error) {
	s := rd.s
	id, err := s.resolveSync(ctx, syncID)
	if err != nil {
		return err
	}
	if _, err := s.SyncRun(ctx, id); err != nil {
		return err
	}
	if err := s.need(ctx); err != nil {
		return err
	}
	if _, err := os.Lstat(dest); !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("export to %s: the file exists; choose a new name", dest)
	}
	if !s.readOnly {
		// Make everything committed visible to another connection.
		if _, err := s.db.ExecContext(ctx, "pragma wal_checkpoint(PASSIVE)"); err != nil {
			return err
		}
	}
	out, err := Open(ctx, dest, opts...)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			out.Discard()
		}
	}()
	if err := copySync(ctx, out, s.dbPath, id); err != nil {
		return err
	}
	out.dirty.Store(true)
	return out.Close(ctx)
}

// copySync copies one sync's rows from the database at srcPath into out,
// on one connection that is released before out is saved.
func copySync(ctx context.Context, out *Store, srcPath, id string) error {
	conn, err := out.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "attach database ? as src", srcPath); err != nil {
		return fmt.Errorf("attach source: %w", err)
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), "detach database src")
	for _, table := range []string{tResourceTypes, tResources, tEntitlements, tGrants, tAssets, tSessions, tSyncRuns} {
		cols, err := sharedColumns(ctx, conn, table, "src")
		if err != nil {
			return err
		}
		if cols == "" {
			continue // the source predates this table
		}
		q := fmt.Sprintf("insert into main.%s (%s) select %s from src.%s where sync_id = ? order by id", table, cols, cols, table)
		if _, err := conn.ExecContext(ctx, q, id); err != nil {
			return fmt.Errorf("copy %s: %w", table, err)
		}
	}
	return nil
}
