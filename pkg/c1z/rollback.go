package c1z

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"google.golang.org/protobuf/proto"

	connectorv2 "github.com/batonkit/batonkit/pb/c1/connector/v2"
	"github.com/batonkit/batonkit/pkg/annotations"
)

// ErrNotExpandable: a rollback of grant expansion, or an amendment, was
// asked of an unfinished sync: its expansion state lives in its resume
// token, which either would strand.
var ErrNotExpandable = errors.New("grant expansion cannot be rolled back")

// Rollback is what SyncWriter.RollbackExpansion did, or would do on a dry run.
type Rollback struct {
	SyncID string
	// Deleted counts grants that existed only through expansion.
	Deleted int
	// Cleared counts direct grants expansion had added sources to; their
	// sources are emptied, as they were before expansion.
	Cleared int
	// Suspect counts grants with sources, none of them their own
	// entitlement, and without the GrantImmutable mark every grant the
	// expander creates carries: possibly a connector's own. They are
	// deleted (and counted in Deleted) unless KeepSuspect is set.
	Suspect int
	// Kept counts suspect grants kept because of KeepSuspect.
	Kept int
}

// RollbackOptions tune RollbackExpansion and PlanRollback.
type RollbackOptions struct {
	KeepSuspect bool // keep suspect grants instead of deleting them
}

// PlanRollback counts what RollbackExpansion would do, changing nothing.
func (rd *Reader) PlanRollback(ctx context.Context, syncID string, opts RollbackOptions) (Rollback, error) {
	return rd.s.rollback(ctx, syncID, opts, true)
}

func (s *Store) rollback(ctx context.Context, syncID string, opts RollbackOptions, dryRun bool) (Rollback, error) {
	res := Rollback{SyncID: syncID}
	if !dryRun {
		if err := s.checkWritable(); err != nil {
			return res, err
		}
	}
	run, err := s.SyncRun(ctx, syncID)
	if err != nil {
		return res, err
	}
	if !run.Finished() {
		return res, fmt.Errorf("%w: sync %s is unfinished", ErrNotExpandable, syncID)
	}
	if err := s.flush(ctx); err != nil {
		return res, err
	}
	if err := s.need(ctx); err != nil {
		return res, err
	}
	type change struct {
		id   int64
		data []byte // nil: delete
	}
	var after int64
	for {
		rows, err := s.db.QueryContext(ctx, "select id, entitlement_id, data from v1_grants where sync_id = ? and id > ? order by id limit ?", syncID, after, streamChunk)
		if err != nil {
			return res, s.readErr(tGrants, err)
		}
		var changes []change
		n := 0
		for rows.Next() {
			var ent string
			var data []byte
			if err := rows.Scan(&after, &ent, &data); err != nil {
				rows.Close()
				return res, s.readErr(tGrants, err)
			}
			n++
			g := &connectorv2.Grant{}
			if err := proto.Unmarshal(data, g); err != nil {
				rows.Close()
				return res, fmt.Errorf("%w: grant row %d: %v", ErrCorrupt, after, err)
			}
			sources := g.GetSources().GetSources()
			switch {
			case len(sources) == 0:
			case sources[ent] != nil:
				g.Sources = nil
				b, err := proto.MarshalOptions{Deterministic: true}.Marshal(g)
				if err != nil {
					rows.Close()
					return res, err
				}
				res.Cleared++
				changes = append(changes, change{id: after, data: b})
			default:
				if !annotations.Annotations(g.GetAnnotations()).Contains(&connectorv2.GrantImmutable{}) {
					res.Suspect++
					if opts.KeepSuspect {
						res.Kept++
						continue
					}
				}
				res.Deleted++
				changes = append(changes, change{id: after})
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return res, s.readErr(tGrants, err)
		}
		if !dryRun && len(changes) > 0 {
			err := s.withTx(ctx, func(tx *sql.Tx) error {
				for _, c := range changes {
					var err error
					if c.data == nil {
						_, err = tx.ExecContext(ctx, "delete from v1_grants where id = ?", c.id)
					} else {
						_, err = tx.ExecContext(ctx, "update v1_grants set data = ? where id = ?", c.data, c.id)
					}
					if err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				return res, err
			}
		}
		if n < streamChunk {
			break
		}
	}
	if dryRun || !s.schema.grantHasExp {
		return res, nil
	}
	return res, s.withTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, "update v1_grants set needs_expansion = 1 where sync_id = ? and expansion is not null", syncID)
		return err
	})
}
