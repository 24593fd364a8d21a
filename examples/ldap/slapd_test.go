package ldap_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	goldap "github.com/go-ldap/ldap/v3"

	"github.com/batonkit/batonkit/internal/slapdtest"
	"github.com/batonkit/batonkit/internal/testkit"
)

// The server is internal/slapdtest's; these name its directory.
const (
	baseDN  = slapdtest.BaseDN
	adminDN = slapdtest.AdminDN
	adminPW = slapdtest.AdminPW
)

func startSlapd(t testing.TB) string { return slapdtest.Start(t) }

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
	slapdtest.Add(t, conn, dn, attrs)
}

// seed fills the directory: nUsers people, nGroups groupOfNames of 20
// members (every 10th nests the one before), a groupOfUniqueNames and a
// posixGroup.
func seed(t testing.TB, url string, nUsers, nGroups int) directory {
	t.Helper()
	conn, err := goldap.DialURL(url)
	testkit.Must(t, err)
	defer conn.Close()
	testkit.Must(t, conn.Bind(adminDN, adminPW))
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
