package c1z

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"

	"github.com/klauspost/compress/zstd"
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
}

// DefaultLimits allow databases up to 32 GiB and zstd windows up to 128 MiB
// (our encoder and Baton's use 8 MiB or less).
var DefaultLimits = Limits{MaxDecodedSize: 32 << 30, MaxWindow: 128 << 20}

// sniff reads the header of a c1z and says which format it is. An error
// wraps ErrNotC1Z, ErrCorrupt or ErrUnsupportedFormat.
func sniff(r io.Reader) error {
	var hdr [headerSize]byte
	n, err := io.ReadFull(r, hdr[:])
	switch {
	case n == 0 && (err == io.EOF || err == nil):
		return fmt.Errorf("%w: the file is empty", ErrNotC1Z)
	case err == io.ErrUnexpectedEOF:
		if bytes.HasPrefix([]byte(headerV1), hdr[:n]) || bytes.HasPrefix([]byte(headerV3), hdr[:n]) {
			return fmt.Errorf("%w: truncated header (%d bytes)", ErrCorrupt, n)
		}
		return fmt.Errorf("%w: %d bytes, no c1z header", ErrNotC1Z, n)
	case err != nil:
		return err
	}
	switch string(hdr[:]) {
	case headerV1:
		return nil
	case headerV3:
		return fmt.Errorf("%w \"v3\" (Baton's Pebble-based format, C1Z3): not supported yet; "+
			"write the file with the SQLite engine (v1) or convert it with Baton's tools", ErrUnsupportedFormat)
	}
	return fmt.Errorf("%w: header %q is not %q", ErrNotC1Z, hdr[:], headerV1)
}

// decode writes the SQLite database held in the c1z read from src into dst.
// src must be positioned after the header.
func decode(src io.Reader, dst io.Writer, lim Limits) (int64, error) {
	br := bufio.NewReaderSize(src, 64<<10)
	// Refuse early when the frame announces a size over the limit.
	if peek, _ := br.Peek(zstd.HeaderMaxSize); len(peek) > 0 {
		var h zstd.Header
		if err := h.Decode(peek); err == nil {
			if h.HasFCS && lim.MaxDecodedSize > 0 && h.FrameContentSize > uint64(lim.MaxDecodedSize) {
				return 0, fmt.Errorf("%w: frame declares %d bytes, limit is %d", ErrTooLarge, h.FrameContentSize, lim.MaxDecodedSize)
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

	lw := &limitWriter{w: dst, max: lim.MaxDecodedSize}
	first := &sqliteHeaderCheck{w: lw}
	n, err := io.Copy(first, dec)
	switch {
	case errors.Is(err, errOverLimit):
		return n, fmt.Errorf("%w: more than %d bytes", ErrTooLarge, lim.MaxDecodedSize)
	case errors.Is(err, zstd.ErrWindowSizeExceeded), errors.Is(err, zstd.ErrDecoderSizeExceeded):
		return n, fmt.Errorf("%w: %v", ErrTooLarge, err)
	case errors.Is(err, errNotSQLite):
		return n, fmt.Errorf("%w: the payload is not a SQLite database", ErrCorrupt)
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

var (
	errOverLimit = errors.New("over limit")
	errNotSQLite = errors.New("not sqlite")
)

type limitWriter struct {
	w   io.Writer
	n   int64
	max int64
}

func (l *limitWriter) Write(p []byte) (int, error) {
	if l.max > 0 && l.n+int64(len(p)) > l.max {
		return 0, errOverLimit
	}
	n, err := l.w.Write(p)
	l.n += int64(n)
	return n, err
}

// sqliteHeaderCheck fails the copy as soon as the first bytes show the
// payload is not a SQLite database, before writing gigabytes of it.
type sqliteHeaderCheck struct {
	w    io.Writer
	seen int
}

func (c *sqliteHeaderCheck) Write(p []byte) (int, error) {
	if c.seen < len(sqliteHeader) {
		k := min(len(p), len(sqliteHeader)-c.seen)
		if !bytes.Equal(p[:k], []byte(sqliteHeader[c.seen:c.seen+k])) {
			return 0, errNotSQLite
		}
		c.seen += k
	}
	return c.w.Write(p)
}

// EncoderOptions tune how a c1z is compressed.
type EncoderOptions struct {
	Level       zstd.EncoderLevel // default zstd.SpeedDefault
	Concurrency int               // default GOMAXPROCS
}

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
	enc, err := zstd.NewWriter(nil, zstd.WithEncoderLevel(level), zstd.WithEncoderConcurrency(conc))
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
