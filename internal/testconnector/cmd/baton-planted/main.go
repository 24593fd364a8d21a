// Command baton-planted is the planted-defect connector as a connector
// program, for the conformance tests over the child-process link:
//
//	baton conformance --connector bin/baton-planted -- --defect skipped-page
package main

import (
	"context"

	"github.com/batonkit/batonkit/internal/testconnector/planted"
	"github.com/batonkit/batonkit/pkg/config"
	"github.com/batonkit/batonkit/pkg/connector"
	"github.com/batonkit/batonkit/pkg/runner"
)

func main() {
	schema := config.Schema{
		DisplayName: "Planted",
		Fields:      []config.Field{config.String("defect", "the defect to plant (none by default)")},
	}
	runner.Main("baton-planted", "dev", schema, func(_ context.Context, cfg *config.Values) (connector.Connector, error) {
		return planted.New(cfg.String("defect"))
	})
}
