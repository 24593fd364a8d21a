package fleet

import (
	"context"
	"strings"

	connectorv2 "github.com/batonkit/batonkit/pb/c1/connector/v2"
	"github.com/batonkit/batonkit/pkg/annotations"
	"github.com/batonkit/batonkit/pkg/c1z"
)

// DefaultKeys is the default matching order.
var DefaultKeys = []string{"email", "login", "employee_id"}

// Account is a user-trait resource of one app.
type Account struct {
	App      *App
	Resource *connectorv2.Resource
	Status   string // enabled, disabled, deleted or unspecified
	Type     string // human, service, system or unspecified
	Person   *Person
	Grants   int                 // grants it holds in its app, expanded ones included
	keys     map[string][]string // by kind, normalised, in the trait's order
}

// Human reports whether the account may belong to a person: service
// and system accounts never do.
func (a *Account) Human() bool { return a.Type != "service" && a.Type != "system" }

// Enabled reports whether the account can still be used.
func (a *Account) Enabled() bool { return a.Status == "enabled" || a.Status == "unspecified" }

// Name is the account's display name, or its id.
func (a *Account) Name() string {
	if n := a.Resource.GetDisplayName(); n != "" {
		return n
	}
	return a.Resource.GetId().GetResource()
}

// Keys are the account's matching keys of one kind.
func (a *Account) Keys(kind string) []string { return a.keys[kind] }

// readAccounts lists the accounts of one app (every resource with a
// UserTrait) and counts their grants, in one pass over each.
func readAccounts(ctx context.Context, app *App, st *c1z.Store) ([]*Account, error) {
	var out []*Account
	byID := map[string]*Account{}
	for r, err := range st.Resources(ctx, c1z.ResourceQuery{SyncID: app.SyncID}) {
		if err != nil {
			return nil, err
		}
		var ut connectorv2.UserTrait
		if ok, err := annotations.Annotations(r.GetAnnotations()).Pick(&ut); err != nil || !ok {
			continue
		}
		a := &Account{App: app, Resource: r, keys: map[string][]string{},
			Status: lowerName(ut.GetStatus().GetStatus().String(), "STATUS_"),
			Type:   lowerName(ut.GetAccountType().String(), "ACCOUNT_TYPE_")}
		if a.Status == "unspecified" {
			if s := r.GetStatus().GetStatus(); s != connectorv2.Status_RESOURCE_STATUS_UNSPECIFIED {
				a.Status = lowerName(s.String(), "RESOURCE_STATUS_")
			}
		}
		// The primary address first, then the others as listed.
		for _, primary := range []bool{true, false} {
			for _, e := range ut.GetEmails() {
				if e.GetIsPrimary() == primary {
					a.add("email", e.GetAddress())
				}
			}
		}
		a.add("login", ut.GetLogin())
		for _, l := range ut.GetLoginAliases() {
			a.add("login", l)
		}
		for _, id := range ut.GetEmployeeIds() {
			a.add("employee_id", id)
		}
		out = append(out, a)
		byID[c1z.ResourceExternalID(r.GetId())] = a
	}
	for g, err := range st.Grants(ctx, c1z.GrantQuery{SyncID: app.SyncID}) {
		if err != nil {
			return nil, err
		}
		if a := byID[c1z.ResourceExternalID(g.GetPrincipal().GetId())]; a != nil {
			a.Grants++
		}
	}
	return out, nil
}

func (a *Account) add(kind, v string) {
	if v = normalise(v); v != "" {
		a.keys[kind] = append(a.keys[kind], v)
	}
}

func normalise(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

func lowerName(s, prefix string) string { return strings.ToLower(strings.TrimPrefix(s, prefix)) }
