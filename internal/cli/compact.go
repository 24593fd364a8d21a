package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/batonkit/batonkit/pkg/compact"
)

func newCompactCmd(g *globals) *cobra.Command {
	var out string
	var syncIDs []string
	var skipExpansion bool
	cmd := &cobra.Command{
		Use:   "compact --out NEW.c1z [FILE...]",
		Short: "Fold a full sync and the targeted syncs and diffs after it into one full sync",
		Long: "compact writes a new file holding one sync: the latest finished full sync of the\n" +
			"first file (-f when no FILE is given) with every finished sync after it applied in\n" +
			"order, then the same from each further FILE. A targeted sync (--sync-resources)\n" +
			"replaces what it synced; a diff (--diff-syncs) applies its upserts and deletions;\n" +
			"a later full sync starts over. Grant expansion runs again when a targeted sync\n" +
			"changed who holds what. The result lists what a full sync of the app after those\n" +
			"changes would. --sync-ids names the syncs instead, one per FILE, in order.",
		Example: "  baton compact -f sync.c1z --out compacted.c1z\n" +
			"  baton compact --out merged.c1z monday.c1z targeted.c1z\n" +
			"  baton compact --out merged.c1z a.c1z b.c1z --sync-ids 2aXc...,2aXd...",
		RunE: func(cmd *cobra.Command, args []string) error {
			if out == "" {
				return usagef("compact needs --out <new file>")
			}
			if len(args) == 0 {
				args = []string{g.file}
			}
			ctx := cmd.Context()
			var inputs []compact.Input
			switch {
			case len(syncIDs) > 0:
				if len(syncIDs) != len(args) {
					return usagef("--sync-ids names one sync per file: %d ids for %d files", len(syncIDs), len(args))
				}
				for i, p := range args {
					inputs = append(inputs, compact.Input{Path: p, SyncID: syncIDs[i]})
				}
			default:
				var err error
				if inputs, err = compact.Select(ctx, args...); err != nil {
					return err
				}
			}
			res, err := compact.Compact(ctx, out, inputs, compact.Options{SkipExpansion: skipExpansion})
			if err != nil {
				return err
			}
			expanded := ""
			if res.Expanded {
				expanded = fmt.Sprintf("; grant expansion ran again (%d grants derived)", res.Expansion.Created)
			}
			_, err = fmt.Fprintf(g.stdout, "compacted %d syncs into %s: sync %s (%s), %d resources, %d entitlements, %d grants%s\n",
				len(res.Applied), res.Path, res.SyncID, res.Type, res.Stats.Resources, res.Stats.Entitlements, res.Stats.Grants, expanded)
			return err
		},
	}
	cmd.Flags().StringVar(&out, "out", "", "the new, compacted c1z (must not exist)")
	cmd.Flags().StringSliceVar(&syncIDs, "sync-ids", nil, "the sync to take from each FILE, in order (default: the latest full sync and what follows it)")
	cmd.Flags().BoolVar(&skipExpansion, "skip-expansion", false, "do not run grant expansion again (a later sync or `baton rollback-expansion --replay` can)")
	return cmd
}
