// Package neighbour gives tests a real second local user, to play the
// hostile neighbour of SECURITY.md's threat model: a process of that user
// plants files, links and directories where batonkit might trust them.
//
// The user is created with useradd on first use, which needs root (CI
// runs as root). A test that cannot get one fails; it never skips, so a
// defence cannot go untested unnoticed.
package neighbour

import (
	"bytes"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
)

// Name is the local account the tests create and act as.
const Name = "batonkit-neighbour"

// User is the neighbour: a real account other than the test's own.
type User struct {
	Name     string
	UID, GID int
}

// Get returns the neighbour, creating the account if it does not exist.
func Get(t testing.TB) *User {
	t.Helper()
	u, err := user.Lookup(Name)
	if err != nil {
		if os.Geteuid() != 0 {
			t.Fatalf("the hostile-neighbour tests need a second local user %q: run them as root (CI does), or create it: useradd --system %s", Name, Name)
		}
		out, addErr := exec.Command("useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", Name).CombinedOutput()
		// Another test binary may have created it meanwhile: look again.
		if u, err = user.Lookup(Name); err != nil {
			t.Fatalf("useradd %s: %v\n%s", Name, addErr, out)
		}
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	if uid == os.Geteuid() {
		t.Fatalf("the neighbour %s has this process's own uid %d", Name, uid)
	}
	return &User{Name: Name, UID: uid, GID: gid}
}

// Sh runs a shell script as the neighbour, in dir, and fails the test if
// it fails: the neighbour's own process does the planting.
func (u *User) Sh(t testing.TB, dir, script string) {
	t.Helper()
	cmd := exec.Command("/bin/sh", "-c", "umask 000; "+script)
	cmd.Dir = dir
	cmd.Env = []string{"PATH=/usr/local/bin:/usr/bin:/bin", "HOME=/nonexistent"}
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(u.UID), Gid: uint32(u.GID)}}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("as %s: %s: %v\n%s", u.Name, script, err, out.String())
	}
}

// SharedDir is a directory every user can write, as /tmp is (mode 1777
// with sticky set, 0777 without), owned by the test's user and reachable
// by the neighbour. It is removed when the test ends.
func SharedDir(t testing.TB, sticky bool) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "shared-*")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	mode := os.FileMode(0o777)
	if sticky {
		mode |= os.ModeSticky
	}
	if err := os.Chmod(dir, mode); err != nil {
		t.Fatal(err)
	}
	return dir
}

// Own gives path to the neighbour (chown), for files a test prepares
// and the neighbour then owns; the planting itself should be Sh.
func (u *User) Own(t testing.TB, path string) {
	t.Helper()
	if err := os.Lchown(path, u.UID, u.GID); err != nil {
		t.Fatal(err)
	}
}

// Handout copies a file the test prepared to a place the neighbour can
// read (its own test directories are closed to others) and returns it.
func Handout(t testing.TB, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "handout-*")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	out := filepath.Join(dir, filepath.Base(path))
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(out, data, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(out, 0o644); err != nil {
		t.Fatal(err)
	}
	return out
}
