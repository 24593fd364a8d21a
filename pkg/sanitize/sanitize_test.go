package sanitize_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/batonkit/batonkit/examples/sqlapp"
	"github.com/batonkit/batonkit/internal/c1ztest"
	connectorv2 "github.com/batonkit/batonkit/pb/c1/connector/v2"
	"github.com/batonkit/batonkit/pkg/annotations"
	"github.com/batonkit/batonkit/pkg/c1z"
	"github.com/batonkit/batonkit/pkg/connector"
	"github.com/batonkit/batonkit/pkg/runner"
	"github.com/batonkit/batonkit/pkg/sanitize"
)

// demo syncs the bundled example app: users with emails and logins,
// nested groups, roles, expanded grants.
func demo(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	db, err := sqlapp.OpenDB(ctx, filepath.Join(dir, "app.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	srv, err := connector.NewServer(ctx, sqlapp.New(db))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "sync.c1z")
	if err := runner.SyncToFile(ctx, connector.InProcessClient(srv), path, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatal(err)
	}
	return path
}

type graph struct {
	resources, entitlements, grants []string
	secrets                         []string // every identifying string
}

// read lists what a file holds, mapping names through rename (nil: as
// they are) so two files can be compared.
func read(t *testing.T, path string, rename func(string) string) graph {
	t.Helper()
	ctx := context.Background()
	st, err := c1z.OpenReader(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close(ctx)
	if rename == nil {
		rename = func(s string) string { return s }
	}
	var g graph
	ref := func(id *connectorv2.ResourceId) string { return id.GetResourceType() + ":" + rename(id.GetResource()) }
	for r, err := range st.Resources(ctx, c1z.ResourceQuery{}) {
		if err != nil {
			t.Fatal(err)
		}
		g.resources = append(g.resources, ref(r.GetId())+" < "+ref(r.GetParentResourceId()))
		g.secrets = append(g.secrets, r.GetId().GetResource(), r.GetDisplayName())
		var ut connectorv2.UserTrait
		if ok, _ := annotations.Annotations(r.GetAnnotations()).Pick(&ut); ok {
			g.secrets = append(g.secrets, ut.GetLogin())
			for _, e := range ut.GetEmails() {
				g.secrets = append(g.secrets, e.GetAddress())
			}
		}
	}
	for e, err := range st.Entitlements(ctx, c1z.EntitlementQuery{}) {
		if err != nil {
			t.Fatal(err)
		}
		g.entitlements = append(g.entitlements, rename(e.GetId())+" on "+ref(e.GetResource().GetId()))
		g.secrets = append(g.secrets, e.GetId(), e.GetDisplayName())
	}
	for gr, err := range st.Grants(ctx, c1z.GrantQuery{}) {
		if err != nil {
			t.Fatal(err)
		}
		var srcs []string
		for k := range gr.GetSources().GetSources() {
			srcs = append(srcs, rename(k))
		}
		slices.Sort(srcs)
		g.grants = append(g.grants, rename(gr.GetEntitlement().GetId())+" > "+ref(gr.GetPrincipal().GetId())+" via "+fmtList(srcs))
		g.secrets = append(g.secrets, gr.GetId())
	}
	for _, l := range [][]string{g.resources, g.entitlements, g.grants} {
		slices.Sort(l)
	}
	return g
}

func fmtList(s []string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// No identifying string of the input survives in the copy's bytes, and
// the copy has the same graph: through the map, the same resources,
// parents, entitlements, grants and expansion sources.
func TestTheCopyKeepsTheGraphAndNothingElse(t *testing.T) {
	src := demo(t)
	dir := t.TempDir()
	out, mapFile := filepath.Join(dir, "clean.c1z"), filepath.Join(dir, "clean.map.json")
	if err := sanitize.Copy(context.Background(), src, "", out, sanitize.Options{Map: mapFile}); err != nil {
		t.Fatal(err)
	}
	in := read(t, src, nil)
	raw := c1ztest.Decompress(t, out)
	for _, s := range in.secrets {
		if len(s) >= 4 && bytes.Contains(raw, []byte(s)) {
			t.Errorf("the copy holds %q", s)
		}
	}
	b, err := os.ReadFile(mapFile)
	if err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(mapFile); fi.Mode().Perm() != 0o600 {
		t.Errorf("the map is %v, want 0600", fi.Mode().Perm())
	}
	var original map[string]string
	if err := json.Unmarshal(b, &original); err != nil {
		t.Fatal(err)
	}
	back := func(s string) string {
		if o, ok := original[s]; ok {
			return o
		}
		return s
	}
	copied := read(t, out, back)
	for name, pair := range map[string][2][]string{"resources": {in.resources, copied.resources},
		"entitlements": {in.entitlements, copied.entitlements}, "grants": {in.grants, copied.grants}} {
		if !slices.Equal(pair[0], pair[1]) {
			t.Errorf("%s differ:\n%v\n%v", name, pair[0], pair[1])
		}
	}
	if err := sanitize.Copy(context.Background(), src, "", out, sanitize.Options{}); err == nil {
		t.Error("sanitize overwrote an existing file")
	}
}
