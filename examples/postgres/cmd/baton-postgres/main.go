// Command baton-postgres syncs a PostgreSQL server's roles and privileges
// into a c1z file and changes them. Run `baton-postgres --help`; pass the
// connection string as BATON_DSN.
package main

import (
	"context"

	"github.com/batonkit/batonkit/examples/postgres"
	"github.com/batonkit/batonkit/pkg/config"
	"github.com/batonkit/batonkit/pkg/connector"
	"github.com/batonkit/batonkit/pkg/runner"
)

var version = "dev"

func main() {
	schema := config.Schema{DisplayName: "PostgreSQL", Fields: postgres.Fields}
	runner.Main("baton-postgres", version, schema, func(ctx context.Context, cfg *config.Values) (connector.Connector, error) {
		return postgres.New(postgres.FromValues(cfg))
	})
}
