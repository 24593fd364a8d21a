package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"maps"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	batonv1 "github.com/batonkit/batonkit/pb/baton/v1"
	connectorv2 "github.com/batonkit/batonkit/pb/c1/connector/v2"
	"github.com/batonkit/batonkit/pkg/c1z"
)

// typeCache holds a sync's resource types: there are few, and every row
// of every listing names one.
type typeCache map[string]*connectorv2.ResourceType

func loadTypes(ctx context.Context, st *c1z.Store, syncID string) (typeCache, error) {
	tc := typeCache{}
	for rt, err := range st.ResourceTypes(ctx, syncID) {
		if err != nil {
			return nil, err
		}
		tc[rt.GetId()] = rt
	}
	return tc, nil
}

func (tc typeCache) get(id string) *connectorv2.ResourceType {
	if rt, ok := tc[id]; ok {
		return rt
	}
	return nil
}

func rid(id *connectorv2.ResourceId) string {
	if id == nil {
		return ""
	}
	return id.GetResourceType() + ":" + id.GetResource()
}

func traitNames(rt *connectorv2.ResourceType) string {
	var out []string
	for _, t := range rt.GetTraits() {
		out = append(out, strings.ToLower(strings.TrimPrefix(t.String(), "TRAIT_")))
	}
	return strings.Join(out, ",")
}

func purpose(e *connectorv2.Entitlement) string {
	return strings.ToLower(strings.TrimPrefix(e.GetPurpose().String(), "PURPOSE_VALUE_"))
}

// withStore is the common shape of a read command: open, resolve the
// sync, run, close.
func (g *globals) withStore(cmd *cobra.Command, fn func(ctx context.Context, st *c1z.Store, run c1z.SyncRun) error) error {
	return g.withFile(cmd, func(ctx context.Context, st *c1z.Store) error {
		run, err := g.syncFor(ctx, st)
		if err != nil {
			return err
		}
		return fn(ctx, st, run)
	})
}

// withFile opens the sync file read-only for fn and closes it after.
func (g *globals) withFile(cmd *cobra.Command, fn func(ctx context.Context, st *c1z.Store) error) error {
	ctx := cmd.Context()
	st, err := g.open(ctx)
	if err != nil {
		return err
	}
	defer st.Close(ctx)
	err = fn(ctx, st)
	if n := len(g.skipped); n > 0 {
		fmt.Fprintf(g.stderr, "baton: skipped %d object(s) that cannot be read; the first: %s\n", n, escape(g.skipped[0].Error()))
	}
	var rowErr *c1z.RowError
	if errors.As(err, &rowErr) {
		err = fmt.Errorf("%w\n(run with --skip-invalid to list everything else)", err)
	}
	return err
}

func newResourceTypesCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:     "resource-types",
		Short:   "List the resource types of a sync",
		Example: "  baton resource-types\n  baton resource-types -f other.c1z -o json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return g.withStore(cmd, func(ctx context.Context, st *c1z.Store, run c1z.SyncRun) error {
				if g.json() {
					l := newJSONList(g.stdout, "resourceTypes")
					for rt, err := range st.ResourceTypes(ctx, run.ID) {
						if err != nil {
							return err
						}
						if err := l.add(&batonv1.ResourceTypeOutput{ResourceType: rt}); err != nil {
							return err
						}
					}
					return l.close()
				}
				t := newTable(g.stdout, "ID", "DISPLAY NAME", "TRAITS")
				for rt, err := range st.ResourceTypes(ctx, run.ID) {
					if err != nil {
						return err
					}
					t.row(rt.GetId(), rt.GetDisplayName(), traitNames(rt))
				}
				return t.close()
			})
		},
	}
}

func newResourcesCmd(g *globals) *cobra.Command {
	var typeID string
	cmd := &cobra.Command{
		Use:     "resources",
		Short:   "List resources, optionally of one type",
		Example: "  baton resources\n  baton resources -t user -o json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return g.withStore(cmd, func(ctx context.Context, st *c1z.Store, run c1z.SyncRun) error {
				if err := (known{typeID: typeID}).check(ctx, st, run.ID); err != nil {
					return err
				}
				types, err := loadTypes(ctx, st, run.ID)
				if err != nil {
					return err
				}
				q := c1z.ResourceQuery{SyncID: run.ID, ResourceTypeID: typeID}
				if g.json() {
					return writeListJSON(g.stdout, "resources", st.ResourceViews(ctx, q), func(e *encoder, v c1z.ResourceView) error {
						rt := v.Resource.GetId().GetResourceType()
						sep, err := e.field("{", "resource", v.Resource, cacheKey{})
						if err == nil {
							sep, err = e.field(sep, "resourceType", types.get(rt), cacheKey{"t", rt})
						}
						if err == nil {
							sep, err = e.field(sep, "parent", v.Parent, cacheKey{"p", rid(v.Resource.GetParentResourceId())})
						}
						e.close(sep)
						return err
					})
				}
				t := newTable(g.stdout, "RESOURCE TYPE", "ID", "DISPLAY NAME", "PARENT")
				for r, err := range st.Resources(ctx, q) {
					if err != nil {
						return err
					}
					t.row(r.GetId().GetResourceType(), r.GetId().GetResource(), r.GetDisplayName(), rid(r.GetParentResourceId()))
				}
				return t.close()
			})
		},
	}
	cmd.Flags().StringVarP(&typeID, "resource-type", "t", "", "only resources of this type")
	return cmd
}

func newEntitlementsCmd(g *globals) *cobra.Command {
	var typeID, resID string
	cmd := &cobra.Command{
		Use:     "entitlements",
		Short:   "List entitlements, optionally of one resource type or resource",
		Example: "  baton entitlements\n  baton entitlements -t group -r eng",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if resID != "" && typeID == "" {
				return usagef("-r needs -t (a resource id is only unique within its type)")
			}
			return g.withStore(cmd, func(ctx context.Context, st *c1z.Store, run c1z.SyncRun) error {
				types, err := loadTypes(ctx, st, run.ID)
				if err != nil {
					return err
				}
				q := c1z.EntitlementQuery{SyncID: run.ID, ResourceTypeID: typeID}
				if resID != "" {
					q = c1z.EntitlementQuery{SyncID: run.ID, Resource: &connectorv2.ResourceId{ResourceType: typeID, Resource: resID}}
				}
				if err := (known{typeID: typeID, resource: q.Resource}).check(ctx, st, run.ID); err != nil {
					return err
				}
				if g.json() {
					l := newJSONList(g.stdout, "entitlements")
					for v, err := range st.EntitlementViews(ctx, q) {
						if err != nil {
							return err
						}
						out := &batonv1.EntitlementOutput{Entitlement: v.Entitlement, Resource: v.Resource,
							ResourceType: types.get(v.Entitlement.GetResource().GetId().GetResourceType())}
						if err := l.add(out); err != nil {
							return err
						}
					}
					return l.close()
				}
				t := newTable(g.stdout, "ID", "DISPLAY NAME", "RESOURCE", "PURPOSE")
				for e, err := range st.Entitlements(ctx, q) {
					if err != nil {
						return err
					}
					t.row(e.GetId(), e.GetDisplayName(), rid(e.GetResource().GetId()), purpose(e))
				}
				return t.close()
			})
		},
	}
	cmd.Flags().StringVarP(&typeID, "resource-type", "t", "", "only entitlements on resources of this type")
	cmd.Flags().StringVarP(&resID, "resource", "r", "", "only entitlements on this resource (with -t)")
	return cmd
}

// parsePrincipal reads "type:id".
func parsePrincipal(s string) (*connectorv2.ResourceId, error) {
	typ, id, ok := strings.Cut(s, ":")
	if !ok || typ == "" || id == "" {
		return nil, usagef("principal %q: want <resource type>:<resource id>, for example user:alice", s)
	}
	return &connectorv2.ResourceId{ResourceType: typ, Resource: id}, nil
}

func newGrantsCmd(g *globals) *cobra.Command {
	var typeID, resID, entID, principal string
	cmd := &cobra.Command{
		Use:   "grants",
		Short: "List grants: who holds which entitlement",
		Example: "  baton grants\n  baton grants -e group:eng:member\n  baton grants --principal user:alice -o json\n" +
			"  baton grants -t repo -r acme/web",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if resID != "" && typeID == "" {
				return usagef("-r needs -t (a resource id is only unique within its type)")
			}
			q := c1z.GrantQuery{EntitlementID: entID}
			if resID != "" {
				q.Resource = &connectorv2.ResourceId{ResourceType: typeID, Resource: resID}
			} else {
				q.ResourceTypeID = typeID
			}
			if principal != "" {
				p, err := parsePrincipal(principal)
				if err != nil {
					return err
				}
				q.Principal = p
			}
			return g.withStore(cmd, func(ctx context.Context, st *c1z.Store, run c1z.SyncRun) error {
				q.SyncID = run.ID
				for _, k := range []known{{typeID: q.ResourceTypeID}, {resource: q.Resource, entID: q.EntitlementID}, {resource: q.Principal}} {
					if err := k.check(ctx, st, run.ID); err != nil {
						return err
					}
				}
				return g.printGrants(ctx, st, q)
			})
		},
	}
	cmd.Flags().StringVarP(&typeID, "resource-type", "t", "", "only grants on resources of this type")
	cmd.Flags().StringVarP(&resID, "resource", "r", "", "only grants on this resource (with -t)")
	cmd.Flags().StringVarP(&entID, "entitlement", "e", "", "only grants of this entitlement")
	cmd.Flags().StringVar(&principal, "principal", "", "only grants held by this principal (type:id)")
	return cmd
}

func (g *globals) printGrants(ctx context.Context, st *c1z.Store, q c1z.GrantQuery) error {
	types, err := loadTypes(ctx, st, q.SyncID)
	if err != nil {
		return err
	}
	if g.json() {
		return writeGrantsJSON(g.stdout, st.GrantViews(ctx, q), types)
	}
	t := newTable(g.stdout, "ENTITLEMENT", "PRINCIPAL", "SOURCES")
	for gr, err := range st.Grants(ctx, q) {
		if err != nil {
			return err
		}
		var src []string
		for id := range gr.GetSources().GetSources() {
			src = append(src, id)
		}
		t.row(gr.GetEntitlement().GetId(), rid(gr.GetPrincipal().GetId()), strings.Join(sorted(src), ","))
	}
	return t.close()
}

// writeGrantsJSON prints a baton.v1 GrantListOutput, encoding rows on
// every core and each repeated entitlement, resource and type only once.
func writeGrantsJSON(w io.Writer, views iter.Seq2[c1z.GrantView, error], types typeCache) error {
	return writeListJSON(w, "grants", views, func(e *encoder, v c1z.GrantView) error {
		p := v.Principal
		if p == nil {
			// Baton's CLI marks a principal the sync does not hold this way.
			pid := v.Grant.GetPrincipal().GetId()
			p = &connectorv2.Resource{Id: pid, DisplayName: "MISSING RESOURCE (" + rid(pid) + ")"}
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
	})
}

// writeListJSON prints {"<key>":[row,...]} (or {} when empty), each row
// written by encode as a JSON object, rows encoded on every core.
func writeListJSON[T any](w io.Writer, key string, rows iter.Seq2[T, error], encode func(*encoder, T) error) error {
	bw := bufio.NewWriterSize(w, 256<<10)
	n := 0
	err := encodeOrdered(rows, func(e *encoder, row T) error {
		e.buf.WriteByte(',')
		return encode(e, row)
	}, func(b []byte) error {
		if len(b) == 0 {
			return nil
		}
		if n == 0 {
			bw.WriteString(`{"` + key + `":[`)
			b = b[1:] // the leading comma of the first row
		}
		n++
		_, err := bw.Write(b)
		return err
	})
	if err != nil {
		return err
	}
	if n == 0 {
		bw.WriteString("{}")
	} else {
		bw.WriteString("]}")
	}
	bw.WriteByte('\n')
	return bw.Flush()
}

// via says every way a principal holds entitlement entID: "direct" when
// the connector granted it, and each entitlement it is inherited through
// (one grant may be both: revoking the direct grant leaves the others).
func via(g *connectorv2.Grant, entID string) string {
	srcs := g.GetSources().GetSources()
	if len(srcs) == 0 {
		return "direct"
	}
	var paths []string
	if srcs[entID] != nil {
		paths = append(paths, "direct")
	}
	for _, k := range slices.Sorted(maps.Keys(srcs)) {
		if k != entID {
			paths = append(paths, k)
		}
	}
	return strings.Join(paths, ", ")
}

func sorted(s []string) []string {
	slices.Sort(s)
	return s
}

func newPrincipalsCmd(g *globals) *cobra.Command {
	var entID string
	cmd := &cobra.Command{
		Use:     "principals",
		Short:   "List the principals holding an entitlement",
		Example: "  baton principals -e group:eng:member",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if entID == "" {
				return usagef("principals needs -e <entitlement id>")
			}
			return g.withStore(cmd, func(ctx context.Context, st *c1z.Store, run c1z.SyncRun) error {
				if err := (known{entID: entID}).check(ctx, st, run.ID); err != nil {
					return err
				}
				types, err := loadTypes(ctx, st, run.ID)
				if err != nil {
					return err
				}
				q := c1z.GrantQuery{SyncID: run.ID, EntitlementID: entID}
				var l *jsonList
				var t *table
				if g.json() {
					l = newJSONList(g.stdout, "resources")
				} else {
					t = newTable(g.stdout, "RESOURCE TYPE", "ID", "DISPLAY NAME", "VIA")
				}
				for v, err := range st.GrantViews(ctx, q) {
					if err != nil {
						return err
					}
					p := v.Principal
					if p == nil {
						p = v.Grant.GetPrincipal()
					}
					if l != nil {
						if err := l.add(&batonv1.ResourceOutput{Resource: p, ResourceType: types.get(p.GetId().GetResourceType())}); err != nil {
							return err
						}
						continue
					}
					t.row(p.GetId().GetResourceType(), p.GetId().GetResource(), p.GetDisplayName(), via(v.Grant, entID))
				}
				if l != nil {
					return l.close()
				}
				return t.close()
			})
		},
	}
	cmd.Flags().StringVarP(&entID, "entitlement", "e", "", "the entitlement id")
	return cmd
}

func newAccessCmd(g *globals) *cobra.Command {
	var typeID, resID string
	cmd := &cobra.Command{
		Use:   "access",
		Short: "Show everything one principal can access, including through groups",
		Long: "access lists every entitlement a principal holds, directly or through grant\n" +
			"expansion (a group it belongs to holding the entitlement), grouped by resource.",
		Example: "  baton access -t user -r alice",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if typeID == "" || resID == "" {
				return usagef("access needs -t <principal type> and -r <principal id>")
			}
			pid := &connectorv2.ResourceId{ResourceType: typeID, Resource: resID}
			return g.withStore(cmd, func(ctx context.Context, st *c1z.Store, run c1z.SyncRun) error {
				types, err := loadTypes(ctx, st, run.ID)
				if err != nil {
					return err
				}
				if err := (known{typeID: typeID, resource: pid}).check(ctx, st, run.ID); err != nil {
					return err
				}
				principal, err := st.Resource(ctx, run.ID, pid)
				if err != nil {
					// Known only from grants (an account deleted since, a
					// guest): it still has access to show.
					principal = &connectorv2.Resource{Id: pid}
				}
				// Grants of one principal are few; group them by resource.
				byRes := map[string]*batonv1.ResourceAccessOutput{}
				var order []string
				var t *table
				if !g.json() {
					t = newTable(g.stdout, "RESOURCE", "ENTITLEMENT", "VIA")
				}
				for v, err := range st.GrantViews(ctx, c1z.GrantQuery{SyncID: run.ID, Principal: pid}) {
					if err != nil {
						return err
					}
					ent := v.Entitlement
					if ent == nil {
						ent = v.Grant.GetEntitlement()
					}
					key := rid(ent.GetResource().GetId())
					if t != nil {
						t.row(key, ent.GetId(), via(v.Grant, ent.GetId()))
						continue
					}
					a, ok := byRes[key]
					if !ok {
						res := v.Resource
						if res == nil {
							res = ent.GetResource()
						}
						a = &batonv1.ResourceAccessOutput{Resource: res, ResourceType: types.get(ent.GetResource().GetId().GetResourceType())}
						byRes[key] = a
						order = append(order, key)
					}
					a.Entitlements = append(a.Entitlements, ent)
				}
				if t != nil {
					return t.close()
				}
				out := &batonv1.ResourceAccessListOutput{Principal: principal}
				for _, k := range order {
					out.Access = append(out.Access, byRes[k])
				}
				return writeJSON(g.stdout, out)
			})
		},
	}
	cmd.Flags().StringVarP(&typeID, "resource-type", "t", "", "the principal's resource type")
	cmd.Flags().StringVarP(&resID, "resource", "r", "", "the principal's id")
	return cmd
}
