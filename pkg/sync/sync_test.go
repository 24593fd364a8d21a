package sync_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/batonkit/batonkit/internal/c1ztest"
	"github.com/batonkit/batonkit/internal/testconnector"
	"github.com/batonkit/batonkit/internal/testkit"
	connectorv2 "github.com/batonkit/batonkit/pb/c1/connector/v2"
	"github.com/batonkit/batonkit/pkg/annotations"
	"github.com/batonkit/batonkit/pkg/c1z"
	"github.com/batonkit/batonkit/pkg/connector"
	"github.com/batonkit/batonkit/pkg/contract"
	"github.com/batonkit/batonkit/pkg/sync"
)

func inProcess(t testing.TB, c connector.Connector) contract.Client {
	t.Helper()
	srv, err := connector.NewServer(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	return connector.InProcessClient(srv)
}

// syncTo runs one sync of c into a new file and returns its path.
func syncTo(t *testing.T, client contract.Client, path string, opts ...sync.Option) (sync.Result, error) {
	t.Helper()
	ctx := context.Background()
	st, err := c1z.Open(ctx, path)
	testkit.Must(t, err)
	res, err := sync.New(client, st, opts...).Run(ctx)
	testkit.Must(t, st.Close(ctx))
	return res, err
}

func dump(t *testing.T, path string) []string { return c1ztest.Dump(t, path) }

func TestFullSync(t *testing.T) {
	c := testconnector.New(20, 6, 3)
	path := filepath.Join(t.TempDir(), "sync.c1z")
	res, err := syncTo(t, inProcess(t, c), path)
	testkit.Must(t, err)
	// 20 users + 6 groups + 2 roles + 2 orgs + 4 repos.
	if res.Stats.Resources != 34 || res.Stats.ResourceTypes != 5 {
		t.Fatalf("stats %+v", res.Stats)
	}
	// 6 group memberships + 2 static role entitlements + 4 repo admins.
	if res.Stats.Entitlements != 12 {
		t.Fatalf("entitlements %d, want 12", res.Stats.Entitlements)
	}
	if res.Expand.Edges == 0 || res.Expand.Created == 0 {
		t.Fatalf("no expansion happened: %+v", res.Expand)
	}
	t.Logf("result: %+v", res)
}

// TestInterruptAtEveryStepResumes stops a sync after 1, 2, 3... steps,
// resumes it each time in a new Syncer on the reopened file, and checks
// that the result equals an uninterrupted run's, table for table.
func TestInterruptAtEveryStepResumes(t *testing.T) {
	dir := t.TempDir()
	want := filepath.Join(dir, "want.c1z")
	res, err := syncTo(t, inProcess(t, testconnector.New(20, 6, 3)), want)
	testkit.Must(t, err)
	total := stepsOf(t, want, res.SyncID)
	if total < 10 {
		t.Fatalf("only %d steps; the test connector is too small to mean anything", total)
	}
	wantDump := dump(t, want)
	for stop := 1; stop < total; stop++ {
		path := filepath.Join(dir, fmt.Sprintf("stop%02d.c1z", stop))
		_, err := syncTo(t, inProcess(t, testconnector.New(20, 6, 3)), path, sync.StopAfter(stop))
		if !errors.Is(err, sync.ErrInterrupted) {
			t.Fatalf("stop after %d: %v, want ErrInterrupted", stop, err)
		}
		res, err := syncTo(t, inProcess(t, testconnector.New(20, 6, 3)), path)
		testkit.Must(t, err)
		if !res.Resumed {
			t.Fatalf("stop after %d: the second run did not resume", stop)
		}
		if got := dump(t, path); !slices.Equal(got, wantDump) {
			t.Fatalf("stop after %d: resumed sync differs from an uninterrupted one (%d vs %d objects)", stop, len(got), len(wantDump))
		}
		syncs := syncRuns(t, path)
		if len(syncs) != 1 || !syncs[0].Finished() {
			t.Fatalf("stop after %d: %d syncs, want exactly one finished", stop, len(syncs))
		}
	}
}

func stepsOf(t *testing.T, path, syncID string) int {
	t.Helper()
	for _, r := range syncRuns(t, path) {
		if r.ID == syncID {
			var st struct {
				Steps int `json:"steps"`
			}
			testkit.Must(t, json.Unmarshal([]byte(r.Token), &st))
			return st.Steps
		}
	}
	t.Fatalf("sync %s not found", syncID)
	return 0
}

func syncRuns(t *testing.T, path string) []c1z.SyncRun {
	t.Helper()
	ctx := context.Background()
	st, err := c1z.OpenReader(ctx, path)
	testkit.Must(t, err)
	defer st.Close(ctx)
	runs, err := st.Syncs(ctx)
	testkit.Must(t, err)
	return runs
}

func TestWorkersDoNotChangeTheResult(t *testing.T) {
	dir := t.TempDir()
	var want []string
	for _, n := range []int{1, 2, 8} {
		path := filepath.Join(dir, fmt.Sprintf("w%d.c1z", n))
		_, err := syncTo(t, inProcess(t, testconnector.New(40, 12, 5)), path, sync.WithWorkers(n))
		testkit.Must(t, err)
		got := dump(t, path)
		if want == nil {
			want = got
			continue
		}
		if !slices.Equal(got, want) {
			t.Fatalf("%d workers gave a different file than 1 worker", n)
		}
	}
}

func TestTransientErrorsAreRetried(t *testing.T) {
	c := testconnector.New(10, 3, 1)
	c.Faults.Unavailable.Store(3)
	path := filepath.Join(t.TempDir(), "s.c1z")
	_, err := syncTo(t, inProcess(t, c), path, sync.WithRetry(sync.RetryPolicy{BaseDelay: time.Millisecond, MaxAttempts: 5}))
	testkit.Must(t, err)
	if c.Faults.Unavailable.Load() != 0 {
		t.Fatal("the faults were not consumed")
	}
	want := filepath.Join(t.TempDir(), "want.c1z")
	_, err = syncTo(t, inProcess(t, testconnector.New(10, 3, 1)), want)
	testkit.Must(t, err)
	if !slices.Equal(dump(t, path), dump(t, want)) {
		t.Fatal("retried sync differs from a clean one")
	}
}

func TestRetriesGiveUp(t *testing.T) {
	c := testconnector.New(10, 3, 1)
	c.Faults.Unavailable.Store(100)
	_, err := syncTo(t, inProcess(t, c), filepath.Join(t.TempDir(), "s.c1z"), sync.WithRetry(sync.RetryPolicy{BaseDelay: time.Millisecond, MaxAttempts: 3}))
	if status.Code(errors.Unwrap(errors.Unwrap(err))) != codes.Unavailable && !strings.Contains(fmt.Sprint(err), "Unavailable") {
		t.Fatalf("err = %v, want the Unavailable error after 3 attempts", err)
	}
}

func TestInvalidObjectsAreDroppedAndCounted(t *testing.T) {
	c := testconnector.New(10, 3, 1)
	c.Faults.InvalidUser = true
	// A loopback server would reject the whole response; the syncer's own
	// check is what protects against connectors from elsewhere, so call the
	// connector without the response interceptor.
	srv, err := connector.NewServer(context.Background(), c)
	testkit.Must(t, err)
	client := contract.NewInProcessClient(srv, nil, nil)
	res, err := syncTo(t, client, filepath.Join(t.TempDir(), "s.c1z"))
	testkit.Must(t, err)
	if res.Dropped["resource"] != 1 || res.Stats.ResourcesByType["user"] != 10 {
		t.Fatalf("dropped %v, users %d; want 1 resource dropped and 10 users kept", res.Dropped, res.Stats.ResourcesByType["user"])
	}
}

func TestRepeatedPageTokenIsAnError(t *testing.T) {
	c := testconnector.New(30, 3, 1)
	c.Faults.RepeatTokenOn = "user"
	_, err := syncTo(t, inProcess(t, c), filepath.Join(t.TempDir(), "s.c1z"))
	if !errors.Is(err, sync.ErrPageTokenRepeated) || !strings.Contains(err.Error(), `"user"`) {
		t.Fatalf("err = %v, want ErrPageTokenRepeated naming the user type", err)
	}
}

func TestNotFoundBudget(t *testing.T) {
	c := testconnector.New(10, 4, 0)
	c.Faults.VanishedGroups = map[string]bool{"g001": true, "g002": true}
	res, err := syncTo(t, inProcess(t, c), filepath.Join(t.TempDir(), "ok.c1z"), sync.WithNotFoundBudget(5))
	testkit.Must(t, err)
	if res.NotFound != 2 {
		t.Fatalf("NotFound = %d, want 2", res.NotFound)
	}
	_, err = syncTo(t, inProcess(t, c), filepath.Join(t.TempDir(), "fail.c1z"), sync.WithNotFoundBudget(1))
	if !errors.Is(err, sync.ErrTooManyNotFound) {
		t.Fatalf("err = %v, want ErrTooManyNotFound", err)
	}
}

func TestCancelCheckpointsAndResumes(t *testing.T) {
	c := testconnector.New(20, 6, 3)
	path := filepath.Join(t.TempDir(), "s.c1z")
	ctx, cancel := context.WithCancel(context.Background())
	st, err := c1z.Open(ctx, path)
	testkit.Must(t, err)
	steps := 0
	_, err = sync.New(inProcess(t, c), st, sync.WithProgress(func(p sync.Progress) {
		if steps++; steps == 3 {
			cancel()
		}
	})).Run(ctx)
	if !errors.Is(err, sync.ErrInterrupted) || !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want ErrInterrupted wrapping context.Canceled", err)
	}
	testkit.Must(t, st.Close(context.Background()))
	res, err := syncTo(t, inProcess(t, testconnector.New(20, 6, 3)), path)
	testkit.Must(t, err)
	if !res.Resumed {
		t.Fatal("did not resume after cancellation")
	}
}

func TestResourceTypeFilterAndResourcesOnly(t *testing.T) {
	dir := t.TempDir()
	res, err := syncTo(t, inProcess(t, testconnector.New(10, 3, 1)), filepath.Join(dir, "f.c1z"), sync.WithResourceTypes("group", "user"))
	testkit.Must(t, err)
	if res.Stats.ResourceTypes != 2 || res.Stats.ResourcesByType["role"] != 0 || res.Stats.ResourcesByType["group"] != 3 {
		t.Fatalf("filtered stats %+v", res.Stats)
	}
	res, err = syncTo(t, inProcess(t, testconnector.New(10, 3, 1)), filepath.Join(dir, "r.c1z"), sync.WithResourcesOnly())
	testkit.Must(t, err)
	if res.Type != c1z.SyncResourcesOnly || res.Stats.Entitlements != 0 || res.Stats.Grants != 0 || res.Stats.Resources == 0 {
		t.Fatalf("resources-only: %+v", res)
	}
	res, err = syncTo(t, inProcess(t, testconnector.New(10, 3, 1)), filepath.Join(dir, "g.c1z"), sync.WithSkipGrants())
	testkit.Must(t, err)
	if res.Stats.Grants != 0 || res.Stats.Entitlements == 0 {
		t.Fatalf("skip grants: %+v", res.Stats)
	}
}

func TestWithoutExpansionKeepsOnlyListedGrants(t *testing.T) {
	dir := t.TempDir()
	full, err := syncTo(t, inProcess(t, testconnector.New(20, 6, 3)), filepath.Join(dir, "full.c1z"))
	testkit.Must(t, err)
	res, err := syncTo(t, inProcess(t, testconnector.New(20, 6, 3)), filepath.Join(dir, "flat.c1z"), sync.WithoutExpansion())
	testkit.Must(t, err)
	if res.Expand.Created != 0 || full.Expand.Created == 0 {
		t.Fatalf("expanded %d grants without expansion (%d with)", res.Expand.Created, full.Expand.Created)
	}
	if res.Stats.Grants != full.Stats.Grants-int64(full.Expand.Created) {
		t.Fatalf("without expansion the file holds %d grants, want the %d listed", res.Stats.Grants, full.Stats.Grants-int64(full.Expand.Created))
	}
}

func TestTargetedSyncIsPartialOfLatestFull(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.c1z")
	c := testconnector.New(10, 3, 1)
	full, err := syncTo(t, inProcess(t, c), path)
	testkit.Must(t, err)
	res, err := syncTo(t, inProcess(t, c), path, sync.WithTargets(
		&connectorv2.ResourceId{ResourceType: "group", Resource: "g001"},
		&connectorv2.ResourceId{ResourceType: "user", Resource: "u003"},
		&connectorv2.ResourceId{ResourceType: "group", Resource: "gone"}))
	testkit.Must(t, err)
	if res.Type != c1z.SyncPartial || res.Stats.Resources != 2 || res.Stats.Entitlements != 1 {
		t.Fatalf("targeted: %+v", res.Stats)
	}
	runs := syncRuns(t, path)
	if len(runs) != 2 || runs[1].ParentID != full.SyncID {
		t.Fatalf("partial sync parent %q, want %q", runs[1].ParentID, full.SyncID)
	}
}

// A connector that says its rate limit is spent makes the syncer wait for
// the reset before the next call.
func TestReportedRateLimitIsRespected(t *testing.T) {
	c := &pacedConnector{Connector: testconnector.New(30, 2, 0)}
	start := time.Now()
	_, err := syncTo(t, inProcess(t, c), filepath.Join(t.TempDir(), "s.c1z"), sync.WithResourceTypes("user"))
	testkit.Must(t, err)
	if d := time.Since(start); d < 300*time.Millisecond {
		t.Fatalf("the sync took %v; it did not wait for the reported reset", d)
	}
}

// pacedConnector reports, on its first page of users, that the limit is
// reached until 400ms from now.
type pacedConnector struct{ *testconnector.Connector }

func (p *pacedConnector) ResourceSyncers(ctx context.Context) []connector.ResourceSyncer {
	out := p.Connector.ResourceSyncers(ctx)
	out[0] = pacedUsers{ResourceSyncer: out[0]}
	return out
}

type pacedUsers struct{ connector.ResourceSyncer }

func (u pacedUsers) List(ctx context.Context, parent *connectorv2.ResourceId, req connector.PageRequest) (connector.Page[*connectorv2.Resource], error) {
	page, err := u.ResourceSyncer.List(ctx, parent, req)
	if req.Token == "" {
		page.Annotations = annotations.New(&connectorv2.RateLimitDescription{Status: connectorv2.RateLimitDescription_STATUS_OVERLIMIT,
			ResetAt: timestamppb.New(time.Now().Add(400 * time.Millisecond))})
	}
	return page, err
}

// InsertResourceGrants means, as in Baton's syncer, "store the resource
// each grant is on": resources a connector discovers only through grants.
func TestInsertResourceGrantsStoresTheGrantsResources(t *testing.T) {
	c := testconnector.New(5, 2, 0)
	c.Faults.ArchivedRepo = true
	path := filepath.Join(t.TempDir(), "s.c1z")
	_, err := syncTo(t, inProcess(t, c), path)
	testkit.Must(t, err)
	ctx := context.Background()
	st, err := c1z.OpenReader(ctx, path)
	testkit.Must(t, err)
	defer st.Close(ctx)
	r, err := st.Resource(ctx, "", &connectorv2.ResourceId{ResourceType: "repo", Resource: "acme/archived"})
	if err != nil || r.GetDisplayName() != "archived" || r.GetParentResourceId().GetResource() != "acme" {
		t.Fatalf("the resource the grants are on was not stored: %v %v", r, err)
	}
}

// A connector that fails Validate gets no sync started, so the next run
// has nothing to resume.
func TestValidateBeforeTheSyncStarts(t *testing.T) {
	c := testconnector.New(3, 1, 0)
	c.Faults.FailValidate = true
	path := filepath.Join(t.TempDir(), "s.c1z")
	if _, err := syncTo(t, inProcess(t, c), path); err == nil || !strings.Contains(err.Error(), "validation") {
		t.Fatalf("err = %v, want a validation failure", err)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a failed validation saved a file: %v", err)
	}
}

// The last progress report accounts for every grant in the file: those
// listed, and those grant expansion created.
func TestProgressCountsExpandedGrants(t *testing.T) {
	var last sync.Progress
	res, err := syncTo(t, inProcess(t, testconnector.New(20, 6, 3)), filepath.Join(t.TempDir(), "s.c1z"),
		sync.WithProgress(func(p sync.Progress) { last = p }))
	testkit.Must(t, err)
	if last.Expanded == 0 || int64(last.Grants+last.Expanded) != res.Stats.Grants {
		t.Fatalf("progress says %d grants + %d expanded, the file holds %d", last.Grants, last.Expanded, res.Stats.Grants)
	}
}
