package subprocess_test

import (
	"context"
	"fmt"

	connectorv2 "github.com/batonkit/batonkit/pb/c1/connector/v2"
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
