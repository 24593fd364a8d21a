package explorer_test

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/batonkit/batonkit/internal/c1ztest"
	"github.com/batonkit/batonkit/internal/explorer"
	"github.com/batonkit/batonkit/pkg/fleet"
)

// serveFleet starts the explorer on the test fleet (with its IdP).
func serveFleet(t *testing.T) (base, token string) {
	t.Helper()
	dir := t.TempDir()
	idp, _, _ := c1ztest.Fleet(t, dir)
	ctx := context.Background()
	fl, err := fleet.Open(ctx, []string{dir}, fleet.Options{IdP: idp})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fl.Close(ctx) }) // after the server's own cleanup
	return serveConfig(t, explorer.Config{Fleet: fl})
}

func apiGet(t *testing.T, url, token string, v any) int {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode
}

// The fleet's /api twins: people, a person with what each account holds,
// the orphans, and an unknown person.
func TestFleetAPI(t *testing.T) {
	base, token := serveFleet(t)
	var people explorer.PeopleView
	if code := apiGet(t, base+"/api/people", token, &people); code != 200 || len(people.Items) != 3 {
		t.Fatalf("people: %d %+v", code, people)
	}
	var ada explorer.PersonView
	if code := apiGet(t, base+"/api/person?q=ada", token, &ada); code != 200 || ada.Name != "Ada Lovelace" || len(ada.Accounts) != 3 {
		t.Fatalf("person: %d %+v", code, ada)
	}
	var ents []string
	for _, a := range ada.Accounts {
		for _, h := range a.Holdings {
			ents = append(ents, a.App+" "+h.Entitlement)
		}
	}
	slices.Sort(ents)
	if want := []string{"hr group:payroll:member", "idp group:engineering:member", "wiki group:admins:member", "wiki group:editors:member"}; !slices.Equal(ents, want) {
		t.Errorf("Ada holds %v, want %v", ents, want)
	}
	var orphans explorer.OrphansView
	if code := apiGet(t, base+"/api/orphans", token, &orphans); code != 200 || orphans.IdP != "idp" || len(orphans.Items) != 2 {
		t.Fatalf("orphans: %d %+v", code, orphans)
	}
	var e struct{ Error string }
	if code := apiGet(t, base+"/api/person?q=nobody@nowhere", token, &e); code != 404 || !strings.Contains(e.Error, "nobody@nowhere") {
		t.Errorf("an unknown person: %d %q", code, e.Error)
	}
}

// In Chromium: from the people page to Ada's page (her accounts in every
// app), and the orphans page.
func TestBrowserWalksAFleet(t *testing.T) {
	base, token := serveFleet(t)
	ctx := browser(t)
	do(t, ctx, chromedp.Navigate(base+"/?token="+token), chromedp.WaitVisible(css("#people")))
	names := texts(t, ctx, "#people tr td:first-child")
	if !slices.Contains(names, "Ada Lovelace") || !slices.Contains(names, "Bob Marley left") {
		t.Fatalf("people: %q", names)
	}
	follow(t, ctx, `#people a[href="./person?q=ada%40example.com"]`, ".account")
	apps := texts(t, ctx, ".account h2")
	if len(apps) != 3 || !strings.HasPrefix(apps[0], "hr:") || !strings.Contains(strings.Join(texts(t, ctx, ".holdings td"), " "), "group:admins:member") {
		t.Errorf("Ada's page: %q", apps)
	}
	if boxes := texts(t, ctx, ".account svg a > g > title"); len(boxes) < 7 { // an account and its entitlements, per app
		t.Errorf("Ada's page draws %d boxes: %q", len(boxes), boxes)
	}
	shot(t, ctx, "fleet-person.png")
	follow(t, ctx, `header a[href="./orphans"]`, "#orphans")
	if rows := texts(t, ctx, "#orphans tr td:first-child"); !slices.Equal(rows, []string{"no person", "person left"}) {
		t.Errorf("orphans: %q", rows)
	}
}
