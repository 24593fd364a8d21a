package runner_test

import (
	"bytes"
	"io"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/creack/pty"
)

// On a terminal a sync draws a live line per phase; --no-progress and
// pipes get log lines, never escape codes.
func TestLiveProgressOnATerminal(t *testing.T) {
	dir := t.TempDir()
	run := func(args ...string) string {
		cmd := exec.Command(bins.testapp, append([]string{"--file", "t.c1z", "--latency", "5ms"}, args...)...)
		cmd.Dir, cmd.Env = dir, append(cleanEnv(), "TERM=xterm")
		ptmx, tty, err := pty.Open()
		must(t, err)
		defer ptmx.Close()
		cmd.Stderr, cmd.Stdout = tty, tty
		must(t, cmd.Start())
		tty.Close()
		var out bytes.Buffer
		done := make(chan struct{})
		go func() { io.Copy(&out, ptmx); close(done) }()
		must(t, cmd.Wait())
		select {
		case <-done:
		case <-time.After(5 * time.Second):
		}
		return out.String()
	}
	live := run()
	if !strings.Contains(live, "\r\x1b[2K") || !strings.Contains(live, "resources") || !strings.Contains(live, "grants") {
		t.Fatalf("no live progress line on a terminal:\n%q", live)
	}
	if quiet := run("--no-progress"); strings.Contains(quiet, "\x1b[2K") || !strings.Contains(quiet, "sync progress") {
		t.Fatalf("--no-progress on a terminal:\n%q", quiet)
	}
	piped := ok(t, runIn(t, dir, nil, bins.testapp, "--file", "p.c1z")).stderr
	if strings.Contains(piped, "\x1b") || strings.Contains(piped, "\r") {
		t.Fatalf("escape codes into a pipe:\n%q", piped)
	}
}
