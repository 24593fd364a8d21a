package sync

import (
	"context"
	"errors"
	"math/rand/v2"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/anypb"

	connectorv2 "github.com/batonkit/batonkit/pb/c1/connector/v2"
	"github.com/batonkit/batonkit/pkg/contract"
)

// RetryPolicy says how transient connector errors are retried.
type RetryPolicy struct {
	MaxAttempts int           // total attempts per call (default 5)
	BaseDelay   time.Duration // first backoff (default 200ms), doubled each time
	MaxDelay    time.Duration // cap on one wait, including rate-limit resets (default 1m)
}

func (p RetryPolicy) withDefaults() RetryPolicy {
	if p.MaxAttempts <= 0 {
		p.MaxAttempts = 5
	}
	if p.BaseDelay <= 0 {
		p.BaseDelay = 200 * time.Millisecond
	}
	if p.MaxDelay <= 0 {
		p.MaxDelay = time.Minute
	}
	return p
}

// retryable reports whether a failed call may succeed if repeated.
func retryable(err error) bool {
	if errors.Is(err, contract.ErrNoAnswer) {
		return false
	}
	switch status.Code(err) {
	case codes.Unavailable, codes.DeadlineExceeded, codes.ResourceExhausted:
		return true
	}
	return false
}

// delay is how long to wait before attempt n (1-based) after err: until
// the reset a rate-limit description announces, else exponential backoff
// with full jitter.
func (p RetryPolicy) delay(n int, err error) time.Duration {
	for _, d := range status.Convert(err).Details() {
		if rl, ok := d.(*connectorv2.RateLimitDescription); ok && rl.GetResetAt() != nil {
			if wait := time.Until(rl.GetResetAt().AsTime()); wait > 0 {
				return min(wait, p.MaxDelay)
			}
		}
	}
	backoff := p.BaseDelay << (n - 1)
	if backoff <= 0 || backoff > p.MaxDelay {
		backoff = p.MaxDelay
	}
	return time.Duration(rand.Int64N(int64(backoff)) + 1)
}

// call runs fn, retrying transient failures. The caller's context bounds
// every wait.
func (s *Syncer) call(ctx context.Context, what string, fn func() error) error {
	p := s.opts.retry
	for attempt := 1; ; attempt++ {
		err := fn()
		if err == nil || !retryable(err) || attempt >= p.MaxAttempts || ctx.Err() != nil {
			return err
		}
		wait := p.delay(attempt, err)
		s.log.WarnContext(ctx, "connector call failed; retrying", "call", what, "attempt", attempt, "wait", wait, "error", err)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return err
		case <-t.C:
		}
	}
}

// pace waits out a rate limit the connector reported on a successful
// response (remaining 0, reset in the future) before the next call, so a
// sync slows down instead of running into errors.
func (s *Syncer) pace(ctx context.Context, annos []*anypb.Any) {
	for _, a := range annos {
		var rl connectorv2.RateLimitDescription
		if !a.MessageIs(&rl) || a.UnmarshalTo(&rl) != nil || rl.GetStatus() != connectorv2.RateLimitDescription_STATUS_OVERLIMIT || rl.GetResetAt() == nil {
			continue
		}
		wait := min(time.Until(rl.GetResetAt().AsTime()), s.opts.retry.MaxDelay)
		if wait <= 0 {
			return
		}
		s.log.InfoContext(ctx, "connector reported its rate limit is reached; waiting for the reset", "wait", wait)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
		case <-t.C:
		}
		return
	}
}
