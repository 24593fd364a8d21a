package cli_test

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/batonkit/batonkit/internal/cli"
	connectorv2 "github.com/batonkit/batonkit/pb/c1/connector/v2"
	"github.com/batonkit/batonkit/pkg/annotations"
	"github.com/batonkit/batonkit/pkg/c1z"
)

// auditFile is a small org an auditor asks about: two users named Ada (one
// a disabled service account), Grace, a group "eng" whose membership the
// connector did not mark expandable, a role eng holds, and a resource type
// with nothing in it.
func auditFile(t *testing.T) string {
	res := func(typ, id, name string, annos ...*connectorv2.UserTrait) *connectorv2.Resource {
		r := &connectorv2.Resource{Id: &connectorv2.ResourceId{ResourceType: typ, Resource: id}, DisplayName: name}
		for _, a := range annos {
			r.Annotations = annotations.New(a)
		}
		return r
	}
	status := func(s connectorv2.UserTrait_Status_Status, at connectorv2.UserTrait_AccountType) *connectorv2.UserTrait {
		return &connectorv2.UserTrait{Status: &connectorv2.UserTrait_Status{Status: s}, AccountType: at}
	}
	ada1 := res("user", "u1", "Ada", status(connectorv2.UserTrait_Status_STATUS_ENABLED, connectorv2.UserTrait_ACCOUNT_TYPE_HUMAN))
	ada2 := res("user", "u2", "Ada", status(connectorv2.UserTrait_Status_STATUS_DISABLED, connectorv2.UserTrait_ACCOUNT_TYPE_SERVICE))
	grace := res("user", "u3", "Grace Hopper", status(connectorv2.UserTrait_Status_STATUS_ENABLED, connectorv2.UserTrait_ACCOUNT_TYPE_HUMAN))
	eng := res("group", "cn=eng,ou=groups,dc=example,dc=com", "Engineering")
	admin := res("role", "16388", "db_admin")
	member := &connectorv2.Entitlement{Id: "group:cn=eng,ou=groups,dc=example,dc=com:member", Resource: eng, Slug: "member", DisplayName: "Engineering member",
		Purpose: connectorv2.Entitlement_PURPOSE_VALUE_ASSIGNMENT}
	insert := &connectorv2.Entitlement{Id: "role:16388:insert", Resource: admin, Slug: "insert", DisplayName: "Insert into sales.orders",
		Purpose: connectorv2.Entitlement_PURPOSE_VALUE_PERMISSION}
	grant := func(e *connectorv2.Entitlement, p *connectorv2.Resource) *connectorv2.Grant {
		return &connectorv2.Grant{Id: e.GetId() + ":" + p.GetId().GetResourceType() + ":" + p.GetId().GetResource(), Entitlement: e,
			Principal: &connectorv2.Resource{Id: p.GetId()}}
	}
	return syncFile(t, func(ctx context.Context, w *c1z.SyncWriter) error {
		return errors.Join(
			w.PutResourceTypes(ctx, &connectorv2.ResourceType{Id: "user", DisplayName: "User", Traits: []connectorv2.ResourceType_Trait{connectorv2.ResourceType_TRAIT_USER}},
				&connectorv2.ResourceType{Id: "group", DisplayName: "Group"}, &connectorv2.ResourceType{Id: "role", DisplayName: "Role"},
				&connectorv2.ResourceType{Id: "app", DisplayName: "App"}),
			w.PutResources(ctx, ada1, ada2, grace, eng, admin),
			w.PutEntitlements(ctx, member, insert),
			w.PutGrants(ctx, grant(member, ada1), grant(member, grace), grant(insert, eng), grant(insert, ada2)))
	})
}

func TestNamesWhereIDsGo(t *testing.T) {
	file := auditFile(t)
	for _, tc := range []struct {
		name string
		args []string
		code int
		want []string // in stdout, or stderr when the exit is not 0
		not  []string
	}{
		{"access by name", []string{"access", "-t", "user", "-r", "grace hopper"}, 0, []string{"group:cn=eng,ou=groups,dc=example,dc=com", "Engineering", "granted by the connector"}, nil},
		{"grants by principal name", []string{"grants", "--principal", "user:Grace Hopper"}, 0, []string{"Engineering member", "user:u3", "Grace Hopper"}, []string{"u1"}},
		{"grants by resource name", []string{"grants", "-t", "role", "-r", "db_admin"}, 0, []string{"role:16388:insert", "Engineering"}, nil},
		{"grants by entitlement name", []string{"grants", "-e", "insert into sales.orders"}, 0, []string{"role:16388:insert"}, nil},
		{"principal as printed, colons and all", []string{"grants", "--principal", "group:cn=eng,ou=groups,dc=example,dc=com"}, 0, []string{"role:16388:insert"}, nil},
		{"entitlements by resource name", []string{"entitlements", "-t", "group", "-r", "engineering"}, 0, []string{"group:cn=eng,ou=groups,dc=example,dc=com:member"}, nil},
		{"principals by entitlement name", []string{"principals", "-e", "Engineering member"}, 0, []string{"u1", "u3"}, nil},
		{"ambiguous name", []string{"access", "-t", "user", "-r", "ada"}, cli.ExitUsage, []string{`2 user resources are named "ada"`, "user:u1", "user:u2"}, nil},
		{"ambiguous principal", []string{"grants", "--principal", "user:Ada"}, cli.ExitUsage, []string{"user:u1, user:u2"}, nil},
		{"unknown name", []string{"access", "-t", "user", "-r", "Linus"}, cli.ExitUnknown, []string{`no user "Linus"`}, nil},
		{"bad principal", []string{"grants", "--principal", "u1"}, cli.ExitUsage, []string{"<resource type>:<id or display name>"}, nil},
		{"positional argument", []string{"resources", "role"}, cli.ExitUsage, []string{"unknown command"}, nil},
		{"unknown command", []string{"nosuch"}, cli.ExitUsage, []string{"unknown command"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, stderr, code := run(t, append([]string{"-f", file}, tc.args...)...)
			where := out
			if tc.code != 0 {
				where = stderr
			}
			if code != tc.code {
				t.Fatalf("exit %d, want %d\n%s%s", code, tc.code, out, stderr)
			}
			for _, w := range tc.want {
				if !strings.Contains(where, w) {
					t.Errorf("missing %q in:\n%s", w, where)
				}
			}
			for _, n := range tc.not {
				if strings.Contains(where, n) {
					t.Errorf("unexpected %q in:\n%s", n, where)
				}
			}
		})
	}
}

func TestSearchAndAccountFilters(t *testing.T) {
	file := auditFile(t)
	for _, tc := range []struct {
		args      []string
		code      int
		want, not []string
	}{
		{[]string{"search", "ada"}, 0, []string{"u1", "u2", "disabled", "service"}, []string{"u3", "Engineering"}},
		{[]string{"search", "CN=ENG"}, 0, []string{"Engineering"}, []string{"Ada"}},
		{[]string{"search", "eng", "-t", "role"}, 0, nil, []string{"Engineering"}},
		{[]string{"search", "", "--status", "disabled"}, 0, []string{"u2"}, []string{"u1", "u3"}},
		{[]string{"resources", "-t", "user", "--account-type", "human"}, 0, []string{"u1", "u3", "STATUS", "ACCOUNT TYPE"}, []string{"u2"}},
		{[]string{"resources", "--name", "hopper"}, 0, []string{"u3"}, []string{"u1"}},
		{[]string{"resources", "--status", "asleep"}, cli.ExitUsage, nil, nil},
		{[]string{"search"}, cli.ExitUsage, nil, nil},
		{[]string{"search", "x", "-t", "usr"}, cli.ExitUnknown, nil, nil},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			out, stderr, code := run(t, append([]string{"-f", file}, tc.args...)...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d: %s", code, tc.code, stderr)
			}
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("missing %q in:\n%s", w, out)
				}
			}
			for _, n := range tc.not {
				if strings.Contains(out, n) {
					t.Errorf("unexpected %q in:\n%s", n, out)
				}
			}
		})
	}
}

// One rule for a question whose answer is empty (the ids in it exist):
// exit 0, no table (not even its header) on stdout, "baton: no ...
// matched" on stderr; with -o json, Baton's empty document. Asking about
// something the sync does not hold is another matter: exit 8.
func TestNothingMatchedIsOneRule(t *testing.T) {
	file := auditFile(t)
	for _, tc := range []struct {
		args []string
		says string
	}{
		{[]string{"search", "nobody-has-this"}, "no resource matched"},
		{[]string{"resources", "-t", "app"}, "no resource matched"},
		{[]string{"resources", "-t", "user", "--status", "deleted"}, "no resource matched"},
		{[]string{"entitlements", "-t", "app"}, "no entitlement matched"},
		{[]string{"grants", "-t", "app"}, "no grant matched"},
		{[]string{"grants", "--principal", "role:16388"}, "no grant matched"},
		{[]string{"access", "-t", "role", "-r", "16388"}, "no grant matched"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			out, stderr, code := run(t, append([]string{"-f", file}, tc.args...)...)
			if code != 0 || out != "" || stderr != "baton: "+tc.says+"\n" {
				t.Errorf("exit %d, stdout %q, stderr %q; want 0, nothing, %q", code, out, stderr, tc.says)
			}
			out, _, code = run(t, append([]string{"-f", file, "-o", "json"}, tc.args...)...)
			if code != 0 || !strings.HasPrefix(strings.TrimSpace(out), "{") {
				t.Errorf("-o json: exit %d, %q", code, out)
			}
		})
	}
	if _, stderr, code := run(t, "-f", file, "grants", "-t", "apps"); code != cli.ExitUnknown || !strings.Contains(stderr, "app") {
		t.Errorf("an unknown type: exit %d, %q; want %d with the closest match", code, stderr, cli.ExitUnknown)
	}
}

// Membership the connector recorded but did not mark expandable is
// followed only with --effective, and labelled derived.
func TestEffectiveFollowsMembership(t *testing.T) {
	file := auditFile(t)
	out, _, _ := run(t, "-f", file, "access", "-t", "user", "-r", "u3")
	if strings.Contains(out, "role:16388:insert") {
		t.Fatalf("access without --effective follows membership:\n%s", out)
	}
	out, _, code := run(t, "-f", file, "access", "-t", "user", "-r", "u3", "--effective")
	if code != 0 || !strings.Contains(out, "role:16388:insert") || !strings.Contains(out, "derived through group:cn=eng,ou=groups,dc=example,dc=com:member") {
		t.Fatalf("access --effective:\n%s", out)
	}
	out, _, _ = run(t, "-f", file, "principals", "-e", "role:16388:insert", "--effective")
	for _, w := range []string{"u1", "u3", "derived through group:cn=eng,ou=groups,dc=example,dc=com:member", "u2"} {
		if !strings.Contains(out, w) {
			t.Fatalf("principals --effective lacks %q:\n%s", w, out)
		}
	}
	out, _, _ = run(t, "-f", file, "-o", "json", "principals", "-e", "role:16388:insert", "--effective")
	var doc struct {
		Resources []json.RawMessage `json:"resources"`
		Derived   []struct {
			Principal string   `json:"principal"`
			Through   []string `json:"through"`
		} `json:"derived"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil || len(doc.Resources) != 2 || len(doc.Derived) != 2 {
		t.Fatalf("principals --effective -o json: %v\n%s", err, out)
	}
}

// One jq-style walk over the exported grants answers "who can insert
// into sales.orders" by name.
func TestExportJSONNamesGrants(t *testing.T) {
	out, _, code := run(t, "-f", auditFile(t), "export", "json")
	var doc struct {
		Grants []struct {
			Entitlement struct {
				DisplayName string `json:"displayName"`
				Resource    struct {
					DisplayName string `json:"displayName"`
				} `json:"resource"`
			} `json:"entitlement"`
			Principal struct {
				DisplayName string `json:"displayName"`
			} `json:"principal"`
		} `json:"grants"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &doc) != nil {
		t.Fatalf("export json: exit %d\n%s", code, out)
	}
	var who []string
	for _, g := range doc.Grants {
		if g.Entitlement.DisplayName == "Insert into sales.orders" && g.Entitlement.Resource.DisplayName == "db_admin" {
			who = append(who, g.Principal.DisplayName)
		}
	}
	if strings.Join(who, ",") != "Engineering,Ada" {
		t.Fatalf("who can insert into sales.orders: %q", who)
	}
}

func TestStatsListsEmptyTypes(t *testing.T) {
	out, _, code := run(t, "-f", auditFile(t), "stats")
	if code != 0 || !strings.Contains(out, "app ") {
		t.Fatalf("stats leaves out a type with no objects:\n%s", out)
	}
}

// The upstream fixtures answer names as well as ids.
func TestNamesOnUpstreamFixtures(t *testing.T) {
	file := filepath.Join(fixtureDir(t), "demo-v1.c1z")
	byID, _, _ := run(t, "-f", file, "access", "-t", "user", "-r", "2IC0Wn5oRQqVVn3COFl1O1zSzV6")
	byName, _, code := run(t, "-f", file, "access", "-t", "user", "-r", "alice")
	if code != 0 || byID != byName || !strings.Contains(byName, "Engineers") {
		t.Fatalf("access by name differs from by id:\n%s\n%s", byID, byName)
	}
	_, stderr, code := run(t, "-f", file, "principals", "-e", "member")
	if code != cli.ExitUsage || !strings.Contains(stderr, "group:2IC0WjepYDBsRp6b7cqrumGsVGt:member") {
		t.Fatalf("an entitlement name shared by two groups: exit %d %s", code, stderr)
	}
}
