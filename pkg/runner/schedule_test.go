package runner_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/batonkit/batonkit/internal/c1ztest"
	"github.com/batonkit/batonkit/internal/testkit"
)

type readyz struct {
	State               string `json:"state"`
	ConsecutiveFailures int    `json:"consecutive_failures"`
	NextSync            string `json:"next_sync"`
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		return 0, ""
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// waitFor polls until cond holds or the deadline passes.
func waitFor(t *testing.T, what string, d time.Duration, cond func() bool) {
	t.Helper()
	for end := time.Now().Add(d); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}

func syncsOK(metrics string) int {
	m := regexp.MustCompile(`baton_syncs_total\{result="ok"\} (\d+)`).FindStringSubmatch(metrics)
	if m == nil {
		return 0
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

// Scheduled mode runs syncs one after another on its interval, reports
// them on /readyz and /metrics, and on SIGTERM saves a running sync and
// exits 0; the next start resumes it, to the same result as a sync never
// interrupted.
func TestScheduledMode(t *testing.T) {
	dir := t.TempDir()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	testkit.Must(t, err)
	addr := l.Addr().String()
	l.Close()
	base := "http://" + addr
	cmd := exec.Command(bins.testapp, "--file", "t.c1z", "--interval", "1s", "--health-addr", addr, "--latency", "40ms", "--users", "60")
	cmd.Dir, cmd.Env = dir, cleanEnv()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	testkit.Must(t, cmd.Start())
	defer cmd.Process.Kill()

	waitFor(t, "/healthz", 10*time.Second, func() bool { code, _ := get(t, base+"/healthz"); return code == 200 })
	waitFor(t, "two scheduled syncs", 60*time.Second, func() bool { _, m := get(t, base+"/metrics"); return syncsOK(m) >= 2 })
	code, body := get(t, base+"/readyz")
	var rz readyz
	if code != 200 || json.Unmarshal([]byte(body), &rz) != nil || rz.ConsecutiveFailures != 0 || rz.NextSync == "" {
		t.Fatalf("/readyz: %d %s", code, body)
	}
	_, m := get(t, base+"/metrics")
	for _, series := range []string{"baton_sync_duration_seconds_count", `baton_sync_objects{kind="grants"}`, "baton_sync_last_success_timestamp_seconds"} {
		if !strings.Contains(m, series) {
			t.Errorf("/metrics lacks %s", series)
		}
	}
	if !strings.Contains(stderr.String(), "msg=\"next sync\"") {
		t.Errorf("the log does not say when the next sync is:\n%s", stderr.String())
	}

	// SIGTERM in the middle of a sync.
	waitFor(t, "a sync in progress", 30*time.Second, func() bool {
		_, b := get(t, base+"/readyz")
		return strings.Contains(b, `"state":"syncing"`)
	})
	time.Sleep(300 * time.Millisecond)
	testkit.Must(t, cmd.Process.Signal(syscall.SIGTERM))
	err = cmd.Wait()
	if err != nil {
		t.Fatalf("SIGTERM: %v\n%s", err, stderr.String())
	}
	if !strings.Contains(stderr.String(), "resumes on the next start") {
		t.Fatalf("SIGTERM mid-sync did not save the sync:\n%s", stderr.String())
	}
	r := ok(t, runIn(t, dir, nil, bins.testapp, "--file", "t.c1z", "--users", "60"))
	if !strings.Contains(r.stderr, "resumed=true") {
		t.Fatalf("the next start did not resume:\n%s", r.stderr)
	}
	ref := t.TempDir()
	ok(t, runIn(t, ref, nil, bins.testapp, "--file", "t.c1z", "--users", "60"))
	if a, b := c1ztest.Dump(t, filepath.Join(dir, "t.c1z")), c1ztest.Dump(t, filepath.Join(ref, "t.c1z")); !slices.Equal(a, b) {
		t.Fatal("the resumed sync differs from an uninterrupted one")
	}
}

// Bad schedules are usage errors.
func TestScheduleErrors(t *testing.T) {
	dir := t.TempDir()
	for _, args := range [][]string{{"--interval", "1h", "--schedule", "@hourly"}, {"--schedule", "every tuesday"}} {
		r := runIn(t, dir, nil, bins.testapp, args...)
		if r.code != 2 {
			t.Errorf("%v: exit %d, %s", args, r.code, r.stderr)
		}
	}
}
