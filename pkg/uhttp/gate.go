package uhttp

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// gate paces every request of a client by what the app says of its rate
// limit, for all workers together: a response's Remaining and Reset give a
// budget for the rest of the window (minus the requests already in
// flight), and a 429's Retry-After holds everything back. After the first
// sign of the limit, requests wait for the window instead of running into
// it.
type gate struct {
	mu       sync.Mutex
	until    time.Time // nothing goes before this (Retry-After)
	reset    time.Time // the current window ends
	left     int       // requests the window still allows, while reset is ahead
	inflight int
}

// acquire waits for room and counts the request as in flight.
func (g *gate) acquire(ctx context.Context) error {
	for {
		g.mu.Lock()
		now := time.Now()
		var wait time.Duration
		switch {
		case now.Before(g.until):
			wait = g.until.Sub(now)
		case now.Before(g.reset) && g.left <= 0:
			wait = g.reset.Sub(now)
		default:
			if now.Before(g.reset) {
				g.left--
			}
			g.inflight++
			g.mu.Unlock()
			return nil
		}
		g.mu.Unlock()
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}

// release ends a request and learns from its response (nil: none came).
func (g *gate) release(res *Response, maxWait time.Duration) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.inflight--
	if res == nil {
		return
	}
	cap := time.Now().Add(maxWait)
	if d, ok := retryAfter(res.Header.Get("Retry-After")); ok && res.StatusCode == http.StatusTooManyRequests {
		if until := min64(time.Now().Add(d), cap); until.After(g.until) {
			g.until = until
		}
	}
	rl := res.RateLimit
	remaining, known := headerInt(res.Header, "X-RateLimit-Remaining", "RateLimit-Remaining")
	if rl.GetResetAt() == nil {
		return
	}
	reset := min64(rl.GetResetAt().AsTime(), cap)
	if res.StatusCode == http.StatusTooManyRequests && !known {
		remaining, known = 0, true
	}
	if !known {
		return
	}
	left := remaining - g.inflight
	switch {
	case !time.Now().Before(g.reset), reset.After(g.reset.Add(500 * time.Millisecond)): // a new window
		g.reset, g.left = reset, left
	case left < g.left:
		g.left = left
	}
}

func min64(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

func headerInt(h http.Header, names ...string) (int, bool) {
	for _, n := range names {
		if v := strings.TrimSpace(h.Get(n)); v != "" {
			if i, err := strconv.Atoi(v); err == nil {
				return i, true
			}
		}
	}
	return 0, false
}
