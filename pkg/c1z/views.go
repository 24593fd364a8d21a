package c1z

import (
	"context"
	"database/sql"
	"errors"
	"iter"

	"google.golang.org/protobuf/proto"

	connectorv2 "github.com/batonkit/batonkit/pb/c1/connector/v2"
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
// and the principal, as stored in the same sync.
type GrantView struct {
	Grant       *connectorv2.Grant
	Entitlement *connectorv2.Entitlement
	Resource    *connectorv2.Resource
	Principal   *connectorv2.Resource
}

// ResourceViews streams the resources q selects with their parents.
func (s *Store) ResourceViews(ctx context.Context, q ResourceQuery) iter.Seq2[ResourceView, error] {
	w, err := s.resourceWhere(ctx, q)
	query := `select a.id, a.external_id, a.data, p.data from v1_resources a
		left join v1_resources p on p.sync_id = a.sync_id and p.external_id = a.parent_resource_type_id || ':' || a.parent_resource_id
		where ` + w.sql("a") + ` and a.id > ? order by a.id limit ?`
	return joined(ctx, s, tResources, query, w, err, func(cols [][]byte) (ResourceView, error) {
		var v ResourceView
		var err error
		if v.Resource, err = decodeAs[*connectorv2.Resource](cols[0], true); err == nil {
			v.Parent, err = decodeAs[*connectorv2.Resource](cols[1], false)
		}
		return v, err
	})
}

// EntitlementViews streams the entitlements q selects with their resources.
func (s *Store) EntitlementViews(ctx context.Context, q EntitlementQuery) iter.Seq2[EntitlementView, error] {
	w, err := s.entitlementWhere(ctx, q)
	query := `select a.id, a.external_id, a.data, r.data from v1_entitlements a
		left join v1_resources r on r.sync_id = a.sync_id and r.external_id = a.resource_type_id || ':' || a.resource_id
		where ` + w.sql("a") + ` and a.id > ? order by a.id limit ?`
	return joined(ctx, s, tEntitlements, query, w, err, func(cols [][]byte) (EntitlementView, error) {
		var v EntitlementView
		var err error
		if v.Entitlement, err = decodeAs[*connectorv2.Entitlement](cols[0], true); err == nil {
			v.Resource, err = decodeAs[*connectorv2.Resource](cols[1], false)
		}
		return v, err
	})
}

// GrantViews streams the grants q selects with what they refer to.
func (s *Store) GrantViews(ctx context.Context, q GrantQuery) iter.Seq2[GrantView, error] {
	w, err := s.grantWhere(ctx, q)
	query := `select a.id, a.external_id, a.data, e.data, r.data, p.data from v1_grants a
		left join v1_entitlements e on e.sync_id = a.sync_id and e.external_id = a.entitlement_id
		left join v1_resources r on r.sync_id = a.sync_id and r.external_id = a.resource_type_id || ':' || a.resource_id
		left join v1_resources p on p.sync_id = a.sync_id and p.external_id = a.principal_resource_type_id || ':' || a.principal_resource_id
		where ` + w.sql("a") + ` and a.id > ? order by a.id limit ?`
	return joined(ctx, s, tGrants, query, w, err, func(cols [][]byte) (GrantView, error) {
		var v GrantView
		var err error
		if v.Grant, err = decodeAs[*connectorv2.Grant](cols[0], true); err != nil {
			return v, err
		}
		if v.Entitlement, err = decodeAs[*connectorv2.Entitlement](cols[1], false); err != nil {
			return v, err
		}
		if v.Resource, err = decodeAs[*connectorv2.Resource](cols[2], false); err != nil {
			return v, err
		}
		v.Principal, err = decodeAs[*connectorv2.Resource](cols[3], false)
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

func joined[V any](ctx context.Context, s *Store, table, query string, w *where, werr error, decode func([][]byte) (V, error)) iter.Seq2[V, error] {
	return func(yield func(V, error) bool) {
		var zero V
		if werr != nil {
			yield(zero, werr)
			return
		}
		var after int64
		for {
			rows, err := s.db.QueryContext(ctx, query, append(append([]any{}, w.args...), after, streamChunk)...)
			if err != nil {
				yield(zero, s.readErr(table, err))
				return
			}
			cols, _ := rows.Columns()
			var batch []V
			for rows.Next() {
				// Columns: the row id, the external id, then the objects.
				raw := make([]sql.RawBytes, len(cols))
				ptrs := make([]any, len(cols))
				var ext string
				ptrs[0], ptrs[1] = &after, &ext
				for i := 2; i < len(cols); i++ {
					ptrs[i] = &raw[i]
				}
				if err := rows.Scan(ptrs...); err != nil {
					rows.Close()
					yield(zero, s.readErr(table, err))
					return
				}
				data := make([][]byte, len(cols)-2)
				for i := 2; i < len(cols); i++ {
					if raw[i] != nil {
						data[i-2] = raw[i]
					}
				}
				v, err := decode(data)
				if err != nil {
					if err := s.invalid(&RowError{Table: table, Row: after, ID: ext, Err: err}); err != nil {
						rows.Close()
						yield(zero, err)
						return
					}
					continue
				}
				batch = append(batch, v)
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				yield(zero, s.readErr(table, err))
				return
			}
			for _, v := range batch {
				if !yield(v, nil) {
					return
				}
			}
			if len(batch) < streamChunk {
				return
			}
		}
	}
}
