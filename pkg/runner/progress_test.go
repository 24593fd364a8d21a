package runner_test

import (
	"bytes"
	"io"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/creack/pty"

	"github.com/batonkit/batonkit/internal/testkit"
)

// On a terminal a sync draws a live line per phase; --no-progress and
// pipes get log lines, never escape codes.
func TestLiveProgressOnATerminal(t *testing.T) {
	dir := t.TempDir()
	run := func(env []string, args ...string) string {
		cmd := exec.Command(bins.testapp, append([]string{"--file", "t.c1z", "--latency", "5ms"}, args...)...)
		cmd.Dir, cmd.Env = dir, append(append(cleanEnv(), "TERM=xterm"), env...)
		ptmx, tty, err := pty.Open()
		testkit.Must(t, err)
		defer ptmx.Close()
		testkit.Must(t, pty.Setsize(ptmx, &pty.Winsize{Rows: 40, Cols: 160}))
		cmd.Stderr, cmd.Stdout = tty, tty
		testkit.Must(t, cmd.Start())
		tty.Close()
		var out bytes.Buffer
		done := make(chan struct{})
		go func() { io.Copy(&out, ptmx); close(done) }()
		testkit.Must(t, cmd.Wait())
		select {
		case <-done:
		case <-time.After(5 * time.Second):
		}
		return out.String()
	}
	const phaseColor = "\x1b[1;36m"
	live := run(nil)
	for _, want := range []string{"resources", "entitlements", "grants", "/s", phaseColor, "msg=\"sync saved\""} {
		if !strings.Contains(live, want) {
			t.Fatalf("the live progress on a terminal lacks %q:\n%q", want, live)
		}
	}
	if plain := run([]string{"NO_COLOR=1"}); strings.Contains(plain, phaseColor) || !strings.Contains(plain, "grants") {
		t.Fatalf("NO_COLOR on a terminal:\n%q", plain)
	}
	if quiet := run(nil, "--no-progress"); strings.Contains(quiet, "\x1b[") || !strings.Contains(quiet, "sync progress") {
		t.Fatalf("--no-progress on a terminal:\n%q", quiet)
	}
	piped := ok(t, runIn(t, dir, nil, bins.testapp, "--file", "p.c1z")).stderr
	if strings.Contains(piped, "\x1b") || strings.Contains(piped, "\r") {
		t.Fatalf("escape codes into a pipe:\n%q", piped)
	}
}
