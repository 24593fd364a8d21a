package c1z

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// A sync's working database, its write-ahead log and the save's temporary
// file together peak at 30 to 45 times the size of the saved .c1z.
const peakFactor = 45

// isNoSpace reports whether err is the disk (or SQLite's view of it)
// running full.
func isNoSpace(err error) bool {
	return errors.Is(err, syscall.ENOSPC) || errors.Is(err, ErrNoSpace) ||
		(err != nil && strings.Contains(err.Error(), "database or disk is full"))
}

// spaceHint turns a full disk into ErrNoSpace with what to do about it:
// how much a sync of this file needs, and how much is free.
func (s *Store) spaceHint(err error) error {
	if !isNoSpace(err) || errors.Is(err, ErrNoSpace) {
		return err
	}
	dir := filepath.Dir(s.path)
	need := "a sync needs 30-45x the .c1z's size free"
	if st, serr := os.Stat(s.path); serr == nil && st.Size() > 0 {
		need = fmt.Sprintf("a sync of this file needs up to about %d MB free (30-45x its %d KB)", st.Size()*peakFactor>>20+1, st.Size()>>10)
	}
	free := ""
	if n, ferr := diskFree(dir); ferr == nil {
		free = fmt.Sprintf("; %d MB are free in %s", n>>20, dir)
	}
	return fmt.Errorf("%w: %s%s; free some and run again: %v", ErrNoSpace, need, free, err)
}

// warnIfTight warns, before a sync starts, when the disk beside an
// existing file has less room than a sync of it may peak at.
func (s *Store) warnIfTight() {
	st, err := os.Stat(s.path)
	if err != nil || st.Size() == 0 {
		return
	}
	if free, err := diskFree(filepath.Dir(s.path)); err == nil && free < st.Size()*peakFactor {
		s.log.Warn("c1z: little free disk space beside the sync file; a sync peaks at 30-45x the file's size",
			"file", s.path, "file_bytes", st.Size(), "free_bytes", free, "may_need_bytes", st.Size()*peakFactor)
	}
}
