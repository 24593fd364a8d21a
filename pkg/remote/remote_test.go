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
	"sync"
	"testing"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/batonkit/batonkit/pkg/remote"
)

// server is a real S3-compatible server (gofakes3, in process, over a
// loopback listener) that also checks the access key, as S3 does.
type server struct {
	*httptest.Server
	backend *s3mem.Backend
	mu      sync.Mutex
	sse     []string // x-amz-server-side-encryption of each upload request
}

const accessKey = "AKIATESTKEY"

func startS3(t *testing.T, buckets ...string) *server {
	t.Helper()
	s := &server{backend: s3mem.New()}
	fake := gofakes3.New(s.backend).Server()
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.Contains(r.Header.Get("Authorization"), "Credential="+accessKey+"/") {
			w.WriteHeader(http.StatusForbidden)
			io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>InvalidAccessKeyId</Code><Message>The AWS Access Key Id you provided does not exist in our records.</Message></Error>`)
			return
		}
		if r.Method == http.MethodPut || r.Method == http.MethodPost {
			s.mu.Lock()
			s.sse = append(s.sse, r.Header.Get("X-Amz-Server-Side-Encryption"))
			s.mu.Unlock()
		}
		fake.ServeHTTP(w, r)
	}))
	t.Cleanup(s.Close)
	for _, b := range buckets {
		if err := s.backend.CreateBucket(b); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

// credentials puts a key in the environment, as the AWS chain reads it,
// and keeps the chain off this machine's own files and metadata service.
func credentials(t *testing.T, key string) {
	t.Setenv("AWS_ACCESS_KEY_ID", key)
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret-"+key)
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_REGION", "us-east-1")
}

func open(t *testing.T, s *server, url, cache string, o remote.Options) *remote.File {
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
	credentials(t, accessKey)
	s := startS3(t, "syncs")
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
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.sse) == 0 || s.sse[0] != "aws:kms" {
		t.Fatalf("uploads asked for server-side encryption %q", s.sse)
	}
}

func TestMultipartUpload(t *testing.T) {
	credentials(t, accessKey)
	s := startS3(t, "big")
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
	s.mu.Lock()
	parts := len(s.sse)
	s.mu.Unlock()
	if parts < 5 {
		t.Fatalf("%d upload requests: not a multipart upload", parts)
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
	s := startS3(t, "syncs")
	ctx := context.Background()
	cache := t.TempDir()

	credentials(t, accessKey)
	if err := open(t, s, "s3://syncs/okta.c1z", cache, remote.Options{}).Sync(ctx, writer("first")); err != nil {
		t.Fatal(err)
	}
	credentials(t, "AKIAWRONG")
	f := open(t, s, "s3://syncs/okta.c1z", cache, remote.Options{})
	err := f.Sync(ctx, writer("kept"))
	if !errors.Is(err, remote.ErrUpload) || !strings.Contains(err.Error(), f.Local) || !strings.Contains(err.Error(), "InvalidAccessKeyId") ||
		strings.Contains(err.Error(), "secret-") {
		t.Fatalf("wrong credentials: %v", err)
	}

	credentials(t, accessKey)
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
		obj, err := s.backend.GetObject("syncs", "okta.c1z", nil)
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
	credentials(t, accessKey)
	s := startS3(t)
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
