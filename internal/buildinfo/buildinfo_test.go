package buildinfo_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/batonkit/batonkit/internal/buildinfo"
)

func TestDescribe(t *testing.T) {
	got := buildinfo.Describe("v1.2.3")
	if !strings.HasPrefix(got, "v1.2.3 (commit ") || !strings.Contains(got, "go1.") {
		t.Fatalf("Describe = %q", got)
	}
	if got := buildinfo.Describe(""); !strings.HasPrefix(got, "dev ") {
		t.Fatalf("Describe(\"\") in a test binary = %q, want dev", got)
	}
}

// A build from this checkout knows it.
func TestCheckout(t *testing.T) {
	root, _ := filepath.Abs("../..")
	if got := buildinfo.Checkout(); got != root {
		t.Fatalf("Checkout = %q, want %q", got, root)
	}
	if _, err := os.Stat(filepath.Join(buildinfo.Checkout(), "go.mod")); err != nil {
		t.Fatal(err)
	}
}
