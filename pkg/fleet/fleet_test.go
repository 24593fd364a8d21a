package fleet_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/batonkit/batonkit/internal/c1ztest"
	"github.com/batonkit/batonkit/pkg/c1z"
	"github.com/batonkit/batonkit/pkg/fleet"
)

// groups is each person's accounts as app/id, sorted, keyed by the
// first of them.
func groups(f *fleet.Fleet) map[string][]string {
	out := map[string][]string{}
	for _, p := range f.People() {
		var accts []string
		for _, a := range p.Accounts {
			accts = append(accts, a.App.Name+"/"+a.ResourceID)
		}
		slices.Sort(accts)
		out[accts[0]] = accts
	}
	return out
}

func open(t *testing.T, specs []string, o fleet.Options) *fleet.Fleet {
	t.Helper()
	f, err := fleet.Open(context.Background(), specs, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close(context.Background()) })
	return f
}

func TestPeopleWithoutAnIdP(t *testing.T) {
	dir := t.TempDir()
	c1ztest.Fleet(t, dir)
	f := open(t, []string{dir}, fleet.Options{})
	got := groups(f)
	want := map[string][]string{
		"hr/e17":   {"hr/e17", "idp/00u1", "wiki/w1"}, // Ada: login, email, her second address
		"idp/00u2": {"idp/00u2", "wiki/w2"},           // Bob
		"hr/e18":   {"hr/e18", "idp/00u3"},            // Cy
		"wiki/w3":  {"wiki/w3"},                       // Eve
	}
	if len(got) != len(want) {
		t.Fatalf("people %v, want %v", got, want)
	}
	// Named after the first app's account, hr's here.
	if p, _ := f.Find("ada@example.com"); p == nil || p.Name != "Lovelace, Ada" {
		t.Errorf("Ada without an IdP: %+v", p)
	}
	for n, w := range want {
		if !slices.Equal(got[n], w) {
			t.Errorf("%s: %v, want %v", n, got[n], w)
		}
	}
}

func TestPeopleOfAnIdPAndOrphans(t *testing.T) {
	dir := t.TempDir()
	idp, _, _ := c1ztest.Fleet(t, dir)
	f := open(t, []string{filepath.Join(dir, "*.c1z")}, fleet.Options{IdP: idp})
	got := groups(f)
	if len(got) != 3 || !slices.Equal(got["hr/e17"], []string{"hr/e17", "idp/00u1", "wiki/w1"}) || got["wiki/w3"] != nil {
		t.Fatalf("people of the IdP: %v", got)
	}
	if p, _ := f.Find("ada"); p == nil || p.Name != "Ada Lovelace" {
		t.Errorf("Ada, named by the IdP: %+v", p)
	}
	unowned, left := f.Orphans()
	if len(unowned) != 1 || unowned[0].ResourceID != "w3" {
		t.Errorf("accounts of nobody: %v", unowned)
	}
	if len(left) != 1 || left[0].ResourceID != "w2" || left[0].Person.Name != "Bob Marley" {
		t.Errorf("accounts of people who left: %v", left)
	}
	// Matching by email only: HR's e17, known by login, joins no one.
	f = open(t, []string{dir}, fleet.Options{IdP: idp, Keys: []string{"email"}})
	if got := groups(f)["idp/00u1"]; !slices.Equal(got, []string{"idp/00u1", "wiki/w1"}) {
		t.Errorf("by email only: %v", got)
	}
}

func TestFindAPerson(t *testing.T) {
	dir := t.TempDir()
	c1ztest.Fleet(t, dir)
	f := open(t, []string{dir}, fleet.Options{})
	for _, q := range []string{"ADA@example.com", "a.lovelace@example.org", "ada", "Ada Lovelace", "lovelace, ada"} {
		if p, err := f.Find(q); err != nil || p.Key != "login:ada" {
			t.Errorf("Find(%q): %v, %v", q, p, err)
		}
	}
	var unknown *fleet.ErrUnknownPerson
	if _, err := f.Find("Lovelace, Adda"); !errors.As(err, &unknown) || !strings.Contains(err.Error(), "Lovelace, Ada") {
		t.Errorf("a near miss: %v", err)
	}
	for _, a := range f.Accounts() {
		if a.ResourceID == "w4" && (a.Person != nil || a.Human()) {
			t.Errorf("the service account joined %v", a.Person)
		}
	}
}

// A damaged file is skipped and named; --strict (and a bad IdP) fail.
func TestDamagedFilesInAFleet(t *testing.T) {
	dir := t.TempDir()
	c1ztest.Fleet(t, dir)
	bad := filepath.Join(dir, "broken.c1z")
	if err := os.WriteFile(bad, []byte("C1ZF\x00not zstd"), 0o600); err != nil {
		t.Fatal(err)
	}
	f := open(t, []string{dir}, fleet.Options{})
	if len(f.Apps) != 3 || len(f.Skipped) != 1 || !strings.Contains(f.Skipped[0].Error(), "broken.c1z") {
		t.Errorf("apps %d, skipped %v", len(f.Apps), f.Skipped)
	}
	if _, err := fleet.Open(context.Background(), []string{dir}, fleet.Options{Strict: true}); err == nil {
		t.Error("--strict opened a fleet with a damaged file")
	}
	if _, err := fleet.Open(context.Background(), []string{dir}, fleet.Options{IdP: bad}); err == nil {
		t.Error("a damaged IdP was skipped")
	}
	if _, err := fleet.Open(context.Background(), []string{filepath.Join(dir, "none-*.c1z")}, fleet.Options{}); err == nil {
		t.Error("a glob matching nothing is not an error")
	}
}

// The cache answers a second open without opening any file, and a file
// that changed is read again; an entry that does not parse is ignored.
func TestCacheServesUnchangedFiles(t *testing.T) {
	dir, cache := t.TempDir(), filepath.Join(t.TempDir(), "cache")
	if err := os.Mkdir(cache, 0o700); err != nil {
		t.Fatal(err)
	}
	_, wiki, _ := c1ztest.Fleet(t, dir)
	var opened int32
	o := fleet.Options{CacheDir: cache, Open: func(ctx context.Context, path string) (*c1z.Reader, error) {
		atomic.AddInt32(&opened, 1)
		return c1z.OpenReader(ctx, path)
	}}
	first := groups(open(t, []string{dir}, o))
	if opened != 3 {
		t.Fatalf("first open read %d files, want 3", opened)
	}
	entries, _ := filepath.Glob(filepath.Join(cache, "*.entry"))
	for _, e := range entries {
		if fi, err := os.Stat(e); err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("cache entry %s: %v %v", e, fi.Mode(), err)
		}
	}
	opened = 0
	f := open(t, []string{dir}, o)
	if got := groups(f); opened != 0 || len(got) != len(first) {
		t.Fatalf("second open read %d files; people %v, want %v", opened, got, first)
	}
	for _, a := range f.Accounts() {
		if a.ResourceID == "w1" && len(a.Holdings) != 2 {
			t.Errorf("Ada's wiki account holds %v from the cache, want 2 grants", a.Holdings)
		}
	}
	// The wiki changes: only it is read again, and Eve is gone.
	os.Remove(wiki)
	c1ztest.WriteApp(t, wiki, []c1ztest.FleetUser{{ID: "w1", Name: "ada", Emails: []string{"ada@example.com"}}})
	opened = 0
	if got := groups(open(t, []string{dir}, o)); opened != 1 || got["wiki/w3"] != nil {
		t.Errorf("after the wiki changed: read %d files, people %v", opened, got)
	}
	for _, e := range entries {
		os.WriteFile(e, []byte("BKFLEET\x00\x06\x99"), 0o600)
	}
	opened = 0
	if got := groups(open(t, []string{dir}, o)); opened != 3 || len(got) != 3 {
		t.Errorf("with damaged entries: read %d files, people %v", opened, got)
	}
}

// A grant's principal the file does not list, of a user type, is an
// account too: here a guest known by address, who is Ada.
func TestGrantPrincipalsAreAccounts(t *testing.T) {
	dir := t.TempDir()
	c1ztest.WriteApp(t, filepath.Join(dir, "docs.c1z"), []c1ztest.FleetUser{
		{ID: "d1", Name: "Bob", Emails: []string{"bob@example.com"}, Groups: []string{"readers"}},
		{ID: "ada@example.com", Unlisted: true, Groups: []string{"readers"}},
	})
	c1ztest.Fleet(t, dir)
	f := open(t, []string{dir}, fleet.Options{})
	p, err := f.Find("ada@example.com")
	if err != nil {
		t.Fatal(err)
	}
	var refs []string
	for _, a := range p.Accounts {
		refs = append(refs, a.App.Name+"/"+a.ResourceID)
	}
	if !slices.Contains(refs, "docs/ada@example.com") {
		t.Errorf("Ada's accounts %v lack the docs guest", refs)
	}
}
