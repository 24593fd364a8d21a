package c1ztest

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/cespare/xxhash/v2"
	"github.com/cockroachdb/pebble/v2"
	"github.com/klauspost/compress/zstd"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/timestamppb"

	connectorv2 "github.com/batonkit/batonkit/pb/c1/connector/v2"
	"github.com/batonkit/batonkit/pkg/c1z"
)

// V3Writer writes a sync in the layout of Baton's v3 files (the C1Z3
// envelope, an indexed-zstd payload, a Pebble database of c1.storage.v3
// records) for tests and benchmarks of the v3 reader, where Baton's own
// tools cannot run. Records and envelope follow Baton's field numbers;
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

func str(b []byte, num protowire.Number, s string) []byte {
	if s == "" {
		return b
	}
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendString(b, s)
}

func msg(b []byte, num protowire.Number, m []byte) []byte {
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendBytes(b, m)
}

func anys(b []byte, num protowire.Number, as []*anypb.Any) ([]byte, error) {
	for _, a := range as {
		m, err := proto.Marshal(a)
		if err != nil {
			return nil, err
		}
		b = msg(b, num, m)
	}
	return b, nil
}

func ref(ids ...string) []byte {
	var b []byte
	for i, id := range ids {
		b = str(b, protowire.Number(i+1), id)
	}
	return b
}

// ResourceType writes a ResourceTypeRecord.
func (w *V3Writer) ResourceType(rt *connectorv2.ResourceType) error {
	b := str(nil, 2, rt.GetId())
	b = str(b, 3, rt.GetDisplayName())
	for _, t := range rt.GetTraits() {
		b = str(b, 4, strings.TrimPrefix(t.String(), "TRAIT_"))
	}
	b, err := anys(b, 5, rt.GetAnnotations())
	if err != nil {
		return err
	}
	b = str(b, 7, rt.GetDescription())
	return w.put(0x01, b, rt.GetId())
}

// Resource writes a ResourceRecord.
func (w *V3Writer) Resource(r *connectorv2.Resource) error {
	b := str(nil, 2, r.GetId().GetResourceType())
	b = str(b, 3, r.GetId().GetResource())
	b = str(b, 4, r.GetDisplayName())
	b = str(b, 5, r.GetDescription())
	if p := r.GetParentResourceId(); p != nil {
		b = msg(b, 6, ref(p.GetResourceType(), p.GetResource()))
	}
	b, err := anys(b, 7, r.GetAnnotations())
	if err != nil {
		return err
	}
	return w.put(0x02, b, r.GetId().GetResourceType(), r.GetId().GetResource())
}

// Entitlement writes an EntitlementRecord.
func (w *V3Writer) Entitlement(e *connectorv2.Entitlement) error {
	rid := e.GetResource().GetId()
	b := str(nil, 2, e.GetId())
	b = msg(b, 3, ref(rid.GetResourceType(), rid.GetResource()))
	b = str(b, 4, e.GetDisplayName())
	b = str(b, 5, e.GetDescription())
	if e.GetPurpose() != connectorv2.Entitlement_PURPOSE_VALUE_UNSPECIFIED {
		b = str(b, 6, strings.TrimPrefix(e.GetPurpose().String(), "PURPOSE_VALUE_"))
	}
	b, err := anys(b, 7, e.GetAnnotations())
	if err != nil {
		return err
	}
	b = str(b, 9, e.GetSlug())
	for _, rt := range e.GetGrantableTo() {
		b = str(b, 10, rt.GetId())
	}
	return w.put(0x03, b, e.GetId())
}

// Grant writes a GrantRecord; a GrantExpandable annotation becomes the
// record's expansion, as Baton stores it.
func (w *V3Writer) Grant(g *connectorv2.Grant) error {
	e, p := g.GetEntitlement(), g.GetPrincipal().GetId()
	b := str(nil, 2, g.GetId())
	b = msg(b, 3, ref(e.GetResource().GetId().GetResourceType(), e.GetResource().GetId().GetResource(), e.GetId()))
	b = msg(b, 4, ref(p.GetResourceType(), p.GetResource()))
	var rest []*anypb.Any
	for _, a := range g.GetAnnotations() {
		var exp connectorv2.GrantExpandable
		if a.MessageIs(&exp) {
			if err := a.UnmarshalTo(&exp); err != nil {
				return err
			}
			var x []byte
			for _, id := range exp.GetEntitlementIds() {
				x = str(x, 1, id)
			}
			b = msg(b, 6, x)
			continue
		}
		rest = append(rest, a)
	}
	b, err := anys(b, 8, rest)
	if err != nil {
		return err
	}
	keys := make([]string, 0, len(g.GetSources().GetSources()))
	for k := range g.GetSources().GetSources() {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		var v []byte
		if g.GetSources().GetSources()[k].GetIsDirect() {
			v = protowire.AppendTag(v, 4, protowire.VarintType)
			v = protowire.AppendVarint(v, 1)
		}
		b = msg(b, 9, msg(str(nil, 1, k), 2, v))
	}
	return w.put(0x04, b, g.GetId())
}

// Finish writes the sync run and the envelope to path.
func (w *V3Writer) Finish(path, syncID string) error {
	defer os.RemoveAll(w.dir)
	now, err := proto.Marshal(timestamppb.Now())
	if err != nil {
		return err
	}
	run := str(nil, 1, syncID)
	run = protowire.AppendTag(run, 2, protowire.VarintType)
	run = protowire.AppendVarint(run, 1) // full
	run = msg(msg(run, 4, now), 5, now)
	if err := w.put(0x06, run, syncID); err != nil {
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
	man := str(nil, 1, "pebble")
	man = protowire.AppendTag(man, 4, protowire.VarintType)
	man = protowire.AppendVarint(man, 5)
	var out bytes.Buffer
	out.WriteString("C1Z3\x00")
	binary.Write(&out, binary.BigEndian, uint32(len(man)))
	out.Write(man)
	enc, err := zstd.NewWriter(nil, zstd.WithEncoderConcurrency(1))
	if err != nil {
		return err
	}
	var index []byte
	err = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		raw, err := io.ReadAll(f)
		f.Close()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		frame := enc.EncodeAll(raw, nil)
		e := str(nil, 1, filepath.ToSlash(rel))
		for i, v := range []int{out.Len(), len(frame), len(raw)} {
			e = protowire.AppendTag(e, protowire.Number(i+2), protowire.VarintType)
			e = protowire.AppendVarint(e, uint64(v))
		}
		e = protowire.AppendTag(e, 5, protowire.Fixed64Type)
		e = protowire.AppendFixed64(e, xxhash.Sum64(raw))
		index = msg(index, 1, e)
		out.Write(frame)
		return nil
	})
	if err != nil {
		return err
	}
	index = protowire.AppendTag(index, 4, protowire.Fixed64Type)
	index = protowire.AppendFixed64(index, xxhash.Sum64(man))
	at := out.Len()
	out.Write(index)
	binary.Write(&out, binary.BigEndian, uint64(at))
	binary.Write(&out, binary.BigEndian, uint32(len(index)))
	binary.Write(&out, binary.BigEndian, xxhash.Sum64(index))
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
