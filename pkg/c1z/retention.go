package c1z

import (
	"context"
	"database/sql"
	"fmt"
)

// Retain keeps the newest keepFull finished full syncs and removes older
// full syncs with their rows, and partial syncs applied to a removed one.
// Unfinished syncs stay (a run may resume them). The file is compacted
// with VACUUM. It returns the ids removed.
func (s *Store) Retain(ctx context.Context, keepFull int) ([]string, error) {
	if err := s.checkWritable(); err != nil {
		return nil, err
	}
	if keepFull < 1 {
		return nil, fmt.Errorf("retain: keep at least one full sync (got %d)", keepFull)
	}
	syncs, err := s.Syncs(ctx)
	if err != nil {
		return nil, err
	}
	var full []SyncRun
	for _, r := range syncs {
		if r.Type == SyncFull && r.Finished() {
			full = append(full, r)
		}
	}
	if len(full) <= keepFull {
		return nil, nil
	}
	drop := map[string]bool{}
	for _, r := range full[:len(full)-keepFull] {
		drop[r.ID] = true
	}
	for _, r := range syncs {
		if r.ParentID != "" && drop[r.ParentID] && r.Finished() {
			drop[r.ID] = true
		}
	}
	var removed []string
	err = s.withTx(ctx, func(tx *sql.Tx) error {
		for id := range drop {
			for _, t := range []string{tResourceTypes, tResources, tEntitlements, tGrants, tAssets, tSessions, tSyncRuns} {
				if (t == tAssets && !s.schema.hasAssets) || (t == tSessions && !s.schema.hasSessions) {
					continue
				}
				if _, err := tx.ExecContext(ctx, "delete from "+t+" where sync_id = ?", id); err != nil {
					return fmt.Errorf("retain: delete %s of sync %s: %w", t, id, err)
				}
			}
			removed = append(removed, id)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	if _, err := s.db.ExecContext(ctx, "vacuum"); err != nil {
		return removed, fmt.Errorf("retain: vacuum: %w", err)
	}
	return removed, nil
}
