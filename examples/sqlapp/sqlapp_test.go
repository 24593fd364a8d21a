package sqlapp_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/batonkit/batonkit/examples/sqlapp"
	connectorv2 "github.com/batonkit/batonkit/pb/c1/connector/v2"
	"github.com/batonkit/batonkit/pkg/connectortest"
)

func TestConformance(t *testing.T) {
	db, err := sqlapp.OpenDB(context.Background(), filepath.Join(t.TempDir(), "app.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rep := connectortest.Run(t, sqlapp.New(db), connectortest.WithProvisioning())
	if len(rep.Resources) != 12 || len(rep.Grants) != 11 {
		t.Fatalf("%d resources, %d grants; want the seeded 12 and 11", len(rep.Resources), len(rep.Grants))
	}
}

func TestOpenRefusesForeignDatabase(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "x.db")
	db, err := sqlapp.OpenDB(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	db.ExecContext(ctx, "drop table role_assignments; drop table users")
	db.Close()
	if _, err := sqlapp.OpenDB(ctx, path); err == nil {
		t.Fatal("a database without the app's tables was accepted")
	}
}

// The app's database holds its users: a new one is private.
func TestNewDatabaseIsPrivate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "app.db")
	db, err := sqlapp.OpenDB(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v (%v), want 0600", fi.Mode().Perm(), err)
	}
}

// A grant to a principal, or on a group or role, the app does not have is
// NotFound, naming it, not a constraint error (and never a silent row).
func TestGrantOfWhatDoesNotExistIsNotFound(t *testing.T) {
	ctx := context.Background()
	db, err := sqlapp.OpenDB(ctx, filepath.Join(t.TempDir(), "app.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	client := connectortest.Serve(t, sqlapp.New(db))
	res := func(typ, id string) *connectorv2.Resource {
		return &connectorv2.Resource{Id: &connectorv2.ResourceId{ResourceType: typ, Resource: id}, DisplayName: id}
	}
	ent := func(r *connectorv2.Resource, slug string) *connectorv2.Entitlement {
		return &connectorv2.Entitlement{Id: r.GetId().GetResourceType() + ":" + r.GetId().GetResource() + ":" + slug, Resource: r, Slug: slug}
	}
	for _, c := range []struct {
		e         *connectorv2.Entitlement
		principal *connectorv2.Resource
		missing   string
	}{
		{ent(res("group", "finance"), "member"), res("user", "nobody"), "user nobody"},
		{ent(res("group", "nogroup"), "member"), res("user", "u1"), "group nogroup"},
		{ent(res("role", "admin"), "assigned"), res("user", "nobody"), "user nobody"},
		{ent(res("role", "norole"), "assigned"), res("user", "u1"), "role norole"},
	} {
		_, err := client.Grant(ctx, &connectorv2.GrantManagerServiceGrantRequest{Entitlement: c.e, Principal: c.principal})
		if status.Code(err) != codes.NotFound || !strings.Contains(err.Error(), c.missing) {
			t.Errorf("grant %s to %s: %v, want NotFound naming %s", c.e.GetId(), c.principal.GetId().GetResource(), err, c.missing)
		}
	}
}
