package c1ztest

import (
	"context"
	"path/filepath"
	"testing"

	connectorv2 "github.com/batonkit/batonkit/pb/c1/connector/v2"
	"github.com/batonkit/batonkit/pkg/annotations"
	"github.com/batonkit/batonkit/pkg/c1z"
)

// FleetUser is one account of a test app.
type FleetUser struct {
	ID, Name string
	Emails   []string // the first is primary
	Login    string
	Disabled bool
	Service  bool
	Groups   []string // the app's groups it is a member of
	Unlisted bool     // only a principal of its grants, not a resource of the app (a guest)
}

// WriteApp writes one app's finished sync: its users, and a group per
// name in their Groups with a member entitlement granted to each member.
func WriteApp(t testing.TB, path string, users []FleetUser) string {
	t.Helper()
	ctx := context.Background()
	st, err := c1z.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	run, err := st.StartSync(ctx, c1z.SyncFull, "")
	if err != nil {
		t.Fatal(err)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(run.PutResourceTypes(ctx, &connectorv2.ResourceType{Id: "user", DisplayName: "User", Traits: []connectorv2.ResourceType_Trait{connectorv2.ResourceType_TRAIT_USER}},
		&connectorv2.ResourceType{Id: "group", DisplayName: "Group", Traits: []connectorv2.ResourceType_Trait{connectorv2.ResourceType_TRAIT_GROUP}}))
	groups := map[string]*connectorv2.Entitlement{}
	for _, u := range users {
		ut := &connectorv2.UserTrait{Login: u.Login, Status: &connectorv2.UserTrait_Status{Status: connectorv2.UserTrait_Status_STATUS_ENABLED},
			AccountType: connectorv2.UserTrait_ACCOUNT_TYPE_HUMAN}
		if u.Disabled {
			ut.Status.Status = connectorv2.UserTrait_Status_STATUS_DISABLED
		}
		if u.Service {
			ut.AccountType = connectorv2.UserTrait_ACCOUNT_TYPE_SERVICE
		}
		for i, e := range u.Emails {
			ut.Emails = append(ut.Emails, &connectorv2.UserTrait_Email{Address: e, IsPrimary: i == 0})
		}
		if !u.Unlisted {
			must(run.PutResources(ctx, &connectorv2.Resource{Id: &connectorv2.ResourceId{ResourceType: "user", Resource: u.ID}, DisplayName: u.Name,
				Annotations: annotations.New(ut)}))
		}
		for _, g := range u.Groups {
			if groups[g] == nil {
				r := &connectorv2.Resource{Id: &connectorv2.ResourceId{ResourceType: "group", Resource: g}, DisplayName: g,
					Annotations: annotations.New(&connectorv2.GroupTrait{})}
				must(run.PutResources(ctx, r))
				e := &connectorv2.Entitlement{Id: "group:" + g + ":member", Resource: r, DisplayName: g + " member", Slug: "member"}
				must(run.PutEntitlements(ctx, e))
				groups[g] = e
			}
		}
	}
	for _, u := range users {
		for _, g := range u.Groups {
			p := &connectorv2.Resource{Id: &connectorv2.ResourceId{ResourceType: "user", Resource: u.ID}}
			must(run.PutGrants(ctx, &connectorv2.Grant{Id: groups[g].GetId() + ":user:" + u.ID, Entitlement: groups[g], Principal: p}))
		}
	}
	_, err = run.End(ctx)
	must(err)
	must(st.Close(ctx))
	return path
}

// Fleet writes three apps into dir, seeded with the same people: the
// IdP (idp.c1z), a wiki and an HR app (hr.c1z, copied into v3's layout).
//   - Ada is in all three, by email (the wiki lists a second address first
//     as its primary; HR knows her by login only).
//   - Bob left: disabled in the IdP, still enabled in the wiki.
//   - Eve has a wiki account and nothing in the IdP.
//   - the wiki's deploy bot is a service account sharing Ada's address.
func Fleet(t testing.TB, dir string) (idp, wiki, hr string) {
	t.Helper()
	idp = WriteApp(t, filepath.Join(dir, "idp.c1z"), []FleetUser{
		{ID: "00u1", Name: "Ada Lovelace", Emails: []string{"ada@example.com"}, Login: "ada", Groups: []string{"engineering"}},
		{ID: "00u2", Name: "Bob Marley", Emails: []string{"bob@example.com"}, Login: "bob", Disabled: true},
		{ID: "00u3", Name: "Cy Young", Emails: []string{"cy@example.com"}, Login: "cy"},
	})
	wiki = WriteApp(t, filepath.Join(dir, "wiki.c1z"), []FleetUser{
		{ID: "w1", Name: "ada", Emails: []string{"a.lovelace@example.org", "ADA@example.com"}, Groups: []string{"editors", "admins"}},
		{ID: "w2", Name: "Bob", Emails: []string{"bob@example.com"}, Groups: []string{"editors"}},
		{ID: "w3", Name: "Eve", Emails: []string{"eve@elsewhere.test"}, Groups: []string{"admins"}},
		{ID: "w4", Name: "deploy bot", Emails: []string{"ada@example.com"}, Service: true, Groups: []string{"admins"}},
	})
	v1 := WriteApp(t, filepath.Join(t.TempDir(), "hr.c1z"), []FleetUser{
		{ID: "e17", Name: "Lovelace, Ada", Login: "ADA", Groups: []string{"payroll"}},
		{ID: "e18", Name: "Cy Young", Emails: []string{"cy@example.com"}, Disabled: true},
	})
	hr = filepath.Join(dir, "hr.c1z")
	if err := CopyToV3(context.Background(), v1, hr); err != nil {
		t.Fatal(err)
	}
	return idp, wiki, hr
}
