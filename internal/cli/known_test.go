package cli_test

import (
	"path/filepath"
	"strings"
	"testing"
)

// An unknown id or type is an error with exit 8 and the closest matches,
// never an empty success, in every command that takes one.
func TestUnknownIDsAreErrors(t *testing.T) {
	file := filepath.Join(fixtureDir(t), "demo-v1.c1z")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"principals", "-e", "nosuch"}, `no entitlement "nosuch"`},
		{[]string{"grants", "-e", "nosuch"}, `no entitlement "nosuch"`},
		{[]string{"access", "-t", "user", "-r", "nosuch"}, `no user "nosuch"`},
		{[]string{"access", "-t", "nosuchtype", "-r", "x"}, `no resource type "nosuchtype"`},
		{[]string{"resources", "-t", "usr"}, `did you mean "user"`},
		{[]string{"entitlements", "-t", "grup"}, `did you mean "group"`},
		{[]string{"grants", "--principal", "user:nosuch"}, `no user "nosuch"`},
	} {
		out, stderr, code := run(t, append([]string{"-f", file}, tc.args...)...)
		if code != 8 || !strings.Contains(stderr, tc.want) || strings.TrimSpace(out) != "" {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want exit 8 saying %s", tc.args, code, out, stderr, tc.want)
		}
	}
}
