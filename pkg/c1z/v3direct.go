package c1z

import (
	"context"
	"fmt"
	"iter"
	"strings"
	"sync"
	"sync/atomic"

	"google.golang.org/protobuf/proto"

	connectorv2 "github.com/batonkit/batonkit/pb/c1/connector/v2"
	storagev3 "github.com/batonkit/batonkit/pb/c1/storage/v3"
	"github.com/batonkit/batonkit/pkg/c1z/internal/v3file"
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
	pdb      *v3file.DB
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
	return v3List(ctx, v3, id, v3file.KindResourceType, "resource type", func(b []byte) (*connectorv2.ResourceType, bool, error) {
		rt, err := v3file.ResourceType(b)
		return rt, err == nil, err
	})
}

func v3Resources[V any](ctx context.Context, v3 *v3Store, id, typ string, view func(*v3file.Seeker, *connectorv2.Resource) (V, error)) iter.Seq2[V, error] {
	return v3ListWith(ctx, v3, id, v3file.KindResource, "resource", func(res *v3file.Seeker) func([]byte) (V, bool, error) {
		var dec v3file.ResourceDecoder
		return func(b []byte) (V, bool, error) {
			var zero V
			rec, err := dec.Decode(b)
			if err != nil || typ != "" && rec.GetResourceTypeId() != typ {
				return zero, false, err
			}
			r := v3file.ResourceFrom(rec)
			v, err := view(res, r)
			return v, err == nil, err
		}
	})
}

func v3Entitlements[V any](ctx context.Context, v3 *v3Store, id string, q EntitlementQuery, view func(*v3file.Seeker, *connectorv2.Entitlement) (V, error)) iter.Seq2[V, error] {
	return v3ListWith(ctx, v3, id, v3file.KindEntitlement, "entitlement", func(res *v3file.Seeker) func([]byte) (V, bool, error) {
		return func(b []byte) (V, bool, error) {
			var zero V
			e, err := v3file.Entitlement(b)
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
	return v3ListWith(ctx, v3, id, v3file.KindGrant, "grant", func(res *v3file.Seeker) func([]byte) (GrantView, bool, error) {
		return grantViewDecoder(&v3GrantViews{res: res, ents: ents}, q)
	}), true, nil
}

func grantViewDecoder(d *v3GrantViews, q GrantQuery) func([]byte) (GrantView, bool, error) {
	var dec v3file.GrantDecoder
	selective := q.EntitlementID != "" || q.Principal != nil || q.Resource != nil || q.ResourceTypeID != ""
	filter := v3file.RefFilter{EntitlementID: q.EntitlementID, ResourceTypeID: q.ResourceTypeID,
		PrincipalTypeID: q.Principal.GetResourceType(), PrincipalID: q.Principal.GetResource()}
	// A resource of another type than the one asked for matches nothing.
	conflict := q.Resource != nil && q.ResourceTypeID != "" && q.ResourceTypeID != q.Resource.GetResourceType()
	if q.Resource != nil {
		filter.ResourceTypeID, filter.ResourceID = q.Resource.GetResourceType(), q.Resource.GetResource()
	}
	return func(b []byte) (GrantView, bool, error) {
		if selective {
			// Select on the references before decoding the rest.
			if ok, err := dec.Match(b, filter); !ok || conflict || err != nil {
				return GrantView{}, false, err
			}
		}
		r, err := dec.Decode(b)
		if err != nil {
			return GrantView{}, false, err
		}
		v, err := d.view(r)
		return v, err == nil, err
	}
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
		if r, err = v3.pdb.Resource(&connectorv2.ResourceId{ResourceType: typ, Resource: id}); r != nil {
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
		err = v3.pdb.Scan(v3file.KindResourceType, func(b []byte) error {
			rt, err := v3file.ResourceType(b)
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
func v3List[V any](ctx context.Context, v3 *v3Store, syncID string, typ v3file.Kind, what string, decode func(v []byte) (V, bool, error)) iter.Seq2[V, error] {
	return v3ListWith(ctx, v3, syncID, typ, what, func(*v3file.Seeker) func([]byte) (V, bool, error) { return decode })
}

// v3ListWith is v3List for decoders that look resources up: it makes
// one from a seeker of the listing's own, on the decoding goroutine.
func v3ListWith[V any](ctx context.Context, v3 *v3Store, syncID string, typ v3file.Kind, what string, decoder func(*v3file.Seeker) func([]byte) (V, bool, error)) iter.Seq2[V, error] {
	if syncID != v3.run.ID {
		return func(func(V, error) bool) {} // no such sync in a v3 file: nothing, as from SQL
	}
	return ahead(ctx, func(ctx context.Context, send func([]V) bool) (err error) {
		defer func() {
			if r := recover(); r != nil {
				err = fmt.Errorf("%w: v3 Pebble database: %v", ErrCorrupt, r)
			}
		}()
		seeker := v3.pdb.Seeker()
		defer seeker.Close()
		decode := decoder(seeker)
		views := make([]V, 0, v3Chunk)
		err = v3.pdb.Scan(typ, func(b []byte) error {
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
	err := v.pdb.Scan(v3file.KindEntitlement, func(b []byte) error {
		e, err := v3file.Entitlement(b)
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

// count counts the sync's objects as Store.Stats counts the v1 rows,
// the five kinds at once.
func (v *v3Store) count() (Stats, error) {
	var st Stats
	// Resources are counted by their own type, entitlements and grants
	// by the type of the resource they belong to.
	ownType := func(b []byte) (string, error) {
		r := &storagev3.ResourceRecord{}
		err := r.UnmarshalVT(b)
		return r.GetResourceTypeId(), err
	}
	entType := func(b []byte) (string, error) {
		r := &storagev3.EntitlementRecord{}
		err := r.UnmarshalVT(b)
		return r.GetResource().GetResourceTypeId(), err
	}
	grantType := func(b []byte) (string, error) {
		r := &storagev3.GrantRecord{}
		err := r.UnmarshalVT(b)
		return r.GetEntitlement().GetResourceTypeId(), err
	}
	count := func(kind v3file.Kind, total *int64, by *map[string]int64, rtype func([]byte) (string, error)) error {
		return v.pdb.Scan(kind, func(b []byte) error {
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
	var wg sync.WaitGroup
	errs := make([]error, 5)
	for i, c := range []struct {
		kind  v3file.Kind
		total *int64
		by    *map[string]int64
		rtype func([]byte) (string, error)
	}{
		{v3file.KindResourceType, &st.ResourceTypes, nil, nil},
		{v3file.KindResource, &st.Resources, &st.ResourcesByType, ownType},
		{v3file.KindEntitlement, &st.Entitlements, &st.EntitlementsByType, entType},
		{v3file.KindGrant, &st.Grants, &st.GrantsByType, grantType},
		{v3file.KindAsset, &st.Assets, nil, nil},
	} {
		wg.Go(func() { errs[i] = count(c.kind, c.total, c.by, c.rtype) })
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return Stats{}, err
		}
	}
	return st, nil
}

// v3GrantViews makes grant views of grant records as GrantViews gives
// them from v1 rows: the grant as stored (without its GrantExpandable
// annotation, which v1 keeps apart), the entitlement and resource, the
// principal.
type v3GrantViews struct {
	res  *v3file.Seeker
	ents map[string]*connectorv2.Entitlement
	last v3file.SharedEntitlement // the stub grants of one entitlement share
}

func (d *v3GrantViews) view(r *storagev3.GrantRecord) (GrantView, error) {
	// Grants of one entitlement share its message, as v1 views do, so
	// an encoder keyed on it marshals it once per run.
	g, err := v3file.GrantFrom(r, false, &d.last)
	if err != nil {
		return GrantView{}, err
	}
	// What a conversion refuses to store (grantRow), refused here too.
	if g.GetId() == "" || g.GetEntitlement().GetId() == "" || g.GetPrincipal().GetId() == nil {
		return GrantView{}, fmt.Errorf("grant %q: %w: id, entitlement and principal are required", g.GetId(), ErrInvalidObject)
	}
	v := GrantView{Grant: g, Entitlement: d.ents[g.GetEntitlement().GetId()]}
	if v.Resource, err = d.res.Get(g.GetEntitlement().GetResource().GetId()); err != nil {
		return v, err
	}
	// The entitlement's resource repeats; principals do not.
	v.Principal, err = d.res.Lookup(g.GetPrincipal().GetId())
	return v, err
}
