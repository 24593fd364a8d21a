package c1z_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"
	"google.golang.org/protobuf/proto"
	_ "modernc.org/sqlite"

	"github.com/batonkit/batonkit/internal/c1ztest"
	"github.com/batonkit/batonkit/internal/testkit"
	connectorv2 "github.com/batonkit/batonkit/pb/c1/connector/v2"
	"github.com/batonkit/batonkit/pkg/annotations"
	"github.com/batonkit/batonkit/pkg/c1z"
)

func user(id string) *connectorv2.Resource {
	return &connectorv2.Resource{
		Id:          &connectorv2.ResourceId{ResourceType: "user", Resource: id},
		DisplayName: "User " + id,
		Annotations: annotations.New(&connectorv2.UserTrait{Login: id}),
	}
}

func group(id string) *connectorv2.Resource {
	return &connectorv2.Resource{Id: &connectorv2.ResourceId{ResourceType: "group", Resource: id}, DisplayName: "Group " + id}
}

func member(g *connectorv2.Resource) *connectorv2.Entitlement {
	return &connectorv2.Entitlement{Resource: g, Id: "group:" + g.GetId().GetResource() + ":member", Slug: "member"}
}

func grant(e *connectorv2.Entitlement, p *connectorv2.Resource, annos ...proto.Message) *connectorv2.Grant {
	return &connectorv2.Grant{
		Entitlement: e, Principal: p,
		Id:          e.GetId() + ":" + p.GetId().GetResourceType() + ":" + p.GetId().GetResource(),
		Annotations: annotations.New(annos...),
	}
}

// writeSmall writes a file with one finished full sync and returns its id.
func writeSmall(t *testing.T, path string) string {
	t.Helper()
	ctx := context.Background()
	s, err := c1z.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	run, err := s.StartSync(ctx, c1z.SyncFull, "")
	if err != nil {
		t.Fatal(err)
	}
	testkit.Must(t, run.PutResourceTypes(ctx, &connectorv2.ResourceType{Id: "user"}, &connectorv2.ResourceType{Id: "group"}))
	testkit.Must(t, run.PutResources(ctx, user("alice"), user("bob"), group("eng"), group("all")))
	eng, all := member(group("eng")), member(group("all"))
	testkit.Must(t, run.PutEntitlements(ctx, eng, all))
	testkit.Must(t, run.PutGrants(ctx,
		grant(eng, user("alice")), grant(eng, user("bob")),
		grant(all, group("eng"), &connectorv2.GrantExpandable{EntitlementIds: []string{eng.GetId()}})))
	testkit.Must(t, run.Checkpoint(ctx, `{"version":1}`))
	if _, err := run.End(ctx); err != nil {
		t.Fatal(err)
	}
	testkit.Must(t, s.Close(ctx))
	return run.ID
}

// newSync opens a new file in the test's directory and starts a full sync
// in it; the store is closed when the test ends.
func newSync(t *testing.T) (*c1z.Store, *c1z.SyncWriter) {
	t.Helper()
	ctx := context.Background()
	s, err := c1z.Open(ctx, filepath.Join(t.TempDir(), "s.c1z"))
	testkit.Must(t, err)
	t.Cleanup(func() { s.Close(ctx) })
	run, err := s.StartSync(ctx, c1z.SyncFull, "")
	testkit.Must(t, err)
	return s, run
}

func TestWriteThenReadBack(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "sync.c1z")
	id := writeSmall(t, path)

	raw, err := os.ReadFile(path)
	testkit.Must(t, err)
	if !strings.HasPrefix(string(raw), "C1ZF\x00") {
		t.Fatalf("header %q", raw[:8])
	}
	// The zstd frame records its content size, as Baton's encoder does.
	var h zstd.Header
	testkit.Must(t, h.Decode(raw[5:]))
	if !h.HasFCS || h.FrameContentSize == 0 {
		t.Errorf("frame content size not set: %+v", h)
	}
	for _, leftover := range []string{c1z.WorkPath(path), path + ".lock"} {
		if _, err := os.Stat(leftover); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s left behind after Close", leftover)
		}
	}

	s, err := c1z.OpenReader(ctx, path)
	testkit.Must(t, err)
	defer s.Close(ctx)
	run, err := s.DefaultSync(ctx)
	testkit.Must(t, err)
	if run.ID != id || !run.Finished() || run.Token != `{"version":1}` || run.Stats == nil || run.Stats.Grants != 3 {
		t.Fatalf("default sync %+v", run)
	}
	u, err := s.Resource(ctx, "", &connectorv2.ResourceId{ResourceType: "user", Resource: "alice"})
	testkit.Must(t, err)
	if !proto.Equal(u, user("alice")) {
		t.Fatalf("alice = %v", u)
	}
	var n int
	for g, err := range s.Grants(ctx, c1z.GrantQuery{EntitlementID: "group:eng:member"}) {
		testkit.Must(t, err)
		if g.GetEntitlement().GetId() != "group:eng:member" {
			t.Fatalf("filter leaked %v", g)
		}
		n++
	}
	if n != 2 {
		t.Fatalf("%d grants on eng membership, want 2", n)
	}
	// The expandable annotation moved to its own column.
	g, err := s.Grant(ctx, "", "group:all:member:group:eng")
	testkit.Must(t, err)
	if annotations.Annotations(g.GetAnnotations()).Contains(&connectorv2.GrantExpandable{}) {
		t.Errorf("GrantExpandable still inside the stored grant")
	}
	if _, err := s.Resource(ctx, "", &connectorv2.ResourceId{ResourceType: "user", Resource: "nobody"}); !errors.Is(err, c1z.ErrNotFound) {
		t.Errorf("missing resource: %v, want ErrNotFound", err)
	}
	_ = id
}

// A file opened to read is read through a type without a method that
// writes: every method of Store that Reader lacks is one that writes or
// belongs to the syncer's protocol or the session store.
func TestReaderHasNoWriteMethods(t *testing.T) {
	reader := reflect.TypeFor[*c1z.Reader]()
	for i := range reader.NumMethod() {
		name := reader.Method(i).Name
		for _, w := range []string{"Put", "Start", "Checkpoint", "End", "Apply", "Write", "Delete", "Rollback", "Recount", "Retain", "Mark", "Track", "Ensure", "Session", "Discard"} {
			if strings.HasPrefix(name, w) {
				t.Errorf("Reader has %s", name)
			}
		}
	}
	store := reflect.TypeFor[*c1z.Store]()
	for _, m := range []string{"Grants", "Compare", "Stats", "Export", "Close"} {
		if _, ok := reader.MethodByName(m); !ok {
			t.Errorf("Reader lacks %s", m)
		}
		if _, ok := store.MethodByName(m); !ok {
			t.Errorf("Store lacks %s", m)
		}
	}
}

// Each audience has its type: a Store writes syncs only through the
// writer StartSync, ResumeSync or AmendSync returns, which carries the
// sync's id; what only the syncer uses is on neither type.
func TestWritesGoThroughASyncWriter(t *testing.T) {
	store := reflect.TypeFor[*c1z.Store]()
	writer := reflect.TypeFor[*c1z.SyncWriter]()
	for _, m := range []string{"PutResourceTypes", "PutResources", "PutEntitlements", "PutGrants", "PutAsset", "DeleteGrants", "Checkpoint", "EndSync", "ApplySync", "RollbackExpansion", "RecountStats"} {
		if _, ok := store.MethodByName(m); ok {
			t.Errorf("Store has %s: a write that names its sync by id", m)
		}
	}
	for _, m := range []string{"PutResources", "PutGrants", "Checkpoint", "End", "Apply", "RollbackExpansion", "DeleteGrants"} {
		if _, ok := writer.MethodByName(m); !ok {
			t.Errorf("SyncWriter lacks %s", m)
		}
	}
	for _, typ := range []reflect.Type{store, writer, reflect.TypeFor[*c1z.Reader]()} {
		for _, m := range []string{"TrackToken", "EnsureIndexes", "MarkExpanded", "ExpandableGrants"} {
			if _, ok := typ.MethodByName(m); ok {
				t.Errorf("%s has the syncer's %s", typ, m)
			}
		}
	}
}

// A writer knows the state of its sync: resuming a finished one, amending
// an unfinished one and ending twice are refused.
func TestSyncWriterLifecycle(t *testing.T) {
	ctx := context.Background()
	s, run := newSync(t)
	if _, err := s.AmendSync(ctx, run.ID); !errors.Is(err, c1z.ErrNotExpandable) {
		t.Errorf("amending an unfinished sync: %v", err)
	}
	resumed, err := s.ResumeSync(ctx, run.ID)
	testkit.Must(t, err)
	testkit.Must(t, resumed.PutResourceTypes(ctx, &connectorv2.ResourceType{Id: "user"}))
	testkit.Must(t, resumed.Checkpoint(ctx, `{"step":1}`))
	if again, err := s.ResumeSync(ctx, run.ID); err != nil || again.Token != `{"step":1}` {
		t.Fatalf("resumed again: token %q, %v", again.Token, err)
	}
	stats, err := run.End(ctx)
	testkit.Must(t, err)
	if stats.ResourceTypes != 1 || !run.Finished() {
		t.Errorf("ended: %+v, finished %v", stats, run.Finished())
	}
	if _, err := resumed.End(ctx); !errors.Is(err, c1z.ErrSyncEnded) {
		t.Errorf("second End: %v, want ErrSyncEnded", err)
	}
	if err := resumed.Checkpoint(ctx, "{}"); !errors.Is(err, c1z.ErrSyncEnded) {
		t.Errorf("checkpoint after End: %v, want ErrSyncEnded", err)
	}
	if _, err := s.ResumeSync(ctx, run.ID); !errors.Is(err, c1z.ErrSyncEnded) {
		t.Errorf("resuming a finished sync: %v, want ErrSyncEnded", err)
	}
	ended, err := s.SyncRun(ctx, run.ID)
	testkit.Must(t, err)
	amended, err := s.AmendSync(ctx, run.ID)
	testkit.Must(t, err)
	testkit.Must(t, amended.PutResourceTypes(ctx, &connectorv2.ResourceType{Id: "group"}))
	recounted, err := amended.End(ctx)
	testkit.Must(t, err)
	after, err := s.SyncRun(ctx, run.ID)
	testkit.Must(t, err)
	if recounted.ResourceTypes != 2 || !after.EndedAt.Equal(ended.EndedAt) {
		t.Errorf("amended: %+v, ended %v then %v", recounted, ended.EndedAt, after.EndedAt)
	}
}

func TestPagesCoverEverythingOnce(t *testing.T) {
	ctx := context.Background()
	s, run := newSync(t)
	for i := 0; i < 1234; i++ {
		testkit.Must(t, run.PutResources(ctx, user(fmt.Sprintf("u%04d", i))))
	}
	seen := map[string]bool{}
	p := c1z.Page{Size: 100}
	for pages := 0; ; pages++ {
		rs, next, err := s.ResourcesPage(ctx, c1z.ResourceQuery{SyncID: run.ID, ResourceTypeID: "user"}, p)
		testkit.Must(t, err)
		for _, r := range rs {
			if seen[r.GetId().GetResource()] {
				t.Fatalf("%s listed twice", r.GetId().GetResource())
			}
			seen[r.GetId().GetResource()] = true
		}
		if next == "" {
			break
		}
		if pages > 20 {
			t.Fatal("paging does not end")
		}
		p.Token = next
	}
	if len(seen) != 1234 {
		t.Fatalf("pages covered %d resources, want 1234", len(seen))
	}
	if _, _, err := s.ResourcesPage(ctx, c1z.ResourceQuery{SyncID: run.ID}, c1z.Page{Token: "garbage!"}); !errors.Is(err, c1z.ErrBadPageToken) {
		t.Fatalf("bad token: %v", err)
	}
}

func TestSchemaMatchesUpstream(t *testing.T) {
	ours := filepath.Join(t.TempDir(), "ours.c1z")
	writeSmall(t, ours)
	want := c1ztest.Schema(t, c1ztest.Upstream(t, "demo-v1"))
	got := c1ztest.Schema(t, ours)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("schema differs from Baton's.\n--- ours\n%s\n--- upstream\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestMigrateOldFileOnWrite(t *testing.T) {
	ctx := context.Background()
	src, err := os.ReadFile(filepath.Join(fixtureDir(t), "demo-v1-sdk0251.c1z"))
	testkit.Must(t, err)
	path := filepath.Join(t.TempDir(), "old.c1z")
	testkit.Must(t, os.WriteFile(path, src, 0o644))

	s, err := c1z.Open(ctx, path)
	testkit.Must(t, err)
	old, err := s.LatestFinishedSync(ctx, c1z.SyncFull)
	testkit.Must(t, err)
	run, err := s.StartSync(ctx, c1z.SyncFull, "")
	testkit.Must(t, err)
	testkit.Must(t, run.PutResourceTypes(ctx, &connectorv2.ResourceType{Id: "user"}))
	_, err = run.End(ctx)
	testkit.Must(t, err)
	testkit.Must(t, s.Close(ctx))

	want := c1ztest.Schema(t, c1ztest.Upstream(t, "demo-v1"))
	if got := c1ztest.Schema(t, path); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("migrated schema differs from the current one:\n%s", strings.Join(got, "\n"))
	}
	r, err := c1z.OpenReader(ctx, path)
	testkit.Must(t, err)
	defer r.Close(ctx)
	syncs, err := r.Syncs(ctx)
	testkit.Must(t, err)
	if len(syncs) != 2 || syncs[0].ID != old.ID || syncs[0].Type != c1z.SyncFull || syncs[1].ID != run.ID {
		t.Fatalf("syncs after migration: %+v", syncs)
	}
	st, err := r.Stats(ctx, old.ID)
	testkit.Must(t, err)
	if st.Grants != 32 {
		t.Fatalf("old sync lost grants: %+v", st)
	}
}

// A commit that fails (a cancelled context, a checkpoint of a sync that is
// gone) puts the rows it took back in the buffer: the next commit writes
// them.
func TestFailedCommitKeepsBufferedRows(t *testing.T) {
	ctx := context.Background()
	st, err := c1z.Open(ctx, filepath.Join(t.TempDir(), "s.c1z"))
	testkit.Must(t, err)
	defer st.Close(ctx)
	run, err := st.StartSync(ctx, c1z.SyncFull, "")
	testkit.Must(t, err)
	testkit.Must(t, run.PutResourceTypes(ctx, &connectorv2.ResourceType{Id: "user", DisplayName: "User"}))
	testkit.Must(t, run.PutResources(ctx, &connectorv2.Resource{Id: &connectorv2.ResourceId{ResourceType: "user", Resource: "u1"}, DisplayName: "U1"}))
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if err := run.Checkpoint(cancelled, "{}"); err == nil {
		t.Fatal("a checkpoint with a cancelled context succeeded")
	}
	if _, err := st.ResumeSync(ctx, "2IC0WoaHVvl2GIQppXQH0flK1yJ"); !errors.Is(err, c1z.ErrNoSync) {
		t.Fatalf("resuming a missing sync: %v", err)
	}
	if _, err := st.Resource(ctx, run.ID, &connectorv2.ResourceId{ResourceType: "user", Resource: "u1"}); err != nil {
		t.Fatalf("the row buffered before the failed commit is gone: %v", err)
	}
}

// A missing object is named in the contract's words, not the tables'.
func TestNotFoundSaysWhatIsMissing(t *testing.T) {
	ctx := context.Background()
	st, err := c1z.Open(ctx, filepath.Join(t.TempDir(), "s.c1z"))
	testkit.Must(t, err)
	defer st.Close(ctx)
	run, err := st.StartSync(ctx, c1z.SyncFull, "")
	testkit.Must(t, err)
	_, err = st.Resource(ctx, run.ID, &connectorv2.ResourceId{ResourceType: "user", Resource: "u99"})
	if !errors.Is(err, c1z.ErrNotFound) || !strings.Contains(err.Error(), `no user "u99" in sync`) || strings.Contains(err.Error(), "v1_") {
		t.Fatalf("err = %v", err)
	}
}

// A Written read sees what the store has written, not what it buffers,
// and writes nothing out; a plain read writes the buffer out first.
func TestWrittenGrantReadsLeaveTheBuffer(t *testing.T) {
	ctx := context.Background()
	s, run := newSync(t)
	g := group("eng")
	testkit.Must(t, run.PutGrants(ctx, grant(member(g), user("ada"))))
	count := func(written bool) int {
		n := 0
		for _, err := range s.Grants(ctx, c1z.GrantQuery{SyncID: run.ID, EntitlementID: member(g).GetId(), Written: written}) {
			testkit.Must(t, err)
			n++
		}
		return n
	}
	if n := count(true); n != 0 {
		t.Fatalf("a Written read saw %d buffered grants", n)
	}
	if n := count(false); n != 1 {
		t.Fatalf("a plain read saw %d grants, want the buffered one", n)
	}
	if n := count(true); n != 1 {
		t.Fatalf("after the plain read wrote it out, a Written read saw %d", n)
	}
}

// A read of a table sees every row put before it, also while the
// background writer is committing some of them: reads skip the flush only
// when no row of their table is buffered or in an open transaction.
func TestReadsSeeRowsTheWriterIsCommitting(t *testing.T) {
	ctx := context.Background()
	s, run := newSync(t)
	e := member(group("g"))
	total := 0
	for batch := range 12 {
		rs := make([]*connectorv2.Resource, 3000)
		gs := make([]*connectorv2.Grant, 0, len(rs))
		for i := range rs {
			rs[i] = user(fmt.Sprintf("b%02d-%04d", batch, i))
			gs = append(gs, grant(e, rs[i]))
		}
		testkit.Must(t, run.PutResources(ctx, rs...))
		testkit.Must(t, run.PutGrants(ctx, gs...)) // keeps the writer busy with another table
		total += len(rs)
		// Give the writer, kicked by the Puts, time to take the rows and
		// start committing them: the read then lands mid-commit.
		time.Sleep(time.Duration(batch%3) * time.Millisecond)
		n := 0
		for _, err := range s.Resources(ctx, c1z.ResourceQuery{SyncID: run.ID, ResourceTypeID: "user"}) {
			testkit.Must(t, err)
			n++
		}
		if n != total {
			t.Fatalf("after batch %d: read %d users of the %d put", batch, n, total)
		}
	}
}
