package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/batonkit/batonkit/pkg/c1z"
)

func newRecalculateStatsCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "recalculate-stats",
		Short: "Count a sync's objects again and record the counts in the file (Baton's command of that name)",
		Long: "recalculate-stats counts the sync's resources, entitlements and grants (the latest\n" +
			"finished full sync, or --sync-id) and records them as its stats, which `baton stats`\n" +
			"and ConductorOne read. The file is rewritten in place, atomically; a v3 file is\n" +
			"refused (convert it with `baton export c1z` first).",
		Example: "  baton recalculate-stats -f sync.c1z",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			st, err := c1z.Open(ctx, g.file)
			if err != nil {
				return err
			}
			var run c1z.SyncRun
			if g.syncID != "" {
				run, err = st.SyncRun(ctx, g.syncID)
			} else {
				run, err = st.LatestFinishedSync(ctx, c1z.SyncFull)
			}
			if err != nil {
				st.Close(ctx)
				return err
			}
			var counts c1z.Stats
			w, err := st.AmendSync(ctx, run.ID)
			if err == nil {
				counts, err = w.End(ctx)
			}
			if cerr := st.Close(context.WithoutCancel(ctx)); err == nil {
				err = cerr
			}
			if err != nil {
				return err
			}
			_, err = fmt.Fprintf(g.stdout, "sync %s: %d resource types, %d resources, %d entitlements, %d grants\n",
				run.ID, counts.ResourceTypes, counts.Resources, counts.Entitlements, counts.Grants)
			return err
		},
	}
}
