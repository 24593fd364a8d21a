package connector_test

import (
	"os/exec"
	"strings"
	"testing"
)

// What links what: an author's package compiles none of the storage
// engine (its tests build quickly, its binary stays small); the CLI links
// no testing package; the syncer draws nothing itself.
func TestDependencies(t *testing.T) {
	const mod = "github.com/batonkit/batonkit/"
	for _, tc := range []struct {
		pkgs   []string
		banned []string
	}{
		{[]string{"pkg/connector", "pkg/resource", "pkg/grant", "pkg/entitlement", "pkg/pagination"},
			[]string{"modernc.org/sqlite", "github.com/cockroachdb/pebble", "github.com/prometheus", mod + "pkg/c1z", "testing"}},
		{[]string{"cmd/baton"}, []string{"testing"}},
		{[]string{"pkg/sync"}, []string{"github.com/vbauerster/mpb"}},
	} {
		args := []string{"list", "-deps"}
		for _, p := range tc.pkgs {
			args = append(args, mod+p)
		}
		out, err := exec.Command("go", args...).CombinedOutput()
		if err != nil {
			t.Fatalf("go list: %v\n%s", err, out)
		}
		for _, dep := range strings.Fields(string(out)) {
			for _, banned := range tc.banned {
				if dep == banned || strings.HasPrefix(dep, banned+"/") {
					t.Errorf("%v links %s", tc.pkgs, dep)
				}
			}
		}
	}
}
