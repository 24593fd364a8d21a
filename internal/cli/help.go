package cli

import (
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// globalsKey annotates a command that reads no sync file with the root
// flags it does use ("" for none): its --help then leaves out -f,
// --sync-id, the S3 settings and the rest, which would only mislead.
// Subcommands inherit their parent's annotation.
const globalsKey = "baton:globals"

func usesGlobals(names ...string) map[string]string {
	return map[string]string{globalsKey: strings.Join(names, ",")}
}

// scopeHelp makes help show only the root flags a command uses.
func scopeHelp(root *cobra.Command) {
	def := root.HelpFunc()
	root.SetHelpFunc(func(cmd *cobra.Command, args []string) {
		keep, scoped := scopedGlobals(cmd)
		if !scoped {
			def(cmd, args)
			return
		}
		// The flags are shared with every command: hide them only while
		// this help is written.
		var hidden []*pflag.Flag
		root.PersistentFlags().VisitAll(func(f *pflag.Flag) {
			if !f.Hidden && f.Name != "help" && !slices.Contains(keep, f.Name) {
				f.Hidden = true
				hidden = append(hidden, f)
			}
		})
		defer func() {
			for _, f := range hidden {
				f.Hidden = false
			}
		}()
		def(cmd, args)
	})
}

func scopedGlobals(cmd *cobra.Command) ([]string, bool) {
	for c := cmd; c != nil; c = c.Parent() {
		if v, ok := c.Annotations[globalsKey]; ok {
			return strings.Split(v, ","), true
		}
	}
	return nil, false
}
