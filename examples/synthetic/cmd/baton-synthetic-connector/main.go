// Command baton-synthetic-connector is the synthetic connector as a
// connector program (pkg/runner): it syncs by itself, and it is what
// `baton sync --connector` drives over the child-process link in the
// benchmarks, as Baton's syncer would.
//
//	baton sync --connector bin/baton-synthetic-connector -f s.c1z -- --users 10000 --groups 100 --members 100
package main

import (
	"context"

	"github.com/batonkit/batonkit/examples/synthetic"
	"github.com/batonkit/batonkit/pkg/config"
	"github.com/batonkit/batonkit/pkg/connector"
	"github.com/batonkit/batonkit/pkg/runner"
)

var version = "dev"

func main() {
	schema := config.Schema{
		DisplayName: "Synthetic",
		Fields: []config.Field{
			config.Int("users", "number of users", config.Default(1000)),
			config.Int("groups", "number of groups", config.Default(50)),
			config.Int("members", "user grants per group", config.Default(20)),
			config.Int("resource-page-size", "resources per page", config.Default(50)),
			config.Int("grant-page-size", "grants per page", config.Default(10)),
			config.Int("depth", "arrange the groups in chains this deep"),
			config.Bool("cycles", "with --depth: close each chain into a cycle"),
			config.Duration("latency", "delay added to every listing call"),
		},
	}
	runner.Main("baton-synthetic-connector", version, schema, func(_ context.Context, cfg *config.Values) (connector.Connector, error) {
		return synthetic.New(synthetic.Shape{Users: cfg.Int("users"), Groups: cfg.Int("groups"), Members: cfg.Int("members"),
			ResourcePageSize: cfg.Int("resource-page-size"), GrantPageSize: cfg.Int("grant-page-size"),
			Depth: cfg.Int("depth"), Cycles: cfg.Bool("cycles"), Latency: cfg.Duration("latency")}), nil
	})
}
