//go:build unix

package c1z

import (
	"errors"
	"fmt"
	"os"
	"syscall"
)

// fileLock is an exclusive advisory lock on "<c1z>.lock" that keeps two
// writers (two overlapping cron runs, say) off one sync file.
type fileLock struct{ f *os.File }

func acquireLock(path string) (*fileLock, error) {
	for attempt := 0; attempt < 3; attempt++ {
		// Never through a symlink, and only a file that is ours alone: in
		// a shared directory another user could plant one to block us.
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|syscall.O_NOFOLLOW, 0o600)
		if errors.Is(err, syscall.ELOOP) {
			return nil, fmt.Errorf("%w: lock file %s is a symlink; remove it", ErrUnsafeFile, path)
		}
		if err != nil {
			return nil, fmt.Errorf("open lock file %s: %w", path, err)
		}
		if fi, err := f.Stat(); err != nil || !private(fi) {
			f.Close()
			return nil, fmt.Errorf("%w: lock file %s is not this user's own file (owned by another user or writable by others); remove it if it is stale", ErrUnsafeFile, path)
		}
		if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
			f.Close()
			if errors.Is(err, syscall.EWOULDBLOCK) {
				return nil, fmt.Errorf("%w (lock %s is held)", ErrInUse, path)
			}
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
		// The previous holder removes the file before unlocking; if we locked
		// a file that is no longer at path, start over with the new one.
		held, err1 := f.Stat()
		now, err2 := os.Stat(path)
		if err1 == nil && err2 == nil && os.SameFile(held, now) {
			return &fileLock{f: f}, nil
		}
		f.Close()
	}
	return nil, fmt.Errorf("%w (lock %s keeps changing)", ErrInUse, path)
}

func (l *fileLock) release() error {
	if l == nil || l.f == nil {
		return nil
	}
	err := os.Remove(l.f.Name())
	if cerr := l.f.Close(); err == nil {
		err = cerr
	}
	l.f = nil
	return err
}

// private reports whether fi is a regular file owned by this process's
// user that no one else may write.
func private(fi os.FileInfo) bool {
	return fi.Mode().IsRegular() && ownedByMe(fi) && fi.Mode().Perm()&0o022 == 0
}
