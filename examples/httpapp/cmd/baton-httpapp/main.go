// Command baton-httpapp syncs the example web app and changes roles in it.
// Pass its token as BATON_TOKEN. Run `baton-httpapp --help`.
package main

import (
	"context"

	"github.com/batonkit/batonkit/examples/httpapp"
	"github.com/batonkit/batonkit/pkg/config"
	"github.com/batonkit/batonkit/pkg/connector"
	"github.com/batonkit/batonkit/pkg/runner"
)

var version = "dev"

func main() {
	runner.Main("baton-httpapp", version, config.Schema{DisplayName: "HTTP App", Fields: httpapp.Fields},
		func(ctx context.Context, cfg *config.Values) (connector.Connector, error) {
			return httpapp.New(cfg.String("base-url"), cfg.String("token"))
		})
}
