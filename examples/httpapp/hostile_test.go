package httpapp_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/batonkit/batonkit/pkg/runner"
)

// hostileBody is what a malicious or broken app answers: terminal
// controls of every kind and credentials echoed back.
const hostileBody = `{"error":"bad request \x1b]0;pwned\x07 \x1b[2J\u009b31m \u202eevil","api_key":"sk-live-4242424242"} password: hunter2 api_key=sk-live-4242424242`

func hostileApp(t *testing.T) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusBadRequest)
		io.WriteString(w, hostileBody)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// clean fails the test if out holds a raw control or bidi character or a
// credential from the app's answer.
func clean(t *testing.T, what, out string) {
	t.Helper()
	for _, bad := range []string{"\x1b", "\x07", "\u009b", "\u202e", "sk-live-4242424242", "hunter2"} {
		if strings.Contains(out, bad) {
			t.Errorf("%s carries %q:\n%q", what, bad, out)
		}
	}
}

// The runner shows an app's error answer escaped and redacted, on the
// terminal and in its log lines, in text and JSON.
func TestHostileErrorBodyIsEscapedAndRedacted(t *testing.T) {
	t.Setenv("BATON_TOKEN", token)
	t.Setenv("BATON_BASE_URL", hostileApp(t))
	for _, format := range []string{"text", "json"} {
		var out strings.Builder
		code := runner.Run(context.Background(), command, []string{"--file", filepath.Join(t.TempDir(), "s.c1z"), "--log-format", format},
			runner.IO{In: strings.NewReader(""), Out: &out, Err: &out})
		if code == 0 || !strings.Contains(out.String(), "bad request") {
			t.Fatalf("%s: exit %d, want the app's error shown:\n%s", format, code, out.String())
		}
		clean(t, format+" output", out.String())
	}
}

// /readyz, which anyone who reaches the health address reads, shows the
// last error redacted.
func TestReadyzRedactsTheLastError(t *testing.T) {
	t.Setenv("BATON_TOKEN", token)
	t.Setenv("BATON_BASE_URL", hostileApp(t))
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() {
		done <- runner.Run(ctx, command, []string{"--file", filepath.Join(t.TempDir(), "s.c1z"), "--interval", "1h", "--health-addr", addr},
			runner.IO{In: strings.NewReader(""), Out: io.Discard, Err: io.Discard})
	}()
	defer func() { cancel(); <-done }()
	var body struct {
		State     string `json:"state"`
		LastError string `json:"last_error"`
	}
	for deadline := time.Now().Add(30 * time.Second); body.State != "failed"; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the first sync never failed: %+v", body)
		}
		resp, err := http.Get(fmt.Sprintf("http://%s/readyz", addr))
		if err != nil {
			continue
		}
		json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
	}
	if !strings.Contains(body.LastError, "bad request") {
		t.Fatalf("last_error %q does not say what failed", body.LastError)
	}
	clean(t, "/readyz", body.LastError)
}
