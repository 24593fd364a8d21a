package synthetic_test

import (
	"context"
	"log/slog"
	"path/filepath"
	"slices"
	"testing"

	"github.com/batonkit/batonkit/examples/synthetic"
	connectorv2 "github.com/batonkit/batonkit/pb/c1/connector/v2"
	"github.com/batonkit/batonkit/pkg/c1z"
	"github.com/batonkit/batonkit/pkg/connector"
	"github.com/batonkit/batonkit/pkg/connectortest"
	"github.com/batonkit/batonkit/pkg/runner"
)

func TestConformance(t *testing.T) {
	rep := connectortest.Run(t, synthetic.New(synthetic.Shape{Users: 230, Groups: 12, Members: 7, Nesting: 4}))
	// 12 groups x 7 members, plus 3 nesting grants (g0>g1>g2>g3).
	if len(rep.Resources) != 242 || len(rep.Grants) != 12*7+3 {
		t.Fatalf("%d resources, %d grants", len(rep.Resources), len(rep.Grants))
	}
}

// With Depth and Cycles every chain is a cycle, so expansion gives each
// member of a chain every group of it.
func TestCyclicChainsExpandToTheWholeChain(t *testing.T) {
	ctx := context.Background()
	c := synthetic.New(synthetic.Shape{Users: 6, Groups: 6, Members: 1, Depth: 3, Cycles: true})
	srv, err := connector.NewServer(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "s.c1z")
	if err := runner.SyncToFile(ctx, connector.InProcessClient(srv), path, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatal(err)
	}
	st, err := c1z.OpenReader(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close(ctx)
	var got []string
	for g, err := range st.Grants(ctx, c1z.GrantQuery{Principal: &connectorv2.ResourceId{ResourceType: "user", Resource: synthetic.UserID(0)}}) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, g.GetEntitlement().GetId())
	}
	slices.Sort(got)
	// Chains of stride 2: g0 > g2 > g4 > g0.
	want := []string{"group:" + synthetic.GroupID(0) + ":member", "group:" + synthetic.GroupID(2) + ":member", "group:" + synthetic.GroupID(4) + ":member"}
	if !slices.Equal(got, want) {
		t.Fatalf("user 0 holds %v, want %v", got, want)
	}
}
