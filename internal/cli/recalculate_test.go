package cli_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/batonkit/batonkit/internal/c1ztest"
	"github.com/batonkit/batonkit/pkg/c1z"
)

// Stats recorded wrong are counted again and recorded right; the file
// stays a file Baton reads (v1, saved whole).
func TestRecalculateStats(t *testing.T) {
	app := c1ztest.WriteApp(t, filepath.Join(t.TempDir(), "app.c1z"), []c1ztest.FleetUser{
		{ID: "a", Emails: []string{"a@x.test"}, Groups: []string{"g1", "g2"}}, {ID: "b", Groups: []string{"g1"}}})
	path := c1ztest.RewriteDB(t, app, `update v1_sync_runs set stats = '{"grants": 999, "resources": 1}'`)
	out, stderr, code := run(t, "-f", path, "recalculate-stats")
	if code != 0 || !strings.Contains(out, "4 resources, 2 entitlements, 3 grants") {
		t.Fatalf("exit %d: %s%s", code, out, stderr)
	}
	ctx := context.Background()
	st, err := c1z.OpenReader(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close(ctx)
	run, err := st.LatestFinishedSync(ctx, c1z.SyncFull)
	if err != nil || run.Stats == nil || run.Stats.Grants != 3 || run.Stats.Resources != 4 {
		t.Fatalf("recorded stats %+v (%v)", run.Stats, err)
	}
}
