package c1z

import (
	"bytes"
	"context"
	"strings"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	connectorv2 "github.com/batonkit/batonkit/pb/c1/connector/v2"
)

// refs holds the objects of one table that a view's rows refer to by
// external id, decoded once and read with one query per chunk of rows
// rather than joined into every row.
type refs[T proto.Message] struct {
	s      *Store
	table  string
	syncID string
	newT   func() T
	m      map[string]ref[T] // a nil msg without err: not in the sync
}

type ref[T proto.Message] struct {
	msg T
	err error // the stored bytes do not decode
}

// refsLimit bounds a view's cache, so a listing's memory stays flat
// however many objects its rows refer to. Listings run in entitlement
// order, so a chunk refers to few, and the cache needs to hold little
// more than one chunk's.
const refsLimit = 1024

// refsPerQuery keeps a lookup's "in (...)" list well under SQLite's limit
// on bound parameters.
const refsPerQuery = 512

func newRefs[T proto.Message](s *Store, table, syncID string, newT func() T) *refs[T] {
	return &refs[T]{s: s, table: table, syncID: syncID, newT: newT, m: map[string]ref[T]{}}
}

// load reads the objects column col of rows names that are not cached,
// and appends each row's to its refs.
func (r *refs[T]) load(ctx context.Context, rows []joinedRow, col int) error {
	if err := r.fill(ctx, rows, col); err != nil {
		return err
	}
	for i := range rows {
		rows[i].refs = append(rows[i].refs, r.m[string(rows[i].cols[col])])
	}
	return nil
}

func (r *refs[T]) fill(ctx context.Context, rows []joinedRow, col int) error {
	var need []string
	seen := map[string]bool{}
	collect := func() {
		need = need[:0]
		clear(seen)
		for _, row := range rows {
			id := row.cols[col]
			if _, ok := r.m[string(id)]; ok || seen[string(id)] {
				continue
			}
			seen[string(id)] = true
			need = append(need, string(id))
		}
	}
	collect()
	if len(need) == 0 {
		return nil
	}
	if len(r.m)+len(need) > refsLimit {
		clear(r.m)
		collect()
	}
	for len(need) > 0 {
		n := min(len(need), refsPerQuery)
		if err := r.query(ctx, need[:n]); err != nil {
			return err
		}
		need = need[n:]
	}
	return nil
}

func (r *refs[T]) query(ctx context.Context, ids []string) error {
	args := make([]any, 0, len(ids)+1)
	args = append(args, r.syncID)
	for _, id := range ids {
		args = append(args, id)
		r.m[id] = ref[T]{} // nil unless the sync holds it
	}
	// The list is padded (with its last id) to a power of two, so a
	// listing prepares a handful of statements and reuses them.
	n := 8
	for n < len(ids) {
		n *= 2
	}
	for len(args) < n+1 {
		args = append(args, ids[len(ids)-1])
	}
	st, err := r.s.stmt(ctx, "select external_id, data from "+r.table+" where sync_id = ? and external_id in (?"+strings.Repeat(", ?", n-1)+")")
	if err != nil {
		return r.s.readErr(r.table, err)
	}
	rows, err := st.QueryContext(ctx, args...)
	if err != nil {
		return r.s.readErr(r.table, err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var data []byte
		if err := rows.Scan(&id, &data); err != nil {
			return r.s.readErr(r.table, err)
		}
		m := r.newT()
		// As with a join, an object that does not decode fails the rows
		// that refer to it, each named when it is decoded.
		err := proto.Unmarshal(data, m)
		r.m[id] = ref[T]{m, err}
	}
	return r.s.readErr(r.table, rows.Err())
}

// refAt is the i-th object load attached to row: nil when the sync does
// not hold it.
func refAt[T proto.Message](row joinedRow, i int) (T, error) {
	v := row.refs[i].(ref[T])
	return v.msg, v.err
}

// lastEntitlement decodes grants, sharing one Entitlement among
// consecutive grants that embed the same encoded entitlement: a listing
// in entitlement order then decodes each entitlement (and its resource)
// once per run instead of once per grant.
type lastEntitlement struct {
	raw []byte
	msg *connectorv2.Entitlement
}

const grantEntitlementField = 1 // c1.connector.v2.Grant.entitlement

func (l *lastEntitlement) decodeGrant(data []byte) (*connectorv2.Grant, error) {
	if data == nil {
		return decodeAs[*connectorv2.Grant](data, true)
	}
	ent, rest, ok := splitField(data, grantEntitlementField)
	if ok && l.msg != nil && bytes.Equal(ent, l.raw) {
		g := new(connectorv2.Grant)
		for _, seg := range rest {
			if err := (proto.UnmarshalOptions{Merge: true}).Unmarshal(seg, g); err != nil {
				return nil, err
			}
		}
		g.Entitlement = l.msg
		return g, nil
	}
	g, err := decodeAs[*connectorv2.Grant](data, true)
	if err != nil {
		return nil, err
	}
	if ok {
		l.raw, l.msg = append(l.raw[:0], ent...), g.GetEntitlement()
	} else {
		l.msg = nil
	}
	return g, err
}

// splitField finds the one occurrence of length-delimited field num in
// an encoded message and returns its bytes and the encoded segments
// before and after it. ok is false when the field is absent, repeated
// (protobuf merges repeats, so the bytes alone do not say what it holds)
// or the message does not parse.
func splitField(data []byte, num protowire.Number) (field []byte, rest [][]byte, ok bool) {
	start, off := -1, 0
	var end int
	for off < len(data) {
		n, typ, tl := protowire.ConsumeTag(data[off:])
		if tl < 0 {
			return nil, nil, false
		}
		vl := protowire.ConsumeFieldValue(n, typ, data[off+tl:])
		if vl < 0 {
			return nil, nil, false
		}
		if n == num {
			if start >= 0 || typ != protowire.BytesType {
				return nil, nil, false
			}
			v, _ := protowire.ConsumeBytes(data[off+tl:])
			field, start, end = v, off, off+tl+vl
		}
		off += tl + vl
	}
	if start < 0 {
		return nil, nil, false
	}
	if start > 0 {
		rest = append(rest, data[:start])
	}
	if end < len(data) {
		rest = append(rest, data[end:])
	}
	return field, rest, true
}
