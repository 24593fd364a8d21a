package c1z

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"iter"

	"google.golang.org/protobuf/proto"

	connectorv2 "github.com/batonkit/batonkit/pb/c1/connector/v2"
	"github.com/batonkit/batonkit/pkg/internal/syncwrite"
)

// expandableGrants streams the grants of a sync still waiting for grant
// expansion, reading only the columns expansion needs.
func (s *Store) expandableGrants(ctx context.Context, syncID string) iter.Seq2[syncwrite.ExpandableGrant, error] {
	return func(yield func(syncwrite.ExpandableGrant, error) bool) {
		if err := s.flush(ctx); err != nil {
			yield(syncwrite.ExpandableGrant{}, err)
			return
		}
		if err := s.need(ctx); err != nil {
			yield(syncwrite.ExpandableGrant{}, err)
			return
		}
		if !s.schema.grantHasExp {
			return
		}
		var after int64
		for {
			rows, err := s.db.QueryContext(ctx, `select id, entitlement_id, principal_resource_type_id, principal_resource_id, expansion
				from v1_grants where sync_id = ? and needs_expansion = 1 and expansion is not null and id > ? order by id limit ?`, syncID, after, streamChunk)
			if err != nil {
				yield(syncwrite.ExpandableGrant{}, s.readErr(tGrants, err))
				return
			}
			var batch []syncwrite.ExpandableGrant
			for rows.Next() {
				var eg syncwrite.ExpandableGrant
				var pt, pid string
				var exp []byte
				if err := rows.Scan(&after, &eg.EntitlementID, &pt, &pid, &exp); err != nil {
					rows.Close()
					yield(syncwrite.ExpandableGrant{}, s.readErr(tGrants, err))
					return
				}
				eg.Principal = &connectorv2.ResourceId{ResourceType: pt, Resource: pid}
				eg.Expansion = &connectorv2.GrantExpandable{}
				if err := proto.Unmarshal(exp, eg.Expansion); err != nil {
					rows.Close()
					yield(syncwrite.ExpandableGrant{}, fmt.Errorf("%w: grant row %d expansion: %v", ErrCorrupt, after, err))
					return
				}
				batch = append(batch, eg)
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				yield(syncwrite.ExpandableGrant{}, s.readErr(tGrants, err))
				return
			}
			for _, eg := range batch {
				if !yield(eg, nil) {
					return
				}
			}
			if len(batch) < streamChunk {
				return
			}
		}
	}
}

// markExpanded records that grant expansion of a sync is complete.
func (s *Store) markExpanded(ctx context.Context, syncID string) error {
	if err := s.checkWritable(); err != nil {
		return err
	}
	return s.withTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, "update v1_grants set needs_expansion = 0 where sync_id = ? and needs_expansion = 1", syncID)
		return err
	})
}

// GrantExpansion returns how grant id of a sync passes its entitlement on
// (its GrantExpandable, kept apart from the stored grant), or nil when it
// does not.
func (rd *Reader) GrantExpansion(ctx context.Context, syncID, id string) (*connectorv2.GrantExpandable, error) {
	s := rd.s
	if err := s.flush(ctx); err != nil {
		return nil, err
	}
	if err := s.need(ctx); err != nil {
		return nil, err
	}
	if !s.schema.grantHasExp {
		return nil, nil
	}
	var exp []byte
	err := s.db.QueryRowContext(ctx, "select expansion from v1_grants where sync_id = ? and external_id = ?", syncID, id).Scan(&exp)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil, notFound(tGrants, id, syncID)
	case err != nil:
		return nil, s.readErr(tGrants, err)
	case exp == nil:
		return nil, nil
	}
	ge := &connectorv2.GrantExpandable{}
	if err := proto.Unmarshal(exp, ge); err != nil {
		return nil, fmt.Errorf("%w: grant %s expansion: %v", ErrCorrupt, id, err)
	}
	return ge, nil
}

// deleteGrants removes grants of a sync by id (ids it lacks are ignored).
func (s *Store) deleteGrants(ctx context.Context, syncID string, ids ...string) error {
	if err := s.checkWritable(); err != nil {
		return err
	}
	return s.withTx(ctx, func(tx *sql.Tx) error {
		for _, id := range ids {
			if _, err := tx.ExecContext(ctx, "delete from v1_grants where sync_id = ? and external_id = ?", syncID, id); err != nil {
				return err
			}
		}
		return nil
	})
}
