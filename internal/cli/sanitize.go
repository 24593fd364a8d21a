package cli

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/batonkit/batonkit/pkg/c1z"
	"github.com/batonkit/batonkit/pkg/sanitize"
)

func newSanitizeCmd(g *globals) *cobra.Command {
	var out, mapFile string
	cmd := &cobra.Command{
		Use:   "sanitize --out NEW.c1z [--map MAP.json]",
		Short: "Write an identity-stripped copy of a sync, for a bug report: the same graph, no names",
		Long: "sanitize copies the sync (the default one, or --sync-id) into a new file with every\n" +
			"id, name, email and login replaced by a pseudonym, consistently: the resources,\n" +
			"their types and parents, entitlements, grants and expansion are the same graph.\n" +
			"Descriptions, profiles, assets and other annotations are left out. --map writes\n" +
			"the pseudonyms' originals to a new 0600 file, to translate an answer back; keep\n" +
			"it, do not send it.",
		Example: "  baton sanitize -f sync.c1z --out report.c1z --map report.map.json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if out == "" {
				return usagef("sanitize needs --out <new file>")
			}
			return g.withStore(cmd, func(ctx context.Context, _ *c1z.Reader, run c1z.SyncRun) error {
				return sanitize.Copy(ctx, g.file, run.ID, out, sanitize.Options{Map: mapFile})
			})
		},
	}
	cmd.Flags().StringVar(&out, "out", "", "the new, sanitized c1z")
	cmd.Flags().StringVar(&mapFile, "map", "", "also write the pseudonyms' originals here (a new file, 0600)")
	return cmd
}
