package fleet_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	goldap "github.com/go-ldap/ldap/v3"
	"github.com/jackc/pgx/v5"

	"github.com/batonkit/batonkit/examples/httpapp"
	"github.com/batonkit/batonkit/examples/ldap"
	"github.com/batonkit/batonkit/examples/postgres"
	"github.com/batonkit/batonkit/examples/sqlapp"
	"github.com/batonkit/batonkit/internal/cli"
	"github.com/batonkit/batonkit/internal/pgtest"
	"github.com/batonkit/batonkit/internal/slapdtest"
	"github.com/batonkit/batonkit/pkg/connector"
	"github.com/batonkit/batonkit/pkg/runner"
)

func baton(t *testing.T, args ...string) string {
	t.Helper()
	var out, errb bytes.Buffer
	if code := cli.Execute(context.Background(), args, &out, &errb); code != 0 {
		t.Fatalf("baton %v: exit %d\n%s", args, code, errb.String())
	}
	return out.String()
}

func sync(t *testing.T, c connector.Connector, path string) {
	t.Helper()
	ctx := context.Background()
	srv, err := connector.NewServer(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	if err := runner.SyncToFile(ctx, connector.InProcessClient(srv), path, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatal(err)
	}
}

// emails lists a file's users by email, from its own listing.
func emails(t *testing.T, file string) map[string]string {
	t.Helper()
	var out struct {
		Resources []struct {
			Resource struct {
				ID          struct{ Resource string } `json:"id"`
				Annotations []struct {
					Emails []struct{ Address string }
				}
			}
		}
	}
	if err := json.Unmarshal([]byte(baton(t, "-f", file, "-o", "json", "resources", "-t", "user")), &out); err != nil {
		t.Fatal(err)
	}
	m := map[string]string{}
	for _, r := range out.Resources {
		for _, a := range r.Resource.Annotations {
			for _, e := range a.Emails {
				m[strings.ToLower(e.Address)] = r.Resource.ID.Resource
			}
		}
	}
	return m
}

// logins lists a file's users by login, from its listing: login ->
// "type:id".
func logins(t *testing.T, file string) map[string]string {
	t.Helper()
	var out struct {
		Resources []struct {
			Resource struct {
				ID struct {
					ResourceType string `json:"resourceType"`
					Resource     string
				} `json:"id"`
				Annotations []struct{ Login string }
			}
		}
	}
	if err := json.Unmarshal([]byte(baton(t, "-f", file, "-o", "json", "resources", "-t", "user")), &out); err != nil {
		t.Fatal(err)
	}
	m := map[string]string{}
	for _, r := range out.Resources {
		for _, a := range r.Resource.Annotations {
			if a.Login != "" {
				m[strings.ToLower(a.Login)] = r.Resource.ID.ResourceType + ":" + r.Resource.ID.Resource
			}
		}
	}
	return m
}

// disabled is the ids of a file's disabled accounts, from its listing.
func disabled(t *testing.T, file string) map[string]bool {
	t.Helper()
	var out struct {
		Resources []struct {
			Resource struct {
				ID struct{ Resource string } `json:"id"`
			}
		}
	}
	doc := baton(t, "-f", file, "-o", "json", "resources", "-t", "user", "--status", "disabled")
	if strings.TrimSpace(doc) == "" {
		return nil
	}
	if err := json.Unmarshal([]byte(doc), &out); err != nil {
		t.Fatal(err)
	}
	m := map[string]bool{}
	for _, r := range out.Resources {
		m[r.Resource.ID.Resource] = true
	}
	return m
}

// syncApps syncs the two example apps into dir: sqlapp (its own SQLite
// database) and httpapp (served here).
func syncApps(t *testing.T, dir string) {
	t.Helper()
	ctx := context.Background()
	db, err := sqlapp.OpenDB(ctx, filepath.Join(t.TempDir(), "app.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	sync(t, sqlapp.New(db), filepath.Join(dir, "sqlapp.c1z"))
	web := httptest.NewServer(httpapp.NewApp("example-token"))
	defer web.Close()
	hc, err := httpapp.New(web.URL, "example-token")
	if err != nil {
		t.Fatal(err)
	}
	sync(t, hc, filepath.Join(dir, "httpapp.c1z"))
}

// Two real apps, sqlapp and httpapp, with some of the same people: fleet
// people and who agree with what each file lists.
func TestTheExampleFleet(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	dir := t.TempDir()
	syncApps(t, dir)

	// Worked out from each file's own listing: a person per distinct
	// email; those in both files have two accounts.
	sq, hp := emails(t, filepath.Join(dir, "sqlapp.c1z")), emails(t, filepath.Join(dir, "httpapp.c1z"))
	both, all := 0, map[string]bool{}
	for e := range sq {
		all[e] = true
		if hp[e] != "" {
			both++
		}
	}
	for e := range hp {
		all[e] = true
	}
	if both == 0 {
		t.Fatal("the two example apps share no one: the test checks nothing")
	}
	var people struct {
		People []struct {
			Name      string
			Key       string
			EnabledIn []string `json:"enabled_in"`
			Disabled  []string `json:"disabled_in"`
		}
	}
	if err := json.Unmarshal([]byte(baton(t, "-o", "json", "fleet", "people", dir)), &people); err != nil {
		t.Fatal(err)
	}
	twoApps := 0
	for _, p := range people.People {
		if len(p.EnabledIn)+len(p.Disabled) == 2 {
			twoApps++
		}
	}
	if len(people.People) != len(all) || twoApps != both {
		t.Fatalf("fleet people: %d people, %d in both apps; the files list %d emails, %d in both", len(people.People), twoApps, len(all), both)
	}

	var who struct {
		Accounts []struct{ App, ID string }
	}
	if err := json.Unmarshal([]byte(baton(t, "-o", "json", "fleet", "who", "ada@example.com", dir)), &who); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, a := range who.Accounts {
		got = append(got, a.App+" "+a.ID)
	}
	want := []string{"httpapp user:" + hp["ada@example.com"], "sqlapp user:" + sq["ada@example.com"]}
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("who ada: %v, want %v", got, want)
	}
}

// With an LDAP directory (a real slapd) as the identity provider: Ada is
// in it, Grace is locked there but still enabled in both apps, and the
// web app's other users are in no directory. fleet orphans names exactly
// those, worked out here from the files' own listings.
func TestTheExampleFleetWithAnLDAPIdP(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	ctx := context.Background()
	url := slapdtest.Start(t)
	conn, err := goldap.DialURL(url)
	if err != nil {
		t.Fatal(err)
	}
	if err := conn.Bind(slapdtest.AdminDN, slapdtest.AdminPW); err != nil {
		t.Fatal(err)
	}
	base := slapdtest.BaseDN
	slapdtest.Add(t, conn, base, map[string][]string{"objectClass": {"dcObject", "organization"}, "o": {"Example"}, "dc": {"example"}})
	slapdtest.Add(t, conn, "ou=People,"+base, map[string][]string{"objectClass": {"organizationalUnit"}, "ou": {"People"}})
	for _, p := range []struct{ uid, name, mail, expire string }{
		{"ada", "Ada Lovelace", "ada@example.com", ""},
		{"grace", "Grace Hopper", "grace@example.com", "1"}, // shadowExpire in 1970: locked
	} {
		attrs := map[string][]string{"objectClass": {"inetOrgPerson", "shadowAccount"}, "uid": {p.uid}, "cn": {p.name}, "sn": {p.name}, "mail": {p.mail}}
		if p.expire != "" {
			attrs["shadowExpire"] = []string{p.expire}
		}
		slapdtest.Add(t, conn, "uid="+p.uid+",ou=People,"+base, attrs)
	}
	conn.Close()

	dir := t.TempDir()
	lc, err := ldap.New(ctx, ldap.Config{URL: url, BindDN: slapdtest.AdminDN, BindPassword: slapdtest.AdminPW, BaseDN: base})
	if err != nil {
		t.Fatal(err)
	}
	idp := filepath.Join(dir, "ldap.c1z")
	sync(t, lc, idp)
	syncApps(t, dir)
	// PostgreSQL roles have no email: they match by login (Ada's and
	// Grace's uid in the directory), the superuser matches no one.
	dsn := pgtest.Start(t)
	pgc, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"CREATE ROLE ada LOGIN", "CREATE ROLE grace LOGIN"} {
		if _, err := pgc.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	pgc.Close(ctx)
	pc, err := postgres.New(postgres.Config{DSN: dsn})
	if err != nil {
		t.Fatal(err)
	}
	sync(t, pc, filepath.Join(dir, "postgres.c1z"))

	// Expected, from the listings: every enabled account whose email (or,
	// in PostgreSQL, login) is not in the directory has no person; Grace's
	// accounts outlived her.
	inDir := emails(t, idp)
	var want []string
	for _, app := range []string{"sqlapp", "httpapp"} {
		file := filepath.Join(dir, app+".c1z")
		off := disabled(t, file) // a disabled account is nobody's worry
		for email, id := range emails(t, file) {
			switch {
			case off[id]:
			case email == "grace@example.com":
				want = append(want, "person left "+app+" user:"+id)
			case inDir[email] == "":
				want = append(want, "no person "+app+" user:"+id)
			}
		}
	}
	pgFile := filepath.Join(dir, "postgres.c1z")
	off := disabled(t, pgFile)
	for login, ref := range logins(t, pgFile) {
		switch {
		case off[strings.TrimPrefix(ref, "user:")]:
		case login == "grace":
			want = append(want, "person left postgres "+ref)
		case login != "ada":
			want = append(want, "no person postgres "+ref)
		}
	}
	var who struct {
		Accounts []struct{ App string }
	}
	if err := json.Unmarshal([]byte(baton(t, "-o", "json", "fleet", "who", "--idp", idp, "ada@example.com", dir)), &who); err != nil {
		t.Fatal(err)
	}
	var apps []string
	for _, a := range who.Accounts {
		apps = append(apps, a.App)
	}
	if slices.Sort(apps); !slices.Equal(apps, []string{"httpapp", "ldap", "postgres", "sqlapp"}) {
		t.Errorf("Ada's accounts are in %v; want all four apps", apps)
	}
	var out struct {
		Orphans []struct{ Kind, App, ID string }
	}
	if err := json.Unmarshal([]byte(baton(t, "-o", "json", "fleet", "orphans", "--idp", idp, dir)), &out); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, o := range out.Orphans {
		got = append(got, o.Kind+" "+o.App+" "+o.ID)
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) || len(want) < 3 {
		t.Errorf("fleet orphans:\n%v\nworked out from the listings:\n%v", got, want)
	}
}
