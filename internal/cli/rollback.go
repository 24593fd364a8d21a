package cli

import (
	"context"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/batonkit/batonkit/pkg/c1z"
	"github.com/batonkit/batonkit/pkg/sync/expand"
)

type rollbackFlags struct {
	out                            string
	dryRun, replay, keep, validate bool
}

func newRollbackExpansionCmd(g *globals) *cobra.Command {
	var f rollbackFlags
	cmd := &cobra.Command{
		Use:   "rollback-expansion --out NEW.c1z [--replay [--validate]] | --dry-run",
		Short: "Undo grant expansion in a copy of a sync, so it can be replayed (Baton's command of that name)",
		Long: "rollback-expansion copies the sync (the latest finished full one, or --sync-id) to a new\n" +
			"file and undoes its grant expansion there: grants that exist only through\n" +
			"expansion are deleted and direct grants lose the sources expansion gave them.\n" +
			"The input is never modified. --replay runs expansion again on the copy;\n" +
			"--validate then fails unless every grant's sources are what they were.\n" +
			"A grant with sources but no sign of being made by expansion may be the\n" +
			"connector's own: it is deleted and counted unless --preserve-suspect-grants.",
		Example: "  baton rollback-expansion -f sync.c1z --dry-run\n  baton rollback-expansion -f sync.c1z --out replayed.c1z --replay --validate",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			switch {
			case f.validate && !f.replay:
				return usagef("--validate needs --replay: without it the derived grants are gone and there is nothing to compare")
			case !f.dryRun && f.out == "":
				return usagef("rollback-expansion needs --out <new file> (the input is never modified), or --dry-run to preview")
			}
			return g.rollbackExpansion(cmd.Context(), f)
		},
	}
	cmd.Flags().StringVar(&f.out, "out", "", "write the rolled-back copy here (must not exist)")
	cmd.Flags().BoolVar(&f.dryRun, "dry-run", false, "report what would change; write nothing")
	cmd.Flags().BoolVar(&f.replay, "replay", false, "run grant expansion again on the copy (without it the copy lacks its expanded grants)")
	cmd.Flags().BoolVar(&f.keep, "preserve-suspect-grants", false, "keep grants that may be the connector's own instead of deleting them")
	cmd.Flags().BoolVar(&f.validate, "validate", false, "with --replay: fail unless every grant's sources are the same after as before")
	return cmd
}

func (g *globals) rollbackExpansion(ctx context.Context, f rollbackFlags) (err error) {
	src, err := g.openFile(ctx, g.file)
	if err != nil {
		return err
	}
	defer src.Close(ctx)
	run, err := g.syncFor(ctx, src)
	if err != nil {
		return err
	}
	if f.dryRun {
		rb, err := src.PlanRollback(ctx, run.ID, c1z.RollbackOptions{KeepSuspect: f.keep})
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(g.stdout, "dry run: sync %s: would delete %d expansion-derived grant(s) and clear the sources of %d direct grant(s)%s\n",
			run.ID, rb.Deleted, rb.Cleared, suspectNote(rb))
		return err
	}
	var before map[string]string
	if f.validate {
		if before, err = grantSources(ctx, src, run.ID); err != nil {
			return err
		}
	}
	if err := src.Export(ctx, run.ID, f.out); err != nil {
		return err
	}
	// The copy exists from here on: a failure removes it, so the same
	// command can be run again.
	defer func() {
		if err != nil {
			os.Remove(f.out)
		}
	}()
	dst, err := c1z.Open(ctx, f.out)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			dst.Discard()
		}
	}()
	w, err := dst.AmendSync(ctx, run.ID)
	if err != nil {
		return err
	}
	var rb c1z.Rollback
	replayed := ""
	if f.replay {
		var st expand.Stats
		if rb, st, err = expand.Replay(ctx, w, f.keep, expand.Options{}); err != nil {
			return err
		}
		replayed = fmt.Sprintf("; expansion replayed (%d grants derived)", st.Created)
		if f.validate {
			after, err := grantSources(ctx, dst.Reader, run.ID)
			if err != nil {
				return err
			}
			if diffs := sourceChanges(before, after); len(diffs) > 0 {
				return fmt.Errorf("rollback and replay changed the sources of %d grant(s); %s not written:\n%s", len(diffs), f.out, strings.Join(diffs[:min(len(diffs), 20)], "\n"))
			}
			replayed += fmt.Sprintf("; validated: the sources of all %d grants are unchanged", len(after))
		}
	} else {
		if rb, err = w.RollbackExpansion(ctx, c1z.RollbackOptions{KeepSuspect: f.keep}); err != nil {
			return err
		}
		fmt.Fprintln(g.stderr, "baton: without --replay the copy lacks its expanded grants until expansion runs again")
	}
	if _, err := w.End(ctx); err != nil {
		return err
	}
	if err := dst.Close(ctx); err != nil {
		return err
	}
	_, err = fmt.Fprintf(g.stdout, "sync %s rolled back into %s: deleted %d expansion-derived grant(s), cleared the sources of %d direct grant(s)%s%s\n",
		run.ID, f.out, rb.Deleted, rb.Cleared, suspectNote(rb), replayed)
	return err
}

func suspectNote(rb c1z.Rollback) string {
	switch {
	case rb.Kept > 0:
		return fmt.Sprintf(" [%d grant(s) with sources but no mark of expansion kept: check whether the connector set them]", rb.Kept)
	case rb.Suspect > 0:
		return fmt.Sprintf(" [%d of the deleted grants had sources but no mark of expansion: check they are not the connector's own, or pass --preserve-suspect-grants]", rb.Suspect)
	}
	return ""
}

// grantSources maps each grant of a sync to its sources, canonically
// written, for --validate.
func grantSources(ctx context.Context, st *c1z.Reader, syncID string) (map[string]string, error) {
	out := map[string]string{}
	for gr, err := range st.Grants(ctx, c1z.GrantQuery{SyncID: syncID}) {
		if err != nil {
			return nil, err
		}
		var parts []string
		for _, k := range slices.Sorted(maps.Keys(gr.GetSources().GetSources())) {
			parts = append(parts, fmt.Sprintf("%s=%t", k, gr.GetSources().GetSources()[k].GetIsDirect()))
		}
		out[gr.GetId()] = strings.Join(parts, ",")
	}
	return out, nil
}

func sourceChanges(before, after map[string]string) []string {
	var out []string
	for id, b := range before {
		a, ok := after[id]
		switch {
		case !ok:
			out = append(out, fmt.Sprintf("grant %q: gone after the replay", id))
		case a != b:
			out = append(out, fmt.Sprintf("grant %q: sources [%s] before, [%s] after", id, b, a))
		}
	}
	for id := range after {
		if _, ok := before[id]; !ok {
			out = append(out, fmt.Sprintf("grant %q: new after the replay", id))
		}
	}
	slices.Sort(out)
	return out
}
