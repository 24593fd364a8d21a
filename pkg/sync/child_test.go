package sync_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"google.golang.org/grpc"

	"github.com/batonkit/batonkit/internal/protoconn"
	"github.com/batonkit/batonkit/internal/testkit"
	"github.com/batonkit/batonkit/pkg/c1z"
	"github.com/batonkit/batonkit/pkg/connector"
	"github.com/batonkit/batonkit/pkg/contract"
	"github.com/batonkit/batonkit/pkg/session"
	"github.com/batonkit/batonkit/pkg/subprocess"
	"github.com/batonkit/batonkit/pkg/sync"
)

// The test binary doubles as the processes under test. With
// BATONKIT_SYNC_HELPER=child it serves a protoconn world over Baton's
// child-process protocol; with BATONKIT_SYNC_HELPER=kill it syncs one in
// process and SIGKILLs itself in the middle of a phase.
func TestSyncHelper(t *testing.T) {
	opts := func() protoconn.Options {
		seed, _ := strconv.ParseUint(os.Getenv("BATONKIT_SEED"), 10, 64)
		strict, _ := strconv.Atoi(os.Getenv("BATONKIT_STRICT"))
		scale, _ := strconv.Atoi(os.Getenv("BATONKIT_SCALE"))
		return protoconn.Options{Seed: seed, Strict: protoconn.Strictness(strict), Cache: os.Getenv("BATONKIT_CACHE") != "", Scale: scale}
	}
	switch os.Getenv("BATONKIT_SYNC_HELPER") {
	case "child":
		unary, stream := connector.Interceptors(slog.New(slog.DiscardHandler))
		err := subprocess.Serve(context.Background(), os.Stdin, slog.New(slog.DiscardHandler), func(env subprocess.Env) *grpc.Server {
			o := opts()
			if os.Getenv("BATONKIT_SESSIONS") != "" {
				if env.Sessions == nil {
					fmt.Fprintln(os.Stderr, "child: the parent offers no session store")
					os.Exit(1)
				}
				o.Sessions = env.Sessions
			}
			g := grpc.NewServer(append(env.Options, grpc.ChainUnaryInterceptor(unary), grpc.ChainStreamInterceptor(stream))...)
			contract.Register(g, protoconn.New(o))
			return g
		})
		if err != nil {
			fmt.Fprintln(os.Stderr, "child:", err)
			os.Exit(1)
		}
		os.Exit(0)
	case "kill":
		ctx := context.Background()
		st, err := c1z.Open(ctx, os.Getenv("BATONKIT_FILE"))
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		target := os.Getenv("BATONKIT_KILL_PHASE")
		after, _ := strconv.Atoi(os.Getenv("BATONKIT_KILL_AFTER"))
		workers := 2
		if n, err := strconv.Atoi(os.Getenv("BATONKIT_WORKERS")); err == nil {
			workers = n
		}
		seen := 0
		o := opts()
		host := session.NewServer()
		if os.Getenv("BATONKIT_SESSIONS") != "" {
			o.Sessions = session.LocalClient(host)
		}
		_, err = sync.New(rawClient(protoconn.New(o)), st, sync.WithWorkers(workers), sync.WithCheckpointInterval(time.Nanosecond), sync.WithSessions(host),
			sync.WithProgress(func(p sync.Progress) {
				if p.Phase == target {
					if seen++; seen > after {
						syscall.Kill(os.Getpid(), syscall.SIGKILL)
					}
				}
			})).Run(ctx)
		fmt.Fprintf(os.Stderr, "sync ended without reaching step %d of phase %q: %v\n", after, target, err)
		os.Exit(3)
	}
}

func helperEnv(o protoconn.Options) []string {
	env := []string{"BATONKIT_SEED=" + strconv.FormatUint(o.Seed, 10), "BATONKIT_STRICT=" + strconv.Itoa(int(o.Strict)), "BATONKIT_SCALE=" + strconv.Itoa(o.Scale)}
	if o.Cache {
		env = append(env, "BATONKIT_CACHE=1")
	}
	return env
}

// A sync killed with SIGKILL in the middle of each phase resumes, in a new
// process, to the result of an uninterrupted one. The world mixes
// type-scoped types, fan-out tokens, child types and static entitlements.
func TestSIGKILLInEveryPhaseResumes(t *testing.T) {
	o := protoconn.Options{Seed: 13, Scale: 3}
	want := reference(t, o)
	if tse, tsg, static, child := protoconn.New(o).Features(); tse == 0 || tsg == 0 || static == 0 || child == 0 {
		t.Fatalf("seed %d no longer has every feature: %d %d %d %d", o.Seed, tse, tsg, static, child)
	}
	for _, ph := range []string{"resources", "static entitlements", "entitlements", "grants", "grant expansion"} {
		for _, after := range []int{0, 3} {
			if ph == "grant expansion" && after > 0 {
				continue
			}
			path := filepath.Join(t.TempDir(), "s.c1z")
			cmd := exec.Command(os.Args[0], "-test.run=^TestSyncHelper$")
			cmd.Env = append(append(os.Environ(), helperEnv(o)...), "BATONKIT_SYNC_HELPER=kill", "BATONKIT_FILE="+path,
				"BATONKIT_KILL_PHASE="+ph, "BATONKIT_KILL_AFTER="+strconv.Itoa(after))
			cmd.Stderr = os.Stderr
			err := cmd.Run()
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
				t.Fatalf("phase %q, step %d: the helper was not killed: %v", ph, after, err)
			}
			res, err := syncTo(t, rawClient(protoconn.New(o)), path)
			testkit.Must(t, err)
			if !res.Resumed {
				t.Fatalf("phase %q: the run after the kill did not resume", ph)
			}
			if got := dump(t, path); !slices.Equal(got, want) {
				t.Fatalf("phase %q, step %d: resumed file differs from the reference\n%s", ph, after, diffLines(got, want))
			}
		}
	}
}

// A connector that keeps its cursors and its cache of listed resources in
// the session store (Baton's BatonSessionService), as a child process:
// the parent serves the store from the sync's file, scoped to the sync.
func TestSessionStoreOverTheChildLink(t *testing.T) {
	for _, workers := range []int{1, 4} {
		o := protoconn.Options{Seed: 13, Cache: true, Scale: 3}
		want := reference(t, o)
		host := session.NewServer()
		p, err := subprocess.Start(t.Context(), os.Args[0], []string{"-test.run=^TestSyncHelper$"}, subprocess.Options{
			Env: append(helperEnv(o), "BATONKIT_SYNC_HELPER=child", "BATONKIT_SESSIONS=1"), ReadyTimeout: 20 * time.Second, Sessions: host})
		testkit.Must(t, err)
		path := filepath.Join(t.TempDir(), "s.c1z")
		res, err := syncTo(t, p.Client, path, sync.WithWorkers(workers), sync.WithSessions(host))
		testkit.Must(t, p.Close())
		testkit.Must(t, err)
		if got := dump(t, path); !slices.Equal(got, want) {
			t.Fatalf("workers %d: differs from the reference\n%s", workers, diffLines(got, want))
		}
		// What the connector stored is in the file, under the sync.
		st, err := c1z.Open(t.Context(), path)
		testkit.Must(t, err)
		page, _, err := st.SessionPage(t.Context(), res.SyncID, "listed/", "", 1000)
		testkit.Must(t, err)
		testkit.Must(t, st.Close(t.Context()))
		if len(page) == 0 {
			t.Fatalf("workers %d: no session values in the file", workers)
		}
	}
}

// The session store outlives the process: a sync killed in the grants
// phase resumes in a new process whose connector finds, in the store, the
// resources an earlier process listed (an in-memory cache would be empty).
func TestSessionStoreSurvivesAResume(t *testing.T) {
	o := protoconn.Options{Seed: 13, Cache: true, Scale: 3}
	want := reference(t, o)
	path := filepath.Join(t.TempDir(), "s.c1z")
	cmd := exec.Command(os.Args[0], "-test.run=^TestSyncHelper$")
	// One worker, Baton's order: this connector keeps a listing cursor in
	// the store and commits it as it answers, before the syncer's token
	// says the page is done. A second worker mid-page when the process
	// dies would leave a cursor ahead of the token, and the resumed sync
	// would ask for a page the cursor has moved past: for connectors that
	// keep cursors there, only the one-worker order resumes exactly.
	cmd.Env = append(append(os.Environ(), helperEnv(o)...), "BATONKIT_SYNC_HELPER=kill", "BATONKIT_SESSIONS=1", "BATONKIT_FILE="+path,
		"BATONKIT_KILL_PHASE=grants", "BATONKIT_KILL_AFTER=5", "BATONKIT_WORKERS=1")
	cmd.Stderr = os.Stderr
	var ee *exec.ExitError
	if err := cmd.Run(); !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("the helper was not killed: %v", err)
	}
	host := session.NewServer()
	o.Sessions = session.LocalClient(host)
	res, err := syncTo(t, rawClient(protoconn.New(o)), path, sync.WithSessions(host))
	testkit.Must(t, err)
	if !res.Resumed {
		t.Fatal("did not resume")
	}
	if got := dump(t, path); !slices.Equal(got, want) {
		t.Fatalf("resumed file differs from the reference\n%s", diffLines(got, want))
	}
	// Without the store, the new process's cache is empty and it fails.
	o.Sessions = nil
	path2 := filepath.Join(t.TempDir(), "s2.c1z")
	cmd = exec.Command(os.Args[0], "-test.run=^TestSyncHelper$")
	cmd.Env = append(append(os.Environ(), helperEnv(o)...), "BATONKIT_SYNC_HELPER=kill", "BATONKIT_FILE="+path2,
		"BATONKIT_KILL_PHASE=grants", "BATONKIT_KILL_AFTER=5")
	_ = cmd.Run()
	if _, err := syncTo(t, rawClient(protoconn.New(o)), path2); err == nil || !strings.Contains(err.Error(), "cache miss") {
		t.Fatalf("a memory-only cache resumed in a new process: err = %v, want a cache miss", err)
	}
}
