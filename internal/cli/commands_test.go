package cli_test

import (
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Piped output (anything that is not a terminal) never carries escape
// codes, whatever the command.
func TestNoEscapeCodesWhenNotATerminal(t *testing.T) {
	file := filepath.Join(fixtureDir(t), "demo-v1-two-syncs.c1z")
	for _, args := range [][]string{
		{"resource-types"}, {"resources"}, {"resources", "-t", "user"}, {"entitlements"}, {"grants"},
		{"principals", "-e", "group:2IC0WjepYDBsRp6b7cqrumGsVGt:member"},
		{"access", "-t", "user", "-r", "2IC0WoaHVvl2GIQppXQH0flK1yJ"}, {"syncs"}, {"stats"}, {"diff"},
		{"export", "csv"}, {"--help"}, {"grants", "--help"},
	} {
		out, stderr, code := run(t, append([]string{"-f", file}, args...)...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, stderr)
		}
		if strings.Contains(out+stderr, "\x1b") {
			t.Errorf("%v printed escape codes into a pipe", args)
		}
		if strings.TrimSpace(out) == "" {
			t.Errorf("%v printed nothing", args)
		}
	}
}

func TestExports(t *testing.T) {
	file := filepath.Join(fixtureDir(t), "demo-v1.c1z")
	out, _, code := run(t, "-f", file, "export", "csv")
	if code != 0 {
		t.Fatalf("export csv: exit %d", code)
	}
	recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil || len(recs) != 32 || recs[0][0] != "resource_type" {
		t.Fatalf("csv: %d records (%v), header %v", len(recs), err, recs[0])
	}
	out, _, code = run(t, "-f", file, "export", "json")
	var doc struct {
		SyncID    string            `json:"syncId"`
		Resources []json.RawMessage `json:"resources"`
		Grants    []json.RawMessage `json:"grants"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &doc) != nil || len(doc.Resources) != 11 || len(doc.Grants) != 31 {
		t.Fatalf("export json: exit %d, %d resources, %d grants", code, len(doc.Resources), len(doc.Grants))
	}
	dst := filepath.Join(t.TempDir(), "one.c1z")
	if _, stderr, code := run(t, "-f", file, "export", "c1z", "--out", dst); code != 0 {
		t.Fatalf("export c1z: %s", stderr)
	}
	out, _, code = run(t, "-f", dst, "-o", "json", "stats")
	if code != 0 || !strings.Contains(out, `"grants":"31"`) {
		t.Fatalf("stats of the exported file: %s", out)
	}
	if _, stderr, code := run(t, "-f", file, "export", "pdf"); code != 2 || !strings.Contains(stderr, "pdf") {
		t.Fatalf("unknown export format: exit %d %s", code, stderr)
	}
}

// A connector that cannot be run has its own exit code, not the one of a
// missing sync file.
func TestMissingConnectorExitCode(t *testing.T) {
	_, stderr, code := run(t, "-f", filepath.Join(t.TempDir(), "s.c1z"), "sync", "--connector", "./no-such-connector")
	if code != 7 || !strings.Contains(stderr, "no-such-connector") {
		t.Fatalf("exit %d, %s; want 7 naming the connector", code, stderr)
	}
}

// --cpuprofile (hidden, for benchmark work) writes a private profile of
// the command.
func TestCPUProfileFlag(t *testing.T) {
	prof := filepath.Join(t.TempDir(), "cpu.prof")
	if _, stderr, code := run(t, "-f", filepath.Join(fixtureDir(t), "demo-v1.c1z"), "grants", "-o", "json", "--cpuprofile", prof); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	st, err := os.Stat(prof)
	if err != nil || st.Size() == 0 || st.Mode().Perm() != 0o600 {
		t.Fatalf("profile %v (%v)", st, err)
	}
	if out, _, _ := run(t, "--help"); strings.Contains(out, "cpuprofile") {
		t.Error("--cpuprofile is listed in --help")
	}
}
