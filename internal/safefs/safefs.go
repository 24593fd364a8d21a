package safefs

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// ErrUnsafe marks a path refused because another user could control it;
// every refusal is an *UnsafeError that matches it with errors.Is.
var ErrUnsafe = errors.New("unsafe path")

// UnsafeError says which path was refused, why, and what to do.
type UnsafeError struct {
	Path string
	Why  string // "is a symbolic link", ...
	Fix  string
}

func (e *UnsafeError) Error() string        { return e.Path + " " + e.Why + "; " + e.Fix }
func (e *UnsafeError) Is(target error) bool { return target == ErrUnsafe }

func unsafe(path, why, fix string) error { return &UnsafeError{Path: path, Why: why, Fix: fix} }

// CheckFile is the rule for an existing file batonkit will write, resume
// or replace. A missing file is fine (nil info, nil error): the caller
// creates it. Symbolic links are refused, not followed, because a link
// planted where the file should be would send the write elsewhere.
func CheckFile(path string) (fs.FileInfo, error) {
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return fi, checkInfo(path, fi)
}

func checkInfo(path string, fi fs.FileInfo) error {
	switch {
	case fi.Mode()&fs.ModeSymlink != 0:
		return unsafe(path, "is a symbolic link", "name the file it points to instead")
	case !fi.Mode().IsRegular():
		return unsafe(path, "is not a regular file", "name a regular file")
	case !ownedByMe(fi):
		return unsafe(path, fmt.Sprintf("belongs to another user (uid %d)", owner(fi)),
			"it may have been planted: move it away, or choose another path")
	case fi.Mode().Perm()&0o022 != 0:
		return unsafe(path, fmt.Sprintf("is writable by other users (mode %04o)", fi.Mode().Perm()),
			"someone else may have changed it: if you trust its content run chmod go-w on it, otherwise move it away")
	}
	return nil
}

// Mode is the mode to give a file replacing one described by fi (nil:
// none): the owner's own bits are kept, never wider than 0644, and a new
// file is private.
func Mode(fi fs.FileInfo) fs.FileMode {
	if fi == nil {
		return 0o600
	}
	return fi.Mode().Perm() & 0o644
}

// CheckDir is the rule for a directory batonkit creates or renames files
// in: other users must not be able to rename or delete what we put there.
// That holds when it is ours or root's and either closed to others or
// sticky. The path is followed through symbolic links: the user named it.
func CheckDir(dir string) error {
	fi, err := os.Stat(dir)
	if err != nil {
		return err
	}
	if !fi.IsDir() {
		return fmt.Errorf("%s is not a directory", dir)
	}
	if uid := owner(fi); !ownedByMe(fi) && uid != 0 {
		return unsafe(dir, fmt.Sprintf("is a directory of another user (uid %d), who can replace any file in it", uid),
			"write into a directory you own")
	}
	if fi.Mode().Perm()&0o022 != 0 && fi.Mode()&fs.ModeSticky == 0 {
		return unsafe(dir, fmt.Sprintf("is a directory other users can write without the sticky bit (mode %04o), so they can replace any file in it", fi.Mode().Perm()),
			"write into a directory you own, or one with the sticky bit such as /tmp")
	}
	return nil
}

// CheckParent is CheckDir for the directory holding path.
func CheckParent(path string) error { return CheckDir(filepath.Dir(path)) }

// CreateNew creates path for writing, private (0600), failing if anything
// (a file, a link, even a dangling one) is already there.
func CreateNew(path string) (*os.File, error) {
	if err := CheckParent(path); err != nil {
		return nil, err
	}
	return os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL|syscall.O_NOFOLLOW, 0o600)
}

// OpenOwned opens path (with flag; O_CREATE makes a private file) without
// following a link, and only if the file it opened passes CheckFile. The
// check is on the open file, so the file cannot be swapped after it.
func OpenOwned(path string, flag int) (*os.File, error) {
	// Truncate only once the file is known to be ours.
	trunc := flag&os.O_TRUNC != 0
	f, err := os.OpenFile(path, flag&^os.O_TRUNC|syscall.O_NOFOLLOW, 0o600)
	if errors.Is(err, syscall.ELOOP) {
		return nil, unsafe(path, "is a symbolic link", "name the file it points to instead")
	}
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err == nil {
		err = checkInfo(path, fi)
	}
	if err == nil && trunc {
		err = f.Truncate(0)
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// PrivateDir makes base/elems... a directory only the current user can
// use and returns its path. base must pass CheckDir (a shared sticky
// $TMPDIR does); each element below it is created 0700, or, when it
// exists, must be a real directory (not a link) of the current user that
// no one else can write. An element may hold several path components.
func PrivateDir(base string, elems ...string) (string, error) {
	if err := CheckDir(base); err != nil {
		return "", err
	}
	p := base
	for _, e := range elems {
		for _, part := range strings.Split(filepath.Clean(e), string(filepath.Separator)) {
			if part == "" || part == "." {
				continue
			}
			if part == ".." {
				return "", fmt.Errorf("%s: %q leaves its directory", filepath.Join(base, filepath.Join(elems...)), e)
			}
			p = filepath.Join(p, part)
			if err := ownDir(p); err != nil {
				return "", err
			}
		}
	}
	return p, nil
}

// EnsurePrivateDir is PrivateDir for a directory the user named whole
// (--service-dir, say): missing parents are created 0700, and the
// directory itself must be the current user's and closed to others.
func EnsurePrivateDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return err
	}
	return checkOwnDir(dir, fi)
}

func ownDir(p string) error {
	if err := os.Mkdir(p, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		return err
	}
	fi, err := os.Lstat(p)
	if err != nil {
		return err
	}
	if fi.Mode()&fs.ModeSymlink != 0 {
		return unsafe(p, "is a symbolic link where batonkit keeps a directory of its own", "remove it")
	}
	return checkOwnDir(p, fi)
}

func checkOwnDir(p string, fi fs.FileInfo) error {
	switch {
	case !fi.IsDir():
		return unsafe(p, "is not a directory", "remove it or choose another directory")
	case !ownedByMe(fi):
		return unsafe(p, fmt.Sprintf("belongs to another user (uid %d)", owner(fi)),
			"it may have been planted: remove it, or set HOME or the directory flag to a place of your own")
	case fi.Mode().Perm()&0o022 != 0:
		return unsafe(p, fmt.Sprintf("is writable by other users (mode %04o)", fi.Mode().Perm()),
			"run chmod 700 on it if it is yours, or choose another directory")
	}
	return nil
}

// Private reports whether fi is a regular file of the current user that
// no one else may write: the files batonkit adopts.
func Private(fi fs.FileInfo) bool {
	return fi.Mode().IsRegular() && ownedByMe(fi) && fi.Mode().Perm()&0o022 == 0
}

// UserCache is PrivateDir below the user's cache directory (created 0700
// when missing). With no home directory (a system unit), it is below the
// temporary directory in one named after the user id: users keep apart,
// and one another user made first is refused, never adopted.
func UserCache(elems ...string) (string, error) {
	base, err := os.UserCacheDir()
	if err != nil {
		return PrivateDir(os.TempDir(), append([]string{fmt.Sprintf("batonkit-%d", os.Geteuid())}, elems...)...)
	}
	if err := os.MkdirAll(base, 0o700); err != nil {
		return "", err
	}
	return PrivateDir(base, elems...)
}

// Mine reports whether the current user owns fi: a socket or other
// special file left by an earlier run may be replaced only then.
func Mine(fi fs.FileInfo) bool { return ownedByMe(fi) }
