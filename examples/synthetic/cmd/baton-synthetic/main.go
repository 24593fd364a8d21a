// Command baton-synthetic is a connector of any size for benchmarks. With
// --file it syncs in-process into that file (resuming after a crash) and
// prints one JSON line: wall seconds, objects written, file bytes, peak RSS.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/batonkit/batonkit/examples/synthetic"
	"github.com/batonkit/batonkit/pkg/connector"
	"github.com/batonkit/batonkit/pkg/runner"
	"github.com/batonkit/batonkit/pkg/sync"
)

type report struct {
	Shape       string  `json:"shape"`
	WallSeconds float64 `json:"wall_seconds"`
	Objects     int64   `json:"objects"`
	FileBytes   int64   `json:"file_bytes"`
	PeakRSSMB   float64 `json:"peak_rss_mb"`
}

func main() {
	var s synthetic.Shape
	fs := flag.NewFlagSet("baton-synthetic", flag.ExitOnError)
	fs.IntVar(&s.Users, "users", 1000, "number of users")
	fs.IntVar(&s.Groups, "groups", 50, "number of groups")
	fs.IntVar(&s.Members, "members", 20, "user grants per group")
	fs.IntVar(&s.ResourcePageSize, "resource-page-size", 50, "resources per page")
	fs.IntVar(&s.GrantPageSize, "grant-page-size", 10, "grants per page")
	fs.DurationVar(&s.Latency, "latency", 0, "delay added to every call")
	fs.IntVar(&s.Nesting, "nesting", 0, "depth of the nested group chain")
	fs.IntVar(&s.Depth, "depth", 0, "arrange the groups in chains this deep (groups/depth chains)")
	fs.BoolVar(&s.Cycles, "cycles", false, "with --depth: the last level of each chain contains its first")
	fs.IntVar(&s.People, "people", 0, "make users accounts of this many people (email person-N@example.com), for fleets")
	fs.IntVar(&s.App, "app", 0, "with --people: which app of a fleet this is (shifts who its users are)")
	file := fs.String("file", "", "sync into this file and report")
	workers := fs.Int("workers", 4, "resources whose entitlements and grants are listed at once")
	cpuprofile := fs.String("cpuprofile", "", "write a CPU profile of the sync here")
	memprofile := fs.String("memprofile", "", "write a heap profile here at the sync's largest Go heap (sampled every second)")
	fs.Parse(os.Args[1:])
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err == nil {
			pprof.StartCPUProfile(f)
			defer pprof.StopCPUProfile()
		}
	}
	if *memprofile != "" {
		go peakHeapProfile(*memprofile)
	}
	if *file == "" {
		fmt.Fprintln(os.Stderr, "baton-synthetic: --file is required")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	srv, err := connector.NewServer(ctx, synthetic.New(s), connector.WithLogger(log))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	start := time.Now()
	var objects int64
	err = runner.SyncToFile(ctx, connector.InProcessClient(srv), *file, log, sync.WithWorkers(*workers),
		sync.WithProgress(func(p sync.Progress) {
			if p.Done {
				objects = int64(p.ResourceTypes + p.Resources + p.Entitlements + p.Grants)
			}
		}))
	if err != nil {
		fmt.Fprintln(os.Stderr, "baton-synthetic:", err)
		pprof.StopCPUProfile()
		os.Exit(1)
	}
	shape := fmt.Sprintf("users=%d groups=%d members=%d", s.Users, s.Groups, s.Members)
	if s.Depth > 1 {
		shape += fmt.Sprintf(" depth=%d cycles=%t", s.Depth, s.Cycles)
	}
	r := report{Shape: shape, WallSeconds: time.Since(start).Seconds(), Objects: objects, PeakRSSMB: peakRSSMB()}
	if st, err := os.Stat(*file); err == nil {
		r.FileBytes = st.Size()
	}
	json.NewEncoder(os.Stdout).Encode(r)
}

// peakHeapProfile writes a heap profile to path whenever the Go heap in
// use is the largest seen so far, so the file ends up showing the peak.
func peakHeapProfile(path string) {
	var peak uint64
	for range time.Tick(time.Second) {
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		if m.HeapInuse <= peak {
			continue
		}
		peak = m.HeapInuse
		if f, err := os.Create(path); err == nil {
			pprof.WriteHeapProfile(f)
			f.Close()
		}
	}
}

// peakRSSMB reads the process's high-water resident set size.
func peakRSSMB() float64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			return kb / 1024
		}
	}
	return 0
}
