package cli

import (
	"context"

	"github.com/spf13/cobra"
	"google.golang.org/protobuf/proto"

	batonv1 "github.com/batonkit/batonkit/pb/baton/v1"
	connectorv2 "github.com/batonkit/batonkit/pb/c1/connector/v2"
	"github.com/batonkit/batonkit/pkg/c1z"
)

func newDiffCmd(g *globals) *cobra.Command {
	var base, applied string
	cmd := &cobra.Command{
		Use:   "diff",
		Short: "Show what changed between two syncs",
		Long: "diff compares two syncs of the same file: by default the two latest finished\n" +
			"full syncs. Objects are matched by id; \"modified\" means present in both with\n" +
			"different contents.",
		Example: "  baton diff\n  baton diff --base 2aXc... --applied 2aXd... -o json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if (base == "") != (applied == "") {
				return usagef("--base and --applied go together")
			}
			return g.withFile(cmd, func(ctx context.Context, st *c1z.Store) error { return g.printDiff(ctx, st, base, applied) })
		},
	}
	cmd.Flags().StringVar(&base, "base", "", "the older sync id")
	cmd.Flags().StringVar(&applied, "applied", "", "the newer sync id")
	return cmd
}

func (g *globals) printDiff(ctx context.Context, st *c1z.Store, base, applied string) error {
	var err error
	if base == "" {
		if base, applied, err = st.LatestTwoFullSyncs(ctx); err != nil {
			return err
		}
	}
	if g.json() {
		return diffJSON(ctx, g, st, base, applied)
	}
	t := newTable(g.stdout, "CHANGE", "KIND", "ID")
	err = st.DiffEach(ctx, base, applied, func(c c1z.Change, m proto.Message) error {
		kind, id := describe(m)
		t.row(c.String(), kind, id)
		return nil
	})
	if err != nil {
		return err
	}
	return t.close()
}

func describe(m proto.Message) (kind, id string) {
	switch o := m.(type) {
	case *connectorv2.Resource:
		return "resource", rid(o.GetId())
	case *connectorv2.Entitlement:
		return "entitlement", o.GetId()
	case *connectorv2.Grant:
		return "grant", o.GetId()
	}
	return "object", ""
}

// diffJSON prints the baton.v1 C1ZDiffOutput. Differences are usually few,
// so they are gathered before printing.
func diffJSON(ctx context.Context, g *globals, st *c1z.Store, base, applied string) error {
	d, err := st.Diff(ctx, base, applied)
	if err != nil {
		return err
	}
	out := &batonv1.C1ZDiffOutput{
		Resources:    &batonv1.ResourceDiff{Created: d.GetResources().GetCreated(), Deleted: d.GetResources().GetDeleted(), Modified: d.GetResources().GetModified()},
		Entitlements: &batonv1.EntitlementDiff{Created: d.GetEntitlements().GetCreated(), Deleted: d.GetEntitlements().GetDeleted(), Modified: d.GetEntitlements().GetModified()},
		Grants:       &batonv1.GrantDiff{Created: d.GetGrants().GetCreated(), Deleted: d.GetGrants().GetDeleted(), Modified: d.GetGrants().GetModified()},
	}
	return writeJSON(g.stdout, out)
}
