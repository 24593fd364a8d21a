package c1z

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"

	"github.com/klauspost/compress/zstd"

	"github.com/batonkit/batonkit/pkg/c1z/internal/c1zerr"
)

// The classic ("v1") file: this 5-byte header, then one zstd stream whose
// content is a complete SQLite database.
const (
	headerV1   = "C1ZF\x00"
	headerV3   = "C1Z3\x00"
	headerSize = 5

	sqliteHeader = "SQLite format 3\x00"
)

// Limits bound what decoding a c1z may cost, so a hostile or broken file
// fails cleanly instead of filling the disk or memory.
type Limits struct {
	// MaxDecodedSize is the largest SQLite database a file may expand to.
	MaxDecodedSize int64
	// MaxWindow is the largest zstd window (memory per stream) accepted.
	MaxWindow uint64
	// NoRatio turns off the bound by compressed size (a file may decode to
	// at most 64 times its size, and always to 32 MiB), for databases
	// that are mostly empty pages.
	NoRatio bool
}

// DefaultLimits allow databases up to 32 GiB and zstd windows up to 128 MiB
// (our encoder and Baton's use 8 MiB or less).
var DefaultLimits = Limits{MaxDecodedSize: 32 << 30, MaxWindow: 128 << 20}

// ErrV3NotWritable says a v3 file cannot be written in place.
var errV3Write = errors.New("batonkit writes the classic v1 format and will not overwrite a v3 (Pebble) file; " +
	"convert it first with `baton -f FILE export c1z --out NEW.c1z` and sync into NEW.c1z, or sync into a new file")

// sniff reads the header of a c1z and says whether it is v3 (else v1).
// An error wraps ErrNotC1Z or ErrCorrupt.
func sniff(r io.Reader) (v3 bool, err error) {
	var hdr [headerSize]byte
	n, err := io.ReadFull(r, hdr[:])
	switch {
	case n == 0 && (err == io.EOF || err == nil):
		return false, fmt.Errorf("%w: the file is empty", ErrNotC1Z)
	case err == io.ErrUnexpectedEOF:
		if bytes.HasPrefix([]byte(headerV1), hdr[:n]) || bytes.HasPrefix([]byte(headerV3), hdr[:n]) {
			return false, fmt.Errorf("%w: truncated header (%d bytes)", ErrCorrupt, n)
		}
		return false, fmt.Errorf("%w: %d bytes, no c1z header", ErrNotC1Z, n)
	case err != nil:
		return false, err
	}
	switch string(hdr[:]) {
	case headerV1:
		return false, nil
	case headerV3:
		return true, nil
	}
	return false, fmt.Errorf("%w: header %q is not %q or %q", ErrNotC1Z, hdr[:], headerV1, headerV3)
}

// decode writes the SQLite database held in the c1z read from src into dst.
// src must be positioned after the header; compressed is the size of what
// follows it (0 when unknown), space says how much room dst has (nil:
// unknown). The cost of decoding is bounded by what the file can
// legitimately hold, checked before anything is written and while writing:
// the zstd frame's declared size, the size the SQLite header declares
// (page size x page count), the configured limit, a multiple of the
// compressed size, and the free space at the destination.
func decode(src io.Reader, dst io.Writer, lim Limits, compressed int64, space func() (int64, error)) (int64, error) {
	br := bufio.NewReaderSize(src, 64<<10)
	g := &decodeGuard{w: dst, space: space, fcs: -1}
	g.max, g.bound = lim.limitFor(compressed)
	// Refuse early when the frame announces a size over the limit.
	if peek, _ := br.Peek(zstd.HeaderMaxSize); len(peek) > 0 {
		var h zstd.Header
		if err := h.Decode(peek); err == nil {
			if h.HasFCS {
				g.fcs = int64(h.FrameContentSize)
				if err := g.admit("the zstd frame", g.fcs); err != nil {
					return 0, err
				}
			}
			if lim.MaxWindow > 0 && h.WindowSize > lim.MaxWindow {
				return 0, fmt.Errorf("%w: zstd window %d bytes, limit is %d", ErrTooLarge, h.WindowSize, lim.MaxWindow)
			}
		} else if len(peek) < 4 {
			return 0, fmt.Errorf("%w: no compressed data after the header", ErrCorrupt)
		}
	}
	opts := []zstd.DOption{zstd.WithDecoderConcurrency(1), zstd.WithDecoderLowmem(true)}
	if lim.MaxWindow > 0 {
		opts = append(opts, zstd.WithDecoderMaxWindow(lim.MaxWindow))
	}
	dec, err := zstd.NewReader(br, opts...)
	if err != nil {
		return 0, err
	}
	defer dec.Close()

	n, err := io.Copy(g, dec)
	var sizeErr *SizeError
	switch {
	case errors.As(err, &sizeErr):
		return n, err
	case errors.Is(err, zstd.ErrWindowSizeExceeded), errors.Is(err, zstd.ErrDecoderSizeExceeded):
		return n, fmt.Errorf("%w: %v", ErrTooLarge, err)
	case errors.Is(err, errNotSQLite):
		return n, fmt.Errorf("%w: the payload is not a SQLite database", ErrCorrupt)
	case errors.Is(err, errOverDeclared):
		return n, fmt.Errorf("%w: the payload grows past the %d bytes its own header declares", ErrCorrupt, g.declared())
	case err != nil:
		var pe *os.PathError
		if errors.As(err, &pe) {
			return n, err // a failure writing dst (disk full...), not the input's fault
		}
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return n, fmt.Errorf("%w: compressed stream is truncated after %d bytes of output", ErrCorrupt, n)
		}
		return n, fmt.Errorf("%w: %v", ErrCorrupt, err)
	case n < int64(len(sqliteHeader)):
		return n, fmt.Errorf("%w: the payload is %d bytes, too short for a SQLite database", ErrCorrupt, n)
	}
	return n, nil
}

// SizeError says a file would decode to more than is allowed or than
// fits; it wraps ErrTooLarge or ErrNoSpace. (The v3 reader, an internal
// package, makes them too: the type lives there.)
type SizeError = c1zerr.SizeError

// Decoded sizes a c1z may claim per byte of compressed data, and the size
// every file may decode to whatever its size. A SQLite database of real
// objects compresses 10-20x (Baton's fixtures and ours: 11-19x); a bomb
// of a few hundred kilobytes may cost at most tens of megabytes of disk.
// A genuine file of mostly empty pages can be opened with NoRatio.
const (
	maxRatio   = 64
	ratioFloor = 32 << 20
)

// limitFor is the most a file of compressed bytes may decode to, and
// which bound that is.
func (l Limits) limitFor(compressed int64) (int64, string) {
	limit, bound := l.MaxDecodedSize, "the configured maximum"
	if compressed > 0 && l.MaxDecodedSize > 0 && !l.NoRatio {
		if r := max(ratioFloor, compressed*maxRatio); r < limit {
			limit, bound = r, fmt.Sprintf("%dx the file's %d compressed bytes, at least 32 MiB: genuine files decode 10-20x", maxRatio, compressed)
		}
	}
	return limit, bound
}

var (
	errNotSQLite    = errors.New("not sqlite")
	errOverDeclared = errors.New("over the declared size")
)

// decodeGuard sits between the decoder and the destination: it checks the
// SQLite header as soon as it has arrived, and every write against the
// sizes the file declared and the limits.
type decodeGuard struct {
	w     io.Writer
	n     int64
	max   int64  // configured limit (0: none)
	bound string // which limit max is
	fcs   int64  // the frame's declared content size, -1 if none
	db    int64  // the SQLite header's declared size, 0 until known or if not trustworthy
	head  []byte
	space func() (int64, error)
}

func (g *decodeGuard) declared() int64 {
	switch {
	case g.db > 0:
		return g.db
	case g.fcs >= 0:
		return g.fcs
	}
	return 0
}

// admit checks a declared size against the limit and the free space.
func (g *decodeGuard) admit(what string, size int64) error {
	if g.max > 0 && size > g.max {
		return &SizeError{What: what, Size: size, Limit: g.max, Bound: g.bound, Err: ErrTooLarge}
	}
	if g.space != nil {
		if free, err := g.space(); err == nil && size > free {
			return &SizeError{What: what, Size: size, Limit: free, Err: ErrNoSpace}
		}
	}
	return nil
}

func (g *decodeGuard) Write(p []byte) (int, error) {
	if len(g.head) < 100 {
		k := min(len(p), 100-len(g.head))
		g.head = append(g.head, p[:k]...)
		n := min(len(g.head), len(sqliteHeader))
		if !bytes.Equal(g.head[:n], []byte(sqliteHeader[:n])) {
			return 0, errNotSQLite
		}
		if len(g.head) == 100 {
			if size, ok := sqliteDeclaredSize(g.head); ok {
				g.db = size
				if err := g.admit("the database (by its header)", size); err != nil {
					return 0, err
				}
			}
		}
	}
	end := g.n + int64(len(p))
	switch {
	case g.max > 0 && end > g.max:
		return 0, &SizeError{What: "the decoded database", Size: end, Limit: g.max, Bound: g.bound, Err: ErrTooLarge}
	case (g.db > 0 && end > g.db) || (g.fcs >= 0 && end > g.fcs):
		return 0, errOverDeclared
	}
	n, err := g.w.Write(p)
	g.n += int64(n)
	return n, err
}

// sqliteDeclaredSize reads the database size a SQLite header declares:
// page size times the in-header page count, trusted (as SQLite trusts it)
// only when the "version-valid-for" number matches the change counter.
func sqliteDeclaredSize(h []byte) (int64, bool) {
	pageSize := int64(binary.BigEndian.Uint16(h[16:18]))
	if pageSize == 1 {
		pageSize = 65536
	}
	if pageSize < 512 || pageSize&(pageSize-1) != 0 {
		return 0, false
	}
	pages := int64(binary.BigEndian.Uint32(h[28:32]))
	if pages == 0 || binary.BigEndian.Uint32(h[24:28]) != binary.BigEndian.Uint32(h[92:96]) {
		return 0, false
	}
	return pageSize * pages, true
}

// EncoderOptions tune how a c1z is compressed.
type EncoderOptions struct {
	Level       zstd.EncoderLevel // default zstd.SpeedDefault
	Concurrency int               // default GOMAXPROCS
}

// encoderWindow is the zstd window of saved files. What repeats in a
// SQLite file repeats within a few pages, so a window beyond 2 MiB buys
// nothing: at 2 MiB the H100k and H1M files came out 0.1% and 2.5%
// smaller than at the level's default (8 MiB), with half the encoder's
// memory at save, where a sync's peak RSS is (BENCHMARKS.md). Readers,
// Baton's too, need no more than this window to decode.
const encoderWindow = 2 << 20

// encode writes a complete c1z (header + zstd stream) holding the database
// file at dbPath. The frame records its content size, as Baton's does.
func encode(dst io.Writer, dbPath string, eo EncoderOptions) error {
	f, err := os.Open(dbPath)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	if _, err := io.WriteString(dst, headerV1); err != nil {
		return err
	}
	level := eo.Level
	if level == 0 {
		level = zstd.SpeedDefault
	}
	conc := eo.Concurrency
	if conc <= 0 {
		conc = runtime.GOMAXPROCS(0)
	}
	enc, err := zstd.NewWriter(nil, zstd.WithEncoderLevel(level), zstd.WithEncoderConcurrency(conc), zstd.WithWindowSize(encoderWindow))
	if err != nil {
		return err
	}
	enc.ResetContentSize(dst, st.Size())
	if _, err := io.Copy(enc, bufio.NewReaderSize(f, 1<<20)); err != nil {
		enc.Close()
		return err
	}
	return enc.Close()
}
