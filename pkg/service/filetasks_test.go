package service_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"google.golang.org/grpc/codes"

	"github.com/batonkit/batonkit/internal/controlplanetest"
	connectorv2 "github.com/batonkit/batonkit/pb/c1/connector/v2"
	batonv1 "github.com/batonkit/batonkit/pb/c1/connectorapi/baton/v1"
	"github.com/batonkit/batonkit/pkg/c1z"
	"github.com/batonkit/batonkit/pkg/service"
)

func compactTask(files ...string) *batonv1.Task {
	var cs []*batonv1.Task_CompactSyncs_CompactableSync
	for i := 0; i+1 < len(files); i += 2 {
		cs = append(cs, &batonv1.Task_CompactSyncs_CompactableSync{FilePath: files[i], SyncId: files[i+1]})
	}
	return &batonv1.Task{TaskType: &batonv1.Task_CompactSyncs_{CompactSyncs: &batonv1.Task_CompactSyncs{CompactableSyncs: cs}}}
}

func diffTask(base, applied string) *batonv1.Task {
	return &batonv1.Task{TaskType: &batonv1.Task_CreateSyncDiff{CreateSyncDiff: &batonv1.Task_CreateSyncDiffTask{BaseSyncId: base, NewSyncId: applied}}}
}

// syncNow runs a sync task and returns its kept file's name and its sync.
func syncNow(t *testing.T, cp *controlplanetest.Server, task *batonv1.Task) (string, string) {
	t.Helper()
	st := cp.Wait(t, cp.Enqueue(task)[0])
	wantSuccess(t, st)
	return "sync-" + st.Task.GetId() + ".c1z", latestSync(t, controlplanetest.SaveAsset(t, st, t.TempDir()))
}

func groupEntitlement(t *testing.T, path, group string) *connectorv2.Entitlement {
	t.Helper()
	st, id := openRO(t, path)
	ent, err := st.Entitlement(context.Background(), id, "group:"+group+":member")
	if err != nil {
		t.Fatal(err)
	}
	return ent
}

// latestSync is the newest sync of any type in path.
func latestSync(t *testing.T, path string) string {
	t.Helper()
	st, err := c1z.OpenReader(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close(context.Background())
	runs, err := st.Syncs(context.Background())
	if err != nil || len(runs) == 0 {
		t.Fatalf("syncs of %s: %v", path, err)
	}
	return runs[len(runs)-1].ID
}

// The control plane names the files the worker kept: a full sync, a
// grant, a targeted sync, then compact_syncs folds them into what a full
// sync lists, and create_sync_diff records what changed between two full
// syncs, each uploaded.
func TestCompactAndDiffTasks(t *testing.T) {
	ctx := context.Background()
	cp := controlplanetest.Start(t)
	a, _ := sqlApp(t)
	wk := start(t, cp, a, func(o *service.Options) { o.KeepSyncs = 4 })
	fullFile, fullID := syncNow(t, cp, syncTask())
	// u6 joins platform, which nests in engineering and everyone.
	ent := groupEntitlement(t, directSync(t, a), "platform")
	u6 := &connectorv2.Resource{Id: &connectorv2.ResourceId{ResourceType: "user", Resource: "u6"}}
	wantSuccess(t, cp.Wait(t, cp.Enqueue(&batonv1.Task{TaskType: &batonv1.Task_Grant{Grant: &batonv1.Task_GrantTask{Entitlement: ent, Principal: u6}}})[0]))
	targeted := &batonv1.Task{TaskType: &batonv1.Task_SyncFull{SyncFull: &batonv1.Task_SyncFullTask{
		TargetedSyncResources: []*connectorv2.Resource{{Id: ent.GetResource().GetId()}}}}}
	partFile, partID := syncNow(t, cp, targeted)

	st := cp.Wait(t, cp.Enqueue(compactTask(fullFile, fullID, partFile, partID))[0])
	wantSuccess(t, st)
	got, gotID := openRO(t, controlplanetest.SaveAsset(t, st, t.TempDir()))
	want, wantID := openRO(t, directSync(t, a))
	for d, err := range want.Compare(ctx, wantID, got, gotID) {
		if err != nil {
			t.Fatal(err)
		}
		t.Errorf("compacted sync differs from a full sync: %v %v", d.Change, d.Object)
	}

	_, newID := syncNow(t, cp, syncTask())
	st = cp.Wait(t, cp.Enqueue(diffTask(fullID, newID))[0])
	wantSuccess(t, st)
	diffed := controlplanetest.SaveAsset(t, st, t.TempDir())
	recorded, _ := openRO(t, diffed)
	var upserts string
	runs, _ := recorded.Syncs(ctx)
	for _, r := range runs {
		if r.Type == c1z.SyncPartialUpserts && r.ParentID == fullID {
			upserts = r.ID
		}
	}
	if upserts == "" {
		t.Fatalf("the uploaded file holds no diff of %s: %+v", fullID, runs)
	}
	var n int
	for d, err := range recorded.CompareRecorded(ctx, upserts) {
		if err != nil {
			t.Fatal(err)
		}
		n++
		if d.Change != c1z.Created {
			t.Errorf("diff: %v %v", d.Change, d.Object)
		}
	}
	if n == 0 {
		t.Fatal("the recorded diff lists no change, want the new grant")
	}

	// Never more files than kept.
	if files, _ := filepath.Glob(filepath.Join(wk.dir, "*.c1z")); len(files) > 4 {
		t.Errorf("%d files kept, want at most 4: %v", len(files), files)
	}
}

// A task reaches only the worker's kept files, and only when it keeps any.
func TestFileTasksAreConfined(t *testing.T) {
	cp := controlplanetest.Start(t)
	a, _ := sqlApp(t)
	wk := start(t, cp, a, func(o *service.Options) { o.KeepSyncs = 2 })
	file, id := syncNow(t, cp, syncTask())
	outside := filepath.Join(t.TempDir(), "elsewhere.c1z")
	if err := os.Link(filepath.Join(wk.dir, file), outside); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(wk.dir, "sync-planted.c1z")); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		task *batonv1.Task
		code codes.Code
	}{
		{compactTask(outside, id), codes.InvalidArgument},
		{compactTask("../"+filepath.Base(outside), id), codes.InvalidArgument},
		{compactTask("sync-planted.c1z", id), codes.FailedPrecondition},
		{compactTask("sync-none.c1z", id), codes.NotFound},
		{compactTask(file, "2aXnosuchsync"), codes.NotFound},
		{compactTask(), codes.InvalidArgument},
		{diffTask(id, "2aXnosuchsync"), codes.NotFound},
		{diffTask("", id), codes.InvalidArgument},
	} {
		if f := wantError(t, cp.Wait(t, cp.Enqueue(tc.task)[0]), tc.code); !f.GetError().GetNonRetryable() {
			t.Errorf("%v: retryable", tc.task)
		}
	}
	names, _ := os.ReadDir(wk.dir)
	for _, n := range names {
		if !slices.Contains([]string{file, "sync-planted.c1z"}, n.Name()) {
			t.Errorf("a refused task left %s", n.Name())
		}
	}

	// A worker that keeps nothing refuses both.
	cp2 := controlplanetest.Start(t)
	start(t, cp2, a, nil)
	for _, task := range []*batonv1.Task{compactTask(file, id), diffTask(id, id)} {
		wantError(t, cp2.Wait(t, cp2.Enqueue(task)[0]), codes.FailedPrecondition)
	}
}
