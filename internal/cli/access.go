package cli

import (
	"context"

	"github.com/spf13/cobra"

	batonv1 "github.com/batonkit/batonkit/pb/baton/v1"
	connectorv2 "github.com/batonkit/batonkit/pb/c1/connector/v2"
	"github.com/batonkit/batonkit/pkg/c1z"
)

func newAccessCmd(g *globals) *cobra.Command {
	var typeID, resID string
	var effective, path bool
	cmd := &cobra.Command{
		Use:   "access",
		Short: "Show everything one principal can access, and how",
		Long: "access lists every entitlement a principal holds, with every path: granted by\n" +
			"the connector, or through each entitlement grant expansion followed (a group\n" +
			"it belongs to holding the entitlement). --effective also follows membership\n" +
			"grants the connector recorded but did not mark expandable, labelled derived.\n" +
			"--path prints each whole chain, from the entitlement the connector granted to\n" +
			"the one held, as the explorer's access graph draws it.",
		Example: "  baton access -t user -r 2IC0WoaHVvl2GIQppXQH0flK1yJ\n  baton access -t user -r 'Ada Lovelace'   # by display name\n" +
			"  baton access -t role -r 16388 --effective\n  baton access -t user -r 'Ada Lovelace' --path",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if typeID == "" || resID == "" {
				return usagef("access needs -t <principal type> and -r <principal id or display name>")
			}
			return g.withStore(cmd, func(ctx context.Context, st *c1z.Reader, run c1z.SyncRun) error {
				pid, err := (resolver{st, run.ID}).resource(ctx, typeID, resID)
				if err != nil {
					return err
				}
				return g.printAccess(ctx, st, run.ID, pid, effective, path)
			})
		},
	}
	cmd.Flags().StringVarP(&typeID, "resource-type", "t", "", "the principal's resource type")
	cmd.Flags().StringVarP(&resID, "resource", "r", "", "the principal, by id or display name")
	cmd.Flags().BoolVar(&effective, "effective", false, "also follow membership grants not marked expandable (labelled derived)")
	cmd.Flags().BoolVar(&path, "path", false, "show each whole chain of entitlements, not the last hop")
	return cmd
}

func (g *globals) printAccess(ctx context.Context, st *c1z.Reader, syncID string, pid *connectorv2.ResourceId, effective, path bool) error {
	types, err := loadTypes(ctx, st, syncID)
	if err != nil {
		return err
	}
	principal, err := st.Resource(ctx, syncID, pid)
	if err != nil {
		// Known only from grants (an account deleted since, a guest): it
		// still has access to show.
		principal = &connectorv2.Resource{Id: pid}
	}
	// Grants of one principal are few; group them by resource.
	byRes := map[string]*batonv1.ResourceAccessOutput{}
	var order []string
	var held []*connectorv2.Entitlement
	var t *table
	if !g.json() {
		t = g.listing("no grant matched", "RESOURCE", "RESOURCE NAME", "ENTITLEMENT", viaHeader(path))
	}
	var chains *chainFinder
	var pathRows []map[string]any
	if path {
		chains = newChainFinder(st, syncID)
	}
	for v, err := range st.GrantViews(ctx, c1z.GrantQuery{SyncID: syncID, Principal: pid}) {
		if err != nil {
			return err
		}
		ent := v.Entitlement
		if ent == nil {
			ent = v.Grant.GetEntitlement()
		}
		held = append(held, ent)
		res := v.Resource
		if res == nil {
			res = ent.GetResource()
		}
		key := rid(ent.GetResource().GetId())
		if t != nil {
			via, err := chains.text(ctx, v.Grant)
			if err != nil {
				return err
			}
			t.row(key, res.GetDisplayName(), ent.GetId(), via)
			continue
		}
		if path {
			if pathRows, err = chains.appendRow(ctx, pathRows, v.Grant); err != nil {
				return err
			}
		}
		a, ok := byRes[key]
		if !ok {
			a = &batonv1.ResourceAccessOutput{Resource: res, ResourceType: types.get(ent.GetResource().GetId().GetResourceType())}
			byRes[key] = a
			order = append(order, key)
		}
		a.Entitlements = append(a.Entitlements, ent)
	}
	var more []derived
	if effective {
		if more, err = effectiveAccess(ctx, st, syncID, pid, held); err != nil {
			return err
		}
	}
	if t != nil {
		for _, d := range more {
			r := d.entitlement.GetResource()
			t.row(rid(r.GetId()), r.GetDisplayName(), d.entitlement.GetId(), d.label())
		}
		return t.close()
	}
	out := &batonv1.ResourceAccessListOutput{Principal: principal}
	for _, k := range order {
		out.Access = append(out.Access, byRes[k])
	}
	derivedRows := make([]map[string]any, len(more))
	for i, d := range more {
		derivedRows[i] = map[string]any{"entitlement": d.entitlement.GetId(), "resource": rid(d.entitlement.GetResource().GetId()), "through": d.chain}
	}
	return writeWithTails(g, out, tail{"derived", derivedRows}, tail{"paths", pathRows})
}
