package service_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"filippo.io/age"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"

	"github.com/batonkit/batonkit/examples/sqlapp"
	"github.com/batonkit/batonkit/internal/controlplanetest"
	"github.com/batonkit/batonkit/internal/testconnector"
	connectorv2 "github.com/batonkit/batonkit/pb/c1/connector/v2"
	batonv1 "github.com/batonkit/batonkit/pb/c1/connectorapi/baton/v1"
	"github.com/batonkit/batonkit/pkg/c1z"
	"github.com/batonkit/batonkit/pkg/connector"
	"github.com/batonkit/batonkit/pkg/contract"
	"github.com/batonkit/batonkit/pkg/service"
	"github.com/batonkit/batonkit/pkg/session"
	bsync "github.com/batonkit/batonkit/pkg/sync"
)

// app is a connector with its session store, as the runner builds it.
type app struct {
	client   contract.Client
	sessions *session.Server
}

func newApp(t testing.TB, c connector.Connector) app {
	t.Helper()
	sessions := session.NewServer()
	srv, err := connector.NewServer(context.Background(), c, connector.WithSessions(session.LocalClient(sessions)))
	if err != nil {
		t.Fatal(err)
	}
	return app{connector.InProcessClient(srv), sessions}
}

func sqlApp(t testing.TB) (app, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "app.db")
	db, err := sqlapp.OpenDB(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return newApp(t, sqlapp.New(db)), path
}

type worker struct {
	dir    string
	cancel context.CancelFunc
	done   chan error
	once   sync.Once
	err    error
	w      *service.Worker
}

// stop shuts the worker down as SIGTERM does and returns Run's error.
func (wk *worker) stop() error {
	wk.once.Do(func() {
		wk.cancel()
		wk.err = <-wk.done
	})
	return wk.err
}

// start runs a worker against cp until the test ends (or w.stop).
func start(t testing.TB, cp *controlplanetest.Server, a app, edit func(*service.Options)) *worker {
	t.Helper()
	opts := service.Options{ClientID: cp.ClientID, ClientSecret: cp.ClientSecret, APIHost: cp.Addr(), TLS: cp.TLS(),
		Dir: t.TempDir(), Version: "v0.0.0-test", SyncOptions: []bsync.Option{bsync.WithSessions(a.sessions)},
		Logger: testLogger(t), MinBackoff: 20 * time.Millisecond, MaxBackoff: 200 * time.Millisecond, Provisioning: true}
	if edit != nil {
		edit(&opts)
	}
	w, err := service.New(a.client, opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	wk := &worker{dir: opts.Dir, cancel: cancel, done: make(chan error, 1), w: w}
	go func() { wk.done <- w.Run(ctx) }()
	t.Cleanup(func() {
		if err := wk.stop(); err != nil {
			t.Errorf("worker: %v", err)
		}
		cp.CheckClean(t)
	})
	return wk
}

func testLogger(t testing.TB) *slog.Logger {
	if testing.Verbose() {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

func syncTask() *batonv1.Task {
	return &batonv1.Task{TaskType: &batonv1.Task_SyncFull{SyncFull: &batonv1.Task_SyncFullTask{}}}
}

func wantSuccess(t testing.TB, st controlplanetest.TaskState) *batonv1.BatonServiceFinishTaskRequest_Success {
	t.Helper()
	if len(st.Finishes) != 1 || st.Finishes[0].GetSuccess() == nil {
		t.Fatalf("task %s (%s): want one successful finish, got %v", st.Task.GetId(), service.TaskType(st.Task), st.Finishes)
	}
	return st.Finishes[0].GetSuccess()
}

func wantError(t testing.TB, st controlplanetest.TaskState, code codes.Code) *batonv1.BatonServiceFinishTaskRequest {
	t.Helper()
	if len(st.Finishes) != 1 || st.Finishes[0].GetError() == nil {
		t.Fatalf("task %s: want one failed finish, got %v", st.Task.GetId(), st.Finishes)
	}
	f := st.Finishes[0]
	if codes.Code(f.GetStatus().GetCode()) != code || f.GetStatus().GetMessage() == "" {
		t.Fatalf("task %s finished with status %v, want %v with a message", st.Task.GetId(), f.GetStatus(), code)
	}
	return f
}

// directSync syncs a straight into a file, as `baton-sqlapp` would.
func directSync(t testing.TB, a app) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "direct.c1z")
	st, err := c1z.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bsync.New(a.client, st, bsync.WithSessions(a.sessions)).Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	return path
}

func openRO(t testing.TB, path string) (*c1z.Reader, string) {
	t.Helper()
	st, err := c1z.OpenReader(context.Background(), path)
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	t.Cleanup(func() { st.Close(context.Background()) })
	run, err := st.DefaultSync(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return st, run.ID
}

func TestFullSyncUploadsWhatADirectSyncWrites(t *testing.T) {
	cp := controlplanetest.Start(t)
	a, _ := sqlApp(t)
	wk := start(t, cp, a, nil)
	id := cp.Enqueue(syncTask())[0]
	st := cp.Wait(t, id)
	wantSuccess(t, st)
	got, gotID := openRO(t, controlplanetest.SaveAsset(t, st, t.TempDir()))
	want, wantID := openRO(t, directSync(t, a))
	for d, err := range want.Compare(context.Background(), wantID, got, gotID) {
		if err != nil {
			t.Fatal(err)
		}
		t.Errorf("uploaded sync differs: %v %v", d.Change, d.Object)
	}
	stats, err := got.Stats(context.Background(), gotID)
	if err != nil || stats.Resources != 12 {
		t.Fatalf("uploaded sync holds %d resources (%v), want sqlapp's 12", stats.Resources, err)
	}
	if left, _ := filepath.Glob(filepath.Join(wk.dir, "*.c1z")); len(left) != 0 {
		t.Errorf("sync files left after the upload: %v", left)
	}
	hellos := cp.Hellos()
	if len(hellos) != 1 || hellos[0].GetConnectorMetadata().GetDisplayName() == "" || hellos[0].GetBuildInfo().GetLangVersion() == "" ||
		hellos[0].GetOsInfo().GetOs() == "" || hellos[0].GetHostId() == "" || hellos[0].GetTaskId() != "" {
		t.Errorf("start-up hello: %v", hellos)
	}
	// Every field of the OS info is set (the control plane refuses a
	// hello with one empty), in Baton's words: uname's machine name.
	if len(hellos) == 1 {
		o := hellos[0].GetOsInfo()
		for name, v := range map[string]string{"hostname": o.GetHostname(), "os": o.GetOs(), "platform": o.GetPlatform(),
			"platform_family": o.GetPlatformFamily(), "platform_version": o.GetPlatformVersion(), "kernel_version": o.GetKernelVersion(),
			"kernel_arch": o.GetKernelArch(), "virtualization_system": o.GetVirtualizationSystem()} {
			if v == "" {
				t.Errorf("hello's os_info.%s is empty", name)
			}
		}
		if runtime.GOARCH == "amd64" && o.GetKernelArch() != "x86_64" {
			t.Errorf("kernel_arch %q on amd64; Baton says x86_64", o.GetKernelArch())
		}
	}
	if !wk.w.Ready() {
		t.Error("a polling worker is not ready")
	}
}

func TestSyncTaskOptions(t *testing.T) {
	cp := controlplanetest.Start(t)
	a, _ := sqlApp(t)
	start(t, cp, a, nil)
	ids := cp.Enqueue(
		&batonv1.Task{TaskType: &batonv1.Task_SyncFull{SyncFull: &batonv1.Task_SyncFullTask{SkipEntitlementsAndGrants: true}}},
		&batonv1.Task{TaskType: &batonv1.Task_SyncFull{SyncFull: &batonv1.Task_SyncFullTask{SyncResourceTypeIds: []string{"user"}}}},
		&batonv1.Task{TaskType: &batonv1.Task_SyncFull{SyncFull: &batonv1.Task_SyncFullTask{StorageEngine: "leveldb"}}},
	)
	st := cp.Wait(t, ids[0])
	wantSuccess(t, st)
	s, id := openRO(t, controlplanetest.SaveAsset(t, st, t.TempDir()))
	if stats, _ := s.Stats(context.Background(), id); stats.Grants != 0 || stats.Resources != 12 {
		t.Errorf("resources-only task: %+v", stats)
	}
	st = cp.Wait(t, ids[1])
	wantSuccess(t, st)
	s, id = openRO(t, controlplanetest.SaveAsset(t, st, t.TempDir()))
	if stats, _ := s.Stats(context.Background(), id); stats.Resources != 6 {
		t.Errorf("users-only task holds %d resources, want the 6 users", stats.Resources)
	}
	// An engine outside the contract's list is a malformed task.
	if f := wantError(t, cp.Wait(t, ids[2]), codes.InvalidArgument); !f.GetError().GetNonRetryable() {
		t.Error("a malformed task is retryable")
	}
}

func grantTargets(t *testing.T, path string) (*connectorv2.Entitlement, *connectorv2.Resource) {
	t.Helper()
	st, id := openRO(t, path)
	ent, err := st.Entitlement(context.Background(), id, "role:admin:assigned")
	if err != nil {
		t.Fatal(err)
	}
	user, err := st.Resource(context.Background(), id, &connectorv2.ResourceId{ResourceType: "user", Resource: "u2"})
	if err != nil {
		t.Fatal(err)
	}
	return ent, user
}

// Without provisioning, every task that would change the app finishes
// as Baton's do, not retried, and the app is as it was; reading tasks run.
func TestChangeTasksNeedProvisioning(t *testing.T) {
	cp := controlplanetest.Start(t)
	a, _ := sqlApp(t)
	start(t, cp, a, func(o *service.Options) { o.Provisioning = false })
	ent, user := grantTargets(t, directSync(t, a))
	rid := user.GetId()
	for _, task := range []*batonv1.Task{
		{TaskType: &batonv1.Task_Grant{Grant: &batonv1.Task_GrantTask{Entitlement: ent, Principal: user}}},
		{TaskType: &batonv1.Task_Revoke{Revoke: &batonv1.Task_RevokeTask{Grant: &connectorv2.Grant{Id: "role:admin:assigned:user:u1", Entitlement: ent,
			Principal: &connectorv2.Resource{Id: &connectorv2.ResourceId{ResourceType: "user", Resource: "u1"}}}}}},
		{TaskType: &batonv1.Task_CreateAccount{CreateAccount: &batonv1.Task_CreateAccountTask{AccountInfo: &connectorv2.AccountInfo{Login: "eve"}}}},
		{TaskType: &batonv1.Task_DeleteResource{DeleteResource: &batonv1.Task_DeleteResourceTask{ResourceId: rid}}},
		{TaskType: &batonv1.Task_RotateCredentials{RotateCredentials: &batonv1.Task_RotateCredentialsTask{ResourceId: rid}}},
	} {
		st := cp.Wait(t, cp.Enqueue(task)[0])
		f := wantError(t, st, codes.FailedPrecondition)
		if f.GetStatus().GetMessage() != "provisioning is not enabled" || !f.GetError().GetNonRetryable() {
			t.Errorf("%s without provisioning: %v", service.TaskType(task), f)
		}
	}
	if holds(t, a, "u2") || !holds(t, a, "u1") {
		t.Fatal("change tasks changed the app without provisioning")
	}
	// A task that only reads reaches the connector (this one has no
	// tickets, and says so).
	st := cp.Wait(t, cp.Enqueue(&batonv1.Task{TaskType: &batonv1.Task_ListTicketSchemas{ListTicketSchemas: &batonv1.Task_ListTicketSchemasTask{}}})[0])
	if f := wantError(t, st, codes.Unimplemented); !strings.Contains(f.GetStatus().GetMessage(), "TicketManager") {
		t.Errorf("a reading task without provisioning: %v", f)
	}
}

// A sync task heartbeats at once, before its first phase, as Baton's
// does; a short task waits the interval (and here finishes first).
func TestSyncTaskHeartbeatsAtOnce(t *testing.T) {
	cp := controlplanetest.Start(t)
	cp.NextHeartbeat = time.Minute
	a, _ := sqlApp(t)
	start(t, cp, a, nil)
	st := cp.Wait(t, cp.Enqueue(syncTask())[0])
	wantSuccess(t, st)
	if st.Heartbeats < 1 {
		t.Errorf("a sync task sent %d heartbeats; want one at once", st.Heartbeats)
	}
}

func TestGrantAndRevokeTasksChangeTheApp(t *testing.T) {
	cp := controlplanetest.Start(t)
	a, _ := sqlApp(t)
	start(t, cp, a, nil)
	ent, user := grantTargets(t, directSync(t, a))

	st := cp.Wait(t, cp.Enqueue(&batonv1.Task{TaskType: &batonv1.Task_Grant{Grant: &batonv1.Task_GrantTask{Entitlement: ent, Principal: user}}})[0])
	var granted connectorv2.GrantManagerServiceGrantResponse
	if err := wantSuccess(t, st).GetResponse().UnmarshalTo(&granted); err != nil || len(granted.GetGrants()) != 1 {
		t.Fatalf("grant response %v (%v)", &granted, err)
	}
	if !holds(t, a, "u2") {
		t.Fatal("after the grant task u2 does not hold admin")
	}

	st = cp.Wait(t, cp.Enqueue(&batonv1.Task{TaskType: &batonv1.Task_Revoke{Revoke: &batonv1.Task_RevokeTask{Grant: granted.GetGrants()[0]}}})[0])
	wantSuccess(t, st)
	if holds(t, a, "u2") {
		t.Fatal("after the revoke task u2 still holds admin")
	}
}

// holds says whether the app lists a grant of admin to user.
func holds(t *testing.T, a app, user string) bool {
	t.Helper()
	st, id := openRO(t, directSync(t, a))
	_, err := st.Grant(context.Background(), id, "role:admin:assigned:user:"+user)
	if errors.Is(err, c1z.ErrNotFound) {
		return false
	}
	if err != nil {
		t.Fatal(err)
	}
	return true
}

func TestProvisioningTasks(t *testing.T) {
	cp := controlplanetest.Start(t)
	a, _ := sqlApp(t)
	start(t, cp, a, nil)
	// The control plane's own key: secrets come back encrypted to it.
	recipient, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	toControlPlane := []*connectorv2.EncryptionConfig{{Provider: connector.ProviderAge, KeyId: "c1",
		Config: &connectorv2.EncryptionConfig_AgeRecipientConfig_{AgeRecipientConfig: &connectorv2.EncryptionConfig_AgeRecipientConfig{Recipient: recipient.Recipient().String()}}}}
	ids := cp.Enqueue(
		&batonv1.Task{TaskType: &batonv1.Task_CreateAccount{CreateAccount: &batonv1.Task_CreateAccountTask{
			AccountInfo:       &connectorv2.AccountInfo{Login: "alan"},
			CredentialOptions: &connectorv2.CredentialOptions{Options: &connectorv2.CredentialOptions_NoPassword_{NoPassword: &connectorv2.CredentialOptions_NoPassword{}}}}}},
		&batonv1.Task{TaskType: &batonv1.Task_DeleteResource{DeleteResource: &batonv1.Task_DeleteResourceTask{ResourceId: &connectorv2.ResourceId{ResourceType: "user", Resource: "u6"}}}},
		&batonv1.Task{TaskType: &batonv1.Task_RotateCredentials{RotateCredentials: &batonv1.Task_RotateCredentialsTask{ResourceId: &connectorv2.ResourceId{ResourceType: "user", Resource: "u3"},
			CredentialOptions: &connectorv2.CredentialOptions{Options: &connectorv2.CredentialOptions_RandomPassword_{RandomPassword: &connectorv2.CredentialOptions_RandomPassword{Length: 24}}},
			EncryptionConfigs: toControlPlane}}},
		&batonv1.Task{TaskType: &batonv1.Task_CreateResource{CreateResource: &batonv1.Task_CreateResourceTask{Resource: &connectorv2.Resource{
			Id: &connectorv2.ResourceId{ResourceType: "group", Resource: "new"}, DisplayName: "New"}}}},
		&batonv1.Task{TaskType: &batonv1.Task_ListEventFeeds{ListEventFeeds: &batonv1.Task_ListEventFeedsTask{}}},
		&batonv1.Task{TaskType: &batonv1.Task_EventFeed{EventFeed: &batonv1.Task_EventFeedTask{}}},
	)
	var created connectorv2.CreateAccountResponse
	if err := wantSuccess(t, cp.Wait(t, ids[0])).GetResponse().UnmarshalTo(&created); err != nil || created.GetSuccess().GetResource().GetDisplayName() == "" {
		t.Fatalf("create account response %v (%v)", &created, err)
	}
	wantSuccess(t, cp.Wait(t, ids[1]))
	var rotated connectorv2.RotateCredentialResponse
	if err := wantSuccess(t, cp.Wait(t, ids[2])).GetResponse().UnmarshalTo(&rotated); err != nil || len(rotated.GetEncryptedData()) != 1 {
		t.Fatalf("rotate response %v (%v)", &rotated, err)
	}
	r, err := age.Decrypt(bytes.NewReader(rotated.GetEncryptedData()[0].GetEncryptedBytes()), recipient)
	if err != nil {
		t.Fatalf("the rotated password does not decrypt with the control plane's key: %v", err)
	}
	if pw, _ := io.ReadAll(r); len(pw) != 24 {
		t.Fatalf("rotated password of %d bytes, want 24", len(pw))
	}
	// sqlapp creates no groups and has no event feeds: the connector's
	// Unimplemented reaches the control plane, final.
	for _, id := range ids[3:] {
		if f := wantError(t, cp.Wait(t, id), codes.Unimplemented); !f.GetError().GetNonRetryable() {
			t.Errorf("task %s: Unimplemented is retryable", id)
		}
	}
	st, sid := openRO(t, directSync(t, a))
	if _, err := st.Resource(context.Background(), sid, &connectorv2.ResourceId{ResourceType: "user", Resource: "u6"}); !errors.Is(err, c1z.ErrNotFound) {
		t.Errorf("u6 still there after the delete task (%v)", err)
	}
	found := false
	for r, err := range st.Resources(context.Background(), c1z.ResourceQuery{SyncID: sid, ResourceTypeID: "user"}) {
		if err != nil {
			t.Fatal(err)
		}
		found = found || strings.Contains(r.GetDisplayName(), "alan")
	}
	if !found {
		t.Error("the created account is not in the app")
	}
}

func TestFailingTaskReportsTheConnectorsError(t *testing.T) {
	cp := controlplanetest.Start(t)
	a, _ := sqlApp(t)
	start(t, cp, a, nil)
	ent, _ := grantTargets(t, directSync(t, a))
	ghost := &connectorv2.Resource{Id: &connectorv2.ResourceId{ResourceType: "user", Resource: "nobody"}, DisplayName: "nobody"}
	st := cp.Wait(t, cp.Enqueue(&batonv1.Task{TaskType: &batonv1.Task_Grant{Grant: &batonv1.Task_GrantTask{Entitlement: ent, Principal: ghost}}})[0])
	if len(st.Finishes) != 1 || st.Finishes[0].GetError() == nil || codes.Code(st.Finishes[0].GetStatus().GetCode()) != codes.NotFound ||
		!strings.Contains(st.Finishes[0].GetStatus().GetMessage(), "nobody") || !st.Finishes[0].GetError().GetNonRetryable() {
		t.Fatalf("a grant to a missing user finished with %v", st.Finishes)
	}
	// A task missing what it needs is malformed: Unknown and final, as
	// Baton's worker finishes it.
	if f := wantError(t, cp.Wait(t, cp.Enqueue(&batonv1.Task{TaskType: &batonv1.Task_Revoke{Revoke: &batonv1.Task_RevokeTask{}}})[0]), codes.Unknown); !f.GetError().GetNonRetryable() ||
		!strings.Contains(f.GetStatus().GetMessage(), "malformed") {
		t.Errorf("a malformed task finished with %v", f)
	}
}

func TestUnknownTaskTypesAreUnimplementedAndTheWorkerGoesOn(t *testing.T) {
	cp := controlplanetest.Start(t)
	a, _ := sqlApp(t)
	start(t, cp, a, nil)
	ids := cp.Enqueue(
		&batonv1.Task{}, // a type newer than this contract arrives as no type at all
		&batonv1.Task{TaskType: &batonv1.Task_Hello{Hello: &batonv1.Task_HelloTask{}}},
	)
	for _, id := range ids[:1] {
		if f := wantError(t, cp.Wait(t, id), codes.Unimplemented); !f.GetError().GetNonRetryable() {
			t.Error("an unknown task type is retryable")
		}
	}
	cp.Wait(t, ids[1])
	if h := cp.Hellos(); len(h) != 2 || h[1].GetTaskId() != ids[1] {
		t.Fatalf("the hello task was not answered with a hello: %v", h)
	}
}

// A sync the control plane cancels stops, as Baton's client does: no
// upload, no finish, no heartbeat after the one that said cancelled, its
// file removed; the control plane offers it to no one again, and the
// worker goes on with the next task.
func TestCancelledSyncStopsWithoutFinishing(t *testing.T) {
	cp := controlplanetest.Start(t)
	cp.NextHeartbeat = 100 * time.Millisecond
	c := testconnector.New(2000, 50, 0)
	c.Latency = 20 * time.Millisecond
	wk := start(t, cp, newApp(t, c), nil)
	id := cp.Enqueue(syncTask())[0]
	cp.WaitFor(t, id, "a heartbeat", func(s controlplanetest.TaskState) bool { return s.Heartbeats > 0 })
	cp.Cancel(id)
	began := time.Now()
	cp.WaitFor(t, id, "the cancellation delivered", func(s controlplanetest.TaskState) bool { return s.Cancelled })
	cp.WaitFor(t, id, "the sync's file removed", func(controlplanetest.TaskState) bool {
		left, _ := filepath.Glob(filepath.Join(wk.dir, "*.c1z"))
		return len(left) == 0
	})
	if d := time.Since(began); d > 30*time.Second {
		t.Errorf("the sync took %v to stop", d)
	}
	next := cp.Enqueue(&batonv1.Task{TaskType: &batonv1.Task_Hello{Hello: &batonv1.Task_HelloTask{}}})[0]
	cp.WaitFor(t, next, "the next task taken", func(s controlplanetest.TaskState) bool { return s.Offered > 0 })
	time.Sleep(5 * cp.NextHeartbeat)
	if st := cp.State(id); len(st.Finishes) != 0 || len(st.Assets) != 0 || st.Offered != 1 {
		t.Errorf("a cancelled sync: %d finishes, %d uploads, offered %d times", len(st.Finishes), len(st.Assets), st.Offered)
	}
}

func TestShutdownMidSyncLeavesTheTaskToResume(t *testing.T) {
	cp := controlplanetest.Start(t)
	cp.ReofferAfter = 2 * time.Second
	c := testconnector.New(2000, 50, 0)
	c.Latency = 30 * time.Millisecond
	a := newApp(t, c)
	dir := t.TempDir()
	first := start(t, cp, a, func(o *service.Options) { o.Dir = dir })
	id := cp.Enqueue(syncTask())[0]
	cp.WaitFor(t, id, "two heartbeats", func(s controlplanetest.TaskState) bool { return s.Heartbeats >= 2 })
	if err := first.stop(); err != nil {
		t.Fatal(err)
	}
	if st := cp.State(id); st.Finished() {
		t.Fatalf("a sync stopped for shutdown was finished: %v", st.Finishes)
	}
	if _, err := os.Stat(service.SyncPath(dir, id)); err != nil {
		t.Fatalf("the stopped sync's file is gone: %v", err)
	}
	c.Latency = 0
	start(t, cp, a, func(o *service.Options) { o.Dir = dir })
	st := cp.Wait(t, id)
	wantSuccess(t, st)
	s, sid := openRO(t, controlplanetest.SaveAsset(t, st, t.TempDir()))
	syncs, err := s.Syncs(context.Background())
	if err != nil || len(syncs) != 1 || syncs[0].ID != sid {
		t.Fatalf("the resumed upload holds syncs %v (%v), want the one resumed", syncs, err)
	}
	if stats, _ := s.Stats(context.Background(), sid); stats.ResourcesByType["user"] != 2000 {
		t.Fatalf("resumed sync holds %d users, want 2000", stats.ResourcesByType["user"])
	}
}

func TestControlPlaneRestartMidUpload(t *testing.T) {
	cp := controlplanetest.Start(t)
	var once sync.Once
	// Stop while the upload's handler waits here, so the stream cannot
	// finish before the restart; serve again in the background.
	cp.OnUploadData = func(_ string, received int) {
		if received >= 1<<20 {
			once.Do(func() {
				cp.Stop()
				go cp.Restart(300 * time.Millisecond)
			})
		}
	}
	start(t, cp, newApp(t, testconnector.New(30000, 300, 0)), nil)
	id := cp.Enqueue(syncTask())[0]
	st := cp.Wait(t, id)
	wantSuccess(t, st)
	if len(st.Assets) != 1 || len(st.Assets[0]) < 1<<20 {
		t.Fatalf("%d assets after the restart, want one of over 1 MiB", len(st.Assets))
	}
	openRO(t, controlplanetest.SaveAsset(t, st, t.TempDir()))
}

// gauge records how many calls run at once, and the most ever.
type gauge struct{ now, peak atomic.Int32 }

// enter counts a call in; the returned func counts it out.
func (g *gauge) enter() func() {
	n := g.now.Add(1)
	for p := g.peak.Load(); n > p && !g.peak.CompareAndSwap(p, n); p = g.peak.Load() {
	}
	return func() { g.now.Add(-1) }
}

// slowGranter answers grants after a pause and records how many ran at once.
type slowGranter struct {
	contract.UnimplementedServer
	gauge
	delay time.Duration
	calls sync.Map
}

func (s *slowGranter) GetMetadata(context.Context, *connectorv2.ConnectorServiceGetMetadataRequest) (*connectorv2.ConnectorServiceGetMetadataResponse, error) {
	return &connectorv2.ConnectorServiceGetMetadataResponse{Metadata: &connectorv2.ConnectorMetadata{DisplayName: "slow"}}, nil
}

func (s *slowGranter) Grant(_ context.Context, req *connectorv2.GrantManagerServiceGrantRequest) (*connectorv2.GrantManagerServiceGrantResponse, error) {
	defer s.enter()()
	if _, dup := s.calls.LoadOrStore(req.GetPrincipal().GetId().GetResource(), true); dup {
		return nil, errors.New("granted twice: " + req.GetPrincipal().GetId().GetResource())
	}
	time.Sleep(s.delay)
	return &connectorv2.GrantManagerServiceGrantResponse{}, nil
}

func grantTask(principal string) *batonv1.Task {
	return &batonv1.Task{TaskType: &batonv1.Task_Grant{Grant: &batonv1.Task_GrantTask{
		Entitlement: &connectorv2.Entitlement{Id: "group:g:member", Resource: &connectorv2.Resource{Id: &connectorv2.ResourceId{ResourceType: "group", Resource: "g"}}},
		Principal:   &connectorv2.Resource{Id: &connectorv2.ResourceId{ResourceType: "user", Resource: principal}}}}}
}

func TestHundredTasksAtConcurrencyFour(t *testing.T) {
	for _, single := range []bool{false, true} {
		name := "GetTasks"
		if single {
			name = "GetTask"
		}
		t.Run(name, func(t *testing.T) {
			cp := controlplanetest.Start(t)
			cp.NoGetTasks = single
			g := &slowGranter{delay: 20 * time.Millisecond}
			start(t, cp, app{client: contract.NewInProcessClient(g, nil, nil)}, func(o *service.Options) { o.Concurrency = 4 })
			var tasks []*batonv1.Task
			for i := range 100 {
				tasks = append(tasks, grantTask(fmt.Sprintf("u%d", i)))
			}
			for _, id := range cp.Enqueue(tasks...) {
				st := cp.Wait(t, id)
				wantSuccess(t, st)
				if st.Offered != 1 {
					t.Errorf("task %s offered %d times", id, st.Offered)
				}
			}
			if p := g.peak.Load(); p > 4 || (!single && p < 2) {
				t.Errorf("peak concurrency %d, want at most 4 (and more than 1 with GetTasks)", p)
			}
		})
	}
}

func TestBadCredentials(t *testing.T) {
	cp := controlplanetest.Start(t)
	_, other, _ := ed25519.GenerateKey(rand.Reader)
	wrong, err := service.NewSecret(other)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := sqlApp(t)
	w, err := service.New(a.client, service.Options{ClientID: cp.ClientID, ClientSecret: wrong, APIHost: cp.Addr(), TLS: cp.TLS(), Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err = w.Run(ctx)
	if !errors.Is(err, service.ErrUnauthenticated) || !strings.Contains(err.Error(), cp.ClientID) || strings.Contains(err.Error(), wrong) {
		t.Fatalf("a refused secret: %v", err)
	}
	if cp.Refusals() == 0 {
		t.Error("the control plane refused nothing")
	}
	cp.CheckClean(t)

	for _, c := range []struct {
		id, secret string
		want       error
	}{
		{"no-at-sign", cp.ClientSecret, service.ErrBadClientID},
		{"name@host-without-path", cp.ClientSecret, service.ErrBadClientID},
		{cp.ClientID, "secret-token:conductorone.com:v2:abc", service.ErrBadClientSecret},
		{cp.ClientID, "not a secret", service.ErrBadClientSecret},
		{cp.ClientID, "a:b:v1:" + strings.Repeat("A", 40), service.ErrBadClientSecret},
	} {
		if _, err := service.New(a.client, service.Options{ClientID: c.id, ClientSecret: c.secret, Dir: t.TempDir()}); !errors.Is(err, c.want) {
			t.Errorf("New(%q, %q) = %v, want %v", c.id, c.secret, err, c.want)
		}
	}
}

func TestControlPlaneAwayAtStartIsWaitedFor(t *testing.T) {
	cp := controlplanetest.Start(t)
	cp.Stop()
	a, _ := sqlApp(t)
	wk := start(t, cp, a, nil)
	time.Sleep(300 * time.Millisecond)
	if wk.w.Ready() {
		t.Fatal("ready without a control plane")
	}
	cp.Restart(0)
	wantSuccess(t, cp.Wait(t, cp.Enqueue(grantTaskFor(t, a))[0]))
	// Away while idle: polls fail, the worker turns unready, and picks up
	// again when the control plane is back.
	cp.Stop()
	deadline := time.Now().Add(30 * time.Second)
	for wk.w.Ready() && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if wk.w.Ready() {
		t.Fatal("still ready with the control plane gone")
	}
	cp.Restart(200 * time.Millisecond)
	wantSuccess(t, cp.Wait(t, cp.Enqueue(grantTaskFor(t, a))[0]))
}

// overlapClient records how many ListResources calls ran at once: one
// sync makes them one after another, so two means two syncs overlapped.
type overlapClient struct {
	contract.Client
	gauge
}

func (c *overlapClient) ListResources(ctx context.Context, req *connectorv2.ResourcesServiceListResourcesRequest, opts ...grpc.CallOption) (*connectorv2.ResourcesServiceListResourcesResponse, error) {
	defer c.enter()()
	time.Sleep(2 * time.Millisecond)
	return c.Client.ListResources(ctx, req, opts...)
}

func TestSyncTasksTakeTurns(t *testing.T) {
	cp := controlplanetest.Start(t)
	a := newApp(t, testconnector.New(500, 20, 0))
	oc := &overlapClient{Client: a.client}
	a.client = oc
	start(t, cp, a, func(o *service.Options) { o.Concurrency = 3 })
	ids := cp.Enqueue(syncTask(), syncTask(), syncTask())
	for _, id := range ids {
		wantSuccess(t, cp.Wait(t, id))
	}
	if p := oc.peak.Load(); p != 1 {
		t.Fatalf("%d syncs ran at once", p)
	}
}

func grantTaskFor(t *testing.T, a app) *batonv1.Task {
	ent, user := grantTargets(t, directSync(t, a))
	return &batonv1.Task{TaskType: &batonv1.Task_Grant{Grant: &batonv1.Task_GrantTask{Entitlement: ent, Principal: user}}}
}
