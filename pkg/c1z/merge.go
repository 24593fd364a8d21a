package c1z

import (
	"context"
	"database/sql"
	"fmt"
)

// mergeTables are the tables a merge folds: the objects and their assets.
// Session entries belong to the run that wrote them and are not merged.
var mergeTables = []string{tResourceTypes, tResources, tEntitlements, tGrants, tAssets}

// applySync is SyncWriter.Apply of the writer of sync into.
func (s *Store) applySync(ctx context.Context, into string, from *Reader, srcID string) error {
	src := from.s
	target, err := s.SyncRun(ctx, into)
	if err != nil {
		return err
	}
	if target.Finished() {
		return fmt.Errorf("%w: %s", ErrSyncEnded, into)
	}
	run, err := src.SyncRun(ctx, srcID)
	if err != nil {
		return err
	}
	if !run.Finished() {
		return fmt.Errorf("%w: sync %s of %s is unfinished; only finished syncs can be applied", ErrNoSync, srcID, src.path)
	}
	return s.writeWith(ctx, src, func(tx *sql.Tx, from string) error {
		for _, table := range mergeTables {
			if table == tAssets && (!src.schema.hasAssets || !s.schema.hasAssets) {
				continue
			}
			if err := applyTable(ctx, tx, table, from, into, srcID, run.Type); err != nil {
				return fmt.Errorf("apply %s sync %s to %s: %w", run.Type, srcID, table, err)
			}
		}
		return nil
	})
}

func applyTable(ctx context.Context, tx *sql.Tx, table, from, into, srcID string, typ SyncType) error {
	cols, err := sharedColumns(ctx, tx, table, from)
	if err != nil {
		return err
	}
	copyRows := func(cond string) error {
		q := fmt.Sprintf(`insert or replace into main.%[1]s (%[2]s) select %[3]s from %[4]s.%[1]s a where a.sync_id = ? %[5]s order by a.id`,
			table, cols, selectAs(cols), from, cond)
		args := []any{into, srcID}
		if cond != "" {
			args = append(args, into)
		}
		_, err := tx.ExecContext(ctx, q, args...)
		return err
	}
	switch typ {
	case SyncFull:
		if _, err := tx.ExecContext(ctx, "delete from main."+table+" where sync_id = ?", into); err != nil {
			return err
		}
		return copyRows("")
	case SyncPartialUpserts:
		return copyRows("")
	case SyncPartialDeletions:
		_, err := tx.ExecContext(ctx, fmt.Sprintf(`delete from main.%[1]s where sync_id = ? and external_id in
			(select external_id from %[2]s.%[1]s where sync_id = ?)`, table, from), into, srcID)
		return err
	case SyncPartial:
		// A targeted sync lists the whole of each resource it synced: an
		// entitlement or grant on one of them that it lacks is gone from
		// the app (Baton's merge keeps it; a full sync would not list it).
		if table == tEntitlements || table == tGrants {
			q := fmt.Sprintf(`delete from main.%[1]s where sync_id = ?
				and exists (select 1 from %[2]s.v1_resources r where r.sync_id = ? and r.resource_type_id = main.%[1]s.resource_type_id and r.external_id = main.%[1]s.resource_type_id || ':' || main.%[1]s.resource_id)
				and not exists (select 1 from %[2]s.%[1]s a where a.sync_id = ? and a.external_id = main.%[1]s.external_id)`, table, from)
			if _, err := tx.ExecContext(ctx, q, into, srcID, srcID); err != nil {
				return err
			}
		}
		fallthrough
	default:
		return copyRows(fmt.Sprintf(`and not exists (select 1 from main.%s m where m.external_id = a.external_id and m.sync_id = ? and m.discovered_at > a.discovered_at)`, table))
	}
}
