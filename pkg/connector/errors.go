package connector

import (
	"context"
	"errors"
	"fmt"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	connectorv2 "github.com/batonkit/batonkit/pb/c1/connector/v2"
	"github.com/batonkit/batonkit/pkg/pagination"
)

// ErrNotFound may be returned (or wrapped) by connector methods when the
// object asked for does not exist; callers receive codes.NotFound.
var ErrNotFound = errors.New("not found")

// Error is an error a connector method returns to say what kind of
// failure it is: the code the syncer or a control plane receives, and
// for a rate limit when to try again. Build one with the functions below;
// it wraps its cause, so errors.Is and errors.As see through it. Errors
// of other kinds reach callers too: a gRPC status as it is, ErrNotFound
// and pagination.ErrBadToken with their codes, anything else as Unknown.
type Error struct {
	Code codes.Code
	// RetryAt, for a rate limit, is when the app accepts calls again; the
	// syncer waits until then before it retries.
	RetryAt time.Time
	Err     error
}

func (e *Error) Error() string { return e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// Is makes a not-found Error match ErrNotFound.
func (e *Error) Is(target error) bool { return target == ErrNotFound && e.Code == codes.NotFound }

// GRPCStatus is the status callers receive, with Baton's
// RateLimitDescription detail when RetryAt is set.
func (e *Error) GRPCStatus() *status.Status {
	st := status.New(e.Code, e.Error())
	if !e.RetryAt.IsZero() {
		rl := &connectorv2.RateLimitDescription{Status: connectorv2.RateLimitDescription_STATUS_OVERLIMIT, ResetAt: timestamppb.New(e.RetryAt)}
		if d, err := st.WithDetails(rl); err == nil {
			return d
		}
	}
	return st
}

func newError(code codes.Code, format string, args []any) *Error {
	return &Error{Code: code, Err: fmt.Errorf(format, args...)}
}

// NotFound says the object asked for does not exist (codes.NotFound): a
// group deleted mid-sync, an id a provisioning call names. %w wraps.
func NotFound(format string, args ...any) error { return newError(codes.NotFound, format, args) }

// BadPageToken says a page token is not one this connector issued
// (codes.InvalidArgument). It matches pagination.ErrBadToken.
func BadPageToken(token string) error {
	return &Error{Code: codes.InvalidArgument, Err: fmt.Errorf("%w: %q", pagination.ErrBadToken, token)}
}

// Invalid refuses a request the app cannot carry out as asked
// (codes.InvalidArgument): a role granted to a group where only users
// hold roles, an account without a login.
func Invalid(format string, args ...any) error { return newError(codes.InvalidArgument, format, args) }

// Unsupported refuses a request the app's current state does not allow
// (codes.FailedPrecondition): a change the app makes another way, an
// object of a kind this connector does not change.
func Unsupported(format string, args ...any) error {
	return newError(codes.FailedPrecondition, format, args)
}

// Unavailable says the app cannot be reached or failed for now
// (codes.Unavailable); the syncer retries with backoff.
func Unavailable(format string, args ...any) error { return newError(codes.Unavailable, format, args) }

// RateLimited says the app refuses calls until retryAt
// (codes.Unavailable, with Baton's RateLimitDescription): the syncer
// waits until then and retries.
func RateLimited(retryAt time.Time, format string, args ...any) error {
	e := newError(codes.Unavailable, format, args)
	e.RetryAt = retryAt
	return e
}

// PermissionDenied says the connector's credentials may not do this
// (codes.PermissionDenied); not retried.
func PermissionDenied(format string, args ...any) error {
	return newError(codes.PermissionDenied, format, args)
}

// toStatus maps a connector method's error to the gRPC status a remote
// caller sees: statuses pass through, ErrNotFound and context errors get
// their codes, anything else is Unknown with the error's text.
func toStatus(err error) error {
	if err == nil {
		return nil
	}
	if _, ok := status.FromError(err); ok {
		return err
	}
	switch {
	case errors.Is(err, ErrNotFound):
		return status.Error(codes.NotFound, err.Error())
	case errors.Is(err, pagination.ErrBadToken):
		return status.Error(codes.InvalidArgument, err.Error())
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return status.FromContextError(err).Err()
	}
	// A wrapped error with a status (uhttp.Error, say) keeps its code and
	// details, such as when a rate limit resets.
	var se interface{ GRPCStatus() *status.Status }
	if errors.As(err, &se) {
		st := se.GRPCStatus().Proto()
		st.Message = err.Error()
		return status.FromProto(st).Err()
	}
	return status.Error(codes.Unknown, err.Error())
}

// unimplemented answers a call the connector has no capability for,
// naming the interface that would provide it.
func unimplemented(iface, resourceType string) error {
	if resourceType == "" {
		return status.Errorf(codes.Unimplemented, "connector does not implement connector.%s", iface)
	}
	return status.Errorf(codes.Unimplemented, "the %q resource syncer does not implement connector.%s", resourceType, iface)
}

func unknownType(id string) error {
	return status.Errorf(codes.NotFound, "unknown resource type %q", id)
}

func invalid(format string, args ...any) error {
	return status.Error(codes.InvalidArgument, fmt.Sprintf(format, args...))
}
