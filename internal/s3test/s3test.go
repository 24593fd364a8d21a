// Package s3test runs a real S3-compatible server for tests: gofakes3 in
// process, serving HTTP on a loopback listener, with an access-key check
// in front (gofakes3 accepts any signature; S3 does not).
package s3test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

// AccessKey is the one key the server accepts.
const AccessKey = "AKIATESTKEY"

// Server is a running server.
type Server struct {
	*httptest.Server
	Backend *s3mem.Backend
	mu      sync.Mutex
	sse     []string
}

// Start runs a server with the given buckets until the test ends.
func Start(t testing.TB, buckets ...string) *Server {
	t.Helper()
	s := &Server{Backend: s3mem.New()}
	fake := gofakes3.New(s.Backend).Server()
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.Contains(r.Header.Get("Authorization"), "Credential="+AccessKey+"/") {
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
		if err := s.Backend.CreateBucket(b); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

// Uploads returns the server-side encryption each write asked for.
func (s *Server) Uploads() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.sse...)
}

// Env is the environment the AWS credential chain reads key from, kept
// off this machine's own AWS files and metadata service.
func Env(t testing.TB, key string) []string {
	return []string{"AWS_ACCESS_KEY_ID=" + key, "AWS_SECRET_ACCESS_KEY=secret-" + key,
		"AWS_CONFIG_FILE=" + filepath.Join(t.TempDir(), "none"), "AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(t.TempDir(), "none"),
		"AWS_EC2_METADATA_DISABLED=true", "AWS_REGION=us-east-1"}
}

// SetEnv puts Env into this process's environment for the test.
func SetEnv(t *testing.T, key string) {
	for _, kv := range Env(t, key) {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
}
