package c1z

import (
	"context"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"iter"
	"strconv"
	"strings"

	"google.golang.org/protobuf/proto"

	connectorv2 "github.com/batonkit/batonkit/pb/c1/connector/v2"
	"github.com/batonkit/batonkit/pkg/c1z/internal/v3file"
)

// ErrBadPageToken is returned for a page token this store did not issue.
var ErrBadPageToken = errors.New("invalid page token")

// Page asks for one page of a listing. Tokens are opaque; pass back the
// one a previous call returned to continue.
type Page struct {
	Size  int // default 100, at most 10000
	Token string
}

func (p Page) limits() (size int, after int64, err error) {
	size = p.Size
	switch {
	case size <= 0:
		size = 100
	case size > 10000:
		size = 10000
	}
	if p.Token == "" {
		return size, 0, nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(p.Token)
	if err == nil {
		after, err = strconv.ParseInt(strings.TrimPrefix(string(raw), "r"), 10, 64)
	}
	if err != nil || !strings.HasPrefix(string(raw), "r") || after < 0 {
		return 0, 0, fmt.Errorf("%w %q", ErrBadPageToken, p.Token)
	}
	return size, after, nil
}

func pageToken(lastRowID int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte("r" + strconv.FormatInt(lastRowID, 10)))
}

// ResourceQuery selects resources of one sync.
type ResourceQuery struct {
	SyncID         string // empty: DefaultSync
	ResourceTypeID string // empty: all types
	Parent         *connectorv2.ResourceId
}

// EntitlementQuery selects entitlements of one sync.
type EntitlementQuery struct {
	SyncID         string
	ResourceTypeID string                  // entitlements on resources of this type
	Resource       *connectorv2.ResourceId // entitlements on this resource
}

// GrantQuery selects grants of one sync. Set fields combine with "and".
type GrantQuery struct {
	SyncID         string
	EntitlementID  string
	Principal      *connectorv2.ResourceId
	Resource       *connectorv2.ResourceId // grants on this resource's entitlements
	ResourceTypeID string                  // grants on resources of this type
	// Written reads only rows the store has written: rows it still buffers
	// are not seen, and are not written first. For a writer that knows
	// none of its buffered rows match the query, and would otherwise pay
	// a small transaction per read.
	Written bool
}

// where is a conjunction of column = value conditions.
type where struct {
	cols []string
	args []any
	raw  string // a whole condition with its arguments in args (no alias)
}

func (w *where) eq(col string, v any) {
	w.cols = append(w.cols, col)
	w.args = append(w.args, v)
}

// value is the argument of the condition on col, or "" without one.
func (w *where) value(col string) string {
	for i, c := range w.cols {
		if c == col {
			v, _ := w.args[i].(string)
			return v
		}
	}
	return ""
}

// sql renders the conditions, qualifying columns with alias if given.
func (w *where) sql(alias string) string {
	if w == nil {
		return "1"
	}
	if w.raw != "" {
		return w.raw
	}
	parts := make([]string, len(w.cols))
	for i, c := range w.cols {
		if alias != "" {
			c = alias + "." + c
		}
		parts[i] = c + " = ?"
	}
	return strings.Join(parts, " and ")
}

func (s *Store) resolveSync(ctx context.Context, id string) (string, error) {
	return s.resolve(ctx, id, true)
}

// resolve is resolveSync, writing the buffered rows first only with flush.
func (s *Store) resolve(ctx context.Context, id string, flush bool) (string, error) {
	if err := s.checkOpen(); err != nil {
		return "", err
	}
	if flush {
		if err := s.flush(ctx); err != nil {
			return "", err
		}
	}
	if id != "" {
		return id, nil
	}
	r, err := s.DefaultSync(ctx)
	return r.ID, err
}

func (s *Store) resourceWhere(ctx context.Context, q ResourceQuery) (*where, error) {
	w, err := s.syncWhere(ctx, q.SyncID, !s.written(resourcesTable))
	if err != nil {
		return nil, err
	}
	if q.ResourceTypeID != "" {
		w.eq("resource_type_id", q.ResourceTypeID)
	}
	if q.Parent != nil {
		w.eq("parent_resource_type_id", q.Parent.GetResourceType())
		w.eq("parent_resource_id", q.Parent.GetResource())
	}
	return w, nil
}

func (s *Store) entitlementWhere(ctx context.Context, q EntitlementQuery) (*where, error) {
	w, err := s.syncOnly(ctx, q.SyncID)
	if err != nil {
		return nil, err
	}
	if q.ResourceTypeID != "" {
		w.eq("resource_type_id", q.ResourceTypeID)
	}
	if q.Resource != nil {
		w.eq("resource_type_id", q.Resource.GetResourceType())
		w.eq("resource_id", q.Resource.GetResource())
	}
	return w, nil
}

func (s *Store) grantWhere(ctx context.Context, q GrantQuery) (*where, error) {
	w, err := s.syncWhere(ctx, q.SyncID, !q.Written)
	if err != nil {
		return nil, err
	}
	if q.EntitlementID != "" {
		w.eq("entitlement_id", q.EntitlementID)
	}
	if q.Principal != nil {
		w.eq("principal_resource_type_id", q.Principal.GetResourceType())
		w.eq("principal_resource_id", q.Principal.GetResource())
	}
	if q.Resource != nil {
		w.eq("resource_type_id", q.Resource.GetResourceType())
		w.eq("resource_id", q.Resource.GetResource())
	}
	if q.ResourceTypeID != "" {
		w.eq("resource_type_id", q.ResourceTypeID)
	}
	return w, nil
}

// rawRow is one object row: its rowid and its encoded message.
type rawRow struct {
	id   int64
	ext  string
	data []byte
}

// fetch returns up to limit rows of table after rowid `after`, in rowid order.
func (s *Store) fetch(ctx context.Context, table string, w *where, after int64, limit int) ([]rawRow, error) {
	if err := s.need(ctx); err != nil {
		return nil, err
	}
	q := "select id, external_id, data from " + table + " where " + w.sql("") + " and id > ? order by id limit ?"
	rows, err := s.db.QueryContext(ctx, q, append(append([]any{}, w.args...), after, limit)...)
	if err != nil {
		return nil, s.readErr(table, err)
	}
	defer rows.Close()
	out := make([]rawRow, 0, min(limit, 1024))
	for rows.Next() {
		var r rawRow
		if err := rows.Scan(&r.id, &r.ext, &r.data); err != nil {
			return nil, s.readErr(table, err)
		}
		out = append(out, r)
	}
	return out, s.readErr(table, rows.Err())
}

// readErr classifies a failed read: SQLite reporting damage becomes
// ErrCorrupt so callers can tell a broken file from a broken query.
func (s *Store) readErr(table string, err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	if strings.Contains(msg, "malformed") || strings.Contains(msg, "not a database") || strings.Contains(msg, "corrupt") {
		return fileErr("read", s.path, fmt.Errorf("%w: %s: %v", ErrCorrupt, table, err))
	}
	return fmt.Errorf("read %s: %w", table, err)
}

func decodeRows[T proto.Message](s *Store, table string, rows []rawRow, newT func() T) ([]T, error) {
	out := make([]T, 0, len(rows))
	for _, r := range rows {
		m := newT()
		if err := proto.Unmarshal(r.data, m); err != nil {
			if err := s.invalid(&RowError{Table: table, Row: r.id, ID: r.ext, Err: err}); err != nil {
				return nil, err
			}
			continue
		}
		out = append(out, m)
	}
	return out, nil
}

// invalid reports a row that cannot be decoded: to the SkipInvalid
// callback (and the row is skipped), or as the listing's error.
func (s *Store) invalid(e *RowError) error {
	if s.opts.onInvalid != nil {
		s.opts.onInvalid(e)
		return nil
	}
	return e
}

func page[T proto.Message](ctx context.Context, s *Store, table string, w *where, p Page, newT func() T) ([]T, string, error) {
	size, after, err := p.limits()
	if err != nil {
		return nil, "", err
	}
	rows, err := s.fetch(ctx, table, w, after, size+1)
	if err != nil {
		return nil, "", err
	}
	next := ""
	if len(rows) > size {
		rows = rows[:size]
		next = pageToken(rows[len(rows)-1].id)
	}
	items, err := decodeRows(s, table, rows, newT)
	return items, next, err
}

// streamChunk is how many rows a streaming read holds at once: memory stays
// flat however large the table, and no read transaction outlives a chunk.
const streamChunk = 512

func stream[T proto.Message](ctx context.Context, s *Store, table string, w *where, werr error, newT func() T) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		var zero T
		if werr != nil {
			yield(zero, werr)
			return
		}
		var after int64
		for {
			rows, err := s.fetch(ctx, table, w, after, streamChunk)
			if err != nil {
				yield(zero, err)
				return
			}
			for _, r := range rows {
				m := newT()
				if err := proto.Unmarshal(r.data, m); err != nil {
					if err := s.invalid(&RowError{Table: table, Row: r.id, ID: r.ext, Err: err}); err != nil {
						yield(zero, err)
						return
					}
					continue
				}
				if !yield(m, nil) {
					return
				}
			}
			if len(rows) < streamChunk {
				return
			}
			after = rows[len(rows)-1].id
		}
	}
}

func newResourceType() *connectorv2.ResourceType { return &connectorv2.ResourceType{} }
func newResource() *connectorv2.Resource         { return &connectorv2.Resource{} }
func newEntitlement() *connectorv2.Entitlement   { return &connectorv2.Entitlement{} }
func newGrant() *connectorv2.Grant               { return &connectorv2.Grant{} }

// ResourceTypes streams the resource types of a sync (syncID empty: the
// default sync).
func (rd *Reader) ResourceTypes(ctx context.Context, syncID string) iter.Seq2[*connectorv2.ResourceType, error] {
	s := rd.s
	if v3, id, err := s.direct(ctx, syncID); err != nil {
		return errSeq[*connectorv2.ResourceType](err)
	} else if v3 != nil {
		return v3ResourceTypes(ctx, v3, id)
	}
	w, err := s.syncWhere(ctx, syncID, !s.written(resourceTypesTable))
	return stream(ctx, s, tResourceTypes, w, err, newResourceType)
}

// ResourceTypesPage returns one page of resource types.
func (rd *Reader) ResourceTypesPage(ctx context.Context, syncID string, p Page) ([]*connectorv2.ResourceType, string, error) {
	s := rd.s
	w, err := s.syncOnly(ctx, syncID)
	if err != nil {
		return nil, "", err
	}
	return page(ctx, s, tResourceTypes, w, p, newResourceType)
}

// syncOnly starts a where clause selecting the rows of one sync (syncID
// empty: the default sync).
func (s *Store) syncOnly(ctx context.Context, syncID string) (*where, error) {
	return s.syncWhere(ctx, syncID, true)
}

func (s *Store) syncWhere(ctx context.Context, syncID string, flush bool) (*where, error) {
	id, err := s.resolve(ctx, syncID, flush)
	if err != nil {
		return nil, err
	}
	w := &where{}
	w.eq("sync_id", id)
	return w, nil
}

// Resources streams the resources q selects.
func (rd *Reader) Resources(ctx context.Context, q ResourceQuery) iter.Seq2[*connectorv2.Resource, error] {
	s := rd.s
	if v3, id, err := s.direct(ctx, q.SyncID); err != nil {
		return errSeq[*connectorv2.Resource](err)
	} else if v3 != nil && q.Parent == nil {
		return v3Resources(ctx, v3, id, q.ResourceTypeID, func(_ *v3file.Seeker, r *connectorv2.Resource) (*connectorv2.Resource, error) { return r, nil })
	}
	w, err := s.resourceWhere(ctx, q)
	return stream(ctx, s, tResources, w, err, newResource)
}

// ResourcesPage returns one page of the resources q selects.
func (rd *Reader) ResourcesPage(ctx context.Context, q ResourceQuery, p Page) ([]*connectorv2.Resource, string, error) {
	s := rd.s
	w, err := s.resourceWhere(ctx, q)
	if err != nil {
		return nil, "", err
	}
	return page(ctx, s, tResources, w, p, newResource)
}

// Entitlements streams the entitlements q selects.
func (rd *Reader) Entitlements(ctx context.Context, q EntitlementQuery) iter.Seq2[*connectorv2.Entitlement, error] {
	s := rd.s
	if v3, id, err := s.direct(ctx, q.SyncID); err != nil {
		return errSeq[*connectorv2.Entitlement](err)
	} else if v3 != nil {
		return v3Entitlements(ctx, v3, id, q, func(_ *v3file.Seeker, e *connectorv2.Entitlement) (*connectorv2.Entitlement, error) { return e, nil })
	}
	w, err := s.entitlementWhere(ctx, q)
	return stream(ctx, s, tEntitlements, w, err, newEntitlement)
}

// EntitlementsPage returns one page of the entitlements q selects.
func (rd *Reader) EntitlementsPage(ctx context.Context, q EntitlementQuery, p Page) ([]*connectorv2.Entitlement, string, error) {
	s := rd.s
	w, err := s.entitlementWhere(ctx, q)
	if err != nil {
		return nil, "", err
	}
	return page(ctx, s, tEntitlements, w, p, newEntitlement)
}

// Grants streams the grants q selects.
func (rd *Reader) Grants(ctx context.Context, q GrantQuery) iter.Seq2[*connectorv2.Grant, error] {
	s := rd.s
	w, err := s.grantWhere(ctx, q)
	return stream(ctx, s, tGrants, w, err, newGrant)
}

// GrantsPage returns one page of the grants q selects.
func (rd *Reader) GrantsPage(ctx context.Context, q GrantQuery, p Page) ([]*connectorv2.Grant, string, error) {
	s := rd.s
	w, err := s.grantWhere(ctx, q)
	if err != nil {
		return nil, "", err
	}
	return page(ctx, s, tGrants, w, p, newGrant)
}

// getOne decodes the row of table with the given external id in a sync.
func getOne[T proto.Message](ctx context.Context, s *Store, table, syncID, externalID string, newT func() T) (T, error) {
	var zero T
	v3, id, err := s.direct(ctx, syncID)
	if err != nil {
		return zero, err
	}
	if v3 != nil && v3.run.ID == id {
		if m, found, ok, err := v3One[T](v3, table, externalID); err != nil || found {
			return m, err
		} else if ok {
			return zero, notFound(table, externalID, id)
		}
	}
	if id, err = s.resolveSync(ctx, syncID); err != nil {
		return zero, err
	}
	if err := s.need(ctx); err != nil {
		return zero, err
	}
	var data []byte
	err = s.db.QueryRowContext(ctx, "select data from "+table+" where external_id = ? and sync_id = ?", externalID, id).Scan(&data)
	if errors.Is(err, sql.ErrNoRows) {
		return zero, notFound(table, externalID, id)
	}
	if err != nil {
		return zero, s.readErr(table, err)
	}
	m := newT()
	if err := proto.Unmarshal(data, m); err != nil {
		return zero, fmt.Errorf("%w: %s %q: %v", ErrCorrupt, table, externalID, err)
	}
	return m, nil
}

// ErrNotFound is returned by the Get methods when no object has the id.
var ErrNotFound = errors.New("not found")

// notFound says what is missing in the words of the contract, not of the
// tables: "no user \"u99\" in sync ...".
func notFound(table, externalID, syncID string) error {
	what := map[string]string{tResourceTypes: "resource type", tEntitlements: "entitlement", tGrants: "grant"}[table]
	id := externalID
	if table == tResources {
		what, id, _ = strings.Cut(externalID, ":")
	}
	return fmt.Errorf("no %s %q in sync %s (%w)", what, id, syncID, ErrNotFound)
}

// ResourceType returns one resource type of a sync.
func (rd *Reader) ResourceType(ctx context.Context, syncID, id string) (*connectorv2.ResourceType, error) {
	s := rd.s
	return getOne(ctx, s, tResourceTypes, syncID, id, newResourceType)
}

// Resource returns one resource of a sync.
func (rd *Reader) Resource(ctx context.Context, syncID string, id *connectorv2.ResourceId) (*connectorv2.Resource, error) {
	s := rd.s
	return getOne(ctx, s, tResources, syncID, ResourceExternalID(id), newResource)
}

// Entitlement returns one entitlement of a sync.
func (rd *Reader) Entitlement(ctx context.Context, syncID, id string) (*connectorv2.Entitlement, error) {
	s := rd.s
	return getOne(ctx, s, tEntitlements, syncID, id, newEntitlement)
}

// Grant returns one grant of a sync.
func (rd *Reader) Grant(ctx context.Context, syncID, id string) (*connectorv2.Grant, error) {
	s := rd.s
	return getOne(ctx, s, tGrants, syncID, id, newGrant)
}

// Asset returns an asset's content type and bytes.
func (rd *Reader) Asset(ctx context.Context, syncID, id string) (string, []byte, error) {
	s := rd.s
	sid, err := s.resolveSync(ctx, syncID)
	if err != nil {
		return "", nil, err
	}
	if !s.schema.hasAssets {
		return "", nil, fmt.Errorf("%w: asset %q", ErrNotFound, id)
	}
	if err := s.need(ctx); err != nil {
		return "", nil, err
	}
	var ct string
	var data []byte
	err = s.db.QueryRowContext(ctx, "select content_type, data from v1_assets where external_id = ? and sync_id = ?", id, sid).Scan(&ct, &data)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil, fmt.Errorf("%w: asset %q in sync %s", ErrNotFound, id, sid)
	}
	return ct, data, s.readErr(tAssets, err)
}
