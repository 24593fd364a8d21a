package explorer_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// browser starts headless Chromium for one test.
func browser(t *testing.T) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium(t)),
		chromedp.NoSandbox, // tests run as root in CI containers
		chromedp.WindowSize(1400, 900),
		chromedp.Flag("disable-dev-shm-usage", true),
		// Chromium leaves its singleton socket directory in $TMPDIR when
		// it is killed at the end of a test: keep it in the test's own.
		chromedp.Env("TMPDIR="+t.TempDir()),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	// The first call starts the browser, for the life of ctx: no timeout
	// on it (each later step has its own).
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

const stepTimeout = 30 * time.Second

func do(t *testing.T, ctx context.Context, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, stepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatal(err)
	}
}

func get[T any](t *testing.T, ctx context.Context, a chromedp.Action[T]) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, stepTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func css(sel string) chromedp.CSS { return chromedp.CSS(sel) }

// follow clicks a link or button that loads another page and waits until
// the browser is on it and waitSel shows there: the old page may hold
// waitSel too, so seeing it is not enough.
func follow(t *testing.T, ctx context.Context, sel, waitSel string) {
	t.Helper()
	// RunResponse waits for the navigation the click starts to load.
	// Polling the location instead ran scripts in the page while it was
	// being replaced, which failed now and then with "Inspected target
	// navigated or closed".
	rctx, cancel := context.WithTimeout(ctx, stepTimeout)
	defer cancel()
	resp, err := chromedp.RunResponse(rctx, chromedp.Click(css(sel)))
	if err != nil {
		t.Fatalf("clicking %s: %v", sel, err)
	}
	if resp.Status != http.StatusOK {
		t.Fatalf("clicking %s loaded %s: %d", sel, resp.URL, resp.Status)
	}
	do(t, ctx, chromedp.WaitVisible(css(waitSel)))
}

func shot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	png := get(t, ctx, chromedp.FullScreenshot(100))
	path := filepath.Join(artifacts(t), name)
	if err := os.WriteFile(path, png, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot %s", path)
}

func texts(t *testing.T, ctx context.Context, sel string) []string {
	t.Helper()
	return get(t, ctx, chromedp.Evaluate[[]string](fmt.Sprintf(`Array.from(document.querySelectorAll(%q)).map(e => e.textContent.trim())`, sel)))
}

func location(t *testing.T, ctx context.Context) *url.URL {
	t.Helper()
	u, err := url.Parse(get(t, ctx, chromedp.Location()))
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// cliJSON runs a baton command with -o json and decodes its output.
func cliJSON(t *testing.T, v any, args ...string) {
	t.Helper()
	if err := json.Unmarshal([]byte(baton(t, append(args, "-o", "json")...)), v); err != nil {
		t.Fatal(err)
	}
}

type pjRes struct {
	ID struct {
		ResourceType string `json:"resourceType"`
		Resource     string `json:"resource"`
	} `json:"id"`
	DisplayName string `json:"displayName"`
}

// The demo file, page by page, clicking as a person would: a type, a
// search, a user, its access, the path into one entitlement, a group, the
// group's entitlement and its holders; each compared with the CLI.
func TestBrowserWalksTheDemoFile(t *testing.T) {
	path := demoFile(t)
	base, token := serve(t, path)
	ctx := browser(t)

	do(t, ctx, chromedp.Navigate(base+"/?token="+token), chromedp.WaitVisible(css("#types")))
	if loc := location(t, ctx); loc.Query().Get("token") != "" {
		t.Errorf("the token stays in the address bar: %s", loc)
	}
	var cliTypes struct {
		ResourceTypes []struct {
			ResourceType struct{ ID string } `json:"resourceType"`
		} `json:"resourceTypes"`
	}
	cliJSON(t, &cliTypes, "-f", path, "resource-types")
	typeCells := texts(t, ctx, "#types tr td:first-child")
	for _, rt := range cliTypes.ResourceTypes {
		if !slices.Contains(typeCells, rt.ResourceType.ID) {
			t.Errorf("overview lacks type %q (has %q)", rt.ResourceType.ID, typeCells)
		}
	}
	shot(t, ctx, "overview.png")

	// A type's resources, as the CLI lists them.
	follow(t, ctx, `#types a[href="./resources?type=user"]`, "#resources")
	var cliUsers struct {
		Resources []struct{ Resource pjRes } `json:"resources"`
	}
	cliJSON(t, &cliUsers, "-f", path, "resources", "-t", "user")
	var want []string
	for _, r := range cliUsers.Resources {
		want = append(want, r.Resource.DisplayName)
	}
	if got := texts(t, ctx, "#resources td:first-child"); !slices.Equal(got, want) {
		t.Errorf("users page lists %q, the CLI %q", got, want)
	}

	// Search, then open the one match.
	do(t, ctx, chromedp.SetValue(css(`input[name=q]`), "lovelace"))
	follow(t, ctx, `form.search button`, "#resources")
	if got := texts(t, ctx, "#resources td:first-child"); !slices.Equal(got, []string{"Ada Lovelace"}) {
		t.Fatalf("search lovelace found %q", got)
	}
	follow(t, ctx, `#resources a`, "#access")
	follow(t, ctx, "#access", "#graph")

	// Her access is what `baton access` says.
	var cliAccess struct {
		Access []struct {
			Entitlements []struct{ ID string } `json:"entitlements"`
		} `json:"access"`
	}
	cliJSON(t, &cliAccess, "-f", path, "access", "-t", "user", "-r", "u1")
	var wantEnts []string
	for _, a := range cliAccess.Access {
		for _, e := range a.Entitlements {
			wantEnts = append(wantEnts, e.ID)
		}
	}
	slices.Sort(wantEnts)
	gotEnts := texts(t, ctx, "#grants td:first-child span.id")
	if !slices.Equal(gotEnts, wantEnts) {
		t.Errorf("access page lists %q, baton access %q", gotEnts, wantEnts)
	}
	shot(t, ctx, "access.png")

	// The path into Everyone: Platform (granted), Engineering through
	// Platform, Everyone through Engineering.
	follow(t, ctx, `#grants a.path[href*="ent=group%3Aeveryone%3Amember"]`, "#graph g.focus")
	nodes := texts(t, ctx, "#graph a > g > title")
	if len(nodes) != 4 {
		t.Errorf("path graph has %d nodes, want the user and 3 entitlements: %q", len(nodes), nodes)
	}
	edges := get(t, ctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll("#graph path[class]")).map(e => e.querySelector("title").textContent)`))
	slices.Sort(edges)
	wantEdges := []string{
		"group:engineering:member → group:everyone:member (through)",
		"group:platform:member → group:engineering:member (through)",
		"principal → group:platform:member (granted)",
	}
	if !slices.Equal(edges, wantEdges) {
		t.Errorf("path edges %q, want %q", edges, wantEdges)
	}
	shot(t, ctx, "access-path.png")

	// From the user to a group to its entitlement and holders.
	follow(t, ctx, `#grants a[href="./resource?id=engineering&type=group"]`, "#entitlements")
	follow(t, ctx, `#entitlements a[href="./entitlement?id=group%3Aengineering%3Amember"]`, "#holders")
	var cliGrants struct {
		Grants []struct{ Principal pjRes } `json:"grants"`
	}
	cliJSON(t, &cliGrants, "-f", path, "grants", "-e", "group:engineering:member")
	var wantHolders []string
	for _, g := range cliGrants.Grants {
		wantHolders = append(wantHolders, g.Principal.ID.ResourceType+":"+g.Principal.ID.Resource)
	}
	gotHolders := texts(t, ctx, "#holders td:first-child span.id")
	slices.Sort(wantHolders)
	slices.Sort(gotHolders)
	if !slices.Equal(gotHolders, wantHolders) {
		t.Errorf("holders %q, baton grants -e %q", gotHolders, wantHolders)
	}
	shot(t, ctx, "entitlement.png")

	// The entitlements and syncs pages, from the header, against the CLI.
	follow(t, ctx, `header a[href="./entitlements"]`, "#entitlements")
	var cliEnts struct {
		Entitlements []struct {
			Entitlement struct{ ID string } `json:"entitlement"`
		} `json:"entitlements"`
	}
	cliJSON(t, &cliEnts, "-f", path, "entitlements")
	var wantAll []string
	for _, e := range cliEnts.Entitlements {
		wantAll = append(wantAll, e.Entitlement.ID)
	}
	gotAll := texts(t, ctx, "#entitlements td.id")
	slices.Sort(wantAll)
	slices.Sort(gotAll)
	if !slices.Equal(gotAll, wantAll) {
		t.Errorf("entitlements page %q, baton entitlements %q", gotAll, wantAll)
	}
	follow(t, ctx, `header a[href="./syncs"]`, "#syncs")
	if rows := texts(t, ctx, "#syncs td:first-child a"); len(rows) != 1 {
		t.Errorf("syncs page lists %q, want the demo's one sync", rows)
	}

	// Unknown ids are a 404 page naming what was asked for.
	for _, tc := range []struct{ path, want string }{
		{"/resource?type=user&id=nosuch", "no resource user:nosuch"},
		{"/resources?type=nosuch", `no resource type "nosuch"`},
		{"/entitlement?id=nosuch", `no entitlement "nosuch"`},
		{"/access?type=user&id=nosuch", "no resource user:nosuch"},
		{"/nosuch/page", "no page /nosuch/page"},
	} {
		do(t, ctx, chromedp.Navigate(base+tc.path), chromedp.WaitVisible(css("#error")))
		h1, msg := get(t, ctx, chromedp.Text(css("h1"))), get(t, ctx, chromedp.Text(css("#error")))
		if !strings.HasPrefix(h1, "404") || !strings.Contains(msg, tc.want) {
			t.Errorf("%s: %q / %q, want 404 and %q", tc.path, h1, msg, tc.want)
		}
	}
	shot(t, ctx, "not-found.png")
}

// Syncs and the diff between them, on a file Baton's tools wrote with two
// syncs; and a v3 (Pebble) file reads the same way.
func TestBrowserSyncsAndDiff(t *testing.T) {
	path := fixture(t, "demo-v1-two-syncs.c1z")
	base, token := serve(t, path)
	ctx := browser(t)
	do(t, ctx, chromedp.Navigate(base+"/syncs?token="+token), chromedp.WaitVisible(css("#syncs")))
	var cliSyncs struct {
		Syncs []struct{ ID string } `json:"syncs"`
	}
	cliJSON(t, &cliSyncs, "-f", path, "syncs")
	rows := texts(t, ctx, "#syncs td:first-child a")
	if len(rows) != len(cliSyncs.Syncs) || len(rows) < 2 {
		t.Fatalf("syncs page lists %q, the CLI %d syncs", rows, len(cliSyncs.Syncs))
	}
	do(t, ctx, chromedp.Navigate(base+"/diff"), chromedp.WaitVisible(css("#changes")))
	out := baton(t, "-f", path, "diff")
	cliChanges := strings.Count(out, "\n") - 1 // minus the header
	if got := len(texts(t, ctx, "#changes tr")) - 1; got != cliChanges {
		t.Errorf("diff page lists %d changes, baton diff %d", got, cliChanges)
	}
	shot(t, ctx, "diff.png")

	v3base, v3token := serve(t, fixture(t, "demo-v3-pebble.c1z"))
	do(t, ctx, chromedp.Navigate(v3base+"/?token="+v3token), chromedp.WaitVisible(css("#types")))
	if cells := texts(t, ctx, "#types td:first-child"); len(cells) == 0 {
		t.Error("the v3 file shows no resource types")
	}
}

// A file that cannot be read gives an error page; the server keeps
// running and shows the file once it is replaced.
func TestBrowserCorruptFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sync.c1z")
	if err := os.WriteFile(path, []byte("C1ZF\x00this is not zstd at all"), 0o600); err != nil {
		t.Fatal(err)
	}
	base, token := serve(t, path)
	ctx := browser(t)
	do(t, ctx, chromedp.Navigate(base+"/?token="+token), chromedp.WaitVisible(css("#error")))
	msg := get(t, ctx, chromedp.Text(css("#error")))
	if !strings.Contains(msg, "cannot read") || !strings.Contains(msg, "keeps running") {
		t.Errorf("error page says %q", msg)
	}
	shot(t, ctx, "corrupt.png")
	req, _ := http.NewRequest(http.MethodGet, base+"/api/syncs", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("the server stopped answering: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusInternalServerError {
		t.Errorf("api on a corrupt file: %d", resp.StatusCode)
	}
	good, err := os.ReadFile(demoFile(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, good, 0o600); err != nil {
		t.Fatal(err)
	}
	do(t, ctx, chromedp.Navigate(base+"/"), chromedp.WaitVisible(css("#types")))
}

// The H100k file: a page of 50 users, the next page, a search that must
// find one user among 100k, a group with more holders than shown. Page
// times go to the log and timings.txt (BENCHMARKS.md quotes them); they are
// not asserted.
func TestBrowserH100k(t *testing.T) {
	path := h100kFile(t)
	base, token := serve(t, path)
	ctx := browser(t)
	do(t, ctx, chromedp.Navigate(base+"/?token="+token), chromedp.WaitVisible(css("#types")))
	var timings []string
	// First contentful paint from the page's own paint timing (buffered,
	// so an entry recorded before the observer is still seen), and the
	// server's answer time from its navigation timing.
	paint := func(page string) {
		fcp := get(t, ctx, chromedp.Evaluate[float64](`new Promise(done => {
			new PerformanceObserver(l => { const e = l.getEntriesByName("first-contentful-paint")[0]; if (e) done(e.startTime) }).observe({type: "paint", buffered: true});
			setTimeout(() => done(-1), 5000);
		})`, chromedp.EvalAwaitPromise))
		server := get(t, ctx, chromedp.Evaluate[float64](`(n => n.responseEnd - n.requestStart)(performance.getEntriesByType("navigation")[0])`))
		timings = append(timings, fmt.Sprintf("%-36s first contentful paint %5.0f ms, response %5.0f ms", page, fcp, server))
	}
	do(t, ctx, chromedp.Navigate(base+"/resources?type=user"), chromedp.WaitVisible(css("#resources")))
	paint("/resources?type=user")
	first := texts(t, ctx, "#resources td.id")
	if len(first) != 50 || first[0] != "u0000000" {
		t.Fatalf("first page: %d rows from %q", len(first), first[:min(1, len(first))])
	}
	follow(t, ctx, "#next", "#resources")
	if second := texts(t, ctx, "#resources td.id"); len(second) != 50 || second[0] != "u0000050" {
		t.Errorf("second page starts at %q", second[:min(1, len(second))])
	}
	do(t, ctx, chromedp.Navigate(base+"/resources?type=user&q=u0099999"), chromedp.WaitVisible(css("#resources")))
	paint("/resources?type=user&q=u0099999")
	if got := texts(t, ctx, "#resources td.id"); !slices.Equal(got, []string{"u0099999"}) {
		t.Errorf("search u0099999 found %q", got)
	}
	do(t, ctx, chromedp.Navigate(base+"/resource?type=group&id=g00001"), chromedp.WaitVisible(css("#entitlements")))
	paint("/resource?type=group&id=g00001")
	if links := texts(t, ctx, `#entitlements a[href^="./entitlement"]`); !slices.Contains(links, "all holders →") {
		t.Errorf("a group of 20 members shows no link to all holders: %q", links)
	}
	do(t, ctx, chromedp.Navigate(base+"/access?type=user&id=u0000020"), chromedp.WaitVisible(css("#graph")))
	paint("/access?type=user&id=u0000020")
	shot(t, ctx, "h100k-access.png")
	for _, l := range timings {
		t.Log(l)
	}
	if err := os.WriteFile(filepath.Join(artifacts(t), "timings.txt"), []byte(strings.Join(timings, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
}
