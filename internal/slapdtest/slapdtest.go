// Package slapdtest runs a real OpenLDAP server for tests: Debian's
// slapd on a free loopback port with a throwaway mdb database, stopped
// when the test ends. `make test-deps` installs it; without it the tests
// that need it fail, never skip.
package slapdtest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	goldap "github.com/go-ldap/ldap/v3"

	"github.com/batonkit/batonkit/internal/testport"
)

// The directory's suffix and its administrator.
const (
	BaseDN  = "dc=example,dc=com"
	AdminDN = "cn=admin,dc=example,dc=com"
	AdminPW = "secretpw"
)

func slapdPath(t testing.TB) string {
	t.Helper()
	for _, p := range []string{"slapd", "/usr/sbin/slapd"} {
		if path, err := exec.LookPath(p); err == nil {
			return path
		}
	}
	t.Fatal("slapd (Debian package slapd) is not installed: run `make test-deps`")
	return ""
}

// FreePort is a loopback port nothing listens on (for a connection that
// must fail).
func FreePort(t testing.TB) int { return testport.Free(t) }

// Start runs slapd and returns its URL.
func Start(t testing.TB) string {
	t.Helper()
	bin := slapdPath(t)
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "db"), 0o700); err != nil {
		t.Fatal(err)
	}
	conf := fmt.Sprintf(`include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/nis.schema
include /etc/ldap/schema/inetorgperson.schema
modulepath /usr/lib/ldap
moduleload back_mdb
pidfile %[1]s/slapd.pid
sizelimit unlimited
database mdb
maxsize 104857600
suffix "%[2]s"
rootdn "%[3]s"
rootpw %[4]s
directory %[1]s/db
index objectClass eq
index uid eq
`, dir, BaseDN, AdminDN, AdminPW)
	if err := os.WriteFile(filepath.Join(dir, "slapd.conf"), []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	url := fmt.Sprintf("ldap://127.0.0.1:%d", FreePort(t))
	// -d keeps slapd in the foreground, so it dies with the test.
	cmd := exec.Command(bin, "-f", filepath.Join(dir, "slapd.conf"), "-h", url+"/", "-d", "0")
	out, _ := os.Create(filepath.Join(dir, "slapd.log"))
	cmd.Stdout, cmd.Stderr = out, out
	// slapd dies with the test process, even one killed by a timeout.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	for start := time.Now(); ; time.Sleep(50 * time.Millisecond) {
		conn, err := goldap.DialURL(url)
		if err == nil {
			conn.Close()
			return url
		}
		if time.Since(start) > 15*time.Second {
			log, _ := os.ReadFile(filepath.Join(dir, "slapd.log"))
			t.Fatalf("slapd did not answer on %s: %v\n%s", url, err, log)
		}
	}
}

// Add writes one entry.
func Add(t testing.TB, conn *goldap.Conn, dn string, attrs map[string][]string) {
	t.Helper()
	req := goldap.NewAddRequest(dn, nil)
	for k, v := range attrs {
		req.Attribute(k, v)
	}
	if err := conn.Add(req); err != nil {
		t.Fatalf("add %s: %v", dn, err)
	}
}
