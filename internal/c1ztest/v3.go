package c1ztest

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/cespare/xxhash/v2"
	"github.com/cockroachdb/pebble/v2"
	"github.com/klauspost/compress/zstd"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/timestamppb"

	c1zv3 "github.com/batonkit/batonkit/pb/c1/c1z/v3"
	connectorv2 "github.com/batonkit/batonkit/pb/c1/connector/v2"
	storagev3 "github.com/batonkit/batonkit/pb/c1/storage/v3"
	"github.com/batonkit/batonkit/pkg/c1z"
)

// V3Writer writes a sync in the layout of Baton's v3 files (the C1Z3
// envelope, an indexed-zstd payload, a Pebble database of c1.storage.v3
// records) for tests and benchmarks of the v3 reader, where Baton's own
// tools cannot run. Records and envelope are the generated c1.storage.v3
// and c1.c1z.v3 messages;
// keys carry the record-type prefix Baton uses, with a plain id tail
// (readers scan by prefix, so its tuple escaping is not reproduced).
type V3Writer struct {
	dir   string
	db    *pebble.DB
	batch *pebble.Batch
	n     int
}

// NewV3Writer starts a v3 database in a new temporary directory.
func NewV3Writer() (*V3Writer, error) {
	dir, err := os.MkdirTemp("", "v3-*")
	if err != nil {
		return nil, err
	}
	db, err := pebble.Open(filepath.Join(dir, "db"), &pebble.Options{Logger: quiet{}})
	if err != nil {
		return nil, err
	}
	return &V3Writer{dir: dir, db: db, batch: db.NewBatch()}, nil
}

// put stores a record under Baton's key: the version and type bytes,
// then the tuple of its key parts, each with 0x00 and 0x01 escaped
// (0x01 0x01, 0x01 0x02) and 0x00 between them.
func (w *V3Writer) put(typ byte, rec []byte, parts ...string) error {
	key := []byte{0x03, typ}
	for _, p := range parts {
		key = append(key, 0)
		for i := 0; i < len(p); i++ {
			switch p[i] {
			case 0, 1:
				key = append(key, 1, p[i]+1)
			default:
				key = append(key, p[i])
			}
		}
	}
	if err := w.batch.Set(key, rec, nil); err != nil {
		return err
	}
	if w.n++; w.n%10000 == 0 {
		if err := w.batch.Commit(pebble.NoSync); err != nil {
			return err
		}
		w.batch = w.db.NewBatch()
	}
	return nil
}

// record stores the marshalled record under its key; a record's map of
// sources is marshalled in key order, so equal syncs give equal files.
func (w *V3Writer) record(typ byte, m proto.Message, parts ...string) error {
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(m)
	if err != nil {
		return err
	}
	return w.put(typ, b, parts...)
}

// ResourceType writes a ResourceTypeRecord.
func (w *V3Writer) ResourceType(rt *connectorv2.ResourceType) error {
	r := &storagev3.ResourceTypeRecord{ExternalId: rt.GetId(), DisplayName: rt.GetDisplayName(), Annotations: rt.GetAnnotations(), Description: rt.GetDescription()}
	for _, t := range rt.GetTraits() {
		r.Traits = append(r.Traits, strings.TrimPrefix(t.String(), "TRAIT_"))
	}
	return w.record(0x01, r, rt.GetId())
}

// Resource writes a ResourceRecord.
func (w *V3Writer) Resource(r *connectorv2.Resource) error {
	id := r.GetId()
	rec := &storagev3.ResourceRecord{ResourceTypeId: id.GetResourceType(), ResourceId: id.GetResource(),
		DisplayName: r.GetDisplayName(), Description: r.GetDescription(), Annotations: r.GetAnnotations()}
	if p := r.GetParentResourceId(); p != nil {
		rec.Parent = &storagev3.ResourceRef{ResourceTypeId: p.GetResourceType(), ResourceId: p.GetResource()}
	}
	return w.record(0x02, rec, id.GetResourceType(), id.GetResource())
}

// Entitlement writes an EntitlementRecord.
func (w *V3Writer) Entitlement(e *connectorv2.Entitlement) error {
	rid := e.GetResource().GetId()
	r := &storagev3.EntitlementRecord{ExternalId: e.GetId(), Resource: &storagev3.ResourceRef{ResourceTypeId: rid.GetResourceType(), ResourceId: rid.GetResource()},
		DisplayName: e.GetDisplayName(), Description: e.GetDescription(), Annotations: e.GetAnnotations(), Slug: e.GetSlug()}
	if e.GetPurpose() != connectorv2.Entitlement_PURPOSE_VALUE_UNSPECIFIED {
		r.Purpose = strings.TrimPrefix(e.GetPurpose().String(), "PURPOSE_VALUE_")
	}
	for _, rt := range e.GetGrantableTo() {
		r.GrantableToResourceTypeIds = append(r.GrantableToResourceTypeIds, rt.GetId())
	}
	return w.record(0x03, r, e.GetId())
}

// Grant writes a GrantRecord; a GrantExpandable annotation becomes the
// record's expansion, as Baton stores it.
func (w *V3Writer) Grant(g *connectorv2.Grant) error {
	e, p := g.GetEntitlement(), g.GetPrincipal().GetId()
	rid := e.GetResource().GetId()
	r := &storagev3.GrantRecord{ExternalId: g.GetId(),
		Entitlement: &storagev3.EntitlementRef{ResourceTypeId: rid.GetResourceType(), ResourceId: rid.GetResource(), EntitlementId: e.GetId()},
		Principal:   &storagev3.PrincipalRef{ResourceTypeId: p.GetResourceType(), ResourceId: p.GetResource()}}
	for _, a := range g.GetAnnotations() {
		var exp connectorv2.GrantExpandable
		if a.MessageIs(&exp) {
			if err := a.UnmarshalTo(&exp); err != nil {
				return err
			}
			r.Expansion = &storagev3.GrantExpandableRecord{EntitlementIds: exp.GetEntitlementIds(), Shallow: exp.GetShallow(), ResourceTypeIds: exp.GetResourceTypeIds()}
			continue
		}
		r.Annotations = append(r.Annotations, a)
	}
	for k, src := range g.GetSources().GetSources() {
		if r.Sources == nil {
			r.Sources = map[string]*storagev3.GrantSourceRecord{}
		}
		r.Sources[k] = &storagev3.GrantSourceRecord{IsDirect: src.GetIsDirect()}
	}
	return w.record(0x04, r, g.GetId())
}

// Finish writes the sync run and the envelope to path.
func (w *V3Writer) Finish(path, syncID string) error {
	defer os.RemoveAll(w.dir)
	now := timestamppb.Now()
	run := &storagev3.SyncRunRecord{SyncId: syncID, Type: storagev3.SyncType_SYNC_TYPE_FULL, StartedAt: now, EndedAt: now}
	if err := w.record(0x06, run, syncID); err != nil {
		return err
	}
	if err := w.batch.Commit(pebble.Sync); err != nil {
		return err
	}
	if err := w.db.Flush(); err != nil {
		return err
	}
	ckpt := filepath.Join(w.dir, "ckpt")
	if err := w.db.Checkpoint(ckpt); err != nil {
		return err
	}
	if err := w.db.Close(); err != nil {
		return err
	}
	return writeEnvelope(path, ckpt)
}

// writeEnvelope writes magic, manifest and an indexed-zstd payload of
// the files under dir.
func writeEnvelope(path, dir string) error {
	man, err := proto.Marshal(&c1zv3.C1ZManifestV3{Engine: "pebble", PayloadEncoding: c1zv3.PayloadEncoding_PAYLOAD_ENCODING_INDEXED_ZSTD})
	if err != nil {
		return err
	}
	var out bytes.Buffer
	out.WriteString("C1Z3\x00")
	binary.Write(&out, binary.BigEndian, uint32(len(man)))
	out.Write(man)
	enc, err := zstd.NewWriter(nil, zstd.WithEncoderConcurrency(1))
	if err != nil {
		return err
	}
	index := &c1zv3.IndexedFrameIndex{ManifestXxh64: xxhash.Sum64(man)}
	err = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		raw, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		frame := enc.EncodeAll(raw, nil)
		index.Entries = append(index.Entries, &c1zv3.IndexedFrameEntry{Name: filepath.ToSlash(rel), FrameOffset: int64(out.Len()),
			CompressedSize: int64(len(frame)), RawSize: int64(len(raw)), RawXxh64: xxhash.Sum64(raw)})
		out.Write(frame)
		return nil
	})
	if err != nil {
		return err
	}
	idx, err := proto.Marshal(index)
	if err != nil {
		return err
	}
	at := out.Len()
	out.Write(idx)
	binary.Write(&out, binary.BigEndian, uint64(at))
	binary.Write(&out, binary.BigEndian, uint32(len(idx)))
	binary.Write(&out, binary.BigEndian, xxhash.Sum64(idx))
	out.WriteString("C1ZIDX1\x00")
	if err := os.WriteFile(path, out.Bytes(), 0o600); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// CopyToV3 writes the default sync of the v1 file src as a v3 file dst.
func CopyToV3(ctx context.Context, src, dst string) error {
	st, err := c1z.OpenReader(ctx, src)
	if err != nil {
		return err
	}
	defer st.Close(ctx)
	run, err := st.DefaultSync(ctx)
	if err != nil {
		return err
	}
	w, err := NewV3Writer()
	if err != nil {
		return err
	}
	for rt, err := range st.ResourceTypes(ctx, run.ID) {
		if err == nil {
			err = w.ResourceType(rt)
		}
		if err != nil {
			return err
		}
	}
	for r, err := range st.Resources(ctx, c1z.ResourceQuery{SyncID: run.ID}) {
		if err == nil {
			err = w.Resource(r)
		}
		if err != nil {
			return err
		}
	}
	for e, err := range st.Entitlements(ctx, c1z.EntitlementQuery{SyncID: run.ID}) {
		if err == nil {
			err = w.Entitlement(e)
		}
		if err != nil {
			return err
		}
	}
	for g, err := range st.Grants(ctx, c1z.GrantQuery{SyncID: run.ID}) {
		if err == nil {
			// v1 keeps a grant's expansion beside it, not in it.
			var e *connectorv2.GrantExpandable
			if e, err = st.GrantExpansion(ctx, run.ID, g.GetId()); err == nil && e != nil {
				a, aerr := anypb.New(e)
				if aerr != nil {
					return aerr
				}
				g.Annotations = append(g.Annotations, a)
			}
			err = w.Grant(g)
		}
		if err != nil {
			return err
		}
	}
	return w.Finish(dst, run.ID)
}

type quiet struct{}

func (quiet) Infof(string, ...any)              {}
func (quiet) Errorf(string, ...any)             {}
func (quiet) Fatalf(format string, args ...any) { panic(fmt.Sprintf(format, args...)) }
