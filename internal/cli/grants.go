package cli

import (
	"context"
	"io"
	"iter"

	"github.com/spf13/cobra"

	connectorv2 "github.com/batonkit/batonkit/pb/c1/connector/v2"
	"github.com/batonkit/batonkit/pkg/c1z"
)

func newGrantsCmd(g *globals) *cobra.Command {
	var typeID, resID, entID, principal string
	var path bool
	cmd := &cobra.Command{
		Use:   "grants",
		Short: "List grants: who holds which entitlement, and how",
		Long: "grants lists who holds which entitlement. VIA says how: granted by the\n" +
			"connector, or through the entitlement a grant expansion followed (one hop).\n" +
			"--path prints each whole chain instead, from the entitlement the connector\n" +
			"granted to the one listed, as the explorer's access graph draws it.",
		Example: "  baton grants\n  baton grants -e group:cn=eng,ou=groups,dc=example,dc=com:member\n" +
			"  baton grants --principal role:16388 -o json\n  baton grants --principal 'user:Ada Lovelace'   # by display name\n" +
			"  baton grants -t table -r sales.orders\n  baton grants -e project:p1:editor --path",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if resID != "" && typeID == "" {
				return usagef("-r needs -t (a resource id is only unique within its type)")
			}
			return g.withStore(cmd, func(ctx context.Context, st *c1z.Reader, run c1z.SyncRun) error {
				res := resolver{st, run.ID}
				q := c1z.GrantQuery{SyncID: run.ID}
				var err error
				if err = res.resourceType(ctx, typeID); err != nil {
					return err
				}
				if resID != "" {
					if q.Resource, err = res.resource(ctx, typeID, resID); err != nil {
						return err
					}
				} else {
					q.ResourceTypeID = typeID
				}
				if entID != "" {
					if q.EntitlementID, err = res.entitlement(ctx, entID); err != nil {
						return err
					}
				}
				if principal != "" {
					if q.Principal, err = res.principal(ctx, principal); err != nil {
						return err
					}
				}
				return g.printGrants(ctx, st, q, path)
			})
		},
	}
	cmd.Flags().StringVarP(&typeID, "resource-type", "t", "", "only grants on resources of this type")
	cmd.Flags().StringVarP(&resID, "resource", "r", "", "only grants on this resource, by id or display name (with -t)")
	cmd.Flags().StringVarP(&entID, "entitlement", "e", "", "only grants of this entitlement, by id or display name")
	cmd.Flags().BoolVar(&path, "path", false, "show each grant's whole chain of entitlements, not its last hop")
	cmd.Flags().StringVar(&principal, "principal", "", "only grants held by this principal: type:id or type:display name, as listings print it")
	return cmd
}

func (g *globals) printGrants(ctx context.Context, st *c1z.Reader, q c1z.GrantQuery, path bool) error {
	types, err := loadTypes(ctx, st, q.SyncID)
	if err != nil {
		return err
	}
	var chains *chainFinder
	if path {
		chains = newChainFinder(st, q.SyncID)
	}
	if g.json() {
		var rows []map[string]any
		if path {
			// A second pass: rows are encoded on every core, in order, and
			// the chains follow them.
			for v, err := range st.GrantViews(ctx, q) {
				if err != nil {
					return err
				}
				if rows, err = chains.appendRow(ctx, rows, v.Grant); err != nil {
					return err
				}
			}
		}
		return writeGrantsJSON(g.stdout, st.GrantViews(ctx, q), types, tail{"paths", rows})
	}
	t := g.listing("no grant matched", "ENTITLEMENT", "ENTITLEMENT NAME", "PRINCIPAL", "PRINCIPAL NAME", viaHeader(path))
	for v, err := range st.GrantViews(ctx, q) {
		if err != nil {
			return err
		}
		gr := v.Grant
		via, err := chains.text(ctx, gr)
		if err != nil {
			return err
		}
		t.row(gr.GetEntitlement().GetId(), v.Entitlement.GetDisplayName(), rid(gr.GetPrincipal().GetId()), v.Principal.GetDisplayName(), via)
	}
	return t.close()
}

// missingPrincipal stands in for a principal the sync does not hold, as
// Baton's CLI marks one.
func missingPrincipal(pid *connectorv2.ResourceId) *connectorv2.Resource {
	return &connectorv2.Resource{Id: pid, DisplayName: "MISSING RESOURCE (" + rid(pid) + ")"}
}

// writeGrantsJSON prints a baton.v1 GrantListOutput, encoding rows on
// every core and each repeated entitlement, resource and type only once.
func writeGrantsJSON(w io.Writer, views iter.Seq2[c1z.GrantView, error], types typeCache, tails ...tail) error {
	return writeListJSON(w, "grants", views, func(e *encoder, v c1z.GrantView) error {
		p := v.Principal
		if p == nil {
			p = missingPrincipal(v.Grant.GetPrincipal().GetId())
		}
		rt := v.Grant.GetEntitlement().GetResource().GetId().GetResourceType()
		sep, err := e.grant("{", v.Grant)
		if err == nil {
			sep, err = e.field(sep, "entitlement", v.Entitlement, cacheKey{"e", v.Grant.GetEntitlement().GetId()})
		}
		if err == nil {
			sep, err = e.field(sep, "resource", v.Resource, cacheKey{"r", rid(v.Grant.GetEntitlement().GetResource().GetId())})
		}
		if err == nil {
			sep, err = e.field(sep, "resourceType", types.get(rt), cacheKey{"t", rt})
		}
		if err == nil {
			sep, err = e.field(sep, "principal", p, cacheKey{})
		}
		e.close(sep)
		return err
	}, tails...)
}
