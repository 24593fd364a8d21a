package cli_test

import (
	"context"
	"strings"
	"testing"

	connectorv2 "github.com/batonkit/batonkit/pb/c1/connector/v2"
	"github.com/batonkit/batonkit/pkg/c1z"
)

// Names in a crafted file cannot act on the terminal: escape sequences,
// C1 controls, BEL/BS/DEL and bidi overrides print escaped and visible in
// console output; JSON stays as protojson writes it.
func TestConsoleOutputEscapesControlCharacters(t *testing.T) {
	evil := "ad\x1b]0;pwned\x07min\x1b[2J\u009b\b\x7f\u202eeman\tx\ny"
	path := syncFile(t, func(ctx context.Context, st *c1z.Store, id string) error {
		if err := st.PutResourceTypes(ctx, id, &connectorv2.ResourceType{Id: "user", DisplayName: evil}); err != nil {
			return err
		}
		return st.PutResources(ctx, id, &connectorv2.Resource{Id: &connectorv2.ResourceId{ResourceType: "user", Resource: "u1"}, DisplayName: evil})
	})
	for _, args := range [][]string{{"resources"}, {"resource-types"}} {
		out, stderr, code := run(t, append([]string{"-f", path}, args...)...)
		if code != 0 {
			t.Fatalf("%v: exit %d %s", args, code, stderr)
		}
		for _, bad := range []string{"\x1b", "\x07", "\u009b", "\b", "\x7f", "\u202e", "pwned\a"} {
			if strings.Contains(out, bad) {
				t.Fatalf("%v printed %q raw:\n%q", args, bad, out)
			}
		}
		if !strings.Contains(out, `\x1b]0;pwned\x07`) || !strings.Contains(out, `\u202e`) {
			t.Fatalf("%v: the characters are not shown escaped:\n%q", args, out)
		}
	}
	out, _, _ := run(t, "-f", path, "-o", "json", "resources")
	if !strings.Contains(out, `\u001b]0;pwned`) {
		t.Fatalf("JSON output changed: %q", out)
	}
}
