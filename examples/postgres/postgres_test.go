package postgres_test

import (
	"context"
	"errors"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/batonkit/batonkit/examples/postgres"
	"github.com/batonkit/batonkit/internal/testkit"
	connectorv2 "github.com/batonkit/batonkit/pb/c1/connector/v2"
	"github.com/batonkit/batonkit/pkg/c1z"
	"github.com/batonkit/batonkit/pkg/connector"
	"github.com/batonkit/batonkit/pkg/connectortest"
	"github.com/batonkit/batonkit/pkg/sync"
)

// seed makes a small estate a DBA would recognise: nested group roles,
// login roles (one expired, names with a quote, a space and unicode), a
// superuser, a database with a schema, tables and a view, and privileges
// given to roles, to a user WITH GRANT OPTION and to PUBLIC.
func seed(t *testing.T, dsn string) {
	run(t, dsn,
		`create role data_team nologin`,
		`create role analysts nologin`,
		`grant data_team to analysts`,
		`create role app_admin nologin`,
		`create role ada login password 'ada-secret-pw'`,
		`create role "o'brien dev" login valid until '2001-01-01'`,
		`create role "Zoë" login`,
		`create role boss login superuser createdb`,
		`grant analysts to ada`,
		`grant app_admin to "Zoë" with admin option`,
		`create database app`,
		`revoke connect on database app from public`,
		`grant connect on database app to analysts`,
	)
	run(t, dbDSN(dsn, "app"),
		`create schema sales`,
		`create table sales.orders (id int)`,
		`create table sales."weird ""name"" ü" (x int)`,
		`create view sales.totals as select count(*) from sales.orders`,
		`grant usage on schema sales to data_team`,
		`grant select on sales.orders to data_team`,
		`grant insert on sales.orders to ada with grant option`,
		`grant select on sales.totals to public`,
	)
}

type synced struct {
	st  *c1z.Reader
	ids map[string]string // role name -> resource "type:oid"
}

// syncAll syncs the server into a new file and opens it.
func syncAll(t *testing.T, dsn string) (*postgres.Connector, synced) {
	t.Helper()
	c, err := postgres.New(postgres.Config{DSN: dsn})
	testkit.Must(t, err)
	t.Cleanup(c.Close)
	return c, resync(t, c, dsn)
}

func resync(t *testing.T, c *postgres.Connector, dsn string) synced {
	t.Helper()
	ctx := context.Background()
	srv, err := connector.NewServer(ctx, c)
	testkit.Must(t, err)
	path := filepath.Join(t.TempDir(), "pg.c1z")
	st, err := c1z.Open(ctx, path)
	testkit.Must(t, err)
	if _, err := sync.New(connector.InProcessClient(srv), st).Run(ctx); err != nil {
		t.Fatal(err)
	}
	testkit.Must(t, st.Close(ctx))
	r, err := c1z.OpenReader(ctx, path)
	testkit.Must(t, err)
	t.Cleanup(func() { r.Close(ctx) })
	s := synced{st: r, ids: map[string]string{}}
	for res, err := range r.Resources(ctx, c1z.ResourceQuery{}) {
		testkit.Must(t, err)
		if k := res.GetId().GetResourceType(); k == "user" || k == "role" {
			s.ids[res.GetDisplayName()] = k + ":" + res.GetId().GetResource()
		}
		if k := res.GetId().GetResourceType(); k == "table" || k == "schema" {
			s.ids[res.GetDisplayName()] = k + ":" + res.GetId().GetResource()
		}
		if k := res.GetId().GetResourceType(); k == "database" {
			// Databases and roles may share names (postgres).
			s.ids["database "+res.GetDisplayName()] = k + ":" + res.GetId().GetResource()
		}
	}
	_ = dsn
	return s
}

// has reports whether the file holds grant of entitlement slug on the
// object named obj to the principal named who.
func (s synced) has(t *testing.T, obj, slug, who string) (*connectorv2.Grant, bool) {
	t.Helper()
	o, p := s.ids[obj], s.ids[who]
	if o == "" || p == "" {
		t.Fatalf("no %q or %q in the sync (%v)", obj, who, s.ids)
	}
	g, err := s.st.Grant(context.Background(), "", o+":"+slug+":"+p)
	if errors.Is(err, c1z.ErrNotFound) {
		return nil, false
	}
	testkit.Must(t, err)
	return g, true
}

func TestSyncMatchesTheCatalog(t *testing.T) {
	dsn := startPostgres(t)
	seed(t, dsn)
	_, s := syncAll(t, dsn)
	ctx := context.Background()

	// Every role the catalog has, as a user or a role, by name.
	conn, err := pgx.Connect(ctx, dsn)
	testkit.Must(t, err)
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, "select rolname, rolcanlogin from pg_roles")
	testkit.Must(t, err)
	n := 0
	for rows.Next() {
		var name string
		var login bool
		testkit.Must(t, rows.Scan(&name, &login))
		n++
		want := map[bool]string{true: "user:", false: "role:"}[login]
		if !strings.HasPrefix(s.ids[name], want) {
			t.Errorf("role %q is %q in the sync, want a %s", name, s.ids[name], want)
		}
	}
	rows.Close()
	if n < 8 || s.ids["PUBLIC"] != "role:public" {
		t.Fatalf("%d roles; PUBLIC is %q", n, s.ids["PUBLIC"])
	}

	for _, tc := range []struct {
		obj, slug, who string
		want           bool
	}{
		{"analysts", "member", "ada", true},  // direct
		{"data_team", "member", "ada", true}, // nested: expanded from analysts
		{"app_admin", "admin", "Zoë", true},  // WITH ADMIN OPTION
		{"app.sales.orders", "select", "data_team", true},
		{"app.sales.orders", "select", "ada", true}, // through data_team, expanded
		{"app.sales.orders", "insert", "ada", true},
		{"app.sales.orders", "insert-grant-option", "ada", true},
		{"app.sales.orders", "owner", "postgres", true},
		{"app.sales.totals", "select", "PUBLIC", true},
		{`app.sales.weird "name" ü`, "owner", "postgres", true},
		{"app.sales", "usage", "data_team", true},
		{"database app", "connect", "analysts", true},
		{"database app", "connect", "PUBLIC", false},     // revoked from PUBLIC
		{"database postgres", "connect", "PUBLIC", true}, // the default ACL
		{"app.sales.orders", "select", "Zoë", false},
	} {
		if _, got := s.has(t, tc.obj, tc.slug, tc.who); got != tc.want {
			t.Errorf("%s %s %s: %v, want %v", tc.obj, tc.slug, tc.who, got, tc.want)
		}
	}
	if g, _ := s.has(t, "app.sales.orders", "select", "ada"); len(g.GetSources().GetSources()) == 0 {
		t.Errorf("ada's select through data_team has no sources: %v", g)
	}
	for _, who := range []string{"boss", "postgres"} {
		if _, ok := s.st.Grant(ctx, "", "cluster:cluster:superuser:"+s.ids[who]); ok != nil {
			t.Errorf("%s is not a superuser in the sync: %v", who, ok)
		}
	}
	expired, err := s.st.Resource(ctx, "", &connectorv2.ResourceId{ResourceType: "user", Resource: strings.TrimPrefix(s.ids["o'brien dev"], "user:")})
	testkit.Must(t, err)
	var ut connectorv2.UserTrait
	for _, a := range expired.GetAnnotations() {
		if a.MessageIs(&ut) {
			testkit.Must(t, a.UnmarshalTo(&ut))
		}
	}
	if ut.GetStatus().GetStatus() != connectorv2.UserTrait_Status_STATUS_DISABLED {
		t.Errorf("a role past VALID UNTIL is %v, want disabled", ut.GetStatus())
	}
}

func TestConformance(t *testing.T) {
	dsn := startPostgres(t)
	seed(t, dsn)
	c, err := postgres.New(postgres.Config{DSN: dsn})
	testkit.Must(t, err)
	defer c.Close()
	// Built-in roles (pg_*) cannot all be members of other roles.
	connectortest.Run(t, c, connectortest.WithProvisioningFilter(func(e *connectorv2.Entitlement, p *connectorv2.Resource) bool {
		return !strings.HasPrefix(p.GetDisplayName(), "pg_") && p.GetId().GetResource() != e.GetResource().GetId().GetResource()
	}))
}

// Every change the connector makes is visible in the next sync, and in
// the catalog itself; a second identical change says nothing changed.
func TestProvisioning(t *testing.T) {
	dsn := startPostgres(t)
	seed(t, dsn)
	c, s := syncAll(t, dsn)
	ctx := context.Background()
	srv, err := connector.NewServer(ctx, c)
	testkit.Must(t, err)
	client := connector.InProcessClient(srv)
	ent := func(s synced, obj, slug string) *connectorv2.Entitlement {
		e, err := s.st.Entitlement(ctx, "", s.ids[obj]+":"+slug)
		testkit.Must(t, err)
		return e
	}
	principal := func(s synced, who string) *connectorv2.Resource {
		typ, id, _ := strings.Cut(s.ids[who], ":")
		r, err := s.st.Resource(ctx, "", &connectorv2.ResourceId{ResourceType: typ, Resource: id})
		testkit.Must(t, err)
		return r
	}
	grantTo := func(s synced, obj, slug, who string) annotationsList {
		resp, err := client.Grant(ctx, &connectorv2.GrantManagerServiceGrantRequest{Entitlement: ent(s, obj, slug), Principal: principal(s, who)})
		testkit.Must(t, err)
		return resp.GetAnnotations()
	}
	// Membership, a table privilege with grant option, to a role whose
	// name needs quoting; and a privilege to PUBLIC.
	grantTo(s, "app_admin", "member", "o'brien dev")
	grantTo(s, `app.sales.weird "name" ü`, "select-grant-option", "Zoë")
	grantTo(s, "app.sales.orders", "select", "PUBLIC")
	if annos := grantTo(s, "app_admin", "member", "o'brien dev"); !containsType(annos, "GrantAlreadyExists") {
		t.Errorf("a second grant does not say it was already there: %v", annos)
	}
	s2 := resync(t, c, dsn)
	for _, g := range [][3]string{{"app_admin", "member", "o'brien dev"}, {`app.sales.weird "name" ü`, "select-grant-option", "Zoë"},
		{`app.sales.weird "name" ü`, "select", "Zoë"}, {"app.sales.orders", "select", "PUBLIC"}} {
		if _, ok := s2.has(t, g[0], g[1], g[2]); !ok {
			t.Errorf("after granting, %v is not in the sync", g)
		}
	}
	// Revoke them with the grants as stored.
	for _, g := range [][3]string{{"app_admin", "member", "o'brien dev"}, {`app.sales.weird "name" ü`, "select", "Zoë"}, {"app.sales.orders", "select", "PUBLIC"}} {
		stored, _ := s2.has(t, g[0], g[1], g[2])
		stored.Entitlement = ent(s2, g[0], g[1])
		if _, err := client.Revoke(ctx, &connectorv2.GrantManagerServiceRevokeRequest{Grant: stored}); err != nil {
			t.Fatalf("revoke %v: %v", g, err)
		}
	}
	s3 := resync(t, c, dsn)
	for _, g := range [][3]string{{"app_admin", "member", "o'brien dev"}, {`app.sales.weird "name" ü`, "select", "Zoë"}, {"app.sales.orders", "select", "PUBLIC"}} {
		if _, ok := s3.has(t, g[0], g[1], g[2]); ok {
			t.Errorf("after revoking, %v is still in the sync", g)
		}
	}
	// Ownership is not a grant.
	if _, err := client.Grant(ctx, &connectorv2.GrantManagerServiceGrantRequest{Entitlement: ent(s3, "app.sales.orders", "owner"), Principal: principal(s3, "ada")}); err == nil ||
		!strings.Contains(err.Error(), "OWNER TO") {
		t.Errorf("granting ownership: %v", err)
	}

	// A new login role with a generated password that logs in; a new
	// password; then the role dropped.
	created, err := client.CreateAccount(ctx, &connectorv2.CreateAccountRequest{AccountInfo: &connectorv2.AccountInfo{Login: "new hire"},
		CredentialOptions: &connectorv2.CredentialOptions{Options: &connectorv2.CredentialOptions_RandomPassword_{RandomPassword: &connectorv2.CredentialOptions_RandomPassword{Length: 24}}},
		EncryptionConfigs: []*connectorv2.EncryptionConfig{ageConfig}})
	testkit.Must(t, err)
	pw := decrypt(t, created.GetEncryptedData())
	loginAs(t, dsn, "new hire", pw)
	id := created.GetSuccess().GetResource().GetId()
	rotated, err := client.RotateCredential(ctx, &connectorv2.RotateCredentialRequest{ResourceId: id,
		CredentialOptions: &connectorv2.CredentialOptions{Options: &connectorv2.CredentialOptions_RandomPassword_{RandomPassword: &connectorv2.CredentialOptions_RandomPassword{Length: 24}}},
		EncryptionConfigs: []*connectorv2.EncryptionConfig{ageConfig}})
	testkit.Must(t, err)
	if pw2 := decrypt(t, rotated.GetEncryptedData()); pw2 == pw {
		t.Fatal("the rotated password is the old one")
	} else {
		loginAs(t, dsn, "new hire", pw2)
	}
	if _, err := client.DeleteResourceV2(ctx, &connectorv2.DeleteResourceV2Request{ResourceId: id}); err != nil {
		t.Fatal(err)
	}
	if _, ok := resync(t, c, dsn).ids["new hire"]; ok {
		t.Fatal("the dropped role is still synced")
	}
}

// A wrong password and a server that is down fail with clear errors; a
// role dropped between listing it and asking for its members is not
// fatal.
func TestBadInput(t *testing.T) {
	dsn := startPostgres(t)
	seed(t, dsn)
	ctx := context.Background()
	cfg, _ := pgx.ParseConfig(dsn)
	wrong := "postgres://ada:not-the-password@" + cfg.Host + ":" + strconv.Itoa(int(cfg.Port)) + "/postgres?sslmode=disable"
	c, err := postgres.New(postgres.Config{DSN: wrong})
	testkit.Must(t, err)
	defer c.Close()
	if _, err := c.Validate(ctx); err == nil || !strings.Contains(err.Error(), "password authentication failed") {
		t.Fatalf("wrong password: %v", err)
	}
	down, err := postgres.New(postgres.Config{DSN: "postgres://postgres@127.0.0.1:1/postgres?sslmode=disable&connect_timeout=2"})
	testkit.Must(t, err)
	defer down.Close()
	if _, err := down.Validate(ctx); err == nil || !strings.Contains(err.Error(), "unreachable") {
		t.Fatalf("server down: %v", err)
	}
	if _, err := postgres.New(postgres.Config{DSN: "::not a dsn::secret"}); err == nil || strings.Contains(err.Error(), "secret") {
		t.Fatalf("a bad connection string: %v (must not echo it)", err)
	}
	// A table dropped after the listing: its grants answer NotFound,
	// which the syncer skips.
	good, err := postgres.New(postgres.Config{DSN: dsn})
	testkit.Must(t, err)
	defer good.Close()
	s := resync(t, good, dsn)
	run(t, dbDSN(dsn, "app"), `drop view sales.totals`)
	typ, id, _ := strings.Cut(s.ids["app.sales.totals"], ":")
	for _, rs := range good.ResourceSyncers(ctx) {
		if rs.ResourceType(ctx).GetId() != typ {
			continue
		}
		_, err := rs.Grants(ctx, &connectorv2.Resource{Id: &connectorv2.ResourceId{ResourceType: typ, Resource: id}}, connector.PageRequest{})
		if !errors.Is(err, connector.ErrNotFound) {
			t.Fatalf("grants of a dropped view: %v, want ErrNotFound", err)
		}
	}
}
