package c1z

import (
	"context"
	"fmt"
	"slices"

	"google.golang.org/protobuf/proto"

	c1zv1 "github.com/batonkit/batonkit/pb/c1/c1z/v1"
	connectorv2 "github.com/batonkit/batonkit/pb/c1/connector/v2"
)

// Change says how an object differs between a base and an applied sync.
type Change int

// The kinds of change.
const (
	Created  Change = iota + 1 // only in the applied sync
	Deleted                    // only in the base sync (the base version is reported)
	Modified                   // in both with different contents (the applied version is reported)
)

func (c Change) String() string {
	switch c {
	case Created:
		return "created"
	case Deleted:
		return "deleted"
	case Modified:
		return "modified"
	}
	return fmt.Sprintf("Change(%d)", int(c))
}

// DiffEach streams every difference between two syncs of this file, kind
// by kind (resources, entitlements, grants) and change by change. Objects
// are matched by external id and compared by their stored encoding. fn
// receives *connectorv2.Resource, *connectorv2.Entitlement or
// *connectorv2.Grant; returning an error stops the walk.
func (s *Store) DiffEach(ctx context.Context, baseID, appliedID string, fn func(change Change, obj proto.Message) error) error {
	if err := s.checkOpen(); err != nil {
		return err
	}
	if err := s.flush(ctx); err != nil {
		return err
	}
	for _, id := range []string{baseID, appliedID} {
		if _, err := s.SyncRun(ctx, id); err != nil {
			return err
		}
	}
	kinds := []struct {
		table  string
		newMsg func() proto.Message
	}{
		{tResources, func() proto.Message { return &connectorv2.Resource{} }},
		{tEntitlements, func() proto.Message { return &connectorv2.Entitlement{} }},
		{tGrants, func() proto.Message { return &connectorv2.Grant{} }},
	}
	for _, k := range kinds {
		for _, c := range []Change{Created, Deleted, Modified} {
			if err := s.diffTable(ctx, k.table, c, baseID, appliedID, k.newMsg, fn); err != nil {
				return err
			}
		}
	}
	return nil
}

func (s *Store) diffTable(ctx context.Context, table string, c Change, baseID, appliedID string, newMsg func() proto.Message, fn func(Change, proto.Message) error) error {
	var q string
	var args []any
	switch c {
	case Created, Deleted:
		from, other := appliedID, baseID
		if c == Deleted {
			from, other = baseID, appliedID
		}
		q = "select a.id, a.data from " + table + " a where a.sync_id = ? and a.id > ? and not exists " +
			"(select 1 from " + table + " b where b.external_id = a.external_id and b.sync_id = ?) order by a.id limit ?"
		args = []any{from, 0, other, streamChunk}
	case Modified:
		q = "select a.id, a.data from " + table + " a join " + table + " b on b.external_id = a.external_id and b.sync_id = ? " +
			"where a.sync_id = ? and a.id > ? and a.data != b.data order by a.id limit ?"
		args = []any{baseID, appliedID, 0, streamChunk}
	}
	afterArg := slices.Index(args, any(0))
	for {
		rows, err := s.db.QueryContext(ctx, q, args...)
		if err != nil {
			return s.readErr(table, err)
		}
		var batch []rawRow
		for rows.Next() {
			var r rawRow
			if err := rows.Scan(&r.id, &r.data); err != nil {
				rows.Close()
				return s.readErr(table, err)
			}
			batch = append(batch, r)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return s.readErr(table, err)
		}
		for _, r := range batch {
			m := newMsg()
			if err := proto.Unmarshal(r.data, m); err != nil {
				return fmt.Errorf("%w: %s row %d: %v", ErrCorrupt, table, r.id, err)
			}
			if err := fn(c, m); err != nil {
				return err
			}
		}
		if len(batch) < streamChunk {
			return nil
		}
		args[afterArg] = batch[len(batch)-1].id
	}
}

// Diff collects every difference between two syncs into one message, the
// shape `baton diff -o json` prints. Use DiffEach to stream instead.
func (s *Store) Diff(ctx context.Context, baseID, appliedID string) (*c1zv1.C1ZDiffOutput, error) {
	out := &c1zv1.C1ZDiffOutput{Resources: &c1zv1.ResourceDiff{}, Entitlements: &c1zv1.EntitlementDiff{}, Grants: &c1zv1.GrantDiff{}}
	err := s.DiffEach(ctx, baseID, appliedID, func(c Change, m proto.Message) error {
		switch m := m.(type) {
		case *connectorv2.Resource:
			out.Resources.Created, out.Resources.Deleted, out.Resources.Modified = appendChange(c, m, out.Resources.Created, out.Resources.Deleted, out.Resources.Modified)
		case *connectorv2.Entitlement:
			out.Entitlements.Created, out.Entitlements.Deleted, out.Entitlements.Modified = appendChange(c, m, out.Entitlements.Created, out.Entitlements.Deleted, out.Entitlements.Modified)
		case *connectorv2.Grant:
			out.Grants.Created, out.Grants.Deleted, out.Grants.Modified = appendChange(c, m, out.Grants.Created, out.Grants.Deleted, out.Grants.Modified)
		}
		return nil
	})
	return out, err
}

func appendChange[T any](c Change, m T, created, deleted, modified []T) ([]T, []T, []T) {
	switch c {
	case Created:
		created = append(created, m)
	case Deleted:
		deleted = append(deleted, m)
	case Modified:
		modified = append(modified, m)
	}
	return created, deleted, modified
}

// LatestTwoFullSyncs returns the ids of the two newest finished full syncs,
// older first: the default base and applied syncs of a diff.
func (s *Store) LatestTwoFullSyncs(ctx context.Context) (base, applied string, err error) {
	syncs, err := s.Syncs(ctx)
	if err != nil {
		return "", "", err
	}
	var full []string
	for _, r := range syncs {
		if r.Type == SyncFull && r.Finished() {
			full = append(full, r.ID)
		}
	}
	if len(full) < 2 {
		return "", "", fmt.Errorf("%w: a diff needs two finished full syncs, the file has %d", ErrNoSync, len(full))
	}
	return full[len(full)-2], full[len(full)-1], nil
}
