//go:build unix

package c1z

import (
	"errors"
	"fmt"
	"os"
	"syscall"

	"github.com/batonkit/batonkit/internal/safefs"
)

// fileLock is an exclusive advisory lock on "<c1z>.lock" that keeps two
// writers (two overlapping cron runs, say) off one sync file.
type fileLock struct{ f *os.File }

func acquireLock(path string) (*fileLock, error) {
	for attempt := 0; attempt < 3; attempt++ {
		// Never through a symlink, and only a file that is ours alone: in
		// a shared directory another user could plant one to block us.
		f, err := safefs.OpenOwned(path, os.O_RDWR|os.O_CREATE)
		if errors.Is(err, safefs.ErrUnsafe) {
			return nil, fmt.Errorf("%w: lock file: %w (remove it if it is stale)", ErrUnsafeFile, err)
		}
		if err != nil {
			return nil, fmt.Errorf("open lock file %s: %w", path, err)
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
