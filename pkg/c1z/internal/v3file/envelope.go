package v3file

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

	c1zv3 "github.com/batonkit/batonkit/pb/c1/c1z/v3"
	"github.com/batonkit/batonkit/pkg/c1z/internal/c1zerr"
)

var (
	errCorrupt     = c1zerr.ErrCorrupt
	errTooLarge    = c1zerr.ErrTooLarge
	errUnsupported = c1zerr.ErrUnsupportedFormat
)

// A "v3" file, which Baton writes by default since v0.25: the 5-byte
// header, a big-endian uint32 length, a c1.c1z.v3.C1ZManifestV3 message,
// then the payload, a Pebble database directory in the encoding the
// manifest names.
const (
	headerSize = 5

	maxV3Manifest = 16 << 20
	maxV3Index    = 64 << 20
	maxV3Name     = 4096
)

// v3IndexFooter ends an indexed payload: u64 index offset, u32 index
// length, u64 xxh64 of the index, this magic.
var v3IndexMagic = []byte("C1ZIDX1\x00")

const v3FooterLen = 8 + 4 + 8 + 8

// Manifest is a v3 file's manifest, and its bytes as stored (an indexed
// payload's frame index is bound to them by checksum).
type Manifest struct {
	*c1zv3.C1ZManifestV3
	Raw []byte
}

// ReadHead reads the manifest of the v3 file f, positioned after the
// header, and returns it with the offset where the payload starts.
func ReadHead(f *os.File) (Manifest, int64, error) {
	var n [4]byte
	if _, err := io.ReadFull(f, n[:]); err != nil {
		return Manifest{}, 0, fmt.Errorf("%w: v3 manifest length: %v", errCorrupt, err)
	}
	size := binary.BigEndian.Uint32(n[:])
	if size > maxV3Manifest {
		return Manifest{}, 0, fmt.Errorf("%w: v3 manifest claims %d bytes (at most %d)", errCorrupt, size, maxV3Manifest)
	}
	raw := make([]byte, size)
	if _, err := io.ReadFull(f, raw); err != nil {
		return Manifest{}, 0, fmt.Errorf("%w: v3 manifest truncated: %v", errCorrupt, err)
	}
	m := Manifest{C1ZManifestV3: &c1zv3.C1ZManifestV3{}, Raw: raw}
	if err := m.C1ZManifestV3.UnmarshalVT(raw); err != nil {
		return m, 0, fmt.Errorf("%w: v3 manifest: %v", errCorrupt, err)
	}
	if m.GetEngine() == "" {
		return m, 0, fmt.Errorf("%w: v3 manifest names no storage engine", errCorrupt)
	}
	if !strings.HasPrefix(m.GetEngine(), "pebble") {
		return m, 0, fmt.Errorf("%w: v3 file of storage engine %q (only Pebble is known)", errUnsupported, m.GetEngine())
	}
	return m, int64(headerSize + 4 + len(raw)), nil
}

// Extract writes the payload of the v3 file f into dir, a new empty
// directory, within budget decoded bytes, accepting zstd windows up to
// maxWindow.
func Extract(f *os.File, m Manifest, payloadAt int64, dir string, maxWindow uint64, budget int64) error {
	switch enc := m.GetPayloadEncoding(); enc {
	case c1zv3.PayloadEncoding_PAYLOAD_ENCODING_INDEXED_ZSTD:
		return extractIndexed(f, m, payloadAt, dir, maxWindow, budget)
	case c1zv3.PayloadEncoding_PAYLOAD_ENCODING_UNSPECIFIED, c1zv3.PayloadEncoding_PAYLOAD_ENCODING_TAR_ZSTD, c1zv3.PayloadEncoding_PAYLOAD_ENCODING_TAR:
		if _, err := f.Seek(payloadAt, io.SeekStart); err != nil {
			return err
		}
		var r io.Reader = f
		if enc != c1zv3.PayloadEncoding_PAYLOAD_ENCODING_TAR {
			zr, err := zstd.NewReader(f, zstd.WithDecoderMaxWindow(maxWindow), zstd.WithDecoderConcurrency(1))
			if err != nil {
				return fmt.Errorf("%w: v3 payload: %v", errCorrupt, err)
			}
			defer zr.Close()
			r = zr
		}
		return extractTar(&budgetReader{r: r, left: budget}, dir)
	}
	return fmt.Errorf("%w: v3 payload encoding %d", errUnsupported, m.GetPayloadEncoding())
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
		return 0, &c1zerr.SizeError{What: "the v3 payload", Size: -1, Limit: 0, Err: errTooLarge}
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
			return fmt.Errorf("%w: v3 payload archive: %v", errCorrupt, err)
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
		return "", fmt.Errorf("%w: v3 payload entry %q is not a local path", errCorrupt, name)
	}
	return filepath.Join(dir, name), nil
}

func writePayloadFile(path string, r io.Reader) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("%w: v3 payload entry %s: %v", errCorrupt, filepath.Base(path), err)
	}
	_, err = io.Copy(f, r)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// extractIndexed unpacks an indexed payload: zstd frames, one per file,
// listed by a trailing index the footer points at.
func extractIndexed(f *os.File, m Manifest, payloadAt int64, dir string, maxWindow uint64, budget int64) error {
	st, err := f.Stat()
	if err != nil {
		return err
	}
	size := st.Size()
	if size < payloadAt+v3FooterLen {
		return fmt.Errorf("%w: v3 payload truncated (no frame index)", errCorrupt)
	}
	var foot [v3FooterLen]byte
	if _, err := f.ReadAt(foot[:], size-v3FooterLen); err != nil {
		return err
	}
	if !bytes.Equal(foot[20:], v3IndexMagic) {
		return fmt.Errorf("%w: v3 payload truncated (frame index footer missing)", errCorrupt)
	}
	at, n := int64(binary.BigEndian.Uint64(foot[:8])), int64(binary.BigEndian.Uint32(foot[8:12]))
	if n > maxV3Index || at < payloadAt || at+n+v3FooterLen != size {
		return fmt.Errorf("%w: v3 frame index does not fit the file (at %d, %d bytes, file %d)", errCorrupt, at, n, size)
	}
	idx := make([]byte, n)
	if _, err := f.ReadAt(idx, at); err != nil {
		return err
	}
	if xxhash.Sum64(idx) != binary.BigEndian.Uint64(foot[12:20]) {
		return fmt.Errorf("%w: v3 frame index checksum mismatch", errCorrupt)
	}
	index := &c1zv3.IndexedFrameIndex{}
	if err := index.UnmarshalVT(idx); err != nil {
		return fmt.Errorf("%w: v3 frame index: %v", errCorrupt, err)
	}
	frames := index.GetEntries()
	if h := index.GetManifestXxh64(); h != 0 && h != xxhash.Sum64(m.Raw) {
		return fmt.Errorf("%w: v3 manifest does not match the frame index (checksum)", errCorrupt)
	}
	var total int64
	for _, fr := range frames {
		if fr.GetRawSize() < 0 || fr.GetCompressedSize() <= 0 || fr.GetFrameOffset() < payloadAt || fr.GetCompressedSize() > at-fr.GetFrameOffset() {
			return fmt.Errorf("%w: v3 frame %q is out of bounds", errCorrupt, fr.GetName())
		}
		if total += fr.GetRawSize(); total > budget {
			return &c1zerr.SizeError{What: "the v3 payload (by its index)", Size: total, Limit: budget, Err: errTooLarge}
		}
	}
	dec, err := zstd.NewReader(nil, zstd.WithDecoderMaxWindow(maxWindow), zstd.WithDecoderConcurrency(1))
	if err != nil {
		return err
	}
	defer dec.Close()
	seen := map[string]bool{}
	for _, fr := range frames {
		name := fr.GetName()
		if seen[name] {
			return fmt.Errorf("%w: v3 frame %q listed twice", errCorrupt, name)
		}
		seen[name] = true
		target, err := payloadPath(dir, name)
		if err != nil {
			return err
		}
		if err := dec.Reset(io.NewSectionReader(f, fr.GetFrameOffset(), fr.GetCompressedSize())); err != nil {
			return fmt.Errorf("%w: v3 frame %q: %v", errCorrupt, name, err)
		}
		h := xxhash.New()
		// A frame may not decode past the size the index gives it.
		lr := &budgetReader{r: io.TeeReader(dec, h), left: fr.GetRawSize()}
		if err := writePayloadFile(target, lr); err != nil {
			return fmt.Errorf("%w: v3 frame %q: %v", errCorrupt, name, err)
		}
		if lr.left != 0 || (fr.GetRawXxh64() != 0 && h.Sum64() != fr.GetRawXxh64()) {
			return fmt.Errorf("%w: v3 frame %q does not match its index entry", errCorrupt, name)
		}
	}
	return nil
}
