package ldap_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/batonkit/batonkit/internal/cli"
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
	var out, errb bytes.Buffer
	code := cli.Execute(context.Background(), []string{"conformance", "-o", "json", "--connector", os.Args[0], "--", "-test.run=^TestLDAPHelper$", "--"}, &out, &errb)
	var rep struct {
		Passed bool
		Checks []struct {
			ID, Status string
			Problems   []string
		}
	}
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("exit %d: %q: %v\n%s", code, out.String(), err, errb.String())
	}
	if code != cli.ExitOK || !rep.Passed {
		t.Fatalf("exit %d: %+v\n%s", code, rep.Checks, errb.String())
	}
	for _, c := range rep.Checks {
		if c.ID == "restart" && c.Status != "pass" {
			t.Errorf("restart: %s", c.Status)
		}
	}
}
