package fleet

import (
	"cmp"
	"context"
	"slices"
	"strings"

	connectorv2 "github.com/batonkit/batonkit/pb/c1/connector/v2"
	"github.com/batonkit/batonkit/pkg/annotations"
	"github.com/batonkit/batonkit/pkg/c1z"
	"github.com/batonkit/batonkit/pkg/grant"
)

// DefaultKeys is the default matching order.
var DefaultKeys = []string{"email", "login", "employee_id"}

// Account is a user-trait resource of one app.
type Account struct {
	App *App
	// The resource's type, id and display name: plain strings, not the
	// message, as a fleet holds hundreds of thousands of accounts.
	ResourceType, ResourceID, DisplayName string
	Status                                string // enabled, disabled, deleted or unspecified
	Type                                  string // human, service, system or unspecified
	Person                                *Person
	Holdings                              []Holding // what it holds in its app, expanded grants included
	keys                                  Keys      // normalised, in the trait's order
}

// Holding is one grant an account holds: the entitlement, and how it is
// held (directly, and through which entitlements it was expanded from).
type Holding struct {
	Entitlement string
	Name        string // the entitlement's display name (or slug)
	Direct      bool
	Through     []string
}

// Human reports whether the account may belong to a person: service
// and system accounts never do.
func (a *Account) Human() bool { return a.Type != "service" && a.Type != "system" }

// Enabled reports whether the account can still be used.
func (a *Account) Enabled() bool { return a.Status == "enabled" || a.Status == "unspecified" }

// Ref is the account as Baton prints a resource: "type:id".
func (a *Account) Ref() string { return a.ResourceType + ":" + a.ResourceID }

// Name is the account's display name, or its id.
func (a *Account) Name() string {
	if a.DisplayName != "" {
		return a.DisplayName
	}
	return a.ResourceID
}

// Keys are an account's matching keys by kind: a struct, not a map, as
// a fleet holds hundreds of thousands.
type Keys struct{ Email, Login, EmployeeID []string }

// Of is the keys of one kind (email, login, employee_id).
func (k *Keys) Of(kind string) []string {
	switch kind {
	case "email":
		return k.Email
	case "login":
		return k.Login
	case "employee_id":
		return k.EmployeeID
	}
	return nil
}

func (k *Keys) add(kind, v string) {
	switch kind {
	case "email":
		k.Email = append(k.Email, v)
	case "login":
		k.Login = append(k.Login, v)
	case "employee_id":
		k.EmployeeID = append(k.EmployeeID, v)
	}
}

// Keys are the account's matching keys of one kind.
func (a *Account) Keys(kind string) []string { return a.keys.Of(kind) }

// readAccounts lists the accounts of one app and what each holds, in one
// pass over its resources and one over its grants. An account is a
// resource with a UserTrait, or a principal of a grant that the file does
// not list, of a type with the user trait (a guest, an account of another
// directory): known only by its id, which keys it when it is an address.
func readAccounts(ctx context.Context, app *App, st *c1z.Reader) ([]*Account, error) {
	var out []*Account
	byID := map[string]*Account{}
	userTypes := map[string]bool{}
	for rt, err := range st.ResourceTypes(ctx, app.SyncID) {
		if err != nil {
			return nil, err
		}
		if slices.Contains(rt.GetTraits(), connectorv2.ResourceType_TRAIT_USER) {
			userTypes[rt.GetId()] = true
		}
	}
	listed := map[string]bool{}
	for r, err := range st.Resources(ctx, c1z.ResourceQuery{SyncID: app.SyncID}) {
		if err != nil {
			return nil, err
		}
		listed[c1z.ResourceExternalID(r.GetId())] = true
		var ut connectorv2.UserTrait
		if ok, err := annotations.Annotations(r.GetAnnotations()).Pick(&ut); err != nil || !ok {
			continue
		}
		a := &Account{App: app, ResourceType: r.GetId().GetResourceType(), ResourceID: r.GetId().GetResource(), DisplayName: r.GetDisplayName(),
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
	for v, err := range st.GrantViews(ctx, c1z.GrantQuery{SyncID: app.SyncID}) {
		if err != nil {
			return nil, err
		}
		pid := v.Grant.GetPrincipal().GetId()
		ref := c1z.ResourceExternalID(pid)
		a := byID[ref]
		if a == nil && !listed[ref] && userTypes[pid.GetResourceType()] {
			a = &Account{App: app, ResourceType: pid.GetResourceType(), ResourceID: pid.GetResource(), Status: "unspecified", Type: "unspecified"}
			if strings.Contains(pid.GetResource(), "@") {
				a.add("email", pid.GetResource())
			}
			out = append(out, a)
			byID[ref] = a
		}
		if a == nil {
			continue
		}
		ent := v.Entitlement
		if ent == nil {
			ent = v.Grant.GetEntitlement()
		}
		h := Holding{Entitlement: ent.GetId(), Name: cmp.Or(ent.GetDisplayName(), ent.GetSlug())}
		h.Direct, h.Through = grant.HeldVia(v.Grant, ent.GetId())
		a.Holdings = append(a.Holdings, h)
	}
	return out, nil
}

func (a *Account) add(kind, v string) {
	if v = normalise(v); v != "" {
		a.keys.add(kind, v)
	}
}

func normalise(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

func lowerName(s, prefix string) string { return strings.ToLower(strings.TrimPrefix(s, prefix)) }
