package uhttp_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/batonkit/batonkit/pkg/uhttp"
)

// limitedAPI allows n requests per one-second window (aligned to Unix
// seconds), says so in X-RateLimit-* headers, and answers 429 with
// Retry-After past the limit, as many SaaS APIs do.
type limitedAPI struct {
	n       int
	mu      sync.Mutex
	window  int64
	used    int
	ok, hit atomic.Int64
}

func (a *limitedAPI) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	now := time.Now()
	a.mu.Lock()
	if sec := now.Unix(); sec != a.window {
		a.window, a.used = sec, 0
	}
	a.used++
	used := a.used
	a.mu.Unlock()
	reset := now.Unix() + 1
	w.Header().Set("X-RateLimit-Limit", fmt.Sprint(a.n))
	w.Header().Set("X-RateLimit-Reset", fmt.Sprint(reset))
	if used > a.n {
		a.hit.Add(1)
		w.Header().Set("X-RateLimit-Remaining", "0")
		w.Header().Set("Retry-After", "1")
		w.WriteHeader(http.StatusTooManyRequests)
		return
	}
	a.ok.Add(1)
	w.Header().Set("X-RateLimit-Remaining", fmt.Sprint(a.n-used))
	w.Header().Set("Content-Type", "application/json")
	w.Write([]byte(`{"ok":true}`))
}

// Against an API that allows N requests a second, the client keeps to the
// limit the headers announce: no 429 once it has seen them (a few at most
// in the first window, while it knows nothing), and it uses the whole
// budget: throughput within 10% of N, with one worker and with several.
func TestKeepsToTheAnnouncedRateLimit(t *testing.T) {
	for _, workers := range []int{1, 4} {
		t.Run(fmt.Sprintf("%d workers", workers), func(t *testing.T) {
			const n = 25
			api := &limitedAPI{n: n}
			srv := httptest.NewServer(api)
			defer srv.Close()
			c, err := uhttp.New(uhttp.WithBaseURL(srv.URL+"/"), uhttp.WithRetry(uhttp.Retry{MaxAttempts: 10}))
			if err != nil {
				t.Fatal(err)
			}
			// Start on a window boundary, and measure whole windows.
			time.Sleep(time.Until(time.Now().Truncate(time.Second).Add(time.Second)))
			start := time.Now()
			ctx, cancel := context.WithDeadline(context.Background(), start.Add(4*time.Second-50*time.Millisecond))
			defer cancel()
			var firstWindowHits int64
			var wg sync.WaitGroup
			for range workers {
				wg.Go(func() {
					for ctx.Err() == nil {
						var out map[string]bool
						if _, err := c.GetJSON(ctx, "items", &out); err != nil && ctx.Err() == nil {
							t.Errorf("request failed: %v", err)
							return
						}
						if time.Since(start) < time.Second {
							atomic.StoreInt64(&firstWindowHits, api.hit.Load())
						}
					}
				})
			}
			wg.Wait()
			elapsed := time.Since(start).Seconds()
			rate := float64(api.ok.Load()) / elapsed
			if later := api.hit.Load() - atomic.LoadInt64(&firstWindowHits); later > 0 {
				t.Errorf("%d requests hit the limit after the first window", later)
			}
			if api.hit.Load() > int64(workers) {
				t.Errorf("%d requests hit the limit in all; at most one per worker may, before the first answer", api.hit.Load())
			}
			if rate < 0.9*n || rate > 1.1*n {
				t.Errorf("throughput %.1f requests/s, want %d ± 10%%", rate, n)
			}
			t.Logf("%d workers: %.1f requests/s (limit %d), %d answered 429", workers, rate, n, api.hit.Load())
		})
	}
}
