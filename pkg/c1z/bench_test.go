package c1z_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/batonkit/batonkit/internal/testkit"
	connectorv2 "github.com/batonkit/batonkit/pb/c1/connector/v2"
	"github.com/batonkit/batonkit/pkg/c1z"
)

// peakHeap samples the heap while fn runs and returns the peak in MB.
func peakHeap(fn func()) float64 {
	var peak atomic.Uint64
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		var m runtime.MemStats
		for {
			runtime.ReadMemStats(&m)
			if m.HeapInuse > peak.Load() {
				peak.Store(m.HeapInuse)
			}
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	}()
	fn()
	close(stop)
	<-done
	return float64(peak.Load()) / (1 << 20)
}

// writeGrants writes n grants spread over n/20 groups and n users, in
// pages of 50 as a syncer would, and returns the file's size.
func writeGrants(b *testing.B, path string, n int) int64 {
	ctx := context.Background()
	st, err := c1z.Open(ctx, path)
	if err != nil {
		b.Fatal(err)
	}
	run, err := st.StartSync(ctx, c1z.SyncFull, "")
	if err != nil {
		b.Fatal(err)
	}
	testkit.Must(b, run.PutResourceTypes(ctx, &connectorv2.ResourceType{Id: "user"}, &connectorv2.ResourceType{Id: "group"}))
	groups := max(1, n/20)
	page := make([]*connectorv2.Resource, 0, 50)
	for i := 0; i < n; i++ {
		page = append(page, user(fmt.Sprintf("u%07d", i)))
		if len(page) == 50 {
			testkit.Must(b, run.PutResources(ctx, page...))
			page = page[:0]
		}
	}
	testkit.Must(b, run.PutResources(ctx, page...))
	grants := make([]*connectorv2.Grant, 0, 50)
	for gi := 0; gi < groups; gi++ {
		g := group(fmt.Sprintf("g%05d", gi))
		e := member(g)
		testkit.Must(b, run.PutResources(ctx, g))
		testkit.Must(b, run.PutEntitlements(ctx, e))
		for k := 0; k < 20 && gi*20+k < n; k++ {
			grants = append(grants, grant(e, user(fmt.Sprintf("u%07d", gi*20+k))))
			if len(grants) == 50 {
				testkit.Must(b, run.PutGrants(ctx, grants...))
				grants = grants[:0]
			}
		}
	}
	testkit.Must(b, run.PutGrants(ctx, grants...))
	if _, err := run.End(ctx); err != nil {
		b.Fatal(err)
	}
	testkit.Must(b, st.Close(ctx))
	fi, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	return fi.Size()
}

// BenchmarkWriteGrants writes N grants with their users, groups and
// entitlements into a new file, saved and compressed: grants/s counts
// grant rows, bytes/grant is the .c1z's size divided by N.
func BenchmarkWriteGrants(b *testing.B) {
	for _, n := range []int{100_000, 1_000_000} {
		b.Run(fmt.Sprintf("%dk", n/1000), func(b *testing.B) {
			var size int64
			var heap float64
			for i := 0; i < b.N; i++ {
				path := filepath.Join(b.TempDir(), "w.c1z")
				heap = max(heap, peakHeap(func() { size = writeGrants(b, path, n) }))
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "grants/s")
			b.ReportMetric(float64(size)/float64(n), "bytes/grant")
			b.ReportMetric(heap, "peak-heap-MB")
		})
	}
}

// BenchmarkReadGrants streams every grant of a file back.
func BenchmarkReadGrants(b *testing.B) {
	for _, n := range []int{100_000, 1_000_000} {
		b.Run(fmt.Sprintf("%dk", n/1000), func(b *testing.B) {
			path := filepath.Join(b.TempDir(), "r.c1z")
			writeGrants(b, path, n)
			ctx := context.Background()
			var heap float64
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				heap = max(heap, peakHeap(func() {
					st, err := c1z.OpenReader(ctx, path)
					if err != nil {
						b.Fatal(err)
					}
					count := 0
					for _, err := range st.Grants(ctx, c1z.GrantQuery{}) {
						if err != nil {
							b.Fatal(err)
						}
						count++
					}
					st.Close(ctx)
					if count != n {
						b.Fatalf("read %d grants, want %d", count, n)
					}
				}))
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "grants/s")
			b.ReportMetric(heap, "peak-heap-MB")
		})
	}
}
