package remote_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/batonkit/batonkit/internal/s3test"
	"github.com/batonkit/batonkit/pkg/remote"
)

func open(t *testing.T, s *s3test.Server, url, cache string, o remote.Options) *remote.File {
	t.Helper()
	o.Endpoint, o.PathStyle, o.CacheDir = s.URL, true, cache
	f, err := remote.Open(context.Background(), url, o)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func writer(content string) func(string) error {
	return func(local string) error { return os.WriteFile(local, []byte(content), 0o600) }
}

func TestSyncUploadsAndResumesFromTheBucket(t *testing.T) {
	s3test.SetEnv(t, s3test.AccessKey)
	s := s3test.Start(t, "syncs")
	ctx := context.Background()
	f := open(t, s, "s3://syncs/team/okta.c1z", t.TempDir(), remote.Options{SSE: "aws:kms", SSEKMSKeyID: "alias/baton"})
	if err := f.Sync(ctx, writer("first")); err != nil {
		t.Fatal(err)
	}
	if err := f.Sync(ctx, writer("second")); err != nil { // an overwrite
		t.Fatal(err)
	}
	// A new machine (an empty cache) starts from the object.
	g := open(t, s, "s3://syncs/team/okta.c1z", t.TempDir(), remote.Options{})
	var seen string
	if err := g.Sync(ctx, func(local string) error {
		b, err := os.ReadFile(local)
		seen = string(b)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if seen != "second" {
		t.Fatalf("the new machine's copy holds %q", seen)
	}
	if fi, err := os.Stat(g.Local); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("local copy: %v %v", fi, err)
	}
	if sse := s.Uploads(); len(sse) == 0 || sse[0] != "aws:kms" {
		t.Fatalf("uploads asked for server-side encryption %q", sse)
	}
}

func TestMultipartUpload(t *testing.T) {
	s3test.SetEnv(t, s3test.AccessKey)
	s := s3test.Start(t, "big")
	ctx := context.Background()
	f := open(t, s, "s3://big/h.c1z", t.TempDir(), remote.Options{})
	data := make([]byte, 70<<20) // over 64 MiB: several 16 MiB parts
	rand.Read(data)
	if err := os.WriteFile(f.Local, data, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := f.Upload(ctx); err != nil {
		t.Fatal(err)
	}
	back := filepath.Join(t.TempDir(), "back")
	if err := f.Download(ctx, back); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(back)
	if sha256.Sum256(got) != sha256.Sum256(data) {
		t.Fatal("the downloaded object differs from the upload")
	}
	if parts := len(s.Uploads()); parts < 5 {
		t.Fatalf("%d upload requests: not a multipart upload", len(s.Uploads()))
	}
	small := open(t, s, "s3://big/h.c1z", t.TempDir(), remote.Options{MaxSize: 1 << 20})
	if err := small.Download(ctx, filepath.Join(t.TempDir(), "x")); !errors.Is(err, remote.ErrTooLarge) {
		t.Fatalf("an object over the limit: %v", err)
	}
}

// A failed upload keeps the local file, says where it is, and is retried
// by the next run before it syncs; wrong credentials and an endpoint that
// is down both fail that way, and neither leaks the secret.
func TestFailedUploadIsKeptAndRetried(t *testing.T) {
	s := s3test.Start(t, "syncs")
	ctx := context.Background()
	cache := t.TempDir()

	s3test.SetEnv(t, s3test.AccessKey)
	if err := open(t, s, "s3://syncs/okta.c1z", cache, remote.Options{}).Sync(ctx, writer("first")); err != nil {
		t.Fatal(err)
	}
	s3test.SetEnv(t, "AKIAWRONG")
	f := open(t, s, "s3://syncs/okta.c1z", cache, remote.Options{})
	err := f.Sync(ctx, writer("kept"))
	if !errors.Is(err, remote.ErrUpload) || !strings.Contains(err.Error(), f.Local) || !strings.Contains(err.Error(), "InvalidAccessKeyId") ||
		strings.Contains(err.Error(), "secret-") {
		t.Fatalf("wrong credentials: %v", err)
	}

	s3test.SetEnv(t, s3test.AccessKey)
	down := httptest.NewServer(http.NotFoundHandler())
	downURL := down.URL
	down.Close()
	d, err := remote.Open(ctx, "s3://syncs/okta.c1z", remote.Options{Endpoint: downURL, PathStyle: true, CacheDir: cache})
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Sync(ctx, writer("never run")); !errors.Is(err, remote.ErrUpload) {
		t.Fatalf("endpoint down: %v", err)
	}
	if b, _ := os.ReadFile(d.Local); string(b) != "kept" {
		t.Fatalf("the local copy is %q, want the sync that could not be uploaded", b)
	}

	ran := false
	g := open(t, s, "s3://syncs/okta.c1z", cache, remote.Options{})
	if err := g.Sync(ctx, func(local string) error {
		obj, err := s.Backend.GetObject("syncs", "okta.c1z", nil)
		if err != nil {
			t.Fatalf("the pending upload was not made before the sync: %v", err)
		}
		defer obj.Contents.Close()
		b, _ := io.ReadAll(obj.Contents)
		if !bytes.Equal(b, []byte("kept")) {
			t.Fatalf("uploaded %q", b)
		}
		ran = true
		return os.WriteFile(local, []byte("next"), 0o600)
	}); err != nil || !ran {
		t.Fatalf("retry: %v", err)
	}
}

func TestMissingBucketAndBadURLs(t *testing.T) {
	s3test.SetEnv(t, s3test.AccessKey)
	s := s3test.Start(t)
	f := open(t, s, "s3://nosuch/okta.c1z", t.TempDir(), remote.Options{})
	if err := f.Sync(context.Background(), writer("x")); !errors.Is(err, remote.ErrNotFound) {
		t.Fatalf("a missing bucket: %v", err)
	}
	for _, u := range []string{"s3://", "s3://bucket", "s3://bucket/", "http://bucket/key", "s3://b/../../etc/passwd"} {
		if _, err := remote.Open(context.Background(), u, remote.Options{CacheDir: t.TempDir()}); !errors.Is(err, remote.ErrBadURL) {
			t.Errorf("%q: %v", u, err)
		}
	}
}

// BenchmarkUploadH100k uploads the H100k sync file (make bench writes it
// to bin/bench) to the loopback S3 server and downloads it back.
func BenchmarkUploadH100k(b *testing.B) {
	src := filepath.Join("..", "..", "bin", "bench", "h100k.c1z")
	data, err := os.ReadFile(src)
	if err != nil {
		b.Skipf("no %s (make bench writes it first): %v", src, err)
	}
	for _, kv := range s3test.Env(b, s3test.AccessKey) {
		k, v, _ := strings.Cut(kv, "=")
		b.Setenv(k, v)
	}
	s := s3test.Start(b, "bench")
	f, err := remote.Open(context.Background(), "s3://bench/h100k.c1z", remote.Options{Endpoint: s.URL, PathStyle: true, CacheDir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(f.Local, data, 0o600); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if err := f.Upload(context.Background()); err != nil {
			b.Fatal(err)
		}
		if err := f.Download(context.Background(), filepath.Join(b.TempDir(), "back")); err != nil {
			b.Fatal(err)
		}
	}
}

// An endpoint that answers with a 600 MB error message is read only as
// far as the bound, and its words reach the error bounded, escaped and
// without the credentials it echoed.
func TestHostileErrorAnswerIsBounded(t *testing.T) {
	s3test.SetEnv(t, s3test.AccessKey)
	var sent atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(http.StatusForbidden)
		n, _ := io.WriteString(w, "<Error><Code>AccessDenied</Code><Message>\x1b]0;pwned\x07 \u202e password: hunter2 ")
		sent.Add(int64(n))
		chunk := bytes.Repeat([]byte("A"), 1<<20)
		for i := 0; i < 600; i++ {
			n, err := w.Write(chunk)
			sent.Add(int64(n))
			if err != nil {
				return
			}
		}
	}))
	defer srv.Close()
	f, err := remote.Open(context.Background(), "s3://syncs/x.c1z", remote.Options{Endpoint: srv.URL, PathStyle: true, CacheDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	err = f.Download(context.Background(), filepath.Join(t.TempDir(), "x"))
	if err == nil {
		t.Fatal("the download succeeded")
	}
	msg := err.Error()
	if len(msg) > 4096 || strings.ContainsAny(msg, "\x1b\x07\u202e") || strings.Contains(msg, "hunter2") {
		t.Fatalf("the error is unbounded, raw or leaks (%d bytes): %.300q", len(msg), msg)
	}
	// The client stopped reading early (the kernel's socket buffers hold a
	// few megabytes of what the server managed to write).
	if n := sent.Load(); n > 64<<20 {
		t.Fatalf("the server wrote %d MB before the client hung up", n>>20)
	}
}
