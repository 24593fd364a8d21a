// Command baton-sqlapp syncs the sqlapp example's database into a c1z
// file and changes access in it. Run `baton-sqlapp --help`.
package main

import (
	"context"

	"github.com/batonkit/batonkit/examples/sqlapp"
	"github.com/batonkit/batonkit/pkg/config"
	"github.com/batonkit/batonkit/pkg/connector"
	"github.com/batonkit/batonkit/pkg/runner"
)

var version = "dev"

func main() {
	schema := config.Schema{
		DisplayName: "SQL App",
		Fields: []config.Field{
			config.String("db", "path of the app's SQLite database (created with sample data if missing)", config.Default("sqlapp.db")),
		},
	}
	runner.Main("baton-sqlapp", version, schema, func(ctx context.Context, cfg *config.Values) (connector.Connector, error) {
		db, err := sqlapp.OpenDB(ctx, cfg.String("db"))
		if err != nil {
			return nil, err
		}
		return sqlapp.New(db), nil
	})
}
