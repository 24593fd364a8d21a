package cli

import (
	"context"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	connectorv2 "github.com/batonkit/batonkit/pb/c1/connector/v2"
	"github.com/batonkit/batonkit/pkg/annotations"
	"github.com/batonkit/batonkit/pkg/c1z"
)

// resourceFilter selects resources beyond what the store's query can:
// by text in the id or display name, and by account status and type.
type resourceFilter struct {
	text        string
	status      string
	accountType string
}

var (
	statuses     = []string{"enabled", "disabled", "deleted", "unspecified"}
	accountTypes = []string{"human", "service", "system", "unspecified"}
)

func (f *resourceFilter) bind(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.status, "status", "", "only accounts of this status: "+strings.Join(statuses, ", "))
	cmd.Flags().StringVar(&f.accountType, "account-type", "", "only accounts of this type: "+strings.Join(accountTypes, ", "))
}

func (f *resourceFilter) check() error {
	if f.status != "" && !slices.Contains(statuses, f.status) {
		return usagef("--status %q: want one of %s", f.status, strings.Join(statuses, ", "))
	}
	if f.accountType != "" && !slices.Contains(accountTypes, f.accountType) {
		return usagef("--account-type %q: want one of %s", f.accountType, strings.Join(accountTypes, ", "))
	}
	return nil
}

// accounts reports whether the filter asks about accounts.
func (f *resourceFilter) accounts() bool { return f.status != "" || f.accountType != "" }

func (f *resourceFilter) match(r *connectorv2.Resource) bool {
	if f.text != "" {
		low := strings.ToLower(f.text)
		if !strings.Contains(strings.ToLower(r.GetId().GetResource()), low) && !strings.Contains(strings.ToLower(r.GetDisplayName()), low) {
			return false
		}
	}
	if f.accounts() {
		st, at, ok := account(r)
		if !ok || (f.status != "" && st != f.status) || (f.accountType != "" && at != f.accountType) {
			return false
		}
	}
	return true
}

// account reads a user's status and account type from its UserTrait,
// falling back to the resource's own status; ok is false for resources
// that are not accounts.
func account(r *connectorv2.Resource) (status, accountType string, ok bool) {
	var ut connectorv2.UserTrait
	if found, err := annotations.Annotations(r.GetAnnotations()).Pick(&ut); err != nil || !found {
		return "", "", false
	}
	status = strings.ToLower(strings.TrimPrefix(ut.GetStatus().GetStatus().String(), "STATUS_"))
	if ut.GetStatus() == nil && r.GetStatus() != nil {
		status = strings.ToLower(strings.TrimPrefix(r.GetStatus().GetStatus().String(), "RESOURCE_STATUS_"))
	}
	return status, strings.ToLower(strings.TrimPrefix(ut.GetAccountType().String(), "ACCOUNT_TYPE_")), true
}

func newResourcesCmd(g *globals) *cobra.Command {
	var typeID string
	var f resourceFilter
	cmd := &cobra.Command{
		Use:   "resources",
		Short: "List resources, optionally of one type, by name or account status",
		Example: "  baton resources\n  baton resources -t user -o json\n  baton resources -t user --status disabled\n" +
			"  baton resources --name sales",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return g.listResources(cmd, typeID, &f, false)
		},
	}
	cmd.Flags().StringVarP(&typeID, "resource-type", "t", "", "only resources of this type")
	cmd.Flags().StringVar(&f.text, "name", "", "only resources whose display name or id contains this text (any case)")
	f.bind(cmd)
	return cmd
}

func newSearchCmd(g *globals) *cobra.Command {
	var typeID string
	var f resourceFilter
	cmd := &cobra.Command{
		Use:   "search TEXT",
		Short: "Find resources whose display name or id contains TEXT (any case)",
		Example: "  baton search alice\n  baton search sales -t group\n  baton search 'cn=eng' -o json\n" +
			"  baton search '' -t user --status disabled   # every disabled account",
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usagef("search takes one TEXT to look for, got %d arguments", len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			f.text = args[0]
			return g.listResources(cmd, typeID, &f, true)
		},
	}
	cmd.Flags().StringVarP(&typeID, "resource-type", "t", "", "only resources of this type")
	f.bind(cmd)
	return cmd
}

// listResources prints the resources of typeID (all types when "") that
// f selects. Listings of accounts, and searches (which are mostly for
// people), show account status and type.
func (g *globals) listResources(cmd *cobra.Command, typeID string, f *resourceFilter, accountCols bool) error {
	if err := f.check(); err != nil {
		return err
	}
	return g.withStore(cmd, func(ctx context.Context, st *c1z.Reader, run c1z.SyncRun) error {
		if err := (resolver{st, run.ID}).resourceType(ctx, typeID); err != nil {
			return err
		}
		types, err := loadTypes(ctx, st, run.ID)
		if err != nil {
			return err
		}
		q := c1z.ResourceQuery{SyncID: run.ID, ResourceTypeID: typeID}
		if g.json() {
			return writeListJSON(g.stdout, "resources", filtered(st.ResourceViews(ctx, q), func(v c1z.ResourceView) bool { return f.match(v.Resource) }),
				func(e *encoder, v c1z.ResourceView) error {
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
		users := accountCols || f.accounts() || (typeID != "" && slices.Contains(types.get(typeID).GetTraits(), connectorv2.ResourceType_TRAIT_USER))
		header := []string{"RESOURCE TYPE", "ID", "DISPLAY NAME", "PARENT"}
		if users {
			header = append(header, "STATUS", "ACCOUNT TYPE")
		}
		t := g.listing("no resource matched", header...)
		for r, err := range st.Resources(ctx, q) {
			if err != nil {
				return err
			}
			if !f.match(r) {
				continue
			}
			row := []string{r.GetId().GetResourceType(), r.GetId().GetResource(), r.GetDisplayName(), rid(r.GetParentResourceId())}
			if users {
				status, at, _ := account(r)
				row = append(row, status, at)
			}
			t.row(row...)
		}
		return t.close()
	})
}

// filtered passes on the rows keep accepts.
func filtered[T any](seq func(func(T, error) bool), keep func(T) bool) func(func(T, error) bool) {
	return func(yield func(T, error) bool) {
		for v, err := range seq {
			if err != nil || keep(v) {
				if !yield(v, err) {
					return
				}
			}
		}
	}
}
