package cli_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/batonkit/batonkit/internal/cli"
)

// A v3 file converts to v1 with export c1z, and the v1 file lists the
// same as the v3 file, command by command; access, principals, search
// and diff work on v3 as on v1.
func TestV3ConvertsToV1(t *testing.T) {
	for _, name := range []string{"demo-v3-pebble", "harness-3k-v3"} {
		t.Run(name, func(t *testing.T) {
			v3 := filepath.Join(fixtureDir(t), name+".c1z")
			v1 := filepath.Join(t.TempDir(), "v1.c1z")
			if _, stderr, code := run(t, "-f", v3, "export", "c1z", "--out", v1); code != 0 {
				t.Fatalf("export c1z: %s", stderr)
			}
			raw, err := os.ReadFile(v1)
			if err != nil || !strings.HasPrefix(string(raw), "C1ZF\x00") {
				t.Fatalf("the export is not a v1 file: %v", err)
			}
			for _, args := range [][]string{
				{"-o", "json", "resource-types"}, {"-o", "json", "resources"}, {"-o", "json", "entitlements"},
				{"-o", "json", "grants"}, {"-o", "json", "syncs"}, {"grants"}, {"search", "a"},
				{"export", "csv"},
			} {
				from3, stderr3, code3 := run(t, append([]string{"-f", v3}, args...)...)
				from1, stderr1, code1 := run(t, append([]string{"-f", v1}, args...)...)
				if code3 != 0 || code1 != 0 || from3 != from1 {
					t.Fatalf("%v differs between v3 and its v1 copy (exit %d/%d, %s%s)", args, code3, code1, stderr3, stderr1)
				}
			}
			if _, stderr, code := run(t, "diff", v3, v1, "--exit-code"); code != cli.ExitOK {
				t.Fatalf("diff of a v3 file and its v1 copy: exit %d %s", code, stderr)
			}
		})
	}
	demo := filepath.Join(fixtureDir(t), "demo-v3-pebble.c1z")
	out, _, code := run(t, "-f", demo, "access", "-t", "user", "-r", "Alice")
	if code != 0 || !strings.Contains(out, "Engineers") {
		t.Fatalf("access on a v3 file:\n%s", out)
	}
}

// baton sync into an existing v3 file refuses, leaving it as it was, and
// says how to convert.
func TestSyncRefusesToOverwriteV3(t *testing.T) {
	src, err := os.ReadFile(filepath.Join(fixtureDir(t), "demo-v3-pebble.c1z"))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "sync.c1z")
	if err := os.WriteFile(path, src, 0o600); err != nil {
		t.Fatal(err)
	}
	_, stderr, code := run(t, "-f", path, "sync", "--connector", os.Args[0])
	after, _ := os.ReadFile(path)
	if code == 0 || !strings.Contains(stderr, "export c1z") || string(after) != string(src) {
		t.Fatalf("sync into a v3 file: exit %d, %s", code, stderr)
	}
}
