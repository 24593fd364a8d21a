// Command benchcompare runs our H100k sync and, when BATON_BENCH_PEER names
// a Baton-built benchmark binary, the peer on the same shape, alternating
// runs so both see the same machine, and prints each one's range and the
// ratio of the medians. make bench-compare runs it.
//
// Both binaries get the shape as flags and write a c1z into a fresh
// directory: --users N --groups G --members M --file PATH (the peer must
// accept those flags, as baton-synthetic does).
//
//	benchcompare -ours bin/baton-synthetic -runs 3
package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"syscall"
	"time"
)

type run struct {
	wall  time.Duration
	cpu   time.Duration // user and system: steadier than wall time on a shared machine
	rssMB float64
	file  int64
}

func main() {
	ours := flag.String("ours", "bin/baton-synthetic", "our benchmark binary")
	runs := flag.Int("runs", 3, "runs of each")
	users := flag.Int("users", 100_000, "users")
	groups := flag.Int("groups", 5_000, "groups")
	members := flag.Int("members", 20, "members per group")
	flag.Parse()
	peer := os.Getenv("BATON_BENCH_PEER")
	shape := []string{"--users", strconv.Itoa(*users), "--groups", strconv.Itoa(*groups), "--members", strconv.Itoa(*members)}
	var a, b []run
	for range *runs {
		r, err := once(*ours, shape)
		if err != nil {
			fail(err)
		}
		a = append(a, r)
		if peer != "" {
			r, err := once(peer, shape)
			if err != nil {
				fail(err)
			}
			b = append(b, r)
		}
	}
	fmt.Printf("shape: %d users, %d groups x %d members; %d runs each\n", *users, *groups, *members, *runs)
	report("batonkit", a)
	if peer == "" {
		fmt.Println("(set BATON_BENCH_PEER to a Baton-built benchmark binary to compare)")
		return
	}
	report("peer", b)
	fmt.Printf("ratio (peer / batonkit, medians): time %.2fx, CPU %.2fx, peak RSS %.2fx, file %.2fx\n",
		median(b, wall)/median(a, wall), median(b, cpu)/median(a, cpu), median(b, rss)/median(a, rss), median(b, size)/median(a, size))
}

func once(bin string, shape []string) (run, error) {
	dir, err := os.MkdirTemp("", "benchcompare-*")
	if err != nil {
		return run{}, err
	}
	defer os.RemoveAll(dir)
	file := filepath.Join(dir, "h.c1z")
	cmd := exec.Command(bin, append(shape, "--file", file)...)
	cmd.Stderr = os.Stderr
	start := time.Now()
	if err := cmd.Run(); err != nil {
		return run{}, fmt.Errorf("%s: %w", bin, err)
	}
	r := run{wall: time.Since(start), cpu: cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		r.rssMB = float64(ru.Maxrss) / 1024
	}
	if st, err := os.Stat(file); err == nil {
		r.file = st.Size()
	}
	return r, nil
}

func wall(r run) float64 { return r.wall.Seconds() }
func cpu(r run) float64  { return r.cpu.Seconds() }
func rss(r run) float64  { return r.rssMB }
func size(r run) float64 { return float64(r.file) / 1e6 }

func median(rs []run, f func(run) float64) float64 {
	v := values(rs, f)
	slices.Sort(v)
	return v[len(v)/2]
}

func report(name string, rs []run) {
	lo := func(f func(run) float64) float64 { return slices.Min(values(rs, f)) }
	hi := func(f func(run) float64) float64 { return slices.Max(values(rs, f)) }
	fmt.Printf("%-9s %.2f - %.2f s (median %.2f)   %.2f - %.2f s CPU   %.0f - %.0f MB peak RSS   %.2f MB file\n",
		name, lo(wall), hi(wall), median(rs, wall), lo(cpu), hi(cpu), lo(rss), hi(rss), median(rs, size))
}

func values(rs []run, f func(run) float64) []float64 {
	v := make([]float64, len(rs))
	for i, r := range rs {
		v[i] = f(r)
	}
	return v
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "benchcompare:", err)
	os.Exit(1)
}
