package cli_test

import (
	"strings"
	"testing"
)

// A command that reads no sync file does not list the file's flags in its
// help; one that reads a file lists them all.
func TestHelpListsOnlyTheGlobalsACommandUses(t *testing.T) {
	fileFlags := []string{"--file", "--sync-id", "--s3-endpoint", "--skip-invalid"}
	for _, tc := range []struct {
		args      []string
		want, not []string
	}{
		{[]string{"new", "--help"}, nil, append(fileFlags, "--output")},
		{[]string{"new", "connector", "--help"}, []string{"--module", "--batonkit"}, append(fileFlags, "--output")},
		{[]string{"version", "--help"}, nil, append(fileFlags, "--output")},
		{[]string{"conformance", "--help"}, []string{"--output"}, fileFlags},
		{[]string{"grants", "--help"}, append(fileFlags, "--output", "--path"), nil},
		{[]string{"--help"}, append(fileFlags, "--output"), nil},
	} {
		out, stderr, code := run(t, tc.args...)
		if code != 0 {
			t.Fatalf("%v: exit %d, %s", tc.args, code, stderr)
		}
		for _, w := range tc.want {
			if !strings.Contains(out, w) {
				t.Errorf("%v: %s missing", tc.args, w)
			}
		}
		for _, n := range tc.not {
			if strings.Contains(out, n+" ") {
				t.Errorf("%v: lists %s, which it does not use", tc.args, n)
			}
		}
	}
}
