package c1z

import (
	"context"
	"errors"
	"iter"
	"sync"

	"google.golang.org/protobuf/proto"

	connectorv2 "github.com/batonkit/batonkit/pb/c1/connector/v2"
	"github.com/batonkit/batonkit/pkg/c1z/internal/v3file"
)

// Views join an object with the objects it refers to, in one query, for
// readers such as the CLI that print them together. Referenced objects
// missing from the sync are nil.

// ResourceView is a resource with its parent.
type ResourceView struct {
	Resource *connectorv2.Resource
	Parent   *connectorv2.Resource
}

// EntitlementView is an entitlement with the resource it is on.
type EntitlementView struct {
	Entitlement *connectorv2.Entitlement
	Resource    *connectorv2.Resource
}

// GrantView is a grant with its entitlement, the entitlement's resource
// and the principal, as stored in the same sync. Views of one listing
// share messages (the entitlement and resource of a run of grants, and
// the entitlement grants embed alike): treat them as read-only, and
// clone one before changing it.
type GrantView struct {
	Grant       *connectorv2.Grant
	Entitlement *connectorv2.Entitlement
	Resource    *connectorv2.Resource
	Principal   *connectorv2.Resource
}

// ResourceViews streams the resources q selects with their parents.
func (rd *Reader) ResourceViews(ctx context.Context, q ResourceQuery) iter.Seq2[ResourceView, error] {
	s := rd.s
	if v3, id, err := s.direct(ctx, q.SyncID); err != nil {
		return errSeq[ResourceView](err)
	} else if v3 != nil && q.Parent == nil {
		return v3Resources(ctx, v3, id, q.ResourceTypeID, func(res *v3file.Seeker, r *connectorv2.Resource) (ResourceView, error) {
			p, err := res.Get(r.GetParentResourceId())
			return ResourceView{Resource: r, Parent: p}, err
		})
	}
	w, err := s.resourceWhere(ctx, q)
	query := `select a.id, a.external_id, a.data, p.data from v1_resources a
		left join v1_resources p on p.sync_id = a.sync_id and p.external_id = a.parent_resource_type_id || ':' || a.parent_resource_id
		where ` + w.sql("a") + ` and a.id > ? order by a.id limit ?`
	return joined(ctx, s, tResources, query, w, err, func(row joinedRow) (ResourceView, error) {
		cols := row.cols
		var v ResourceView
		var err error
		if v.Resource, err = decodeAs[*connectorv2.Resource](cols[0], true); err == nil {
			v.Parent, err = decodeAs[*connectorv2.Resource](cols[1], false)
		}
		return v, err
	})
}

// EntitlementViews streams the entitlements q selects with their resources.
func (rd *Reader) EntitlementViews(ctx context.Context, q EntitlementQuery) iter.Seq2[EntitlementView, error] {
	s := rd.s
	if v3, id, err := s.direct(ctx, q.SyncID); err != nil {
		return errSeq[EntitlementView](err)
	} else if v3 != nil {
		return v3Entitlements(ctx, v3, id, q, func(res *v3file.Seeker, e *connectorv2.Entitlement) (EntitlementView, error) {
			r, err := res.Get(e.GetResource().GetId())
			return EntitlementView{Entitlement: e, Resource: r}, err
		})
	}
	w, err := s.entitlementWhere(ctx, q)
	query := `select a.id, a.external_id, a.data, r.data from v1_entitlements a
		left join v1_resources r on r.sync_id = a.sync_id and r.external_id = a.resource_type_id || ':' || a.resource_id
		where ` + w.sql("a") + ` and a.id > ? order by a.id limit ?`
	return joined(ctx, s, tEntitlements, query, w, err, func(row joinedRow) (EntitlementView, error) {
		cols := row.cols
		var v EntitlementView
		var err error
		if v.Entitlement, err = decodeAs[*connectorv2.Entitlement](cols[0], true); err == nil {
			v.Resource, err = decodeAs[*connectorv2.Resource](cols[1], false)
		}
		return v, err
	})
}

// GrantViews streams the grants q selects with what they refer to.
func (rd *Reader) GrantViews(ctx context.Context, q GrantQuery) iter.Seq2[GrantView, error] {
	s := rd.s
	if v3, id, err := s.direct(ctx, q.SyncID); err != nil {
		return errSeq[GrantView](err)
	} else if v3 != nil {
		if seq, ok, err := v3Grants(ctx, v3, id, q); err != nil {
			return errSeq[GrantView](err)
		} else if ok {
			return seq
		}
	}
	w, err := s.grantWhere(ctx, q)
	// Only the principal is joined: grants come in entitlement order, so
	// the entitlement and its resource repeat down a run of rows, and
	// joining them would copy the same bytes out of SQLite for every row.
	// They are read once per chunk instead, on the goroutine reading the
	// rows, and handed to the rows (refs). Views hand out the same
	// message for rows that refer to (or embed) the same object: readers
	// must not modify referenced objects.
	query := `select a.id, a.external_id, a.data, a.entitlement_id, a.resource_type_id || ':' || a.resource_id, p.data from v1_grants a
		left join v1_resources p on p.sync_id = a.sync_id and p.external_id = a.principal_resource_type_id || ':' || a.principal_resource_id
		where ` + w.sql("a") + ` and a.id > ? order by a.id limit ?`
	syncID := w.value("sync_id")
	ents := newRefs(s, tEntitlements, syncID, newEntitlement)
	res := newRefs(s, tResources, syncID, newResource)
	var embedded lastEntitlement
	prepare := func(ctx context.Context, rows []joinedRow) error {
		if err := ents.load(ctx, rows, 1); err != nil {
			return err
		}
		return res.load(ctx, rows, 2)
	}
	return joinedWith(ctx, s, tGrants, query, w, err, prepare, func(row joinedRow) (GrantView, error) {
		var v GrantView
		var err error
		if v.Grant, err = embedded.decodeGrant(row.cols[0]); err != nil {
			return v, err
		}
		if v.Entitlement, err = refAt[*connectorv2.Entitlement](row, 0); err != nil {
			return v, err
		}
		if v.Resource, err = refAt[*connectorv2.Resource](row, 1); err != nil {
			return v, err
		}
		v.Principal, err = decodeAs[*connectorv2.Resource](row.cols[3], false)
		return v, err
	})
}

func decodeAs[T interface {
	proto.Message
	*E
}, E any](data []byte, required bool) (T, error) {
	if data == nil {
		if required {
			return nil, errors.New("row without data")
		}
		return nil, nil
	}
	m := T(new(E))
	if err := proto.Unmarshal(data, m); err != nil {
		return nil, err
	}
	return m, nil
}

// joined streams a view query in chunks. Reading rows from SQLite and
// decoding them each take about half the time of a large listing, so
// they run on two goroutines, a chunk apart, and the caller's own work
// (printing) overlaps both.
func joined[V any](ctx context.Context, s *Store, table, query string, w *where, werr error, decode func(joinedRow) (V, error)) iter.Seq2[V, error] {
	return joinedWith(ctx, s, table, query, w, werr, nil, decode)
}

// joinedWith is joined with prepare, when set, called with each chunk
// as it is read, on the reading goroutine: it may read more for the rows
// (their refs) before they go to be decoded.
func joinedWith[V any](ctx context.Context, s *Store, table, query string, w *where, werr error,
	prepare func(context.Context, []joinedRow) error, decode func(joinedRow) (V, error)) iter.Seq2[V, error] {
	if werr != nil {
		return errSeq[V](werr)
	}
	// Two goroutines a chunk apart: one reads rows, the other (ahead's)
	// decodes them.
	return ahead(ctx, func(ctx context.Context, send func([]V) bool) error {
		type chunk struct {
			rows []joinedRow
			err  error
		}
		ctx, cancel := context.WithCancel(ctx)
		var wg sync.WaitGroup
		defer wg.Wait()
		defer cancel()
		raw := make(chan chunk, 1)
		wg.Go(func() {
			defer close(raw)
			var after int64
			for {
				rows, err := s.fetchJoined(ctx, table, query, append(append([]any{}, w.args...), after, streamChunk))
				if err == nil && prepare != nil {
					err = prepare(ctx, rows)
				}
				select {
				case raw <- chunk{rows, err}:
				case <-ctx.Done():
					return
				}
				if err != nil || len(rows) < streamChunk {
					return
				}
				after = rows[len(rows)-1].id
			}
		})
		for c := range raw {
			if c.err != nil {
				return c.err
			}
			views := make([]V, 0, len(c.rows))
			for _, r := range c.rows {
				v, err := decode(r)
				if err == nil {
					views = append(views, v)
					continue
				}
				if err := s.invalid(&RowError{Table: table, Row: r.id, ID: r.ext, Err: err}); err != nil {
					send(views)
					return err
				}
			}
			if !send(views) {
				return nil
			}
		}
		return nil
	})
}

// joinedRow is one row of a view query: its id, external id and the
// encoded objects (nil where a join found nothing), and the objects a
// prepare step read for it (ref values, see refs).
type joinedRow struct {
	id   int64
	ext  string
	cols [][]byte
	refs []any
}

func (s *Store) fetchJoined(ctx context.Context, table, query string, args []any) ([]joinedRow, error) {
	if err := s.need(ctx); err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, s.readErr(table, err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var out []joinedRow
	for rows.Next() {
		// Columns: the row id, the external id, then the objects.
		r := joinedRow{cols: make([][]byte, len(cols)-2)}
		ptrs := make([]any, len(cols))
		ptrs[0], ptrs[1] = &r.id, &r.ext
		for i := 2; i < len(cols); i++ {
			ptrs[i] = &r.cols[i-2]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, s.readErr(table, err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, s.readErr(table, err)
	}
	return out, nil
}
