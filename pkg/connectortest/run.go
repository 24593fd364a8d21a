package connectortest

import (
	"context"
	"net"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"

	"github.com/batonkit/batonkit/pkg/connector"
	"github.com/batonkit/batonkit/pkg/contract"
	"github.com/batonkit/batonkit/pkg/subprocess"
)

// T is what Run and Serve need of a test; *testing.T and *testing.B are
// one. An interface rather than testing.TB, so the checks can be linked
// into programs (baton conformance) without the testing package.
type T interface {
	Helper()
	Cleanup(func())
	Errorf(format string, args ...any)
	Fatal(args ...any)
	Fatalf(format string, args ...any)
	FailNow()
}

// Run serves c on a loopback listener with mutual TLS, runs every check
// against it and fails t for each check that fails, naming it and its
// problems. It returns the report and what the walk read, for further
// assertions. The restart check is skipped: there is no second process.
func Run(t T, c connector.Connector, opts ...Option) *Report {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	t.Cleanup(cancel)
	rep, err := Check(ctx, Serve(t, c), opts...)
	if err != nil {
		t.Fatalf("connectortest: %v", err)
	}
	failed := rep.Failed()
	for _, f := range failed {
		t.Errorf("connectortest: check %s failed: %s", f.ID, strings.Join(f.Problems, "; "))
	}
	if len(failed) > 0 {
		t.FailNow()
	}
	return rep
}

// Serve runs c behind a real gRPC server on 127.0.0.1 with mutual TLS and
// returns a client for it; both stop when the test ends.
func Serve(t T, c connector.Connector) contract.Client {
	t.Helper()
	srv, err := connector.NewServer(context.Background(), c)
	if err != nil {
		t.Fatalf("connector.NewServer: %v", err)
	}
	clientCred, serverCred, err := subprocess.NewCredentials()
	if err != nil {
		t.Fatal(err)
	}
	stls, err := subprocess.ServerTLS(serverCred)
	if err != nil {
		t.Fatal(err)
	}
	ctls, err := subprocess.ClientTLS(clientCred)
	if err != nil {
		t.Fatal(err)
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	gs := connector.NewGRPCServer(srv, grpc.Creds(credentials.NewTLS(stls)))
	go gs.Serve(lis)
	t.Cleanup(gs.Stop)
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(credentials.NewTLS(ctls)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return contract.NewClient(conn)
}
