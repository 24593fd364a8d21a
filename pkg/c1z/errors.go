package c1z

import (
	"errors"
	"fmt"

	"github.com/batonkit/batonkit/pkg/c1z/internal/c1zerr"
)

// Sentinel errors. Every error returned by Open wraps one of these when the
// file itself is at fault, so callers can branch with errors.Is and still
// print a message that names the file.
var (
	// ErrNotC1Z: the file does not start with a c1z header (another kind of
	// file, or empty when a sync file was required).
	ErrNotC1Z = errors.New("not a c1z file")
	// ErrCorrupt: the header is right but the content is damaged (truncated
	// compression stream, broken SQLite database, missing tables).
	ErrCorrupt = c1zerr.ErrCorrupt
	// ErrTooLarge: decoding would exceed the configured size limit, which
	// protects against decompression bombs.
	ErrTooLarge = c1zerr.ErrTooLarge
	// ErrNoSpace: the disk where the file is unpacked or saved has too
	// little free space.
	ErrNoSpace = c1zerr.ErrNoSpace
	// ErrUnsupportedFormat: a real c1z in a format this version cannot read
	// (for example Baton's newer "v3" Pebble format).
	ErrUnsupportedFormat = c1zerr.ErrUnsupportedFormat
	// ErrUnsafeFile: the c1z to write, its directory, or a lock or working
	// file beside it is a symlink, another user's, or writable by others,
	// so it is not trusted. It also wraps safefs.ErrUnsafe.
	ErrUnsafeFile = errors.New("unsafe sync file")
	// ErrInUse: another process holds the file open for writing.
	ErrInUse = errors.New("c1z file is in use by another process")
	// ErrNoSync: no sync run matches (no finished sync yet, or an unknown id).
	ErrNoSync = errors.New("no matching sync")
	// ErrSyncEnded: a write or checkpoint was attempted on a finished sync.
	ErrSyncEnded = errors.New("sync has already ended")
	// ErrInvalidObject: an object lacks the ids its row is keyed by.
	ErrInvalidObject = errors.New("object cannot be stored")
	// ErrClosed: the store was used after Close.
	ErrClosed = errors.New("c1z store is closed")
)

// FileError is the error type for problems with one c1z file: it names the
// operation and the path, and wraps the sentinel that classifies it.
type FileError struct {
	Op   string // "open", "decode", "save", ...
	Path string
	Err  error
}

func (e *FileError) Error() string { return fmt.Sprintf("%s c1z %s: %v", e.Op, e.Path, e.Err) }
func (e *FileError) Unwrap() error { return e.Err }

func fileErr(op, path string, err error) error {
	if err == nil {
		return nil
	}
	var fe *FileError
	if errors.As(err, &fe) {
		return err
	}
	return &FileError{Op: op, Path: path, Err: err}
}

// RowError names one stored object that cannot be decoded: its table,
// row and id. It wraps ErrCorrupt. A store opened with SkipInvalid skips
// such rows (and reports each); otherwise a listing ends with it.
type RowError struct {
	Table string
	Row   int64
	ID    string // the object's external id, when readable
	Err   error
}

func (e *RowError) Error() string {
	id := ""
	if e.ID != "" {
		id = fmt.Sprintf(" (id %q)", e.ID)
	}
	return fmt.Sprintf("%v: object in %s row %d%s cannot be read: %v", ErrCorrupt, e.Table, e.Row, id, e.Err)
}

func (e *RowError) Unwrap() []error { return []error{ErrCorrupt, e.Err} }

// errReadOnly guards the writes of a store opened only to read: its
// Reader is all that is handed out, so no caller reaches them.
var errReadOnly = errors.New("c1z store is read-only")
