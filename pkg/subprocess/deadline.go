package subprocess

import (
	"context"
	"errors"
	"fmt"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/batonkit/batonkit/pkg/contract"
)

// DefaultCallTimeout is how long a child may take over one call: far
// longer than any page of a real app takes (they answer in seconds, and
// rate limits are waited out between calls, not inside one), short
// enough that a child that hangs does not hold a cron job forever.
const DefaultCallTimeout = 10 * time.Minute

// callDeadline gives each unary call the timeout, and says which call
// ran out of it when the deadline was ours (not the caller's).
func callDeadline(timeout time.Duration) grpc.UnaryClientInterceptor {
	return func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		ctx, cancel, ours := withCallTimeout(ctx, timeout)
		defer cancel()
		return timedOut(ctx, ours, method, timeout, invoker(ctx, method, req, reply, cc, opts...))
	}
}

// streamDeadline does the same for a stream, which must end within the
// timeout too.
func streamDeadline(timeout time.Duration) grpc.StreamClientInterceptor {
	return func(ctx context.Context, desc *grpc.StreamDesc, cc *grpc.ClientConn, method string, streamer grpc.Streamer, opts ...grpc.CallOption) (grpc.ClientStream, error) {
		ctx, cancel, ours := withCallTimeout(ctx, timeout)
		s, err := streamer(ctx, desc, cc, method, opts...)
		if err != nil {
			cancel()
			return nil, timedOut(ctx, ours, method, timeout, err)
		}
		// The stream's context ends when the stream does; release the
		// timer then.
		go func() { <-s.Context().Done(); cancel() }()
		return &timedStream{ClientStream: s, ctx: ctx, ours: ours, method: method, timeout: timeout}, nil
	}
}

func withCallTimeout(ctx context.Context, timeout time.Duration) (context.Context, context.CancelFunc, bool) {
	if d, ok := ctx.Deadline(); ok && time.Until(d) <= timeout {
		return ctx, func() {}, false
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	return ctx, cancel, true
}

func timedOut(ctx context.Context, ours bool, method string, timeout time.Duration, err error) error {
	if err != nil && ours && status.Code(err) == codes.DeadlineExceeded && errors.Is(ctx.Err(), context.DeadlineExceeded) {
		// Keep the status (DeadlineExceeded) for callers that branch on it.
		return fmt.Errorf("%w: %s got no answer within %s (raise it with --call-timeout): %w", contract.ErrNoAnswer, method, timeout, err)
	}
	return err
}

type timedStream struct {
	grpc.ClientStream
	ctx     context.Context
	ours    bool
	method  string
	timeout time.Duration
}

func (s *timedStream) RecvMsg(m any) error {
	return timedOut(s.ctx, s.ours, s.method, s.timeout, s.ClientStream.RecvMsg(m))
}
