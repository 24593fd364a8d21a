package c1z_test

import (
	"bytes"
	"context"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/batonkit/batonkit/internal/c1ztest"
	"github.com/batonkit/batonkit/internal/crashtest"
	"github.com/batonkit/batonkit/internal/testconnector"
	"github.com/batonkit/batonkit/internal/testkit"
	"github.com/batonkit/batonkit/pkg/c1z"
	"github.com/batonkit/batonkit/pkg/connector"
	"github.com/batonkit/batonkit/pkg/sync"
)

// TestCrashHelper is the process the crash test kills: with
// BATONKIT_CRASH_FILE set it syncs a slow test connector into that file
// and saves it.
func TestCrashHelper(t *testing.T) {
	crashtest.Helper("BATONKIT_CRASH_FILE", func() (connector.Connector, error) {
		tc := testconnector.New(300, 40, 3)
		tc.Latency = 200 * time.Microsecond
		return tc, nil
	}, sync.WithCheckpointInterval(5*time.Millisecond))
}

func helperCmd(path string) *exec.Cmd {
	return crashtest.Command("TestCrashHelper", "BATONKIT_CRASH_FILE", path)
}

// TestKillWhileWriting kills a process that is syncing into an existing
// file at random moments (mid-sync, mid-checkpoint, mid-save), then checks
// that the previous file is intact, that the working database reopens, and
// that running again finishes the sync with the right data.
// CRASH_RUNS sets the number of kills (make crash runs 50).
func TestKillWhileWriting(t *testing.T) {
	runs := 5
	if s := os.Getenv("CRASH_RUNS"); s != "" {
		runs, _ = strconv.Atoi(s)
	}
	ctx := context.Background()
	base := filepath.Join(t.TempDir(), "base.c1z")
	start := time.Now()
	if err := helperCmd(base).Run(); err != nil {
		t.Fatalf("baseline run: %v", err)
	}
	full := time.Since(start)
	baseBytes, err := os.ReadFile(base)
	testkit.Must(t, err)
	want := c1ztest.Dump(t, base)

	for i := 0; i < runs; i++ {
		dir := t.TempDir()
		path := filepath.Join(dir, "sync.c1z")
		testkit.Must(t, os.WriteFile(path, baseBytes, 0o644))

		// Anywhere from start-up to a little past the end of a full run.
		delay := time.Duration(rand.Int64N(int64(full) * 6 / 5))
		killed := crashtest.KillAfter(t, helperCmd(path), delay)

		// The previous file is intact: either untouched or completely
		// replaced by the finished second sync, never in between.
		now, err := os.ReadFile(path)
		testkit.Must(t, err)
		if !bytes.Equal(now, baseBytes) {
			st, err := c1z.OpenReader(ctx, path)
			if err != nil {
				t.Fatalf("run %d (killed after %v): the sync file is damaged: %v", i, delay, err)
			}
			syncs, err := st.Syncs(ctx)
			st.Close(ctx)
			testkit.Must(t, err)
			if len(syncs) != 2 || !syncs[1].Finished() {
				t.Fatalf("run %d: replaced file holds %d syncs", i, len(syncs))
			}
		}
		if got := c1ztest.Dump(t, path); !slices.Equal(got, want) {
			t.Fatalf("run %d (killed after %v): the file's latest sync lost data", i, delay)
		}

		// The working database reopens, and a new run finishes the sync.
		st, err := c1z.Open(ctx, path)
		if err != nil {
			t.Fatalf("run %d (killed after %v, killed=%v): reopen for writing: %v", i, delay, killed, err)
		}
		testkit.Must(t, st.Close(ctx))
		if err := helperCmd(path).Run(); err != nil {
			t.Fatalf("run %d: the run after the kill failed: %v", i, err)
		}
		rst, err := c1z.OpenReader(ctx, path)
		testkit.Must(t, err)
		syncs, err := rst.Syncs(ctx)
		rst.Close(ctx)
		testkit.Must(t, err)
		for _, s := range syncs {
			if !s.Finished() {
				t.Fatalf("run %d: sync %s left unfinished after the recovery run", i, s.ID)
			}
		}
		if got := c1ztest.Dump(t, path); !slices.Equal(got, want) {
			t.Fatalf("run %d: after recovery the latest sync differs from a clean one", i)
		}
		for _, leftover := range []string{c1z.WorkPath(path), path + ".lock"} {
			if _, err := os.Stat(leftover); err == nil {
				t.Fatalf("run %d: %s left behind after a clean run", i, leftover)
			}
		}
	}
}
