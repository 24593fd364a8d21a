package contract

import (
	"errors"
	"fmt"
)

// ErrInvalid is wrapped by every error Validate returns, so callers can tell
// a rule violation from other failures with errors.Is.
var ErrInvalid = errors.New("invalid message")

type validatorAll interface{ ValidateAll() error }

// Validate checks m against the protoc-gen-validate rules of its message
// type and reports every violation, not only the first. Messages without
// rules are valid.
func Validate(m any) error {
	v, ok := m.(validatorAll)
	if !ok {
		return nil
	}
	if err := v.ValidateAll(); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	return nil
}
