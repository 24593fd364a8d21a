// Package buildinfo says what a binary was built from: its version, the
// commit, whether the tree had changes, the Go that built it, and, for a
// build from a checkout, where that checkout is.
//
//	fmt.Println("baton", buildinfo.Describe(""))  // baton dev (commit 1a2b3c4d5e6f, modified; go1.26.8)
package buildinfo

import (
	"cmp"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
)

// Module is batonkit's module path.
const Module = "github.com/batonkit/batonkit"

// Describe is version (empty: the module's own, or "dev" for a build
// from a checkout) followed by the commit and the toolchain, as --version
// prints it.
func Describe(version string) string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return cmp.Or(version, "dev")
	}
	if version == "" {
		version = info.Main.Version
		if version == "" || version == "(devel)" {
			version = "dev"
		}
	}
	var rev, modified string
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				modified = ", modified"
			}
		}
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if rev == "" {
		rev = "unknown"
	}
	return version + " (commit " + rev + modified + "; " + info.GoVersion + ")"
}

// Checkout is the batonkit source tree this binary was built from, when
// it was built from one (not with -trimpath, not from the module cache)
// and that tree is still there; "" otherwise.
func Checkout() string {
	_, file, _, ok := runtime.Caller(0)
	if !ok || !filepath.IsAbs(file) || strings.Contains(file, "/pkg/mod/") {
		return ""
	}
	// file is <checkout>/internal/buildinfo/buildinfo.go.
	root := filepath.Dir(filepath.Dir(filepath.Dir(file)))
	data, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil || !strings.Contains(string(data), "module "+Module+"\n") {
		return ""
	}
	return root
}
