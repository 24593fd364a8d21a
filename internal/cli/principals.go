package cli

import (
	"context"

	"github.com/spf13/cobra"

	batonv1 "github.com/batonkit/batonkit/pb/baton/v1"
	connectorv2 "github.com/batonkit/batonkit/pb/c1/connector/v2"
	"github.com/batonkit/batonkit/pkg/c1z"
)

func newPrincipalsCmd(g *globals) *cobra.Command {
	var entID string
	var effective, path bool
	cmd := &cobra.Command{
		Use:   "principals",
		Short: "List the principals holding an entitlement, and how each holds it",
		Long: "principals lists who holds an entitlement, with every path: granted by the\n" +
			"connector, or through each entitlement grant expansion followed. --effective\n" +
			"also follows membership grants the connector recorded but did not mark\n" +
			"expandable (members of a group that holds the entitlement), labelled derived.\n" +
			"--path prints each whole chain, from the entitlement the connector granted to\n" +
			"this one, as the explorer's access graph draws it.",
		Example: "  baton principals -e group:cn=eng,ou=groups,dc=example,dc=com:member\n" +
			"  baton principals -e role:16388:member --effective\n  baton principals -e project:p1:editor --path\n  baton principals -e 'Sales Member'   # by display name",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if entID == "" {
				return usagef("principals needs -e <entitlement id or display name>")
			}
			return g.withStore(cmd, func(ctx context.Context, st *c1z.Reader, run c1z.SyncRun) error {
				id, err := (resolver{st, run.ID}).entitlement(ctx, entID)
				if err != nil {
					return err
				}
				return g.printPrincipals(ctx, st, run.ID, id, effective, path)
			})
		},
	}
	cmd.Flags().StringVarP(&entID, "entitlement", "e", "", "the entitlement, by id or display name")
	cmd.Flags().BoolVar(&effective, "effective", false, "also follow membership grants not marked expandable (labelled derived)")
	cmd.Flags().BoolVar(&path, "path", false, "show each whole chain of entitlements, not the last hop")
	return cmd
}

func (g *globals) printPrincipals(ctx context.Context, st *c1z.Reader, syncID, entID string, effective, path bool) error {
	types, err := loadTypes(ctx, st, syncID)
	if err != nil {
		return err
	}
	var (
		l      *jsonList
		t      *table
		listed []*connectorv2.ResourceId
	)
	if g.json() {
		l = newJSONList(g.stdout, "resources")
	} else {
		t = g.listing("no grant matched", "RESOURCE TYPE", "ID", "DISPLAY NAME", viaHeader(path))
	}
	var chains *chainFinder
	var pathRows []map[string]any
	if path {
		chains = newChainFinder(st, syncID)
	}
	for v, err := range st.GrantViews(ctx, c1z.GrantQuery{SyncID: syncID, EntitlementID: entID}) {
		if err != nil {
			return err
		}
		p := v.Principal
		if p == nil {
			p = v.Grant.GetPrincipal()
		}
		if effective {
			listed = append(listed, p.GetId())
		}
		if t != nil {
			via, err := chains.text(ctx, v.Grant)
			if err != nil {
				return err
			}
			t.row(p.GetId().GetResourceType(), p.GetId().GetResource(), p.GetDisplayName(), via)
			continue
		}
		if path {
			if pathRows, err = chains.appendRow(ctx, pathRows, v.Grant); err != nil {
				return err
			}
		}
		if err := l.add(&batonv1.ResourceOutput{Resource: p, ResourceType: types.get(p.GetId().GetResourceType())}); err != nil {
			return err
		}
	}
	var more []derived
	if effective {
		ent, err := st.Entitlement(ctx, syncID, entID)
		if err != nil {
			ent = &connectorv2.Entitlement{Id: entID}
		}
		if more, err = effectiveHolders(ctx, st, syncID, ent, listed); err != nil {
			return err
		}
	}
	if t != nil {
		for _, d := range more {
			name := ""
			if r, err := st.Resource(ctx, syncID, d.principal); err == nil {
				name = r.GetDisplayName()
			}
			t.row(d.principal.GetResourceType(), d.principal.GetResource(), name, d.label())
		}
		return t.close()
	}
	rows := make([]map[string]any, len(more))
	for i, d := range more {
		rows[i] = map[string]any{"principal": rid(d.principal), "through": d.chain}
	}
	return l.closeWith(tail{"derived", rows}, tail{"paths", pathRows})
}
