package cli_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/batonkit/batonkit/internal/c1ztest"
)

// corruptRow rewrites a c1z with the data of one grant row replaced by
// bytes that are not a protobuf message.
func corruptRow(t *testing.T, src string, row int) string {
	t.Helper()
	return c1ztest.RewriteDB(t, src, fmt.Sprintf("update v1_grants set data = x'ffffffffff' where id = %d", row))
}

// A corrupt row in the middle of a listing is named (table, row, id);
// --skip-invalid prints everything else and counts what it skipped.
func TestCorruptRowIsNamedAndSkippable(t *testing.T) {
	good, want := grantsFile(t)
	path := corruptRow(t, good, 150)
	for _, args := range [][]string{{"grants"}, {"-o", "json", "grants"}, {"export", "json"}} {
		_, stderr, code := run(t, append([]string{"-f", path}, args...)...)
		if code != 4 || !strings.Contains(stderr, "v1_grants row 150") || !strings.Contains(stderr, "--skip-invalid") {
			t.Fatalf("%v: exit %d, stderr %q; want exit 4 naming v1_grants row 150", args, code, stderr)
		}
	}
	out, stderr, code := run(t, "-f", path, "--skip-invalid", "grants")
	if code != 0 || !strings.Contains(stderr, "skipped 1 object") {
		t.Fatalf("--skip-invalid: exit %d, stderr %q", code, stderr)
	}
	if lines := strings.Count(out, "\n"); lines != len(want) { // header + every grant but one
		t.Fatalf("--skip-invalid printed %d lines, want %d", lines, len(want))
	}
	if !strings.Contains(stderr, `id "team:`) {
		t.Fatalf("the skipped object is not named by id: %q", stderr)
	}
}
