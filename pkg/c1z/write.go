package c1z

import (
	"context"
	"database/sql"
	"fmt"
	"math/bits"
	"strings"
	"time"

	"google.golang.org/protobuf/proto"

	connectorv2 "github.com/batonkit/batonkit/pb/c1/connector/v2"
	"github.com/batonkit/batonkit/pkg/annotations"
)

// marshal is the deterministic encoding Baton stores in data columns, so
// equal objects give equal bytes and diffs compare bytes.
var marshal = proto.MarshalOptions{Deterministic: true}

// table describes how one object table is upserted.
type table struct {
	name string
	cols []string // insert order
}

var (
	resourceTypesTable = &table{tResourceTypes, []string{"external_id", "data", "sync_id", "discovered_at"}}
	resourcesTable     = &table{tResources, []string{"resource_type_id", "external_id", "parent_resource_type_id", "parent_resource_id", "data", "sync_id", "discovered_at"}}
	entitlementsTable  = &table{tEntitlements, []string{"resource_type_id", "resource_id", "external_id", "data", "sync_id", "discovered_at"}}
	grantsTable        = &table{tGrants, []string{"resource_type_id", "resource_id", "entitlement_id", "principal_resource_type_id", "principal_resource_id", "external_id", "expansion", "needs_expansion", "data", "sync_id", "discovered_at"}}
	assetsTable        = &table{tAssets, []string{"external_id", "content_type", "data", "sync_id", "discovered_at"}}
	allTables          = []*table{resourceTypesTable, resourcesTable, entitlementsTable, grantsTable, assetsTable}
)

// rowsPerStatement bounds multi-row inserts well under SQLite's variable limit.
const rowsPerStatement = 128

// statementRows is how many of n buffered rows the next statement takes:
// rowsPerStatement, or the largest power of two below n. A store then
// prepares a few statements per table (each with its own program, large
// for many rows) rather than one for every remainder a batch leaves.
func statementRows(n int) int {
	if n >= rowsPerStatement {
		return rowsPerStatement
	}
	return 1 << (bits.Len(uint(n)) - 1)
}

// upsertSQL is "insert ... values (...),(...) on conflict do update" for n rows.
func (t *table) upsertSQL(n int) string {
	var b strings.Builder
	b.WriteString("insert into ")
	b.WriteString(t.name)
	b.WriteString(" (")
	b.WriteString(strings.Join(t.cols, ", "))
	b.WriteString(") values ")
	one := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(t.cols)), ", ") + ")"
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(one)
	}
	b.WriteString(" on conflict (external_id, sync_id) do update set ")
	first := true
	for _, c := range t.cols {
		if c == "external_id" || c == "sync_id" {
			continue
		}
		if !first {
			b.WriteString(", ")
		}
		first = false
		switch {
		case t == grantsTable && c == "expansion":
			// Rewriting a grant (expansion adding sources, say) must not
			// forget that it is expandable.
			b.WriteString("expansion = coalesce(excluded.expansion, v1_grants.expansion)")
		case t == grantsTable && c == "needs_expansion":
			b.WriteString("needs_expansion = case when excluded.expansion is null then v1_grants.needs_expansion else excluded.needs_expansion end")
		default:
			fmt.Fprintf(&b, "%s = excluded.%s", c, c)
		}
	}
	return b.String()
}

// pending holds rows accepted by Put calls but not yet committed. Rows are
// committed in batches: when enough accumulate, before any read, and with
// every checkpoint, so a checkpointed token never runs ahead of its data.
type pending struct {
	vals map[*table][]any
	rows int
}

// flushRows is how many buffered rows make the background writer commit;
// at maxPendingRows a Put waits for the writer instead, so memory stays
// bounded when the connector outruns the disk.
const (
	flushRows      = 2048
	maxPendingRows = 4 * flushRows
)

func (s *Store) add(ctx context.Context, t *table, vals []any) error {
	s.pendMu.Lock()
	if s.pend.vals == nil {
		s.pend.vals = map[*table][]any{}
	}
	s.pend.vals[t] = append(s.pend.vals[t], vals...)
	s.pend.rows += len(vals) / len(t.cols)
	rows := s.pend.rows
	s.pendMu.Unlock()
	s.dirty.Store(true)
	switch {
	case rows >= maxPendingRows:
		return s.flush(ctx)
	case rows >= flushRows:
		// Let the writer goroutine commit while the caller goes back to
		// the connector: SQLite and the connector run on different cores.
		select {
		case s.kick <- struct{}{}:
		default:
		}
	}
	return s.writerErr()
}

// writer commits buffered rows in the background until stop is closed.
func (s *Store) writer(stop <-chan struct{}, done chan<- struct{}) {
	defer close(done)
	for {
		select {
		case <-stop:
			return
		case <-s.kick:
			if err := s.flush(context.Background()); err != nil {
				s.bgErrMu.Lock()
				if s.bgErr == nil {
					s.bgErr = s.spaceHint(err)
				}
				s.bgErrMu.Unlock()
			}
		}
	}
}

// writerErr reports a failure of the background writer to the next Put.
func (s *Store) writerErr() error {
	s.bgErrMu.Lock()
	defer s.bgErrMu.Unlock()
	return s.bgErr
}

// flush commits buffered rows.
func (s *Store) flush(ctx context.Context) error {
	if s.readOnly {
		return nil
	}
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	if err := s.writerErr(); err != nil {
		return err
	}
	_, err := s.flushLocked(ctx, nil)
	return s.spaceHint(err)
}

// flushLocked writes buffered rows in tx, or in its own transaction when tx
// is nil, with the tracked resume token (see trackToken), and returns the
// rows it took. Rows whose own transaction fails go back to the buffer;
// with the caller's tx, the caller puts them back (restorePending) if the
// tx does not commit: a failed commit (a cancelled context, a full disk)
// never loses rows another step already counts as written. writeMu must
// be held.
func (s *Store) flushLocked(ctx context.Context, tx *sql.Tx) (p pending, err error) {
	// The token is read before the rows are taken: every row of a step the
	// token counts as done was buffered before it, so the commit holds
	// them all, and the saved token is never ahead of the saved rows.
	track := s.tracked.Load()
	var token string
	if track != nil {
		var err error
		if token, err = track.token(); err != nil {
			return pending{}, fmt.Errorf("resume token: %w", err)
		}
	}
	s.pendMu.Lock()
	p = s.pend
	s.pend = pending{}
	s.markInflight(p, 1)
	s.pendMu.Unlock()
	if p.rows == 0 {
		return p, nil
	}
	own := tx == nil
	if own {
		defer func() {
			if err != nil {
				s.restorePending(p)
			}
			s.settled(p)
		}()
		if tx, err = s.db.BeginTx(ctx, nil); err != nil {
			return p, err
		}
		defer tx.Rollback()
	}
	for _, t := range allTables {
		vals := p.vals[t]
		width := len(t.cols)
		for len(vals) > 0 {
			n := statementRows(len(vals) / width)
			st, serr := s.upsertStmt(ctx, t, n)
			if serr != nil {
				return p, fmt.Errorf("prepare upsert into %s: %w", t.name, serr)
			}
			if _, err = tx.StmtContext(ctx, st).ExecContext(ctx, vals[:n*width]...); err != nil {
				return p, fmt.Errorf("upsert into %s: %w", t.name, err)
			}
			vals = vals[n*width:]
		}
	}
	if track != nil {
		if _, err = tx.ExecContext(ctx, "update v1_sync_runs set sync_token = ? where sync_id = ? and (ended_at is null or ended_at = '')", token, track.syncID); err != nil {
			return p, fmt.Errorf("save resume token: %w", err)
		}
	}
	if own {
		err = tx.Commit()
	}
	return p, err
}

// markInflight counts the tables of p's rows in (delta 1) or out of (-1) an
// open write transaction. pendMu must be held.
func (s *Store) markInflight(p pending, delta int) {
	if s.inflight == nil {
		s.inflight = map[*table]int{}
	}
	for t, v := range p.vals {
		if len(v) > 0 {
			s.inflight[t] += delta
		}
	}
}

// settled marks p's rows as no longer in an open transaction: committed,
// or back in the buffer.
func (s *Store) settled(p pending) {
	s.pendMu.Lock()
	s.markInflight(p, -1)
	s.pendMu.Unlock()
}

// written reports whether every row of t put so far is committed: none is
// buffered or in an open transaction. A read of t alone then sees them all
// without waiting for the writer (which, while a syncer lists grants, is
// busy with rows of other tables).
func (s *Store) written(t *table) bool {
	s.pendMu.Lock()
	defer s.pendMu.Unlock()
	return len(s.pend.vals[t]) == 0 && s.inflight[t] == 0
}

// restorePending puts rows a failed transaction took back in front of the
// buffer, so the next flush commits them.
func (s *Store) restorePending(p pending) {
	if p.rows == 0 {
		return
	}
	s.pendMu.Lock()
	defer s.pendMu.Unlock()
	for t, v := range s.pend.vals {
		p.vals[t] = append(p.vals[t], v...)
	}
	p.rows += s.pend.rows
	s.pend = p
}

// tokenSource is a running sync's resume token.
type tokenSource struct {
	syncID string
	token  func() (string, error)
}

// trackToken makes every commit of buffered rows also save the resume
// token of the unfinished sync syncID, as token returns it at that moment,
// in the same transaction: a crash then loses at most the rows of one
// batch, and never leaves a token ahead of its rows. The caller must
// buffer a step's rows (Put*) before token reports the step as done.
// trackToken(""), or nil, stops it.
func (s *Store) trackToken(syncID string, token func() (string, error)) {
	if syncID == "" || token == nil {
		s.tracked.Store(nil)
		return
	}
	s.tracked.Store(&tokenSource{syncID: syncID, token: token})
}

// withTx runs fn in a write transaction that also commits buffered rows.
func (s *Store) withTx(ctx context.Context, fn func(tx *sql.Tx) error) (err error) {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	taken, err := s.flushLocked(ctx, tx)
	defer func() {
		if err != nil {
			s.restorePending(taken)
		}
		s.settled(taken)
	}()
	if err != nil {
		return err
	}
	if err = fn(tx); err != nil {
		return s.spaceHint(err)
	}
	s.dirty.Store(true)
	if err = tx.Commit(); err != nil {
		return s.spaceHint(err)
	}
	return nil
}

func now() string { return formatTime(time.Now()) }

// putResourceTypes upserts resource types into sync syncID.
func (s *Store) putResourceTypes(ctx context.Context, syncID string, rts ...*connectorv2.ResourceType) error {
	if err := s.checkWritable(); err != nil {
		return err
	}
	at := now()
	vals := make([]any, 0, len(rts)*len(resourceTypesTable.cols))
	for _, rt := range rts {
		if rt.GetId() == "" {
			return fmt.Errorf("put resource type: %w: empty id", ErrInvalidObject)
		}
		data, err := marshal.Marshal(rt)
		if err != nil {
			return fmt.Errorf("put resource type %s: %w", rt.GetId(), err)
		}
		vals = append(vals, rt.GetId(), data, syncID, at)
	}
	return s.add(ctx, resourceTypesTable, vals)
}

// ResourceExternalID is the external_id of a resource row: "<type>:<id>".
func ResourceExternalID(id *connectorv2.ResourceId) string {
	return id.GetResourceType() + ":" + id.GetResource()
}

// putResources upserts resources into sync syncID.
func (s *Store) putResources(ctx context.Context, syncID string, rs ...*connectorv2.Resource) error {
	if err := s.checkWritable(); err != nil {
		return err
	}
	at := now()
	vals := make([]any, 0, len(rs)*len(resourcesTable.cols))
	for _, r := range rs {
		id := r.GetId()
		if id.GetResourceType() == "" || id.GetResource() == "" {
			return fmt.Errorf("put resource: %w: incomplete id %v", ErrInvalidObject, id)
		}
		data, err := marshal.Marshal(r)
		if err != nil {
			return fmt.Errorf("put resource %s: %w", ResourceExternalID(id), err)
		}
		var pType, pID any
		if p := r.GetParentResourceId(); p != nil {
			pType, pID = p.GetResourceType(), p.GetResource()
		}
		vals = append(vals, id.GetResourceType(), ResourceExternalID(id), pType, pID, data, syncID, at)
	}
	return s.add(ctx, resourcesTable, vals)
}

// putEntitlements upserts entitlements into sync syncID.
func (s *Store) putEntitlements(ctx context.Context, syncID string, es ...*connectorv2.Entitlement) error {
	if err := s.checkWritable(); err != nil {
		return err
	}
	at := now()
	vals := make([]any, 0, len(es)*len(entitlementsTable.cols))
	for _, e := range es {
		if e.GetId() == "" || e.GetResource().GetId() == nil {
			return fmt.Errorf("put entitlement %q: %w: id and resource are required", e.GetId(), ErrInvalidObject)
		}
		data, err := marshal.Marshal(e)
		if err != nil {
			return fmt.Errorf("put entitlement %s: %w", e.GetId(), err)
		}
		rid := e.GetResource().GetId()
		vals = append(vals, rid.GetResourceType(), rid.GetResource(), e.GetId(), data, syncID, at)
	}
	return s.add(ctx, entitlementsTable, vals)
}

// putGrants upserts grants into sync syncID. A GrantExpandable annotation
// is moved out of the stored grant into the expansion column and the row is
// flagged for grant expansion, as Baton stores it.
func (s *Store) putGrants(ctx context.Context, syncID string, gs ...*connectorv2.Grant) error {
	if err := s.checkWritable(); err != nil {
		return err
	}
	at := now()
	vals := make([]any, 0, len(gs)*len(grantsTable.cols))
	for _, g := range gs {
		row, err := grantRow(g)
		if err != nil {
			return err
		}
		vals = append(vals, row.resType, row.resID, row.entID, row.pType, row.pID, g.GetId(), row.expansion, row.needsExpansion, row.data, syncID, at)
	}
	return s.add(ctx, grantsTable, vals)
}

type grantCols struct {
	resType, resID, entID, pType, pID string
	expansion                         any // []byte or nil
	needsExpansion                    int
	data                              []byte
}

func grantRow(g *connectorv2.Grant) (grantCols, error) {
	ent, p := g.GetEntitlement(), g.GetPrincipal().GetId()
	if g.GetId() == "" || ent.GetId() == "" || p == nil {
		return grantCols{}, fmt.Errorf("put grant %q: %w: id, entitlement and principal are required", g.GetId(), ErrInvalidObject)
	}
	rid := ent.GetResource().GetId()
	c := grantCols{resType: rid.GetResourceType(), resID: rid.GetResource(), entID: ent.GetId(), pType: p.GetResourceType(), pID: p.GetResource()}
	stored := g
	if rest, exp := annotations.Annotations(g.GetAnnotations()).Without(&connectorv2.GrantExpandable{}); exp != nil {
		var ge connectorv2.GrantExpandable
		if err := exp.UnmarshalTo(&ge); err != nil {
			return c, fmt.Errorf("put grant %s: bad GrantExpandable: %w", g.GetId(), err)
		}
		b, err := marshal.Marshal(&ge)
		if err != nil {
			return c, err
		}
		c.expansion, c.needsExpansion = b, 1
		// A shallow copy without the annotation; the caller's grant is untouched.
		stored = &connectorv2.Grant{Entitlement: g.Entitlement, Principal: g.Principal, Id: g.Id, Sources: g.Sources, Annotations: rest}
		stored.ProtoReflect().SetUnknown(g.ProtoReflect().GetUnknown())
	}
	var err error
	if c.data, err = marshal.Marshal(stored); err != nil {
		return c, fmt.Errorf("put grant %s: %w", g.GetId(), err)
	}
	return c, nil
}

// putAsset stores a binary asset (an icon, a logo) under its id.
func (s *Store) putAsset(ctx context.Context, syncID string, ref *connectorv2.AssetRef, contentType string, data []byte) error {
	if err := s.checkWritable(); err != nil {
		return err
	}
	if ref.GetId() == "" {
		return fmt.Errorf("put asset: %w: empty id", ErrInvalidObject)
	}
	return s.add(ctx, assetsTable, []any{ref.GetId(), contentType, data, syncID, now()})
}

// backfillExpansions gives grants written by old SDKs (before the expansion
// column existed) their expansion column, so grant expansion works on them.
func backfillExpansions(ctx context.Context, tx *sql.Tx) error {
	rows, err := tx.QueryContext(ctx, "select sync_id, coalesce(ended_at, '') from v1_sync_runs where grants_backfilled = 0")
	if err != nil {
		return err
	}
	type run struct {
		id       string
		finished bool
	}
	var runs []run
	for rows.Next() {
		var r run
		var ended string
		if err := rows.Scan(&r.id, &ended); err != nil {
			rows.Close()
			return err
		}
		r.finished = ended != ""
		runs = append(runs, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, r := range runs {
		if err := backfillSync(ctx, tx, r.id, r.finished); err != nil {
			return fmt.Errorf("backfill grant expansion of sync %s: %w", r.id, err)
		}
	}
	return nil
}

func backfillSync(ctx context.Context, tx *sql.Tx, syncID string, finished bool) error {
	rows, err := tx.QueryContext(ctx, "select id, data from v1_grants where sync_id = ? and expansion is null", syncID)
	if err != nil {
		return err
	}
	type upd struct {
		id  int64
		exp []byte
	}
	var updates []upd
	for rows.Next() {
		var id int64
		var data []byte
		if err := rows.Scan(&id, &data); err != nil {
			rows.Close()
			return err
		}
		var g connectorv2.Grant
		if proto.Unmarshal(data, &g) != nil {
			continue // unreadable rows are reported by readers, not here
		}
		var ge connectorv2.GrantExpandable
		if ok, _ := annotations.Annotations(g.GetAnnotations()).Pick(&ge); ok {
			b, err := marshal.Marshal(&ge)
			if err != nil {
				rows.Close()
				return err
			}
			updates = append(updates, upd{id, b})
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	needs := 1
	if finished {
		needs = 0 // old SDKs expanded during the sync itself
	}
	for _, u := range updates {
		if _, err := tx.ExecContext(ctx, "update v1_grants set expansion = ?, needs_expansion = ? where id = ?", u.exp, needs, u.id); err != nil {
			return err
		}
	}
	_, err = tx.ExecContext(ctx, "update v1_sync_runs set grants_backfilled = 1 where sync_id = ?", syncID)
	return err
}
