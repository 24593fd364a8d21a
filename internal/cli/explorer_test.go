package cli_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/batonkit/batonkit/internal/cli"
)

// lockedBuffer is a bytes.Buffer the command writes while the test reads.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// addressBar sends what a browser sends for a page typed or opened from
// outside: the explorer's cookie counts only on such requests.
type addressBar struct{}

func (addressBar) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Sec-Fetch-Site", "none")
	return http.DefaultTransport.RoundTrip(r)
}

// baton explorer prints a URL that works, serves until interrupted, and
// exits 0.
func TestExplorerCommand(t *testing.T) {
	file := filepath.Join(fixtureDir(t), "demo-v1.c1z")
	ctx, cancel := context.WithCancel(context.Background())
	var out, errb lockedBuffer
	done := make(chan int, 1)
	go func() { done <- cli.Execute(ctx, []string{"explorer", "-f", file}, &out, &errb) }()
	urlRE := regexp.MustCompile(`http://127\.0\.0\.1:\d+/[0-9a-f]{16}/\?token=[0-9a-f]{32}`)
	var url string
	for deadline := time.Now().Add(10 * time.Second); url == "" && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		url = urlRE.FindString(out.String())
	}
	if url == "" {
		cancel()
		t.Fatalf("no URL printed: %q %q", out.String(), errb.String())
	}
	// A browser: the token URL, then the cookie it sets.
	jar, _ := cookiejar.New(nil)
	resp, err := (&http.Client{Jar: jar, Transport: addressBar{}}).Get(url)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(page), "Resource types") {
		t.Fatalf("overview: %d %s", resp.StatusCode, page)
	}
	req, _ := http.NewRequest(http.MethodGet, strings.Split(url, "?")[0]+"api/", nil)
	req.Header.Set("Authorization", "Bearer "+strings.Split(url, "token=")[1])
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"types"`) {
		t.Fatalf("api: %d %s", resp.StatusCode, body)
	}
	cancel()
	select {
	case code := <-done:
		if code != cli.ExitOK {
			t.Fatalf("exit %d after interrupt: %s", code, errb.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("explorer did not stop when interrupted")
	}
}

func TestExplorerRefusesToListenBeyondLoopback(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:0", "[::]:0", "192.168.1.1:80", "nonsense"} {
		_, stderr, code := run(t, "explorer", "--addr", addr, "-f", filepath.Join(fixtureDir(t), "demo-v1.c1z"))
		if code != cli.ExitUsage {
			t.Errorf("--addr %s: exit %d, want %d: %s", addr, code, cli.ExitUsage, stderr)
		}
	}
}

// --open hands the browser a private page that forwards to the URL: the
// token never appears on a command line, where every user reads it.
func TestExplorerOpenKeepsTheTokenOffTheCommandLine(t *testing.T) {
	bin := t.TempDir()
	script := "#!/bin/sh\nf=\"${1#file://}\"\nstat -c %a \"$f\" > " + bin + "/mode\ncat \"$f\" > " + bin + "/page\necho \"$@\" > " + bin + "/args.tmp && mv " + bin + "/args.tmp " + bin + "/args\n"
	if err := os.WriteFile(filepath.Join(bin, "xdg-open"), []byte(script), 0o700); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+":"+os.Getenv("PATH"))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errb lockedBuffer
	done := make(chan int, 1)
	go func() {
		done <- cli.Execute(ctx, []string{"explorer", "--open", "-f", filepath.Join(fixtureDir(t), "demo-v1.c1z")}, &out, &errb)
	}()
	var args []byte
	for deadline := time.Now().Add(10 * time.Second); args == nil && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		args, _ = os.ReadFile(filepath.Join(bin, "args"))
	}
	token := regexp.MustCompile(`token=([0-9a-f]{32})`).FindStringSubmatch(out.String())
	if args == nil || token == nil {
		t.Fatalf("the browser was not started, or no URL printed: %q %q", out.String(), errb.String())
	}
	if strings.Contains(string(args), token[1]) {
		t.Fatalf("the browser's command line carries the token: %s", args)
	}
	page, _ := os.ReadFile(filepath.Join(bin, "page"))
	mode, _ := os.ReadFile(filepath.Join(bin, "mode"))
	if !strings.Contains(string(page), token[1]) || strings.TrimSpace(string(mode)) != "600" {
		t.Fatalf("the page handed over (mode %s) does not forward to the URL: %s", mode, page)
	}
	cancel()
	<-done
	if _, err := os.Stat(strings.TrimPrefix(strings.TrimSpace(string(args)), "file://")); !os.IsNotExist(err) {
		t.Fatalf("the forwarding page outlives the explorer: %v", err)
	}
}
