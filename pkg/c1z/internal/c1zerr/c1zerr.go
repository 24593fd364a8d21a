// Package c1zerr holds the sentinel errors and the size error that package
// c1z and its v3 reader (internal/v3file) both return, so an error made in
// either matches c1z's exported sentinels with errors.Is. Package c1z
// re-exports each under the same name; callers never import this one.
package c1zerr

import (
	"errors"
	"fmt"
)

// The sentinels c1z exports; their meaning is documented there.
var (
	ErrCorrupt           = errors.New("corrupt c1z file")
	ErrTooLarge          = errors.New("c1z file decodes past the size limit")
	ErrNoSpace           = errors.New("not enough free disk space")
	ErrUnsupportedFormat = errors.New("unsupported c1z format")
)

// SizeError says a file would decode to more than is allowed or than
// fits; it wraps ErrTooLarge or ErrNoSpace.
type SizeError struct {
	What  string // what declares or reached the size
	Size  int64  // bytes the database would need
	Limit int64  // bytes allowed, or free at the destination
	Bound string // which limit Limit is
	Err   error  // ErrTooLarge or ErrNoSpace
}

func (e *SizeError) Error() string {
	if errors.Is(e.Err, ErrNoSpace) {
		return fmt.Sprintf("%v: %s needs %d bytes, %d are free where it is unpacked", e.Err, e.What, e.Size, e.Limit)
	}
	return fmt.Sprintf("%v: %s is %d bytes, the limit is %d (%s)", e.Err, e.What, e.Size, e.Limit, e.Bound)
}

func (e *SizeError) Unwrap() error { return e.Err }
