package safefs_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/batonkit/batonkit/internal/neighbour"
	"github.com/batonkit/batonkit/internal/safefs"
)

// Each rule, against files and directories a real second user made.
func TestRules(t *testing.T) {
	mallory := neighbour.Get(t)
	shared := neighbour.SharedDir(t, true)
	mallory.Sh(t, shared, "echo x > theirs && mkdir theirdir && ln -s /etc/passwd link && mkdir open && chmod 777 open")
	mine := filepath.Join(shared, "mine")
	if err := os.WriteFile(mine, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		check  func() error
		unsafe bool
	}{
		{"their file", func() error { _, err := safefs.CheckFile(filepath.Join(shared, "theirs")); return err }, true},
		{"a link", func() error { _, err := safefs.CheckFile(filepath.Join(shared, "link")); return err }, true},
		{"my file", func() error { _, err := safefs.CheckFile(mine); return err }, false},
		{"a missing file", func() error { _, err := safefs.CheckFile(filepath.Join(shared, "none")); return err }, false},
		{"open a link", func() error { _, err := safefs.OpenOwned(filepath.Join(shared, "link"), os.O_RDONLY); return err }, true},
		{"create over a link", func() error { _, err := safefs.CreateNew(filepath.Join(shared, "link")); return err }, false},
		{"their directory", func() error { return safefs.CheckDir(filepath.Join(shared, "theirdir")) }, true},
		{"a sticky shared directory", func() error { return safefs.CheckDir(shared) }, false},
		{"a private dir below theirs", func() error { _, err := safefs.PrivateDir(shared, "theirdir", "x"); return err }, true},
		{"a private dir through a link", func() error { _, err := safefs.PrivateDir(shared, "link"); return err }, true},
		{"a private dir below a shared one", func() error { _, err := safefs.PrivateDir(shared, "mine-dir/a/b"); return err }, false},
		{"a named dir others can write", func() error {
			return safefs.EnsurePrivateDir(filepath.Join(shared, "open"))
		}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.check()
			if got := errors.Is(err, safefs.ErrUnsafe); got != tc.unsafe {
				t.Fatalf("err = %v, unsafe %v, want %v", err, got, tc.unsafe)
			}
		})
	}
	// CreateNew never follows a link, dangling or not: it fails.
	if _, err := safefs.CreateNew(filepath.Join(shared, "link")); err == nil {
		t.Fatal("created a file through a link")
	}
	// Directories made for us are 0700 whatever the umask.
	p, err := safefs.PrivateDir(shared, "made")
	if err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(p); fi.Mode().Perm() != 0o700 {
		t.Fatalf("mode %04o", fi.Mode().Perm())
	}
}

func TestModeNeverWidens(t *testing.T) {
	dir := t.TempDir()
	for in, want := range map[os.FileMode]os.FileMode{0o600: 0o600, 0o640: 0o640, 0o755: 0o644, 0o700: 0o600} {
		p := filepath.Join(dir, "f")
		os.WriteFile(p, nil, 0o600)
		os.Chmod(p, in)
		fi, _ := os.Stat(p)
		if got := safefs.Mode(fi); got != want {
			t.Errorf("Mode(%04o) = %04o, want %04o", in, got, want)
		}
	}
	if safefs.Mode(nil) != 0o600 {
		t.Error("a new file is not private")
	}
}
