package runner_test

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A connector served on a Unix socket is synced by baton sync
// --connector-addr like one baton starts itself; SIGTERM stops it
// cleanly and removes its socket; a refused combination is a usage error.
func TestServeIsSyncedByAddress(t *testing.T) {
	dir := t.TempDir()
	os.Chmod(dir, 0o700)
	sock := filepath.Join(dir, "app.sock")
	srv := exec.Command(bins.sqlapp, "--db", filepath.Join(dir, "app.db"), "serve", "--listen", "unix://"+sock, "--insecure-loopback")
	srv.Env = cleanEnv()
	var log bytes.Buffer
	srv.Stderr = &log
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	defer srv.Process.Kill()
	for i := 0; ; i++ {
		if _, err := os.Stat(sock); err == nil {
			break
		} else if i == 100 {
			t.Fatalf("no socket after 10 s: %s", log.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	ok(t, runIn(t, dir, nil, bins.baton, "-f", "direct.c1z", "sync", "--no-progress", "--connector", bins.sqlapp, "--", "--db", filepath.Join(dir, "app.db")))
	ok(t, runIn(t, dir, nil, bins.baton, "-f", "served.c1z", "sync", "--no-progress", "--connector-addr", "unix://"+sock, "--insecure-loopback"))
	a := ok(t, runIn(t, dir, nil, bins.baton, "-f", "direct.c1z", "grants"))
	b := ok(t, runIn(t, dir, nil, bins.baton, "-f", "served.c1z", "grants"))
	if a.stdout != b.stdout || !strings.Contains(a.stdout, "group:") {
		t.Errorf("the served connector synced differently:\n%s\n---\n%s", a.stdout, b.stdout)
	}
	if err := srv.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("after SIGTERM: %v\n%s", err, log.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatalf("still serving 15 s after SIGTERM")
	}
	if _, err := os.Stat(sock); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the socket outlives the server: %v", err)
	}

	r := runIn(t, dir, nil, bins.sqlapp, "--db", filepath.Join(dir, "app.db"), "serve", "--listen", "0.0.0.0:0", "--insecure-loopback")
	if r.code != 2 || !strings.Contains(r.stderr, "--tls-cert") {
		t.Errorf("plaintext on a routable address: exit %d, %s", r.code, r.stderr)
	}
	r = runIn(t, dir, nil, bins.baton, "-f", "x.c1z", "sync", "--connector-addr", "unix://"+sock, "--connector", bins.sqlapp)
	if r.code != 2 || !strings.Contains(r.stderr, "not both") {
		t.Errorf("--connector and --connector-addr: exit %d, %s", r.code, r.stderr)
	}
}
