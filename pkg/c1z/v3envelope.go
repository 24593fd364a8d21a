package c1z

import (
	"archive/tar"
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/cespare/xxhash/v2"
	"github.com/klauspost/compress/zstd"
	"google.golang.org/protobuf/encoding/protowire"
)

// A "v3" file, which Baton writes by default since v0.25: the 5-byte
// header, a big-endian uint32 length, a c1.c1z.v3.C1ZManifestV3 message,
// then the payload, a Pebble database directory in one of these
// encodings. Only the manifest fields a reader needs are decoded.
const (
	v3EncodingUnspecified = 0
	v3EncodingTarZstd     = 1
	v3EncodingTar         = 2
	v3EncodingIndexedZstd = 5

	maxV3Manifest = 16 << 20
	maxV3Index    = 64 << 20
	maxV3Name     = 4096
)

// v3IndexFooter ends an indexed payload: u64 index offset, u32 index
// length, u64 xxh64 of the index, this magic.
var v3IndexMagic = []byte("C1ZIDX1\x00")

const v3FooterLen = 8 + 4 + 8 + 8

// v3Manifest is what we read of C1ZManifestV3.
type v3Manifest struct {
	engine        string // field 1
	schemaVersion uint64 // field 2
	encoding      uint64 // field 4
	raw           []byte
}

// readV3Head reads the manifest of the v3 file f, positioned after the
// header, and returns it with the offset where the payload starts.
func readV3Head(f *os.File) (v3Manifest, int64, error) {
	var n [4]byte
	if _, err := io.ReadFull(f, n[:]); err != nil {
		return v3Manifest{}, 0, fmt.Errorf("%w: v3 manifest length: %v", ErrCorrupt, err)
	}
	size := binary.BigEndian.Uint32(n[:])
	if size > maxV3Manifest {
		return v3Manifest{}, 0, fmt.Errorf("%w: v3 manifest claims %d bytes (at most %d)", ErrCorrupt, size, maxV3Manifest)
	}
	raw := make([]byte, size)
	if _, err := io.ReadFull(f, raw); err != nil {
		return v3Manifest{}, 0, fmt.Errorf("%w: v3 manifest truncated: %v", ErrCorrupt, err)
	}
	m := v3Manifest{raw: raw}
	err := eachField(raw, func(num protowire.Number, v []byte, n uint64) error {
		switch num {
		case 1:
			m.engine = string(v)
		case 2:
			m.schemaVersion = n
		case 4:
			m.encoding = n
		}
		return nil
	})
	if err != nil {
		return m, 0, fmt.Errorf("%w: v3 manifest: %v", ErrCorrupt, err)
	}
	if m.engine == "" {
		return m, 0, fmt.Errorf("%w: v3 manifest names no storage engine", ErrCorrupt)
	}
	if !strings.HasPrefix(m.engine, "pebble") {
		return m, 0, fmt.Errorf("%w: v3 file of storage engine %q (only Pebble is known)", ErrUnsupportedFormat, m.engine)
	}
	return m, int64(headerSize + 4 + len(raw)), nil
}

// extractV3 writes the payload of the v3 file f into dir, a new empty
// directory, within budget decoded bytes.
func extractV3(f *os.File, m v3Manifest, payloadAt int64, dir string, lim Limits, budget int64) error {
	switch m.encoding {
	case v3EncodingIndexedZstd:
		return extractIndexed(f, m, payloadAt, dir, lim, budget)
	case v3EncodingUnspecified, v3EncodingTarZstd, v3EncodingTar:
		if _, err := f.Seek(payloadAt, io.SeekStart); err != nil {
			return err
		}
		var r io.Reader = f
		if m.encoding != v3EncodingTar {
			zr, err := zstd.NewReader(f, zstd.WithDecoderMaxWindow(lim.MaxWindow), zstd.WithDecoderConcurrency(1))
			if err != nil {
				return fmt.Errorf("%w: v3 payload: %v", ErrCorrupt, err)
			}
			defer zr.Close()
			r = zr
		}
		return extractTar(&budgetReader{r: r, left: budget}, dir)
	}
	return fmt.Errorf("%w: v3 payload encoding %d", ErrUnsupportedFormat, m.encoding)
}

// budgetReader fails once more than left bytes were read: a payload may
// not expand past what the file can legitimately hold.
type budgetReader struct {
	r    io.Reader
	left int64
}

func (b *budgetReader) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	b.left -= int64(n)
	if b.left < 0 {
		return 0, &SizeError{What: "the v3 payload", Size: -1, Limit: 0, Err: ErrTooLarge}
	}
	return n, err
}

// extractTar unpacks a tar stream of plain files and directories.
func extractTar(r io.Reader, dir string) error {
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%w: v3 payload archive: %v", ErrCorrupt, err)
		}
		target, err := payloadPath(dir, h.Name)
		if err != nil {
			return err
		}
		switch h.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(target, 0o700); err != nil {
				return err
			}
		case tar.TypeReg:
			if err := writePayloadFile(target, tr); err != nil {
				return err
			}
		}
	}
}

// payloadPath is where a payload entry named name goes under dir; names
// that would leave dir are corruption (or an attack), never followed.
func payloadPath(dir, name string) (string, error) {
	name = filepath.FromSlash(name)
	if name == "" || len(name) > maxV3Name || !filepath.IsLocal(name) {
		return "", fmt.Errorf("%w: v3 payload entry %q is not a local path", ErrCorrupt, name)
	}
	return filepath.Join(dir, name), nil
}

func writePayloadFile(path string, r io.Reader) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("%w: v3 payload entry %s: %v", ErrCorrupt, filepath.Base(path), err)
	}
	_, err = io.Copy(f, r)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// v3Frame is one entry of an indexed payload's frame table
// (c1.c1z.v3.IndexedFrameEntry).
type v3Frame struct {
	name          string
	offset, csize int64
	rawSize       int64
	xxh           uint64
}

// extractIndexed unpacks an indexed payload: zstd frames, one per file,
// listed by a trailing index the footer points at.
func extractIndexed(f *os.File, m v3Manifest, payloadAt int64, dir string, lim Limits, budget int64) error {
	st, err := f.Stat()
	if err != nil {
		return err
	}
	size := st.Size()
	if size < payloadAt+v3FooterLen {
		return fmt.Errorf("%w: v3 payload truncated (no frame index)", ErrCorrupt)
	}
	var foot [v3FooterLen]byte
	if _, err := f.ReadAt(foot[:], size-v3FooterLen); err != nil {
		return err
	}
	if !bytes.Equal(foot[20:], v3IndexMagic) {
		return fmt.Errorf("%w: v3 payload truncated (frame index footer missing)", ErrCorrupt)
	}
	at, n := int64(binary.BigEndian.Uint64(foot[:8])), int64(binary.BigEndian.Uint32(foot[8:12]))
	if n > maxV3Index || at < payloadAt || at+n+v3FooterLen != size {
		return fmt.Errorf("%w: v3 frame index does not fit the file (at %d, %d bytes, file %d)", ErrCorrupt, at, n, size)
	}
	idx := make([]byte, n)
	if _, err := f.ReadAt(idx, at); err != nil {
		return err
	}
	if xxhash.Sum64(idx) != binary.BigEndian.Uint64(foot[12:20]) {
		return fmt.Errorf("%w: v3 frame index checksum mismatch", ErrCorrupt)
	}
	frames, manifestHash, err := parseFrameIndex(idx)
	if err != nil {
		return err
	}
	if manifestHash != 0 && manifestHash != xxhash.Sum64(m.raw) {
		return fmt.Errorf("%w: v3 manifest does not match the frame index (checksum)", ErrCorrupt)
	}
	var total int64
	for _, fr := range frames {
		if fr.rawSize < 0 || fr.csize <= 0 || fr.offset < payloadAt || fr.csize > at-fr.offset {
			return fmt.Errorf("%w: v3 frame %q is out of bounds", ErrCorrupt, fr.name)
		}
		if total += fr.rawSize; total > budget {
			return &SizeError{What: "the v3 payload (by its index)", Size: total, Limit: budget, Err: ErrTooLarge}
		}
	}
	dec, err := zstd.NewReader(nil, zstd.WithDecoderMaxWindow(lim.MaxWindow), zstd.WithDecoderConcurrency(1))
	if err != nil {
		return err
	}
	defer dec.Close()
	seen := map[string]bool{}
	for _, fr := range frames {
		if seen[fr.name] {
			return fmt.Errorf("%w: v3 frame %q listed twice", ErrCorrupt, fr.name)
		}
		seen[fr.name] = true
		target, err := payloadPath(dir, fr.name)
		if err != nil {
			return err
		}
		if err := dec.Reset(io.NewSectionReader(f, fr.offset, fr.csize)); err != nil {
			return fmt.Errorf("%w: v3 frame %q: %v", ErrCorrupt, fr.name, err)
		}
		h := xxhash.New()
		// A frame may not decode past the size the index gives it.
		lr := &budgetReader{r: io.TeeReader(dec, h), left: fr.rawSize}
		if err := writePayloadFile(target, lr); err != nil {
			return fmt.Errorf("%w: v3 frame %q: %v", ErrCorrupt, fr.name, err)
		}
		if fr.rawSize-lr.left != fr.rawSize || (fr.xxh != 0 && h.Sum64() != fr.xxh) {
			return fmt.Errorf("%w: v3 frame %q does not match its index entry", ErrCorrupt, fr.name)
		}
	}
	return nil
}

// parseFrameIndex decodes c1.c1z.v3.IndexedFrameIndex: entries (1) and
// manifest_xxh64 (4).
func parseFrameIndex(b []byte) ([]v3Frame, uint64, error) {
	var frames []v3Frame
	var manifestHash uint64
	err := eachField(b, func(num protowire.Number, v []byte, n uint64) error {
		switch num {
		case 1:
			fr, err := parseFrame(v)
			frames = append(frames, fr)
			return err
		case 4:
			manifestHash = n
		}
		return nil
	})
	if err != nil {
		return nil, 0, fmt.Errorf("%w: v3 frame index: %v", ErrCorrupt, err)
	}
	return frames, manifestHash, nil
}

// parseFrame decodes c1.c1z.v3.IndexedFrameEntry.
func parseFrame(b []byte) (v3Frame, error) {
	var fr v3Frame
	err := eachField(b, func(num protowire.Number, v []byte, n uint64) error {
		switch num {
		case 1:
			fr.name = string(v)
		case 2:
			fr.offset = int64(n)
		case 3:
			fr.csize = int64(n)
		case 4:
			fr.rawSize = int64(n)
		case 5:
			fr.xxh = n
		}
		return nil
	})
	return fr, err
}
