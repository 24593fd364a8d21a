package cli_test

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/batonkit/batonkit/internal/c1ztest"
	connectorv2 "github.com/batonkit/batonkit/pb/c1/connector/v2"
	"github.com/batonkit/batonkit/pkg/c1z"
)

// export json encodes every value: a sync id carrying quotes cannot break
// the document or add keys to it; export csv neutralizes cells a
// spreadsheet would run as formulas (unless --csv-raw).
func TestExportsEncodeHostileText(t *testing.T) {
	formula := `=HYPERLINK("http://evil.test","x")`
	path := syncFile(t, func(ctx context.Context, w *c1z.SyncWriter) error {
		team := &connectorv2.Resource{Id: &connectorv2.ResourceId{ResourceType: "team", Resource: "t1"}, DisplayName: formula}
		user := &connectorv2.Resource{Id: &connectorv2.ResourceId{ResourceType: "user", Resource: "u1"}, DisplayName: "+1 555"}
		e := &connectorv2.Entitlement{Id: "team:t1:member", Resource: team, Slug: "member", DisplayName: "@member"}
		g := &connectorv2.Grant{Id: "team:t1:member:user:u1", Entitlement: e, Principal: user}
		return errors.Join(w.PutResourceTypes(ctx, &connectorv2.ResourceType{Id: "team", DisplayName: "Team"}),
			w.PutResources(ctx, team, user), w.PutEntitlements(ctx, e), w.PutGrants(ctx, g))
	})
	evil := `x","injected":true,"y":"`
	hostile := c1ztest.RewriteDB(t, path,
		"update v1_sync_runs set sync_id = '"+evil+"'",
		"update v1_resource_types set sync_id = '"+evil+"'", "update v1_resources set sync_id = '"+evil+"'",
		"update v1_entitlements set sync_id = '"+evil+"'", "update v1_grants set sync_id = '"+evil+"'")
	out, stderr, code := run(t, "-f", hostile, "export", "json")
	if code != 0 {
		t.Fatalf("export json: exit %d %s", code, stderr)
	}
	var doc map[string]json.RawMessage
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("the document does not parse: %v", err)
	}
	var id string
	if _, injected := doc["injected"]; injected || json.Unmarshal(doc["syncId"], &id) != nil || id != evil {
		t.Fatalf("the sync id was pasted into the document: keys %v", keys(doc))
	}

	out, _, code = run(t, "-f", path, "export", "csv")
	recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if code != 0 || err != nil || len(recs) != 2 {
		t.Fatalf("export csv: exit %d, %v, %d records", code, err, len(recs))
	}
	for _, cell := range recs[1] {
		if cell != "" && strings.ContainsRune("=+-@", rune(cell[0])) {
			t.Fatalf("a cell a spreadsheet would run: %q", cell)
		}
	}
	if !strings.Contains(out, `'=HYPERLINK`) {
		t.Fatalf("the formula is not kept, quoted: %s", out)
	}
	raw, _, _ := run(t, "-f", path, "export", "csv", "--csv-raw")
	if !strings.Contains(raw, `"=HYPERLINK(`) {
		t.Fatalf("--csv-raw changed the cells: %s", raw)
	}
}

func keys(m map[string]json.RawMessage) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// An export is a new private file, or keeps the mode its owner gave it.
func TestExportFileModes(t *testing.T) {
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)
	src := syncFile(t, func(ctx context.Context, w *c1z.SyncWriter) error {
		return w.PutResourceTypes(ctx, &connectorv2.ResourceType{Id: "user", DisplayName: "User"})
	})
	dir := t.TempDir()
	for _, format := range []string{"csv", "json", "c1z"} {
		out := filepath.Join(dir, "out."+format)
		if _, stderr, code := run(t, "-f", src, "export", format, "--out", out); code != 0 {
			t.Fatalf("export %s: %s", format, stderr)
		}
		if fi, _ := os.Stat(out); fi.Mode().Perm() != 0o600 {
			t.Fatalf("new %s export has mode %v, want 0600", format, fi.Mode().Perm())
		}
		if format == "c1z" {
			continue // export c1z writes a new file only
		}
		os.Chmod(out, 0o640)
		run(t, "-f", src, "export", format, "--out", out)
		if fi, _ := os.Stat(out); fi.Mode().Perm() != 0o640 {
			t.Fatalf("re-export changed the owner's mode to %v", fi.Mode().Perm())
		}
	}
}
