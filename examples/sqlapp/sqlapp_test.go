package sqlapp_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/batonkit/batonkit/examples/sqlapp"
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
