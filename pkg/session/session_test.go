package session_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/batonkit/batonkit/internal/testkit"
	"github.com/batonkit/batonkit/pkg/c1z"
	"github.com/batonkit/batonkit/pkg/session"
)

func open(t *testing.T) (*c1z.Store, string) {
	t.Helper()
	ctx := t.Context()
	st, err := c1z.Open(ctx, filepath.Join(t.TempDir(), "s.c1z"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close(context.Background()) })
	run, err := st.StartSync(ctx, c1z.SyncFull, "")
	if err != nil {
		t.Fatal(err)
	}
	return st, run.ID
}

func TestStoreOverServer(t *testing.T) {
	ctx := t.Context()
	st, syncID := open(t)
	host := session.NewServer()
	s := session.New(session.LocalClient(host), syncID)
	if err := s.Set(ctx, "k", []byte("v")); status.Code(err) != codes.FailedPrecondition {
		t.Fatalf("set before the sync is bound: %v, want FailedPrecondition", err)
	}
	host.Bind(st, syncID)
	users := s.WithPrefix("users/")
	values := map[string][]byte{}
	for i := range 100 {
		values[fmt.Sprintf("u%03d", i)] = []byte{byte(i)}
	}
	testkit.Must(t, users.SetMany(ctx, values))
	for i := 100; i < 250; i++ {
		testkit.Must(t, users.Set(ctx, fmt.Sprintf("u%03d", i), []byte{byte(i)}))
	}
	testkit.Must(t, s.Set(ctx, "other", []byte("x")))
	n := 0
	for e, err := range users.All(ctx) {
		testkit.Must(t, err)
		if e.Key != fmt.Sprintf("u%03d", n) || e.Value[0] != byte(n) {
			t.Fatalf("entry %d: %q %v", n, e.Key, e.Value)
		}
		n++
	}
	if n != 250 {
		t.Fatalf("All saw %d entries under the prefix, want 250 (over three pages)", n)
	}
	if v, ok, err := s.Get(ctx, "users/u007"); err != nil || !ok || v[0] != 7 {
		t.Fatalf("the prefix is part of the stored key: %v %v %v", v, ok, err)
	}
	testkit.Must(t, users.Delete(ctx, "u007"))
	if _, ok, _ := users.Get(ctx, "u007"); ok {
		t.Fatal("deleted key still there")
	}
	testkit.Must(t, users.Clear(ctx))
	if _, ok, _ := users.Get(ctx, "u008"); ok {
		t.Fatal("cleared key still there")
	}
	if _, ok, _ := s.Get(ctx, "other"); !ok {
		t.Fatal("Clear of a prefix removed a key outside it")
	}
	other := session.New(session.LocalClient(host), "2IC0WoaHVvl2GIQppXQH0flK1yJ")
	if _, _, err := other.Get(ctx, "other"); status.Code(err) != codes.PermissionDenied {
		t.Fatalf("another sync's values: %v, want PermissionDenied", err)
	}
	bad := session.New(session.LocalClient(host), "not-a-ksuid")
	if _, _, err := bad.Get(ctx, "k"); status.Code(err) != codes.InvalidArgument {
		t.Fatalf("a malformed sync id: %v, want InvalidArgument", err)
	}
	var none *session.Store
	if err := none.Set(ctx, "k", nil); err != session.ErrNoStore {
		t.Fatalf("no store: %v, want ErrNoStore", err)
	}
}

// A connector cannot fill the parent's disk through its store: writes
// past the maximum fail with ResourceExhausted naming the bound, while
// overwrites, deletes and clears give their bytes back, and a resumed
// sync's values count from the start.
func TestStoreSizeIsBounded(t *testing.T) {
	ctx := t.Context()
	st, syncID := open(t)
	host := session.NewServer(session.WithMaxSize(10 << 20))
	host.Bind(st, syncID)
	s := session.New(session.LocalClient(host), syncID)
	big := make([]byte, 3500<<10) // 3.5 MB
	var err error
	n := 0
	for ; n < 100; n++ {
		if err = s.Set(ctx, fmt.Sprintf("page-%03d", n), big); err != nil {
			break
		}
	}
	if n != 2 || status.Code(err) != codes.ResourceExhausted || !strings.Contains(err.Error(), "session-store-maximum-size") {
		t.Fatalf("after %d sets of 3.5 MB: %v, want the third refused as full", n, err)
	}
	for range 20 { // the same key again and again does not grow the store
		testkit.Must(t, s.Set(ctx, "page-000", big))
	}
	testkit.Must(t, s.Delete(ctx, "page-000"))
	testkit.Must(t, s.Set(ctx, "page-002", big))
	// A new server bound to the same sync (a resumed run) counts what is
	// there: 7 MB held, so one more 3.5 MB set fits and a second does not.
	again := session.NewServer(session.WithMaxSize(10 << 20))
	again.Bind(st, syncID)
	s2 := session.New(session.LocalClient(again), syncID)
	if err := s2.Set(ctx, "page-003", big[:2<<20]); err != nil {
		t.Fatal(err)
	}
	if err := s2.Set(ctx, "page-004", big[:2<<20]); status.Code(err) != codes.ResourceExhausted {
		t.Fatalf("a resumed sync's store: %v, want full", err)
	}
	testkit.Must(t, s2.Clear(ctx))
	testkit.Must(t, s2.Set(ctx, "page-004", big))
}
