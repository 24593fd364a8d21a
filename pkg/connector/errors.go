package connector

import (
	"context"
	"errors"
	"fmt"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// ErrNotFound may be returned (or wrapped) by connector methods when the
// object asked for does not exist; callers receive codes.NotFound.
var ErrNotFound = errors.New("not found")

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
