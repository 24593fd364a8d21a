package runner_test

import (
	"context"

	"github.com/batonkit/batonkit/examples/sqlapp"
	"github.com/batonkit/batonkit/pkg/config"
	"github.com/batonkit/batonkit/pkg/connector"
	"github.com/batonkit/batonkit/pkg/runner"
)

// A connector's whole main(): flags, BATON_* variables and a YAML file for
// its settings; sync, provisioning, `capabilities`, `config` and the
// child-process service for free.
func ExampleMain() {
	schema := config.Schema{
		DisplayName: "SQL App",
		Fields:      []config.Field{config.String("db", "path of the app's database", config.Required())},
	}
	runner.Main("baton-sqlapp", "v1.0.0", schema, func(ctx context.Context, cfg *config.Values) (connector.Connector, error) {
		db, err := sqlapp.OpenDB(ctx, cfg.String("db"))
		if err != nil {
			return nil, err
		}
		return sqlapp.New(db), nil
	})
}
