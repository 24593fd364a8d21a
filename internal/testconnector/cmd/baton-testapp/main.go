// Command baton-testapp runs the in-memory test connector as a real
// program, for tests of the runner and the child-process protocol.
package main

import (
	"context"
	"time"

	"github.com/batonkit/batonkit/internal/testconnector"
	"github.com/batonkit/batonkit/pkg/config"
	"github.com/batonkit/batonkit/pkg/connector"
	"github.com/batonkit/batonkit/pkg/runner"
)

func main() {
	schema := config.Schema{
		DisplayName: "Test app",
		Fields: []config.Field{
			config.Int("users", "number of users", config.Default(20)),
			config.Int("groups", "number of groups", config.Default(6)),
			config.String("latency", "delay added to every call", config.Default("0s")),
			config.String("api-key", "a secret that must never be printed", config.Secret()),
			config.Bool("revoke-inherited", "group revokes also take away membership held through other groups"),
			config.StringList("external-admins", "email addresses of identity-provider users who are admins too (grants matched with --external-resource-c1z)"),
		},
	}
	runner.Main("baton-testapp", "test", schema, func(ctx context.Context, cfg *config.Values) (connector.Connector, error) {
		lat, err := time.ParseDuration(cfg.String("latency"))
		if err != nil {
			return nil, err
		}
		c := testconnector.New(cfg.Int("users"), cfg.Int("groups"), 2)
		c.Latency = lat
		c.RevokeInherited = cfg.Bool("revoke-inherited")
		c.ExternalAdmins = cfg.StringList("external-admins")
		return c, nil
	})
}
