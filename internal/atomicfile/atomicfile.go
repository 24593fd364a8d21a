// Package atomicfile writes files so that a reader, or a process restarted
// after a crash, sees either the old content or the new, never a mix.
//
// The recipe: write to a temporary file in the destination's directory,
// fsync it, rename it over the destination, then fsync the directory so the
// rename itself survives a power cut. The destination and its directory
// pass internal/safefs's rule first: a link, another user's file or one
// others can write is refused, never replaced or followed.
package atomicfile

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/batonkit/batonkit/internal/safefs"
)

// Write creates or replaces path with whatever fill writes. A new file is
// private (0600); a replaced one keeps its owner's mode, never wider than
// 0644. If fill or any step fails, path is left untouched and the
// temporary file is removed.
func Write(path string, fill func(w io.Writer) error) (err error) {
	dir := filepath.Dir(path)
	if err := safefs.CheckDir(dir); err != nil {
		return err
	}
	old, err := safefs.CheckFile(path)
	if err != nil {
		return err
	}
	perm := safefs.Mode(old)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("create temp file beside %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err = fill(tmp); err != nil {
		return err
	}
	if err = tmp.Chmod(perm); err != nil {
		return fmt.Errorf("chmod %s: %w", tmp.Name(), err)
	}
	if err = tmp.Sync(); err != nil {
		return fmt.Errorf("fsync %s: %w", tmp.Name(), err)
	}
	if err = tmp.Close(); err != nil {
		return fmt.Errorf("close %s: %w", tmp.Name(), err)
	}
	if err = os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("rename into %s: %w", path, err)
	}
	return SyncDir(dir)
}

// SyncDir fsyncs a directory so that renames and creations in it are durable.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("open dir %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("fsync dir %s: %w", dir, err)
	}
	return nil
}
