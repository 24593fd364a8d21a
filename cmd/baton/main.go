// Command baton explores, compares and exports c1z sync files and runs
// connectors into them. See `baton --help`.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/batonkit/batonkit/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Execute(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
