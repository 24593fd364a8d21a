package suggest

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// FlagError adds "did you mean --x?" to pflag's error for an unknown flag
// of cmd (its own flags and those it inherits, hidden ones left out); any
// other error comes back as it was. Use it in cobra's SetFlagErrorFunc.
func FlagError(cmd *cobra.Command, err error) error {
	msg := err.Error()
	var name string
	switch {
	case strings.HasPrefix(msg, "unknown flag: --"):
		name = strings.TrimPrefix(msg, "unknown flag: --")
	case strings.HasPrefix(msg, "unknown shorthand flag: '"):
		// "unknown shorthand flag: 'x' in -xyz": -x may be --x mistyped.
		if rest := strings.TrimPrefix(msg, "unknown shorthand flag: '"); len(rest) > 0 {
			_, after, _ := strings.Cut(rest, " in -")
			name = after
		}
	default:
		return err
	}
	var have []string
	add := func(f *pflag.Flag) {
		if !f.Hidden {
			have = append(have, f.Name)
		}
	}
	cmd.LocalFlags().VisitAll(add)
	cmd.InheritedFlags().VisitAll(add)
	near := Closest(name, have, 3)
	if len(near) == 0 {
		return err
	}
	for i, n := range near {
		near[i] = "--" + n
	}
	return fmt.Errorf("%w; did you mean %s?", err, strings.Join(near, ", "))
}
