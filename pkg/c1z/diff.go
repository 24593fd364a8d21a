package c1z

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"iter"
	"net/url"
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

// Difference is one object that differs between a base and an applied
// sync.
type Difference struct {
	Change Change
	// Object is the applied version (Created, Modified) or the base
	// version (Deleted): a *connectorv2.Resource, *connectorv2.Entitlement
	// or *connectorv2.Grant.
	Object proto.Message
	// Base is the base version of a Modified object.
	Base proto.Message
	// Fields names what differs in a Modified object, by JSON name; an
	// annotation is named by its type and the fields that differ in it
	// ("annotations.UserTrait.status").
	Fields []string
}

// Compare streams every difference between sync baseID of s and sync
// appliedID of applied, which may be this store's reader or another file's (the sync
// before and after a migration, two environments): kind by kind
// (resources, entitlements, grants) and change by change. Objects are
// matched by external id and compared by their stored encoding; Modified
// objects also carry their base version and the fields that differ. A
// failure ends the stream with the error.
//
//	for d, err := range st.Compare(ctx, base, st, applied) { ... }
func (rd *Reader) Compare(ctx context.Context, baseID string, applied *Reader, appliedID string) iter.Seq2[Difference, error] {
	s := rd.s
	return walk(func(fn func(Difference) error) error { return s.compare(ctx, baseID, applied.s, appliedID, fn) })
}

// walk turns a walk that calls fn into an iterator: a consumer that stops
// early ends the walk.
func walk(run func(fn func(Difference) error) error) iter.Seq2[Difference, error] {
	return func(yield func(Difference, error) bool) {
		stopped := false
		err := run(func(d Difference) error {
			if !yield(d, nil) {
				stopped = true
				return errStopWalk
			}
			return nil
		})
		if err != nil && !stopped {
			yield(Difference{}, err)
		}
	}
}

// errStopWalk ends a walk whose consumer stopped.
var errStopWalk = errors.New("stop")

func (s *Store) compare(ctx context.Context, baseID string, applied *Store, appliedID string, fn func(Difference) error) error {
	for _, st := range []*Store{s, applied} {
		if err := st.checkOpen(); err != nil {
			return err
		}
		if err := st.flush(ctx); err != nil {
			return err
		}
		if err := st.need(ctx); err != nil {
			return err
		}
	}
	if _, err := s.SyncRun(ctx, baseID); err != nil {
		return err
	}
	if _, err := applied.SyncRun(ctx, appliedID); err != nil {
		return err
	}
	// One connection sees both databases: the other file is attached to
	// it, read-only, for the length of the walk.
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	d := differ{conn: conn, base: "main.", applied: "main.", baseID: baseID, appliedID: appliedID, fn: fn}
	if applied != s {
		uri := (&url.URL{Scheme: "file", Path: applied.dbPath, RawQuery: "mode=ro"}).String()
		if _, err := conn.ExecContext(ctx, "attach database ? as applied", uri); err != nil {
			return fmt.Errorf("compare with %s: %w", applied.path, err)
		}
		defer conn.ExecContext(context.WithoutCancel(ctx), "detach database applied")
		d.applied = "applied."
	}
	for _, k := range diffKinds {
		for _, c := range []Change{Created, Deleted, Modified} {
			if err := d.table(ctx, k.table, c, k.newMsg); err != nil {
				return err
			}
		}
	}
	return nil
}

// diffKinds are the tables a diff reports, in its order.
var diffKinds = []struct {
	table  string
	newMsg func() proto.Message
}{
	{tResources, func() proto.Message { return &connectorv2.Resource{} }},
	{tEntitlements, func() proto.Message { return &connectorv2.Entitlement{} }},
	{tGrants, func() proto.Message { return &connectorv2.Grant{} }},
}

// differ walks one table of two syncs on one connection.
type differ struct {
	conn              *sql.Conn
	base, applied     string // schema prefixes
	baseID, appliedID string
	fn                func(Difference) error
}

func (d differ) table(ctx context.Context, table string, c Change, newMsg func() proto.Message) error {
	var q string
	var args []any
	switch c {
	case Created, Deleted:
		fromDB, from, otherDB, other := d.applied, d.appliedID, d.base, d.baseID
		if c == Deleted {
			fromDB, from, otherDB, other = d.base, d.baseID, d.applied, d.appliedID
		}
		q = "select a.id, a.data, null from " + fromDB + table + " a where a.sync_id = ? and a.id > ? and not exists " +
			"(select 1 from " + otherDB + table + " b where b.external_id = a.external_id and b.sync_id = ?) order by a.id limit ?"
		args = []any{from, 0, other, streamChunk}
	case Modified:
		q = "select a.id, a.data, b.data from " + d.applied + table + " a join " + d.base + table + " b on b.external_id = a.external_id and b.sync_id = ? " +
			"where a.sync_id = ? and a.id > ? and a.data != b.data order by a.id limit ?"
		args = []any{d.baseID, d.appliedID, 0, streamChunk}
	}
	afterArg := slices.Index(args, any(0))
	type pair struct {
		id         int64
		data, base []byte
	}
	for {
		rows, err := d.conn.QueryContext(ctx, q, args...)
		if err != nil {
			return fmt.Errorf("%w: diff %s: %v", ErrCorrupt, table, err)
		}
		var batch []pair
		for rows.Next() {
			var r pair
			if err := rows.Scan(&r.id, &r.data, &r.base); err != nil {
				rows.Close()
				return fmt.Errorf("%w: diff %s: %v", ErrCorrupt, table, err)
			}
			batch = append(batch, r)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("%w: diff %s: %v", ErrCorrupt, table, err)
		}
		for _, r := range batch {
			diff := Difference{Change: c, Object: newMsg()}
			if err := proto.Unmarshal(r.data, diff.Object); err != nil {
				return fmt.Errorf("%w: %s row %d: %v", ErrCorrupt, table, r.id, err)
			}
			if c == Modified {
				diff.Base = newMsg()
				if err := proto.Unmarshal(r.base, diff.Base); err != nil {
					return fmt.Errorf("%w: %s (base) of row %d: %v", ErrCorrupt, table, r.id, err)
				}
				diff.Fields = ChangedFields(diff.Base, diff.Object)
			}
			if err := d.fn(diff); err != nil {
				return err
			}
		}
		if len(batch) < streamChunk {
			return nil
		}
		args[afterArg] = batch[len(batch)-1].id
	}
}

// Diff collects every difference between two syncs of this file into one
// message, the shape `baton diff -o json` prints. Compare streams instead.
func (rd *Reader) Diff(ctx context.Context, baseID, appliedID string) (*c1zv1.C1ZDiffOutput, error) {
	s := rd.s
	out := &c1zv1.C1ZDiffOutput{Resources: &c1zv1.ResourceDiff{}, Entitlements: &c1zv1.EntitlementDiff{}, Grants: &c1zv1.GrantDiff{}}
	for d, err := range s.Compare(ctx, baseID, s.Reader, appliedID) {
		if err != nil {
			return out, err
		}
		switch m := d.Object.(type) {
		case *connectorv2.Resource:
			out.Resources.Created, out.Resources.Deleted, out.Resources.Modified = appendChange(d.Change, m, out.Resources.Created, out.Resources.Deleted, out.Resources.Modified)
		case *connectorv2.Entitlement:
			out.Entitlements.Created, out.Entitlements.Deleted, out.Entitlements.Modified = appendChange(d.Change, m, out.Entitlements.Created, out.Entitlements.Deleted, out.Entitlements.Modified)
		case *connectorv2.Grant:
			out.Grants.Created, out.Grants.Deleted, out.Grants.Modified = appendChange(d.Change, m, out.Grants.Created, out.Grants.Deleted, out.Grants.Modified)
		}
	}
	return out, nil
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
func (rd *Reader) LatestTwoFullSyncs(ctx context.Context) (base, applied string, err error) {
	s := rd.s
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
