package c1z_test

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"
	"google.golang.org/protobuf/encoding/protowire"

	"github.com/batonkit/batonkit/internal/c1ztest"
	"github.com/batonkit/batonkit/internal/testkit"
	"github.com/batonkit/batonkit/pkg/c1z"
)

func zstdBytes(t testing.TB, payload []byte) []byte {
	t.Helper()
	enc, err := zstd.NewWriter(nil)
	if err != nil {
		t.Fatal(err)
	}
	return enc.EncodeAll(payload, nil)
}

func TestBadInput(t *testing.T) {
	ctx := context.Background()
	good := filepath.Join(t.TempDir(), "good.c1z")
	writeSmall(t, good)
	goodBytes, err := os.ReadFile(good)
	testkit.Must(t, err)
	v3, err := os.ReadFile(filepath.Join(fixtureDir(t), "demo-v3-pebble.c1z"))
	testkit.Must(t, err)

	// A SQLite database with its middle overwritten.
	db := c1ztest.DecodeDB(t, good)
	dbBytes, err := os.ReadFile(db)
	testkit.Must(t, err)
	broken := append([]byte{}, dbBytes...)
	for i := 100; i < len(broken); i++ {
		broken[i] = 0xA5
	}

	tests := []struct {
		name    string
		content []byte
		opts    []c1z.Option
		want    error
		inMsg   string
	}{
		{"zero length", []byte{}, nil, c1z.ErrNotC1Z, "empty"},
		{"truncated header", []byte("C1Z"), nil, c1z.ErrCorrupt, "truncated header"},
		{"header only", []byte("C1ZF\x00"), nil, c1z.ErrCorrupt, ""},
		{"truncated stream", goodBytes[:len(goodBytes)/2], nil, c1z.ErrCorrupt, "truncated"},
		{"garbage", bytes.Repeat([]byte("not a sync file "), 100), nil, c1z.ErrNotC1Z, "header"},
		{"wrong magic", append([]byte("C1ZX\x00"), goodBytes[5:]...), nil, c1z.ErrNotC1Z, ""},
		{"gzip file", []byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3}, nil, c1z.ErrNotC1Z, ""},
		{"garbage after header", append([]byte("C1ZF\x00"), bytes.Repeat([]byte{0x42}, 500)...), nil, c1z.ErrCorrupt, ""},
		{"zstd of non-sqlite", append([]byte("C1ZF\x00"), zstdBytes(t, bytes.Repeat([]byte("hello"), 1000))...), nil, c1z.ErrCorrupt, "not a SQLite"},
		{"bomb", append([]byte("C1ZF\x00"), zstdBytes(t, append([]byte("SQLite format 3\x00"), make([]byte, 4<<20)...))...),
			[]c1z.Option{c1z.WithLimits(c1z.Limits{MaxDecodedSize: 1 << 20, MaxWindow: 8 << 20})}, c1z.ErrTooLarge, ""},
		{"corrupt sqlite", append([]byte("C1ZF\x00"), zstdBytes(t, broken)...), nil, c1z.ErrCorrupt, ""},
		{"v3 truncated", v3[:len(v3)/2], nil, c1z.ErrCorrupt, "v3"},
		{"v3 header only", []byte("C1Z3\x00"), nil, c1z.ErrCorrupt, "manifest"},
		{"v3 manifest length", append([]byte("C1Z3\x00\xff\xff\xff\xff"), v3[9:]...), nil, c1z.ErrCorrupt, "manifest claims"},
		{"v3 manifest garbage", append([]byte("C1Z3\x00\x00\x00\x00\x08"), bytes.Repeat([]byte{0xff}, 64)...), nil, c1z.ErrCorrupt, "manifest"},
		{"v3 unknown engine", v3File(manifest("rocksdb", 1), nil), nil, c1z.ErrUnsupportedFormat, "rocksdb"},
		{"v3 unknown encoding", v3File(manifest("pebble", 9), nil), nil, c1z.ErrUnsupportedFormat, "encoding 9"},
		{"v3 corrupt index", flip(v3, len(v3)-40), nil, c1z.ErrCorrupt, "index"},
		{"v3 corrupt frame", flip(v3, v3PayloadStart(v3)+40), nil, c1z.ErrCorrupt, "frame"},
		{"v3 bomb", v3File(manifest("pebble", 1), zstdBytes(t, tarOf(t, "000001.sst", make([]byte, 4<<20)))),
			[]c1z.Option{c1z.WithLimits(c1z.Limits{MaxDecodedSize: 1 << 20, MaxWindow: 8 << 20})}, c1z.ErrTooLarge, ""},
		{"v3 escaping path", v3File(manifest("pebble", 2), tarOf(t, "../evil", []byte("x"))), nil, c1z.ErrCorrupt, "not a local path"},
	}
	for _, tt := range tests {
		for _, ro := range []bool{false, true} {
			name := tt.name + map[bool]string{false: "/writable", true: "/read-only"}[ro]
			t.Run(name, func(t *testing.T) {
				dir := t.TempDir()
				path := filepath.Join(dir, "in.c1z")
				testkit.Must(t, os.WriteFile(path, tt.content, 0o644))
				opts := append([]c1z.Option{c1z.WithTempDir(dir)}, tt.opts...)
				var s *c1z.Reader
				var err error
				if ro {
					s, err = c1z.OpenReader(ctx, path, opts...)
				} else {
					var st *c1z.Store
					if st, err = c1z.Open(ctx, path, opts...); err == nil {
						s = st.Reader
					}
				}
				if err == nil {
					// Some damage only shows when data is read.
					_, err = s.Stats(ctx, "")
					for _, serr := range s.Resources(ctx, c1z.ResourceQuery{}) {
						if serr != nil && err == nil {
							err = serr
						}
					}
					s.Close(ctx)
				}
				if tt.name == "zero length" && !ro {
					// A writable open of an empty file starts a new store.
					if err != nil && !errors.Is(err, c1z.ErrNoSync) {
						t.Fatalf("empty file, writable: %v", err)
					}
					return
				}
				want, inMsg := tt.want, tt.inMsg
				if strings.HasPrefix(tt.name, "v3 ") && !ro {
					// Writing never touches a v3 file, whatever its state.
					want, inMsg = c1z.ErrUnsupportedFormat, "export c1z"
				}
				if !errors.Is(err, want) {
					t.Fatalf("err = %v, want %v", err, want)
				}
				if !strings.Contains(err.Error(), path) && !strings.Contains(err.Error(), "in.c1z") {
					t.Errorf("error %q does not name the file", err)
				}
				if inMsg != "" && !strings.Contains(err.Error(), inMsg) {
					t.Errorf("error %q does not mention %q", err, inMsg)
				}
				after, rerr := os.ReadFile(path)
				testkit.Must(t, rerr)
				if !bytes.Equal(after, tt.content) {
					t.Fatalf("the input file was modified")
				}
				entries, _ := os.ReadDir(dir)
				for _, e := range entries {
					if e.Name() != "in.c1z" {
						t.Errorf("left behind: %s", e.Name())
					}
				}
			})
		}
	}
}

func TestSecondWriterIsRefused(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "busy.c1z")
	a, err := c1z.Open(ctx, path)
	testkit.Must(t, err)
	if _, err := c1z.Open(ctx, path); !errors.Is(err, c1z.ErrInUse) {
		t.Fatalf("second writer: %v, want ErrInUse", err)
	}
	testkit.Must(t, a.Close(ctx))
	b, err := c1z.Open(ctx, path)
	testkit.Must(t, err)
	testkit.Must(t, b.Close(ctx))
}

func FuzzOpen(f *testing.F) {
	dir := f.TempDir()
	good := filepath.Join(dir, "seed.c1z")
	writeSmall(&testing.T{}, good)
	if b, err := os.ReadFile(good); err == nil {
		f.Add(b)
		f.Add(b[:len(b)/3])
	}
	f.Add([]byte{})
	f.Add([]byte("C1ZF\x00"))
	f.Add([]byte("C1Z3\x00\x00\x00"))
	if v3, err := os.ReadFile(filepath.Join("..", "..", "..", "shared", "fixtures", "upstream", "demo-v3-pebble.c1z")); err == nil {
		f.Add(v3)
		f.Add(v3[:len(v3)-30])
		f.Add(flip(v3, v3PayloadStart(v3)+100))
		f.Add(flip(v3, len(v3)/2))
	}
	f.Add(v3File(manifest("pebble", 2), []byte("not a tar")))
	f.Add(append([]byte("C1ZF\x00"), zstdBytes(f, []byte("SQLite format 3\x00garbage"))...))
	f.Fuzz(func(t *testing.T, data []byte) {
		ctx := context.Background()
		d := t.TempDir()
		path := filepath.Join(d, "f.c1z")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		s, err := c1z.OpenReader(ctx, path, c1z.WithTempDir(d), c1z.WithLimits(c1z.Limits{MaxDecodedSize: 64 << 20, MaxWindow: 8 << 20}))
		if err != nil {
			if !errors.Is(err, c1z.ErrNotC1Z) && !errors.Is(err, c1z.ErrCorrupt) && !errors.Is(err, c1z.ErrTooLarge) && !errors.Is(err, c1z.ErrUnsupportedFormat) {
				t.Fatalf("unclassified error: %v", err)
			}
			return
		}
		defer s.Close(ctx)
		for _, err := range s.Resources(ctx, c1z.ResourceQuery{}) {
			if err != nil {
				break
			}
		}
	})
}

// The fixture opens read-only; writing to it in place is refused (a v3
// file is never overwritten with v1), untouched.
func TestV3OpensReadOnlyOnly(t *testing.T) {
	ctx := context.Background()
	src, err := os.ReadFile(filepath.Join(fixtureDir(t), "demo-v3-pebble.c1z"))
	testkit.Must(t, err)
	dir := t.TempDir()
	path := filepath.Join(dir, "v3.c1z")
	testkit.Must(t, os.WriteFile(path, src, 0o600))
	r, err := c1z.OpenReader(ctx, path, c1z.WithTempDir(dir))
	testkit.Must(t, err)
	if r.Format() != c1z.FormatV3 {
		t.Errorf("format %v, want v3", r.Format())
	}
	st, err := r.Stats(ctx, "")
	testkit.Must(t, err)
	testkit.Must(t, r.Close(ctx))
	if st.Grants != 31 || st.Resources != 11 {
		t.Fatalf("stats %+v", st)
	}
	if _, err := c1z.Open(ctx, path); !errors.Is(err, c1z.ErrUnsupportedFormat) || !strings.Contains(err.Error(), "export c1z") {
		t.Fatalf("writable open of a v3 file: %v", err)
	}
	after, _ := os.ReadFile(path)
	if !bytes.Equal(after, src) {
		t.Fatal("the v3 file was modified")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("left behind: %v", entries)
	}
}

// manifest encodes a C1ZManifestV3 with an engine and payload encoding.
func manifest(engine string, encoding uint64) []byte {
	b := protowire.AppendTag(nil, 1, protowire.BytesType)
	b = protowire.AppendString(b, engine)
	b = protowire.AppendTag(b, 4, protowire.VarintType)
	return protowire.AppendVarint(b, encoding)
}

func v3File(manifest, payload []byte) []byte {
	b := append([]byte("C1Z3\x00"), byte(len(manifest)>>24), byte(len(manifest)>>16), byte(len(manifest)>>8), byte(len(manifest)))
	return append(append(b, manifest...), payload...)
}

func v3PayloadStart(b []byte) int {
	return 9 + int(b[5])<<24 | int(b[6])<<16 | int(b[7])<<8 | int(b[8])
}

func flip(b []byte, at int) []byte {
	out := append([]byte{}, b...)
	out[at] ^= 0xff
	return out
}

func tarOf(t *testing.T, name string, data []byte) []byte {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	testkit.Must(t, tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(data)), Typeflag: tar.TypeReg}))
	_, err := tw.Write(data)
	testkit.Must(t, err)
	testkit.Must(t, tw.Close())
	return buf.Bytes()
}
