package cli_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/batonkit/batonkit/internal/cli"
)

// A generated connector builds, its conformance test passes and its
// --help works, against this working tree.
func TestNewConnectorBuildsAndPasses(t *testing.T) {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "baton-acme-hr")
	out, stderr, code := run(t, "new", "connector", "acme-hr", "--dir", dir, "--module", "example.com/acme/baton-acme-hr", "--batonkit", root)
	if code != 0 || !strings.Contains(out, "make test") {
		t.Fatalf("exit %d: %s%s", code, out, stderr)
	}
	for _, f := range []string{"go.mod", "connector.go", "connector_test.go", "cmd/baton-acme-hr/main.go", "Makefile", "Dockerfile", "README.md"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("not generated: %s", f)
		}
	}
	sh := func(name string, args ...string) string {
		t.Helper()
		cmd := exec.Command(name, args...)
		cmd.Dir = dir
		b, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s %v: %v\n%s", name, args, err, b)
		}
		return string(b)
	}
	sh("go", "mod", "tidy")
	sh("go", "vet", "./...")
	if got := sh("go", "test", "./..."); !strings.Contains(got, "ok  \texample.com/acme/baton-acme-hr") {
		t.Fatalf("go test:\n%s", got)
	}
	sh("go", "build", "-o", "bin/baton-acme-hr", "./cmd/baton-acme-hr")
	if help := sh(filepath.Join(dir, "bin", "baton-acme-hr"), "--help"); !strings.Contains(help, "--token") || !strings.Contains(help, "BATON_TOKEN") {
		t.Fatalf("--help:\n%s", help)
	}
}

func TestNewConnectorRefusesBadInput(t *testing.T) {
	dir := t.TempDir()
	for _, args := range [][]string{{"new", "connector", "Acme"}, {"new", "connector", "../x"}, {"new", "connector"}, {"new", "connector", "acme", "--dir", dir}} {
		if _, _, code := run(t, args...); code != cli.ExitUsage {
			t.Errorf("%v: exit %d, want %d", args, code, cli.ExitUsage)
		}
	}
}
