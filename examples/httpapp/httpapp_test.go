package httpapp_test

import (
	"bytes"
	"context"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/batonkit/batonkit/examples/httpapp"
	"github.com/batonkit/batonkit/pkg/c1z"
	"github.com/batonkit/batonkit/pkg/config"
	"github.com/batonkit/batonkit/pkg/connector"
	"github.com/batonkit/batonkit/pkg/connectortest"
	"github.com/batonkit/batonkit/pkg/runner"
)

const token = "test-token-123"

func serve(t *testing.T) string {
	srv := httptest.NewServer(httpapp.NewApp(token))
	t.Cleanup(srv.Close)
	return srv.URL
}

// The conformance kit, provisioning included, over a real HTTP server.
func TestConformance(t *testing.T) {
	c, err := httpapp.New(serve(t), token)
	if err != nil {
		t.Fatal(err)
	}
	rep := connectortest.Run(t, c, connectortest.WithProvisioning())
	if len(rep.Resources) != 5+3+3 {
		t.Fatalf("%d resources, want 11", len(rep.Resources))
	}
}

var command = runner.Command{Name: "baton-httpapp", Version: "test", Schema: config.Schema{DisplayName: "HTTP App", Fields: httpapp.Fields},
	New: func(ctx context.Context, cfg *config.Values) (connector.Connector, error) {
		return httpapp.New(cfg.String("base-url"), cfg.String("token"))
	}}

func baton(t *testing.T, args ...string) string {
	t.Helper()
	var out bytes.Buffer
	if code := runner.Run(context.Background(), command, args, runner.IO{In: strings.NewReader(""), Out: &out, Err: &out}); code != 0 {
		t.Fatalf("baton-httpapp %v: exit %d\n%s", args, code, out.String())
	}
	return out.String()
}

// End to end, as an operator runs it: sync, see a role held through a
// team, grant and revoke one directly, and see it in the next sync.
func TestSyncGrantRevoke(t *testing.T) {
	url := serve(t)
	t.Setenv("BATON_TOKEN", token)
	t.Setenv("BATON_BASE_URL", url)
	path := filepath.Join(t.TempDir(), "sync.c1z")
	has := func(grantID string) bool {
		t.Helper()
		st, err := c1z.OpenReader(context.Background(), path)
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close(context.Background())
		_, err = st.Grant(context.Background(), "", grantID)
		return err == nil
	}
	baton(t, "--file", path)
	// u2 edits p1 through team t1 (expanded), and p2 directly.
	if !has("project:p1:editor:user:u2") || !has("project:p2:editor:user:u2") || !has("project:p1:editor:team:t1") {
		t.Fatal("the synced grants are not the app's")
	}
	baton(t, "--file", path, "--provisioning", "--grant-entitlement", "project:p3:admin", "--grant-principal", "u5", "--grant-principal-type", "user")
	out := baton(t, "--file", path, "--provisioning", "--grant-entitlement", "project:p3:admin", "--grant-principal", "u5", "--grant-principal-type", "user")
	if !strings.Contains(out, "already granted") {
		t.Fatalf("a second grant does not say nothing changed:\n%s", out)
	}
	baton(t, "--file", path)
	if !has("project:p3:admin:user:u5") {
		t.Fatal("the new role is not in the next sync")
	}
	baton(t, "--file", path, "--provisioning", "--revoke-grant", "project:p3:admin:user:u5")
	baton(t, "--file", path)
	if has("project:p3:admin:user:u5") {
		t.Fatal("the revoked role is still in the next sync")
	}
}
