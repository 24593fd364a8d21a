package contract

import (
	"errors"
	"fmt"

	"google.golang.org/protobuf/types/known/anypb"
)

// ErrInvalid is wrapped by every error Validate returns, so callers can tell
// a rule violation from other failures with errors.Is.
var ErrInvalid = errors.New("invalid message")

type validatorAll interface{ ValidateAll() error }

// Validate checks m against the protoc-gen-validate rules of its message
// type and reports every violation, not only the first. Messages without
// rules are valid.
//
// Beyond Baton's rules, an object's annotations together may not pass
// MaxAnnotationBytes: they are kept with the object in the sync file, so a
// connector sending megabytes with every object would otherwise fill the
// parent's memory and disk.
func Validate(m any) error {
	if a, ok := m.(annotated); ok {
		if n := annotationBytes(a.GetAnnotations()); n > MaxAnnotationBytes {
			return fmt.Errorf("%w: its annotations take %d bytes, more than the %d an object may carry", ErrInvalid, n, MaxAnnotationBytes)
		}
	}
	v, ok := m.(validatorAll)
	if !ok {
		return nil
	}
	if err := v.ValidateAll(); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	return nil
}

// MaxAnnotationBytes bounds one object's annotations (traits, profiles,
// links): real ones take a few kilobytes; a user profile with a photo
// some hundreds.
const MaxAnnotationBytes = 1 << 20

type annotated interface{ GetAnnotations() []*anypb.Any }

func annotationBytes(as []*anypb.Any) int {
	n := 0
	for _, a := range as {
		n += len(a.GetTypeUrl()) + len(a.GetValue())
	}
	return n
}
