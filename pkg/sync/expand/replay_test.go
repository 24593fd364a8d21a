package expand_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"google.golang.org/protobuf/proto"

	connectorv2 "github.com/batonkit/batonkit/pb/c1/connector/v2"
	"github.com/batonkit/batonkit/pkg/c1z"
	"github.com/batonkit/batonkit/pkg/grant"
	"github.com/batonkit/batonkit/pkg/resource"
	"github.com/batonkit/batonkit/pkg/sync/expand"
)

// snapshot is every grant of the world's sync, canonically encoded.
func (w *world) snapshot() []string {
	var out []string
	for g, err := range w.st.Grants(context.Background(), c1z.GrantQuery{SyncID: w.syncID}) {
		if err != nil {
			w.t.Fatal(err)
		}
		b, err := proto.MarshalOptions{Deterministic: true}.Marshal(g)
		if err != nil {
			w.t.Fatal(err)
		}
		out = append(out, string(b))
	}
	slices.Sort(out)
	return out
}

func (w *world) end() {
	if _, err := w.run.End(context.Background()); err != nil {
		w.t.Fatal(err)
	}
}

// amend reopens the finished sync for a rollback or a replay.
func (w *world) amend() *c1z.SyncWriter {
	a, err := w.st.AmendSync(context.Background(), w.syncID)
	if err != nil {
		w.t.Fatal(err)
	}
	return a
}

// Rolling expansion back and running it again gives back the same
// grants, through nesting, a cycle and a grant both direct and inherited;
// rolled back, only the grants the connector listed remain.
func TestReplayReproducesTheExpansion(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t)
	w.groups("a", "b", "c", "d")
	w.nest("a", "b")
	w.nest("b", "c")
	w.nest("c", "b")
	w.nest("d", "a")
	w.user("c", "u1")
	w.user("b", "u2")
	w.user("a", "u2") // direct, and inherited through b
	listed := w.snapshot()
	if _, err := w.expand(expand.Options{}); err != nil {
		t.Fatal(err)
	}
	w.end()
	expanded := w.snapshot()

	dry, err := w.st.PlanRollback(ctx, w.syncID, c1z.RollbackOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(w.snapshot(), expanded) {
		t.Fatal("a dry run changed the grants")
	}
	amended := w.amend()
	rb, err := amended.RollbackExpansion(ctx, c1z.RollbackOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if rb != dry || rb.Deleted == 0 || rb.Cleared == 0 || rb.Suspect != 0 {
		t.Fatalf("rollback %+v, dry run %+v", rb, dry)
	}
	if got := w.snapshot(); !slices.Equal(got, listed) {
		t.Fatalf("rolled back: %d grants, the connector listed %d", len(got), len(listed))
	}
	if len(expanded) != len(listed)+rb.Deleted {
		t.Fatalf("expanded %d = listed %d + deleted %d?", len(expanded), len(listed), rb.Deleted)
	}
	rb, st, err := expand.Replay(ctx, amended, false, expand.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if rb.Deleted != 0 || st.Created != dry.Deleted {
		t.Fatalf("replay of a rolled-back sync: rollback %+v, expansion %+v", rb, st)
	}
	if !slices.Equal(w.snapshot(), expanded) {
		t.Fatal("replay did not reproduce the expansion")
	}
	// Replay of an expanded sync does both steps and lands in the same place.
	if _, _, err := expand.Replay(ctx, amended, false, expand.Options{}); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(w.snapshot(), expanded) {
		t.Fatal("a second replay changed the grants")
	}
}

// A grant with sources, none its own, and without the mark the expander
// puts on what it creates may be the connector's: deleted by default,
// kept when asked, counted either way.
func TestRollbackCountsSuspectGrants(t *testing.T) {
	ctx := context.Background()
	for _, keep := range []bool{false, true} {
		w := newWorld(t)
		w.groups("a")
		g := grant.New(groupRes("a"), "member", resource.ID("user", "u9"))
		g.Sources = &connectorv2.GrantSources{Sources: map[string]*connectorv2.GrantSources_GrantSource{"group:elsewhere:member": {}}}
		w.put(g)
		w.end()
		rb, err := w.amend().RollbackExpansion(ctx, c1z.RollbackOptions{KeepSuspect: keep})
		if err != nil {
			t.Fatal(err)
		}
		left := len(w.members("a"))
		if rb.Suspect != 1 || (keep && (rb.Kept != 1 || rb.Deleted != 0 || left != 1)) || (!keep && (rb.Deleted != 1 || left != 0)) {
			t.Fatalf("keep=%v: %+v, %d left", keep, rb, left)
		}
	}
}

func TestRollbackRefusesAnUnfinishedSync(t *testing.T) {
	w := newWorld(t)
	if _, err := w.st.AmendSync(context.Background(), w.syncID); !errors.Is(err, c1z.ErrNotExpandable) {
		t.Fatalf("amending an unfinished sync for a rollback: %v", err)
	}
	if _, err := w.st.PlanRollback(context.Background(), w.syncID, c1z.RollbackOptions{}); !errors.Is(err, c1z.ErrNotExpandable) {
		t.Fatalf("planning the rollback of an unfinished sync: %v", err)
	}
}
