package subprocess_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"

	"google.golang.org/grpc"

	"github.com/batonkit/batonkit/internal/testconnector"
	connectorv2 "github.com/batonkit/batonkit/pb/c1/connector/v2"
	"github.com/batonkit/batonkit/pkg/connector"
	"github.com/batonkit/batonkit/pkg/subprocess"
)

// Run any connector binary (batonkit's or Baton's) as a child and call it.
func ExampleStart() {
	ctx := context.Background()
	p, err := subprocess.Start(ctx, "./bin/baton-sqlapp", []string{"--db", "sqlapp.db"}, subprocess.Options{})
	if err != nil {
		panic(err)
	}
	defer p.Close() // closes the child's stdin; it exits
	md, err := p.Client.GetMetadata(ctx, &connectorv2.ConnectorServiceGetMetadataRequest{})
	if err != nil {
		panic(err)
	}
	fmt.Println(md.GetMetadata().GetDisplayName())
}

// The child's side, in a connector's hidden subcommand (pkg/runner does
// this for you): read the parent's ServerConfig on stdin, serve the
// connector on the inherited listener with the credential it names, and
// return when the parent closes stdin.
func ExampleServe() {
	ctx := context.Background()
	srv, err := connector.NewServer(ctx, testconnector.New(3, 1, 0))
	if err != nil {
		panic(err)
	}
	err = subprocess.Serve(ctx, os.Stdin, slog.Default(), func(env subprocess.Env) *grpc.Server {
		// env.Sessions reaches the parent's session store: pass it to
		// connector.WithSessions when building the server.
		return connector.NewGRPCServer(srv, env.Options...)
	})
	if err != nil {
		panic(err)
	}
}
