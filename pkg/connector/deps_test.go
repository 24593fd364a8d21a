package connector_test

import (
	"os/exec"
	"strings"
	"testing"
)

// An author's package, importing what a connector needs, compiles none of
// the storage engine: its tests build quickly and its binary stays small.
func TestAuthorAPILinksNoStorageEngine(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "github.com/batonkit/batonkit/pkg/connector", "github.com/batonkit/batonkit/pkg/resource",
		"github.com/batonkit/batonkit/pkg/grant", "github.com/batonkit/batonkit/pkg/entitlement", "github.com/batonkit/batonkit/pkg/pagination").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, dep := range strings.Fields(string(out)) {
		for _, banned := range []string{"modernc.org/sqlite", "github.com/cockroachdb/pebble", "github.com/prometheus/", "github.com/batonkit/batonkit/pkg/c1z", "testing"} {
			if dep == banned || strings.HasPrefix(dep, banned+"/") || (strings.HasSuffix(banned, "/") && strings.HasPrefix(dep, banned)) {
				t.Errorf("the author API links %s", dep)
			}
		}
	}
}
