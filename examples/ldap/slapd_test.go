package ldap_test

import (
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	goldap "github.com/go-ldap/ldap/v3"
)

// A real OpenLDAP server for the tests: Debian's slapd, started on a free
// loopback port with a throwaway mdb database, stopped when the test ends.
// `make test-deps` installs it; without it the tests fail, never skip.

const (
	baseDN  = "dc=example,dc=com"
	adminDN = "cn=admin,dc=example,dc=com"
	adminPW = "secretpw"
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

func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// startSlapd runs slapd and returns its URL.
func startSlapd(t testing.TB) string {
	t.Helper()
	bin := slapdPath(t)
	dir := t.TempDir()
	must(t, os.Mkdir(filepath.Join(dir, "db"), 0o700))
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
`, dir, baseDN, adminDN, adminPW)
	must(t, os.WriteFile(filepath.Join(dir, "slapd.conf"), []byte(conf), 0o600))
	url := fmt.Sprintf("ldap://127.0.0.1:%d", freePort(t))
	// -d keeps slapd in the foreground, so it dies with the test.
	cmd := exec.Command(bin, "-f", filepath.Join(dir, "slapd.conf"), "-h", url+"/", "-d", "0")
	out, _ := os.Create(filepath.Join(dir, "slapd.log"))
	cmd.Stdout, cmd.Stderr = out, out
	// slapd dies with the test process, even one killed by a timeout.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	must(t, cmd.Start())
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

// directory is what seed wrote, for the tests' expectations.
type directory struct {
	users   int
	groups  map[string][]string // group DN -> member DNs (people and groups)
	posix   map[string][]string // posixGroup DN -> person DNs behind its memberUids
	nested  [2]string           // outer group DN, inner group DN
	inInner string              // a person in the inner group only
}

func add(t testing.TB, conn *goldap.Conn, dn string, attrs map[string][]string) {
	t.Helper()
	req := goldap.NewAddRequest(dn, nil)
	for k, v := range attrs {
		req.Attribute(k, v)
	}
	if err := conn.Add(req); err != nil {
		t.Fatalf("add %s: %v", dn, err)
	}
}

// seed fills the directory: nUsers people, nGroups groupOfNames of 20
// members (every 10th nests the one before), a groupOfUniqueNames and a
// posixGroup.
func seed(t testing.TB, url string, nUsers, nGroups int) directory {
	t.Helper()
	conn, err := goldap.DialURL(url)
	must(t, err)
	defer conn.Close()
	must(t, conn.Bind(adminDN, adminPW))
	add(t, conn, baseDN, map[string][]string{"objectClass": {"dcObject", "organization"}, "o": {"Example"}, "dc": {"example"}})
	add(t, conn, "ou=People,"+baseDN, map[string][]string{"objectClass": {"organizationalUnit"}, "ou": {"People"}})
	add(t, conn, "ou=Groups,"+baseDN, map[string][]string{"objectClass": {"organizationalUnit"}, "ou": {"Groups"}})
	d := directory{users: nUsers, groups: map[string][]string{}, posix: map[string][]string{}}
	person := func(i int) string { return fmt.Sprintf("uid=u%d,ou=People,%s", i, baseDN) }
	for i := range nUsers {
		add(t, conn, person(i), map[string][]string{"objectClass": {"inetOrgPerson", "posixAccount"}, "uid": {fmt.Sprintf("u%d", i)},
			"cn": {fmt.Sprintf("User %d", i)}, "sn": {fmt.Sprintf("U%d", i)}, "mail": {fmt.Sprintf("u%d@example.com", i)},
			"uidNumber": {fmt.Sprint(10000 + i)}, "gidNumber": {"100"}, "homeDirectory": {fmt.Sprintf("/home/u%d", i)}})
	}
	rng := rand.New(rand.NewPCG(7, 7))
	group := func(g int) string { return fmt.Sprintf("cn=g%d,ou=Groups,%s", g, baseDN) }
	for g := range nGroups {
		var members []string
		for _, m := range rng.Perm(nUsers)[:min(20, nUsers)] {
			members = append(members, person(m))
		}
		if g > 0 && g%10 == 0 {
			members = append(members, group(g-1))
			d.nested = [2]string{group(g), group(g - 1)}
		}
		add(t, conn, group(g), map[string][]string{"objectClass": {"groupOfNames"}, "cn": {fmt.Sprintf("g%d", g)}, "member": members})
		d.groups[group(g)] = members
	}
	for _, m := range d.groups[d.nested[1]] {
		if !contains(d.groups[d.nested[0]], m) {
			d.inInner = m
			break
		}
	}
	admins := "cn=admins,ou=Groups," + baseDN
	add(t, conn, admins, map[string][]string{"objectClass": {"groupOfUniqueNames"}, "cn": {"admins"}, "uniqueMember": {person(1), person(2)}})
	d.groups[admins] = []string{person(1), person(2)}
	unix := "cn=unixusers,ou=Groups," + baseDN
	add(t, conn, unix, map[string][]string{"objectClass": {"posixGroup"}, "cn": {"unixusers"}, "gidNumber": {"100"}, "memberUid": {"u3", "u4", "nobody"}})
	d.groups[unix] = []string{person(3), person(4)}
	return d
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
