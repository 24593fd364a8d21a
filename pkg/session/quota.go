package session

import (
	"context"
	"errors"
	"fmt"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// DefaultMaxSize is how many bytes (keys and values) one sync's store may
// hold, as Baton's session-store-maximum-size defaults.
const DefaultMaxSize = 15 << 20

// ErrFull is wrapped by the error of a write that would take a sync's
// store past its maximum size.
var ErrFull = errors.New("session store is full")

// Option configures NewServer.
type Option func(*Server)

// WithMaxSize bounds the bytes (keys and values) one sync may keep; zero
// or negative means DefaultMaxSize. A connector is code of the app's
// side: it may not fill the parent's disk through its store.
func WithMaxSize(bytes int64) Option {
	return func(s *Server) {
		if bytes > 0 {
			s.max = bytes
		}
	}
}

// quota tracks the bound sync's size. The caller holds s.writeMu.
type quota struct {
	used  int64
	known bool // used has been counted for the bound sync
}

// countLocked sums what the bound sync holds, once per binding (a resumed
// sync starts with its values).
func (s *Server) countLocked(ctx context.Context, b Backend, syncID string) error {
	if s.q.known {
		return nil
	}
	var used int64
	from := ""
	for {
		page, next, err := b.SessionPage(ctx, syncID, "", from, 500)
		if err != nil {
			return storeErr("size", err)
		}
		for _, e := range page {
			used += int64(len(e.Key) + len(e.Value))
		}
		if next == "" {
			break
		}
		from = next
	}
	s.q = quota{used: used, known: true}
	return nil
}

// admitLocked checks that replacing values' keys with values keeps the
// sync within its size, and returns the change in size.
func (s *Server) admitLocked(ctx context.Context, b Backend, syncID string, values map[string][]byte) (int64, error) {
	if err := s.countLocked(ctx, b, syncID); err != nil {
		return 0, err
	}
	var delta int64
	for k, v := range values {
		old, err := held(ctx, b, syncID, k)
		if err != nil {
			return 0, err
		}
		delta += int64(len(k)+len(v)) - old
	}
	if s.q.used+delta > s.max {
		return 0, status.Error(codes.ResourceExhausted, fmt.Sprintf("%v: this write needs %d more bytes, %d of %d are used (raise --session-store-maximum-size)",
			ErrFull, delta, s.q.used, s.max))
	}
	return delta, nil
}

// freedLocked is how many bytes deleting keys releases.
func (s *Server) freedLocked(ctx context.Context, b Backend, syncID string, keys []string) (int64, error) {
	if err := s.countLocked(ctx, b, syncID); err != nil {
		return 0, err
	}
	var freed int64
	for _, k := range keys {
		old, err := held(ctx, b, syncID, k)
		if err != nil {
			return 0, err
		}
		freed += old
	}
	return freed, nil
}

// held is how many bytes key takes in the store now (0: absent).
func held(ctx context.Context, b Backend, syncID, key string) (int64, error) {
	v, ok, err := b.SessionGet(ctx, syncID, key)
	if err != nil {
		return 0, storeErr("size", err)
	}
	if !ok {
		return 0, nil
	}
	return int64(len(key) + len(v)), nil
}
