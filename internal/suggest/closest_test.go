package suggest_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/batonkit/batonkit/internal/suggest"
)

func TestClosest(t *testing.T) {
	have := []string{"group:eng:member", "group:ops:member", "role:admin:assigned", "user"}
	for _, tc := range []struct {
		word string
		want []string
	}{
		{"group:eng:membr", []string{"group:eng:member", "group:ops:member"}},
		{"eng", []string{"group:eng:member"}},
		{"USER", []string{"user"}},
		{"usr", []string{"user"}},
		{"zzzzzz", []string{}},
		{"", []string{}},
	} {
		if got := suggest.Closest(tc.word, have, 3); !slices.Equal(got, tc.want) {
			t.Errorf("Closest(%q) = %q, want %q", tc.word, got, tc.want)
		}
	}
}

func TestDistance(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		d    int
	}{{"", "", 0}, {"a", "", 1}, {"kitten", "sitting", 3}, {"flaw", "lawn", 2}, {"same", "same", 0}} {
		if d := suggest.Distance(tc.a, tc.b); d != tc.d {
			t.Errorf("Distance(%q, %q) = %d, want %d", tc.a, tc.b, d, tc.d)
		}
	}
}

func TestFlagError(t *testing.T) {
	root := &cobra.Command{Use: "x"}
	root.PersistentFlags().String("file", "", "")
	root.PersistentFlags().String("secret-thing", "", "")
	root.PersistentFlags().MarkHidden("secret-thing")
	sub := &cobra.Command{Use: "grants", RunE: func(*cobra.Command, []string) error { return nil }}
	sub.Flags().String("principal", "", "")
	sub.Flags().Bool("path", false, "")
	root.AddCommand(sub)
	root.SetFlagErrorFunc(suggest.FlagError)
	root.SilenceErrors, root.SilenceUsage = true, true
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"grants", "--principle", "u1"}, "did you mean --principal?"},
		{[]string{"grants", "--paths"}, "did you mean --path?"},
		{[]string{"grants", "--fiel", "a"}, "did you mean --file?"},
		{[]string{"grants", "--secret-thin"}, "unknown flag: --secret-thin"},
		{[]string{"grants", "--qqqqqqqq"}, "unknown flag: --qqqqqqqq"},
	} {
		root.SetArgs(tc.args)
		err := root.Execute()
		if err == nil || !strings.HasSuffix(err.Error(), tc.want) {
			t.Errorf("%v: %v, want it to end %q", tc.args, err, tc.want)
		}
	}
}

func ExampleClosest() {
	fmt.Println(suggest.Closest("grp", []string{"group", "user", "role"}, 3))
	// Output: [group]
}

func ExampleFlagError() {
	cmd := &cobra.Command{Use: "grants", RunE: func(*cobra.Command, []string) error { return nil }}
	cmd.Flags().String("principal", "", "only grants of this principal")
	cmd.SetFlagErrorFunc(suggest.FlagError)
	cmd.SilenceErrors, cmd.SilenceUsage = true, true
	cmd.SetArgs([]string{"--principle", "user:u1"})
	err := cmd.Execute()
	fmt.Println(err, errors.Unwrap(err) != nil)
	// Output: unknown flag: --principle; did you mean --principal? true
}
