package connectortest_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/batonkit/batonkit/examples/sqlapp"
	"github.com/batonkit/batonkit/pkg/connector"
	"github.com/batonkit/batonkit/pkg/connectortest"
)

// Run takes the test's *testing.T, so it lives in a Test function of the
// connector's package; this shows the whole of one.
func ExampleRun() {
	testConformance := func(t *testing.T) {
		db, err := sqlapp.OpenDB(context.Background(), t.TempDir()+"/app.db")
		if err != nil {
			t.Fatal(err)
		}
		rep := connectortest.Run(t, sqlapp.New(db),
			connectortest.WithPageSizes(1, 2, 7), // every listing walked at these sizes too
			connectortest.WithProvisioning())     // grant and revoke one entitlement
		t.Logf("%d resources, %d grants", len(rep.Resources), len(rep.Grants))
	}
	_ = testConformance
}

// Serve is the connector behind a real gRPC server with mutual TLS, for
// tests that make calls of their own.
func ExampleServe() {
	testMetadata := func(t *testing.T) {
		db, _ := sqlapp.OpenDB(context.Background(), t.TempDir()+"/app.db")
		client := connectortest.Serve(t, sqlapp.New(db))
		md, err := client.GetMetadata(context.Background(), nil)
		if err != nil || md.GetMetadata().GetDisplayName() == "" {
			t.Fatalf("metadata %v (%v)", md, err)
		}
	}
	_ = testMetadata
}

// Check runs the kit against any client: here the connector in process;
// baton conformance passes the client of a child process instead.
func ExampleCheck() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)
	db, err := sqlapp.OpenDB(ctx, filepath.Join(dir, "app.db"))
	if err != nil {
		panic(err)
	}
	defer db.Close()
	srv, err := connector.NewServer(ctx, sqlapp.New(db))
	if err != nil {
		panic(err)
	}
	rep, err := connectortest.Check(ctx, connector.InProcessClient(srv), connectortest.WithChecks("pagination", "ids", "references"))
	if err != nil {
		panic(err)
	}
	for _, c := range rep.Checks {
		fmt.Println(c.ID, c.Status)
	}
	fmt.Println("passed:", rep.Passed())
	// Output:
	// pagination pass
	// ids pass
	// references pass
	// passed: true
}
