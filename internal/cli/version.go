package cli

import (
	"fmt"

	"github.com/spf13/cobra"
)

// newVersionCmd is `baton version`, the same line as `baton --version`:
// the version, the commit it was built from, and the Go that built it.
func newVersionCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:         "version",
		Annotations: usesGlobals(),
		Short:       "Print the version and the commit baton was built from",
		Args:        cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := fmt.Fprintf(g.stdout, "baton %s\n", cmd.Root().Version)
			return err
		},
	}
}
