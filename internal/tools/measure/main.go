// Command measure runs a command with its output discarded and prints one
// line: wall seconds, peak resident memory and CPU seconds (user and
// system). make bench uses it so the figures need nothing beyond Go.
//
//	go run ./internal/tools/measure -- bin/baton -f h.c1z grants -o json
package main

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

func main() {
	args := os.Args[1:]
	if len(args) > 0 && args[0] == "--" {
		args = args[1:]
	}
	if len(args) == 0 {
		fmt.Fprintln(os.Stderr, "usage: measure -- command [args...]")
		os.Exit(2)
	}
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stderr = os.Stderr
	start := time.Now()
	err := cmd.Run()
	wall := time.Since(start)
	if err != nil {
		fmt.Fprintln(os.Stderr, "measure:", err)
		os.Exit(1)
	}
	rss := 0.0
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		rss = float64(ru.Maxrss) / 1024 // kilobytes on Linux
	}
	// CPU time moves less than wall time on a shared machine, so it tells a
	// real gain from a quiet minute.
	cpu := cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	fmt.Printf("%-45s %6.2f s  %6.1f MB peak RSS  %6.2f s CPU\n", strings.Join(args, " "), wall.Seconds(), rss, cpu.Seconds())
}
