package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/batonkit/batonkit/internal/safetext"
	batonv1 "github.com/batonkit/batonkit/pb/baton/v1"
	connectorv2 "github.com/batonkit/batonkit/pb/c1/connector/v2"
	"github.com/batonkit/batonkit/pkg/c1z"
)

// typeCache holds a sync's resource types: there are few, and every row
// of every listing names one.
type typeCache map[string]*connectorv2.ResourceType

func loadTypes(ctx context.Context, st *c1z.Reader, syncID string) (typeCache, error) {
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
func (g *globals) withStore(cmd *cobra.Command, fn func(ctx context.Context, st *c1z.Reader, run c1z.SyncRun) error) error {
	return g.withFile(cmd, func(ctx context.Context, st *c1z.Reader) error {
		run, err := g.syncFor(ctx, st)
		if err != nil {
			return err
		}
		return fn(ctx, st, run)
	})
}

// withFile opens the sync file read-only for fn and closes it after.
func (g *globals) withFile(cmd *cobra.Command, fn func(ctx context.Context, st *c1z.Reader) error) error {
	ctx := cmd.Context()
	st, err := g.open(ctx)
	if err != nil {
		return err
	}
	defer st.Close(ctx)
	err = fn(ctx, st)
	if n := len(g.skipped); n > 0 {
		fmt.Fprintf(g.stderr, "baton: skipped %d object(s) that cannot be read; the first: %s\n", n, safetext.Escape(g.skipped[0].Error()))
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
			return g.withStore(cmd, func(ctx context.Context, st *c1z.Reader, run c1z.SyncRun) error {
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
				t := g.listing("no resource type matched", "ID", "DISPLAY NAME", "TRAITS")
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

func newEntitlementsCmd(g *globals) *cobra.Command {
	var typeID, resID string
	cmd := &cobra.Command{
		Use:     "entitlements",
		Short:   "List entitlements, optionally of one resource type or resource",
		Example: "  baton entitlements\n  baton entitlements -t group -r cn=eng,ou=groups,dc=example,dc=com\n  baton entitlements -t role -r Reader   # by display name",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if resID != "" && typeID == "" {
				return usagef("-r needs -t (a resource id is only unique within its type)")
			}
			return g.withStore(cmd, func(ctx context.Context, st *c1z.Reader, run c1z.SyncRun) error {
				types, err := loadTypes(ctx, st, run.ID)
				if err != nil {
					return err
				}
				res := resolver{st, run.ID}
				if err := res.resourceType(ctx, typeID); err != nil {
					return err
				}
				q := c1z.EntitlementQuery{SyncID: run.ID, ResourceTypeID: typeID}
				if resID != "" {
					id, err := res.resource(ctx, typeID, resID)
					if err != nil {
						return err
					}
					q = c1z.EntitlementQuery{SyncID: run.ID, Resource: id}
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
				t := g.listing("no entitlement matched", "ID", "DISPLAY NAME", "RESOURCE", "PURPOSE")
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
	cmd.Flags().StringVarP(&resID, "resource", "r", "", "only entitlements on this resource, by id or display name (with -t)")
	return cmd
}

// writeListJSON prints {"<key>":[row,...]} (or {} when empty), each row
// written by encode as a JSON object, rows encoded on every core, and then
// the tails that have rows.
func writeListJSON[T any](w io.Writer, key string, rows iter.Seq2[T, error], encode func(*encoder, T) error, tails ...tail) error {
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
	l := &jsonList{w: bw, key: key, n: n}
	return l.closeWith(tails...)
}

func sorted(s []string) []string {
	slices.Sort(s)
	return s
}
