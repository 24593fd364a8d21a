package sync_test

import (
	"context"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/batonkit/batonkit/examples/synthetic"
	"github.com/batonkit/batonkit/internal/crashtest"
	"github.com/batonkit/batonkit/internal/testkit"
	"github.com/batonkit/batonkit/pkg/c1z"
	"github.com/batonkit/batonkit/pkg/connector"
	"github.com/batonkit/batonkit/pkg/sync"
)

// crashShape is the tenant the kill test syncs: CRASH_USERS users (make
// crash: 20k; make test: 5k), a group of 20 per 20 users, 1 ms per call, so
// a run takes seconds and a kill lands anywhere.
func crashShape() synthetic.Shape {
	users := 5_000
	if s := os.Getenv("CRASH_USERS"); s != "" {
		users, _ = strconv.Atoi(s)
	}
	return synthetic.Shape{Users: users, Groups: users / 20, Members: 20, Latency: time.Millisecond}
}

// TestCrashSyncHelper syncs the crash shape into BATONKIT_CRASH_SYNC (the
// process the kill test kills), with the default checkpoint interval, so
// what survives a kill is what the store committed with its batches.
func TestCrashSyncHelper(t *testing.T) {
	crashtest.Helper("BATONKIT_CRASH_SYNC", func() (connector.Connector, error) { return synthetic.New(crashShape()), nil })
}

func tempFiles(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	testkit.Must(t, err)
	var out []string
	for _, e := range ents {
		if strings.Contains(e.Name(), ".tmp-") {
			out = append(out, e.Name())
		}
	}
	return out
}

// TestKillAndResume SIGKILLs a sync at random moments, from start-up to the
// final save, and resumes it in a new process each time. Every result must
// equal an uninterrupted run, no temporary file may survive the resume,
// and the objects fetched twice (the re-work) must stay within one writer
// batch. CRASH_RUNS sets the number of kills (make crash runs 50); the
// figures go to RELIABILITY.md.
func TestKillAndResume(t *testing.T) {
	runs := 5
	if s := os.Getenv("CRASH_RUNS"); s != "" {
		runs, _ = strconv.Atoi(s)
	}
	ctx := context.Background()
	clean := filepath.Join(t.TempDir(), "clean.c1z")
	start := time.Now()
	helper := func(path string) *exec.Cmd {
		return crashtest.Command("TestCrashSyncHelper", "BATONKIT_CRASH_SYNC", path)
	}
	testkit.Must(t, helper(clean).Run())
	full := time.Since(start)
	want := dump(t, clean)

	const batch = 4096 // the store's writer batch (pkg/c1z flushRows)
	var reworks []int
	leftBefore := 0
	for i := range runs {
		dir := t.TempDir()
		path := filepath.Join(dir, "sync.c1z")
		delay := time.Duration(rand.Int64N(int64(full) * 11 / 10))
		crashtest.KillAfter(t, helper(path), delay)
		leftBefore += len(tempFiles(t, dir))

		// What the killed run kept, before the resume adds to it.
		kept := int64(0)
		st, err := c1z.Open(ctx, path)
		testkit.Must(t, err)
		if run, err := st.UnfinishedSync(ctx, c1z.SyncFull); err == nil {
			stats, err := st.Stats(ctx, run.ID)
			testkit.Must(t, err)
			kept = stats.Resources + stats.Entitlements + stats.Grants
		}
		srv, err := connector.NewServer(ctx, synthetic.New(crashShape()))
		testkit.Must(t, err)
		var written int
		res, err := sync.New(connector.InProcessClient(srv), st, sync.WithProgress(func(p sync.Progress) {
			written = p.Resources + p.Entitlements + p.Grants
		})).Run(ctx)
		testkit.Must(t, err)
		testkit.Must(t, st.Close(ctx))
		if got := dump(t, path); !slices.Equal(got, want) {
			t.Fatalf("kill %d (after %v): the resumed file differs from an uninterrupted run", i, delay)
		}
		if left := tempFiles(t, dir); len(left) > 0 {
			t.Fatalf("kill %d: temporary files left after the resume: %v", i, left)
		}
		if res.Resumed {
			total := res.Stats.Resources + res.Stats.Entitlements + res.Stats.Grants
			rework := written - int(total-kept)
			reworks = append(reworks, rework)
			if testing.Verbose() {
				t.Logf("kill %d after %v: %d objects kept, %d fetched by the resume, %d in all", i, delay, kept, written, total)
			}
			if rework > batch+100 {
				t.Fatalf("kill %d (after %v): %d objects fetched again, more than one writer batch (%d)", i, delay, rework, batch)
			}
		}
	}
	slices.Sort(reworks)
	worst := 0
	if len(reworks) > 0 {
		worst = reworks[len(reworks)-1]
	}
	t.Logf("kills survived %d/%d; %d resumed mid-sync; temp files a kill left %d, after the resume 0; re-work per resume: median %d, worst %d objects (one batch is %d); a clean run takes %v",
		runs, runs, len(reworks), leftBefore, median(reworks), worst, batch, full.Round(time.Millisecond))
}

func median(v []int) int {
	if len(v) == 0 {
		return 0
	}
	return v[len(v)/2]
}
