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
// --help works, against this working tree: the checkout this baton was
// built from, with no --batonkit.
func TestNewConnectorBuildsAndPasses(t *testing.T) {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "baton-acme-hr")
	out, stderr, code := run(t, "new", "connector", "acme-hr", "--dir", dir, "--module", "example.com/acme/baton-acme-hr")
	if code != 0 || !strings.Contains(out, "make test") || !strings.Contains(out, "checkout this baton was built from: "+root) {
		t.Fatalf("exit %d: %s%s", code, out, stderr)
	}
	if mod, _ := os.ReadFile(filepath.Join(dir, "go.mod")); !strings.Contains(string(mod), "=> "+root) {
		t.Fatalf("go.mod does not build against the checkout:\n%s", mod)
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

// --module and --batonkit go into generated Go and go.mod: values that
// are not a module path or a batonkit checkout are refused, not written.
func TestNewConnectorChecksModuleAndCheckout(t *testing.T) {
	foreign := t.TempDir()
	if err := os.WriteFile(filepath.Join(foreign, "go.mod"), []byte("module example.com/other\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"--module", `x"; import "os`},
		{"--module", "example.com/a b"},
		{"--module", "example.com/x\nreplace y => /tmp"},
		{"--batonkit", t.TempDir()},
		{"--batonkit", foreign},
		{"--batonkit", "/nonexistent/batonkit"},
	} {
		dir := filepath.Join(t.TempDir(), "out")
		_, stderr, code := run(t, append([]string{"new", "connector", "acme", "--dir", dir}, args...)...)
		if code != cli.ExitUsage {
			t.Errorf("%q: exit %d, want %d: %s", args, code, cli.ExitUsage, stderr)
		}
		if _, err := os.Stat(dir); !os.IsNotExist(err) {
			t.Errorf("%q: the module was written", args)
		}
	}
}
