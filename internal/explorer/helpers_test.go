package explorer_test

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/batonkit/batonkit/examples/sqlapp"
	"github.com/batonkit/batonkit/examples/synthetic"
	"github.com/batonkit/batonkit/internal/cli"
	"github.com/batonkit/batonkit/internal/explorer"
	"github.com/batonkit/batonkit/pkg/connector"
	"github.com/batonkit/batonkit/pkg/runner"
)

// demoFile syncs the bundled example app (make demo's file) into a new file.
func demoFile(t testing.TB) string {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	db, err := sqlapp.OpenDB(ctx, filepath.Join(dir, "app.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return syncInto(t, connector.Connector(sqlapp.New(db)), filepath.Join(dir, "sync.c1z"))
}

// h100kFile is the H100k shape of the benchmarks: 100k users, 5k groups of 20.
func h100kFile(t testing.TB) string {
	t.Helper()
	return syncInto(t, synthetic.New(synthetic.Shape{Users: 100_000, Groups: 5_000, Members: 20}), filepath.Join(t.TempDir(), "h100k.c1z"))
}

func syncInto(t testing.TB, c connector.Connector, path string) string {
	t.Helper()
	ctx := context.Background()
	srv, err := connector.NewServer(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	if err := runner.SyncToFile(ctx, connector.InProcessClient(srv), path, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatal(err)
	}
	return path
}

func fixture(t testing.TB, name string) string {
	t.Helper()
	p := filepath.Join("..", "..", "..", "shared", "fixtures", "upstream", name)
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("upstream fixture %s: %v (CI has ../shared beside the repository)", name, err)
	}
	return p
}

// serve starts the explorer on a loopback port and returns its base URL and
// token.
func serve(t testing.TB, path string) (base, token string) {
	t.Helper()
	return serveConfig(t, explorer.Config{Path: path})
}

// serveConfig is serve for any configuration.
func serveConfig(t testing.TB, cfg explorer.Config) (base, token string) {
	t.Helper()
	srv, err := explorer.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{Handler: srv}
	go hs.Serve(ln)
	t.Cleanup(func() {
		hs.Close()
		srv.Close(context.Background())
	})
	return "http://" + ln.Addr().String() + strings.TrimSuffix(srv.Prefix(), "/"), srv.Token()
}

// baton runs the CLI in process and returns its stdout.
func baton(t testing.TB, args ...string) string {
	t.Helper()
	var out, errb bytes.Buffer
	if code := cli.Execute(context.Background(), args, &out, &errb); code != 0 {
		t.Fatalf("baton %s: exit %d: %s", strings.Join(args, " "), code, errb.String())
	}
	return out.String()
}

// chromium finds the browser make test-deps installs.
func chromium(t testing.TB) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Fatal("no Chromium on PATH: make test-deps installs Debian's chromium (run make test as root once, or apt-get install chromium)")
	return ""
}

// artifacts is where screenshots go: $BATON_ARTIFACTS, else build/ in the
// repository (ignored by git).
func artifacts(t testing.TB) string {
	t.Helper()
	dir := os.Getenv("BATON_ARTIFACTS")
	if dir == "" {
		dir = filepath.Join("..", "..", "build", "explorer-screenshots")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	return dir
}
