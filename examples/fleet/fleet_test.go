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

	"github.com/batonkit/batonkit/examples/httpapp"
	"github.com/batonkit/batonkit/examples/sqlapp"
	"github.com/batonkit/batonkit/internal/cli"
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

// Two real apps, sqlapp and httpapp, with some of the same people: fleet
// people and who agree with what each file lists.
func TestTheExampleFleet(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	ctx := context.Background()
	dir := t.TempDir()
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
