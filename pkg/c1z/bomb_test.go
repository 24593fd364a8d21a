package c1z_test

import (
	"context"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"

	"github.com/batonkit/batonkit/internal/testkit"
	"github.com/batonkit/batonkit/pkg/c1z"
)

// sqliteHead is a valid-looking SQLite header declaring pages x 4096 bytes.
func sqliteHead(pages uint32) []byte {
	h := make([]byte, 100)
	copy(h, "SQLite format 3\x00")
	binary.BigEndian.PutUint16(h[16:], 4096)
	binary.BigEndian.PutUint32(h[24:], 7) // change counter
	binary.BigEndian.PutUint32(h[28:], pages)
	binary.BigEndian.PutUint32(h[92:], 7) // version-valid-for: the page count is current
	return h
}

// bombFile writes a c1z whose payload is head followed by n zero bytes,
// streamed through the encoder (no frame size), and returns its path.
func bombFile(t *testing.T, head []byte, n int64) string {
	t.Helper()
	return bombFileSized(t, head, n, false)
}

// bombFileSized is bombFile with, when declare is set, the payload's size
// in the zstd frame header.
func bombFileSized(t *testing.T, head []byte, n int64, declare bool) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "bomb.c1z")
	f, err := os.Create(path)
	testkit.Must(t, err)
	defer f.Close()
	_, err = f.WriteString("C1ZF\x00")
	testkit.Must(t, err)
	enc, err := zstd.NewWriter(nil)
	testkit.Must(t, err)
	if declare {
		enc.ResetContentSize(f, int64(len(head))+n)
	} else {
		enc.Reset(f)
	}
	_, err = enc.Write(head)
	testkit.Must(t, err)
	_, err = io.CopyN(enc, zeros{}, n)
	testkit.Must(t, err)
	testkit.Must(t, enc.Close())
	return path
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }

// dirBytes adds up the sizes of the files under dir.
func dirBytes(t *testing.T, dir string) int64 {
	var n int64
	filepath.Walk(dir, func(_ string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() {
			n += fi.Size()
		}
		return nil
	})
	return n
}

// A small file whose SQLite header declares 20 GB is refused before
// anything is written, read-only and writable; one whose header lies
// small is stopped as soon as the payload outgrows it; neither leaves a
// temporary file.
func TestDecompressionBombs(t *testing.T) {
	ctx := context.Background()
	huge := bombFile(t, sqliteHead(5_000_000), 8<<20) // declares 20 GB, holds 8 MB
	tmp := t.TempDir()
	_, err := c1z.OpenReader(ctx, huge, c1z.WithTempDir(tmp))
	var se *c1z.SizeError
	if !errors.Is(err, c1z.ErrTooLarge) || !errors.As(err, &se) || se.Size != 5_000_000*4096 {
		t.Fatalf("read-only: err = %v, want a SizeError naming the 20 GB the header declares", err)
	}
	if n := dirBytes(t, tmp); n != 0 {
		t.Fatalf("read-only refusal left %d bytes in the temp dir", n)
	}
	if _, err := c1z.Open(ctx, huge); !errors.Is(err, c1z.ErrTooLarge) {
		t.Fatalf("writable: err = %v, want ErrTooLarge", err)
	}
	if n := dirBytes(t, filepath.Dir(huge)); n > 1<<20 {
		t.Fatalf("writable refusal left %d bytes beside the file", n)
	}

	liar := bombFile(t, sqliteHead(4), 64<<20) // declares 16 KB, holds 64 MB
	_, err = c1z.OpenReader(ctx, liar, c1z.WithTempDir(tmp))
	if !errors.Is(err, c1z.ErrCorrupt) || !strings.Contains(err.Error(), "declares") {
		t.Fatalf("lying header: err = %v, want ErrCorrupt about the declared size", err)
	}
	if n := dirBytes(t, tmp); n != 0 {
		t.Fatalf("lying header left %d bytes in the temp dir", n)
	}
}

// A small file of zeros whose sizes say nothing trustworthy (no frame
// size, a SQLite header without a current page count) costs less than
// 64 MB of disk before it is refused, and the error names the bound; one
// whose frame declares its size is refused before anything is written.
func TestSmallBombsCostLittleDisk(t *testing.T) {
	ctx := context.Background()
	tmp := smallFS(t, 64<<20) // writing past 64 MB would fail with ENOSPC, not ErrTooLarge
	blind := bombFile(t, sqliteHead(0), 512<<20)
	_, err := c1z.OpenReader(ctx, blind, c1z.WithTempDir(tmp))
	var se *c1z.SizeError
	if !errors.Is(err, c1z.ErrTooLarge) || !errors.As(err, &se) || se.Limit >= 64<<20 || !strings.Contains(err.Error(), "compressed bytes") {
		t.Fatalf("err = %v, want ErrTooLarge under 64 MB naming the compressed-size bound", err)
	}
	if n := dirBytes(t, tmp); n != 0 {
		t.Fatalf("the refusal left %d bytes", n)
	}
	declared := bombFileSized(t, sqliteHead(0), 512<<20, true)
	_, err = c1z.OpenReader(ctx, declared, c1z.WithTempDir(tmp))
	if !errors.As(err, &se) || se.What != "the zstd frame" {
		t.Fatalf("err = %v, want the frame's declared size refused before writing", err)
	}
	// The real files stay well inside the bound.
	for _, name := range []string{"demo-v1.c1z", "harness-3k-v1.c1z", "unfinished-v1.c1z", "demo-v3-pebble.c1z", "harness-3k-v3.c1z"} {
		st, err := c1z.OpenReader(ctx, filepath.Join(fixtureDir(t), name))
		testkit.Must(t, err)
		testkit.Must(t, st.Close(ctx))
	}
}

// Where the file is unpacked matters too: a database that does not fit on
// the destination's file system is refused up front, with the sizes.
func TestUnpackChecksFreeSpace(t *testing.T) {
	dir := smallFS(t, 8<<20)
	file := bombFile(t, sqliteHead(64<<20/4096), 64<<20-100) // a 64 MB database, all zeros
	dst := filepath.Join(dir, "s.c1z")
	b, err := os.ReadFile(file)
	testkit.Must(t, err)
	testkit.Must(t, os.WriteFile(dst, b, 0o600))
	_, err = c1z.Open(context.Background(), dst, c1z.WithLimits(c1z.Limits{MaxDecodedSize: 1 << 40, NoRatio: true}))
	var se *c1z.SizeError
	if !errors.Is(err, c1z.ErrNoSpace) || !errors.As(err, &se) || se.Size != 64<<20 {
		t.Fatalf("err = %v, want ErrNoSpace naming 64 MB", err)
	}
	if n := dirBytes(t, dir); n != int64(len(b)) {
		t.Fatalf("the refusal left %d bytes besides the file's %d", n-int64(len(b)), len(b))
	}
}

// smallFS mounts a tmpfs of size bytes for the test (the machine's kind
// runs tests as root; elsewhere the test says why it cannot run).
func smallFS(t *testing.T, size int64) string {
	t.Helper()
	dir := t.TempDir()
	out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+itoa(size), "tmpfs", dir).CombinedOutput()
	if err != nil {
		t.Fatalf("mount a %d-byte tmpfs for the full-disk test (needs root): %v: %s", size, err, out)
	}
	t.Cleanup(func() { exec.Command("umount", dir).Run() })
	return dir
}

func itoa(n int64) string {
	b := []byte{}
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}
