package c1z

import (
	"bytes"
	"context"
	"fmt"
	"iter"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/cockroachdb/pebble/v2"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	connectorv2 "github.com/batonkit/batonkit/pb/c1/connector/v2"
)

// Listings served straight from a v3 file's Pebble payload. Baton's keys
// sort records of a kind as a conversion would number their rows, so a
// listing read here comes in the order it would from the v1 tables, with
// the same messages (the tests compare both on every fixture). Queries
// these cannot answer (pages, parents, diffs, exports, search) convert
// the file first (Store.need).

// v3Store is what a store opened on a v3 file keeps beside its v1
// database: the unpacked payload, and whether the objects were copied.
type v3Store struct {
	pdb      *pebble.DB
	run      SyncRun // the file's one sync
	recorded *Stats  // its counts as the manifest records them, if it does

	convertMu  sync.Mutex
	converted  atomic.Bool
	convertErr error

	entsMu  sync.Mutex
	ents    map[string]*connectorv2.Entitlement // by id, for grant views
	tooMany bool                                // more entitlements than maxDirectEntitlements
}

// maxDirectEntitlements bounds the entitlements grant views keep in
// memory by id; a file with more is converted instead.
const maxDirectEntitlements = 200_000

func (v *v3Store) close() {
	if v != nil && v.pdb != nil {
		v.pdb.Close()
		v.pdb = nil
	}
}

// direct is the payload of a store opened on a v3 file (nil for v1),
// with syncID resolved (empty: the default sync).
func (s *Store) direct(ctx context.Context, syncID string) (*v3Store, string, error) {
	if s.v3 == nil {
		return nil, "", nil
	}
	id, err := s.resolveSync(ctx, syncID)
	return s.v3, id, err
}

func errSeq[V any](err error) iter.Seq2[V, error] {
	return func(yield func(V, error) bool) {
		var zero V
		yield(zero, err)
	}
}

// v3ResourceTypes, v3Resources and v3Entitlements list what the Store
// methods of those names list, from the payload.
func v3ResourceTypes(ctx context.Context, v3 *v3Store, id string) iter.Seq2[*connectorv2.ResourceType, error] {
	return v3List(ctx, v3, id, v3KeyResourceType, "resource type", func(b []byte) (*connectorv2.ResourceType, bool, error) {
		rt, err := v3ResourceType(b)
		return rt, err == nil, err
	})
}

func v3Resources[V any](ctx context.Context, v3 *v3Store, id, typ string, view func(*resourceSeeker, *connectorv2.Resource) (V, error)) iter.Seq2[V, error] {
	return v3ListWith(ctx, v3, id, v3KeyResource, "resource", func(res *resourceSeeker) func([]byte) (V, bool, error) {
		return func(b []byte) (V, bool, error) {
			var zero V
			if typ != "" {
				if t, err := stringField(b, 2); err != nil || t != typ {
					return zero, false, err
				}
			}
			r, err := v3Resource(b)
			if err != nil {
				return zero, false, err
			}
			v, err := view(res, r)
			return v, err == nil, err
		}
	})
}

func v3Entitlements[V any](ctx context.Context, v3 *v3Store, id string, q EntitlementQuery, view func(*resourceSeeker, *connectorv2.Entitlement) (V, error)) iter.Seq2[V, error] {
	return v3ListWith(ctx, v3, id, v3KeyEntitlement, "entitlement", func(res *resourceSeeker) func([]byte) (V, bool, error) {
		return func(b []byte) (V, bool, error) {
			var zero V
			e, err := v3Entitlement(b)
			if err != nil {
				return zero, false, err
			}
			rid := e.GetResource().GetId()
			if q.ResourceTypeID != "" && rid.GetResourceType() != q.ResourceTypeID ||
				q.Resource != nil && (rid.GetResourceType() != q.Resource.GetResourceType() || rid.GetResource() != q.Resource.GetResource()) {
				return zero, false, nil
			}
			v, err := view(res, e)
			return v, err == nil, err
		}
	})
}

// v3Grants lists the grant views q selects, or ok false when the file
// has too many entitlements to hold by id (the caller converts it).
func v3Grants(ctx context.Context, v3 *v3Store, id string, q GrantQuery) (iter.Seq2[GrantView, error], bool, error) {
	ents, ok, err := v3.entitlements()
	if err != nil || !ok {
		return nil, ok, err
	}
	return v3ListWith(ctx, v3, id, v3KeyGrant, "grant", func(res *resourceSeeker) func([]byte) (GrantView, bool, error) {
		return grantViewDecoder(&v3GrantViews{res: res, ents: ents}, q)
	}), true, nil
}

func grantViewDecoder(d *v3GrantViews, q GrantQuery) func([]byte) (GrantView, bool, error) {
	return func(b []byte) (GrantView, bool, error) {
		if q.EntitlementID != "" || q.Principal != nil || q.Resource != nil || q.ResourceTypeID != "" {
			// Select on the references before decoding the rest.
			ent, princ, err := v3GrantRefs(b)
			if err != nil {
				return GrantView{}, false, err
			}
			if q.EntitlementID != "" && ent[2] != q.EntitlementID ||
				q.ResourceTypeID != "" && ent[0] != q.ResourceTypeID ||
				q.Resource != nil && (ent[0] != q.Resource.GetResourceType() || ent[1] != q.Resource.GetResource()) ||
				q.Principal != nil && (princ[0] != q.Principal.GetResourceType() || princ[1] != q.Principal.GetResource()) {
				return GrantView{}, false, nil
			}
		}
		v, err := d.view(b)
		return v, err == nil, err
	}
}

// v3GrantRefs decodes only a grant record's entitlement and principal
// references.
func v3GrantRefs(b []byte) (ent, princ [4]string, err error) {
	err = eachField(b, func(num protowire.Number, v []byte, _ uint64) error {
		var err error
		switch num {
		case 3:
			ent, err = refIDs(v)
		case 4:
			princ, err = refIDs(v)
		}
		return err
	})
	return ent, princ, err
}

// v3One finds one object of table by its v1 external id in the payload:
// found false when the sync has none, ok false when only the v1 tables
// can say.
func v3One[T proto.Message](v3 *v3Store, table, externalID string) (_ T, found, ok bool, _ error) {
	var zero T
	var m proto.Message
	var err error
	switch table {
	case tResources:
		typ, id, _ := strings.Cut(externalID, ":")
		var r *connectorv2.Resource
		if r, err = v3.resource(&connectorv2.ResourceId{ResourceType: typ, Resource: id}); r != nil {
			m = r
		}
	case tEntitlements:
		ents, ok, err := v3.entitlements()
		if err != nil || !ok {
			return zero, false, ok, err
		}
		if e := ents[externalID]; e != nil {
			m = proto.Clone(e) // the map's is shared by grant views
		}
	case tResourceTypes:
		err = scanV3(v3.pdb, v3KeyResourceType, func(b []byte) error {
			rt, err := v3ResourceType(b)
			if err != nil {
				return fmt.Errorf("%w: v3 resource type record: %v", ErrCorrupt, err)
			}
			if m == nil && rt.GetId() == externalID {
				m = rt
			}
			return nil
		})
	default:
		return zero, false, false, nil
	}
	if err != nil || m == nil {
		return zero, false, true, err
	}
	return m.(T), true, true, nil
}

// v3Chunk is how many records a direct listing decodes ahead of its
// reader, on a goroutine of its own.
const v3Chunk = 256

// v3List streams the records of one kind whose decoded form keep says to
// list, in key order, decoded a chunk ahead of the caller (ahead).
func v3List[V any](ctx context.Context, v3 *v3Store, syncID string, typ byte, what string, decode func(v []byte) (V, bool, error)) iter.Seq2[V, error] {
	return v3ListWith(ctx, v3, syncID, typ, what, func(*resourceSeeker) func([]byte) (V, bool, error) { return decode })
}

// v3ListWith is v3List for decoders that look resources up: it makes
// one from a seeker of the listing's own, on the decoding goroutine.
func v3ListWith[V any](ctx context.Context, v3 *v3Store, syncID string, typ byte, what string, decoder func(*resourceSeeker) func([]byte) (V, bool, error)) iter.Seq2[V, error] {
	if syncID != v3.run.ID {
		return func(func(V, error) bool) {} // no such sync in a v3 file: nothing, as from SQL
	}
	return ahead(ctx, func(ctx context.Context, send func([]V) bool) (err error) {
		defer func() {
			if r := recover(); r != nil {
				err = fmt.Errorf("%w: v3 Pebble database: %v", ErrCorrupt, r)
			}
		}()
		seeker := &resourceSeeker{v3: v3}
		defer seeker.close()
		decode := decoder(seeker)
		views := make([]V, 0, v3Chunk)
		err = scanV3(v3.pdb, typ, func(b []byte) error {
			v, keep, err := decode(b)
			if err != nil {
				return fmt.Errorf("%w: v3 %s record: %v", ErrCorrupt, what, err)
			}
			if keep {
				views = append(views, v)
			}
			if len(views) == v3Chunk {
				if !send(views) {
					return context.Canceled
				}
				views = make([]V, 0, v3Chunk)
			}
			return nil
		})
		if ctx.Err() == nil {
			send(views) // the last chunk, or what came before a bad record
		}
		return err
	})
}

// v3ResourceKey is the primary key of a resource: Baton's tuple of its
// type and id, with 0x00 and 0x01 escaped.
func v3ResourceKey(typ, id string) []byte {
	k := append(make([]byte, 0, 4+len(typ)+len(id)), v3KeyVersion, v3KeyResource, 0)
	k = appendTuple(k, typ)
	k = append(k, 0)
	return appendTuple(k, id)
}

func appendTuple(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case 0:
			dst = append(dst, 1, 1)
		case 1:
			dst = append(dst, 1, 2)
		default:
			dst = append(dst, s[i])
		}
	}
	return dst
}

// resource reads one resource by id; nil when the sync has none.
func (v *v3Store) resource(id *connectorv2.ResourceId) (*connectorv2.Resource, error) {
	if id == nil {
		return nil, nil
	}
	b, closer, err := v.pdb.Get(v3ResourceKey(id.GetResourceType(), id.GetResource()))
	if err == pebble.ErrNotFound {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("%w: v3 Pebble database: %v", ErrCorrupt, err)
	}
	defer closer.Close()
	r, err := v3Resource(b)
	if err != nil {
		return nil, fmt.Errorf("%w: v3 resource record: %v", ErrCorrupt, err)
	}
	return r, nil
}

// resourceSeeker looks resources up for one listing through one
// iterator: a Get builds an iterator over the files each time, three
// times the cost of a seek on one already open.
type resourceSeeker struct {
	v3   *v3Store
	it   *pebble.Iterator
	last *connectorv2.Resource // grants of one entitlement share its resource
}

func (r *resourceSeeker) get(id *connectorv2.ResourceId) (*connectorv2.Resource, error) {
	if id == nil {
		return nil, nil
	}
	if l := r.last; l != nil && l.GetId().GetResourceType() == id.GetResourceType() && l.GetId().GetResource() == id.GetResource() {
		return l, nil
	}
	if r.it == nil {
		var err error
		if r.it, err = r.v3.pdb.NewIter(&pebble.IterOptions{LowerBound: []byte{v3KeyVersion, v3KeyResource}, UpperBound: []byte{v3KeyVersion, v3KeyResource + 1}}); err != nil {
			return nil, fmt.Errorf("%w: v3 Pebble database: %v", ErrCorrupt, err)
		}
	}
	key := v3ResourceKey(id.GetResourceType(), id.GetResource())
	if !r.it.SeekGE(key) || !bytes.Equal(r.it.Key(), key) {
		if err := r.it.Error(); err != nil {
			return nil, fmt.Errorf("%w: v3 Pebble database: %v", ErrCorrupt, err)
		}
		return nil, nil
	}
	b, err := r.it.ValueAndErr()
	if err != nil {
		return nil, fmt.Errorf("%w: v3 Pebble database: %v", ErrCorrupt, err)
	}
	res, err := v3Resource(b)
	if err != nil {
		return nil, fmt.Errorf("%w: v3 resource record: %v", ErrCorrupt, err)
	}
	r.last = res
	return res, nil
}

func (r *resourceSeeker) close() {
	if r.it != nil {
		r.it.Close()
	}
}

// entitlements is every entitlement by id, read once; ok is false when
// there are too many to keep.
func (v *v3Store) entitlements() (map[string]*connectorv2.Entitlement, bool, error) {
	v.entsMu.Lock()
	defer v.entsMu.Unlock()
	if v.ents != nil || v.tooMany {
		return v.ents, !v.tooMany, nil
	}
	m := map[string]*connectorv2.Entitlement{}
	errTooMany := fmt.Errorf("more than %d entitlements", maxDirectEntitlements)
	err := scanV3(v.pdb, v3KeyEntitlement, func(b []byte) error {
		e, err := v3Entitlement(b)
		if err != nil {
			return fmt.Errorf("%w: v3 entitlement record: %v", ErrCorrupt, err)
		}
		if len(m) == maxDirectEntitlements {
			return errTooMany
		}
		if _, dup := m[e.GetId()]; !dup {
			m[e.GetId()] = e
		}
		return nil
	})
	if err == errTooMany {
		v.tooMany = true
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	v.ents = m
	return m, true, nil
}

// stats are the sync's counts: as Baton's syncer recorded them in the
// manifest when it did (what Baton's own CLI prints, without reading the
// records), else counted as Store.Stats counts the v1 rows.
func (v *v3Store) stats() (Stats, error) {
	if r := v.recorded; r != nil {
		return Stats{ResourceTypes: r.ResourceTypes, Resources: r.Resources, Entitlements: r.Entitlements, Grants: r.Grants,
			ResourcesByType: r.ResourcesByType, EntitlementsByType: r.EntitlementsByType, GrantsByType: r.GrantsByType, Assets: r.Assets}, nil
	}
	return v.count()
}

// count counts the sync's objects as Store.Stats counts the v1 rows.
func (v *v3Store) count() (Stats, error) {
	var st Stats
	count := func(typ byte, total *int64, by *map[string]int64, rtype func([]byte) (string, error)) error {
		return scanV3(v.pdb, typ, func(b []byte) error {
			*total++
			if by == nil {
				return nil
			}
			t, err := rtype(b)
			if err != nil {
				return fmt.Errorf("%w: v3 record: %v", ErrCorrupt, err)
			}
			if *by == nil {
				*by = map[string]int64{}
			}
			(*by)[t]++
			return nil
		})
	}
	// A resource names its type in field 2; entitlements and grants
	// refer to their resource in field 3 (its type first).
	ownType := func(b []byte) (string, error) { return stringField(b, 2) }
	refType := func(b []byte) (string, error) {
		ref, err := bytesField(b, 3)
		if err != nil {
			return "", err
		}
		return stringField(ref, 1)
	}
	var wg sync.WaitGroup
	errs := make([]error, 5)
	for i, c := range []struct {
		typ   byte
		total *int64
		by    *map[string]int64
		rtype func([]byte) (string, error)
	}{
		{v3KeyResourceType, &st.ResourceTypes, nil, nil},
		{v3KeyResource, &st.Resources, &st.ResourcesByType, ownType},
		{v3KeyEntitlement, &st.Entitlements, &st.EntitlementsByType, refType},
		{v3KeyGrant, &st.Grants, &st.GrantsByType, refType},
		{v3KeyAsset, &st.Assets, nil, nil},
	} {
		wg.Go(func() { errs[i] = count(c.typ, c.total, c.by, c.rtype) })
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return Stats{}, err
		}
	}
	return st, nil
}

// bytesField is the last occurrence of length-delimited field num.
func bytesField(b []byte, num protowire.Number) ([]byte, error) {
	var out []byte
	err := eachField(b, func(n protowire.Number, v []byte, _ uint64) error {
		if n == num {
			out = v
		}
		return nil
	})
	return out, err
}

func stringField(b []byte, num protowire.Number) (string, error) {
	v, err := bytesField(b, num)
	return string(v), err
}

// v3GrantView decodes a grant record as GrantViews gives it from v1
// rows: the grant as stored (without its GrantExpandable annotation,
// which v1 keeps apart), the entitlement and resource, the principal.
type v3GrantViews struct {
	res  *resourceSeeker
	ents map[string]*connectorv2.Entitlement
	last entRef // the stub grants of one entitlement share
}

func (d *v3GrantViews) view(b []byte) (GrantView, error) {
	// Grants of one entitlement share its message, as v1 views do, so
	// an encoder keyed on it marshals it once per run.
	g, err := v3GrantRecord(b, false, &d.last)
	if err != nil {
		return GrantView{}, err
	}
	// What a conversion refuses to store (grantRow), refused here too.
	if g.GetId() == "" || g.GetEntitlement().GetId() == "" || g.GetPrincipal().GetId() == nil {
		return GrantView{}, fmt.Errorf("grant %q: %w: id, entitlement and principal are required", g.GetId(), ErrInvalidObject)
	}
	v := GrantView{Grant: g, Entitlement: d.ents[g.GetEntitlement().GetId()]}
	if v.Resource, err = d.res.get(g.GetEntitlement().GetResource().GetId()); err != nil {
		return v, err
	}
	last := d.res.last
	v.Principal, err = d.res.get(g.GetPrincipal().GetId())
	d.res.last = last // the entitlement's resource repeats; principals do not
	return v, err
}
