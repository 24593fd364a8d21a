// Command baton-ldap syncs the people and groups of an LDAP directory.
// Run `baton-ldap --help`; pass the bind password as BATON_BIND_PASSWORD.
package main

import (
	"context"

	"github.com/batonkit/batonkit/examples/ldap"
	"github.com/batonkit/batonkit/pkg/config"
	"github.com/batonkit/batonkit/pkg/connector"
	"github.com/batonkit/batonkit/pkg/runner"
)

var version = "dev"

func main() {
	schema := config.Schema{DisplayName: "LDAP", Fields: ldap.Fields}
	runner.Main("baton-ldap", version, schema, func(ctx context.Context, cfg *config.Values) (connector.Connector, error) {
		return ldap.New(ctx, ldap.FromValues(cfg))
	})
}
