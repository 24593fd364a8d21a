// Package pgtest runs a real PostgreSQL for tests: Debian's server
// binaries, a throwaway cluster in a temporary directory on a free
// loopback port, stopped when the test ends. `make test-deps` installs the
// package; without it the tests that need it fail, never skip. PostgreSQL
// refuses to run as root, so under root the server runs as the package's
// postgres user.
package pgtest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/batonkit/batonkit/internal/testkit"
	"github.com/batonkit/batonkit/internal/testport"
)

func pgBin(t testing.TB) string {
	t.Helper()
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Strings(dirs)
	for i := len(dirs) - 1; i >= 0; i-- {
		if _, err := os.Stat(filepath.Join(dirs[i], "postgres")); err == nil {
			return dirs[i]
		}
	}
	if p, err := exec.LookPath("postgres"); err == nil {
		return filepath.Dir(p)
	}
	t.Fatal("PostgreSQL (Debian package postgresql) is not installed: run `make test-deps`")
	return ""
}

// FreePort is a loopback port nothing listens on.
func FreePort(t testing.TB) int { return testport.Free(t) }

// asServerUser makes cmd run as the postgres user when we are root, and
// returns that user's ids (-1 when not root).
func asServerUser(t testing.TB, cmd *exec.Cmd) (int, int) {
	t.Helper()
	if os.Geteuid() != 0 {
		return -1, -1
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		t.Fatal("running as root and there is no postgres user to run the server as (Debian's postgresql package creates it)")
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	if cmd != nil {
		cmd.SysProcAttr.Credential = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
	}
	return uid, gid
}

// Start runs a server and returns the superuser's connection string
// (trust over loopback); other roles log in with passwords.
func Start(t testing.TB) string {
	t.Helper()
	bin := pgBin(t)
	dir, err := os.MkdirTemp("", "pg-*")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if uid, gid := asServerUser(t, nil); uid >= 0 {
		testkit.Must(t, os.Chown(dir, uid, gid))
	}
	data := filepath.Join(dir, "data")
	initdb := exec.Command(filepath.Join(bin, "initdb"), "-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale", "C")
	initdb.SysProcAttr = &syscall.SysProcAttr{}
	asServerUser(t, initdb)
	if out, err := initdb.CombinedOutput(); err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}
	hba := "local all all trust\nhost all postgres 127.0.0.1/32 trust\nhost all all 127.0.0.1/32 scram-sha-256\n"
	testkit.Must(t, os.WriteFile(filepath.Join(data, "pg_hba.conf"), []byte(hba), 0o600))
	if uid, gid := asServerUser(t, nil); uid >= 0 {
		testkit.Must(t, os.Chown(filepath.Join(data, "pg_hba.conf"), uid, gid))
	}
	port := FreePort(t)
	srv := exec.Command(filepath.Join(bin, "postgres"), "-D", data, "-p", strconv.Itoa(port), "-k", dir,
		"-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "password_encryption=scram-sha-256")
	// The server dies with the test process, even one killed by a timeout.
	srv.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	asServerUser(t, srv)
	logf, _ := os.Create(filepath.Join(dir, "log"))
	srv.Stdout, srv.Stderr = logf, logf
	testkit.Must(t, srv.Start())
	t.Cleanup(func() {
		srv.Process.Signal(syscall.SIGINT)
		done := make(chan struct{})
		go func() { srv.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			srv.Process.Kill()
		}
	})
	dsn := fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", port)
	for start := time.Now(); ; time.Sleep(100 * time.Millisecond) {
		conn, err := pgx.Connect(context.Background(), dsn)
		if err == nil {
			conn.Close(context.Background())
			return dsn
		}
		if time.Since(start) > 30*time.Second {
			log, _ := os.ReadFile(filepath.Join(dir, "log"))
			t.Fatalf("PostgreSQL did not answer on port %d: %v\n%s", port, err, log)
		}
	}
}
