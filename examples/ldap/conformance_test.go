package ldap_test

import (
	"os"
	"strings"
	"testing"

	"github.com/batonkit/batonkit/internal/clitest"
)

// baton conformance, run on this connector as a child process against a
// real slapd: every check passes, the restart check included (a page
// token from another process is refused with an error, never answered
// with another page).
func TestConformanceAgainstSlapd(t *testing.T) {
	url := startSlapd(t)
	seed(t, url, 120, 6)
	for _, kv := range append(env(url, 25), "BATONKIT_LDAP_CHILD=1") {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	// The helper switch is not one of the connector's settings: passed by name.
	clitest.Conforms(t, "--connector", os.Args[0], "--env", "BATONKIT_LDAP_CHILD", "--", "-test.run=^TestLDAPHelper$", "--")
}
