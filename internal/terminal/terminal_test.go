package terminal_test

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/batonkit/batonkit/internal/terminal"
	"github.com/batonkit/batonkit/pkg/sync"
)

// Each finished phase keeps the figures it ended with; log lines written
// meanwhile are kept whole; nothing is drawn after Close.
func TestTerminalKeepsEachPhasesFigures(t *testing.T) {
	var out bytes.Buffer
	term := terminal.New(&out, false)
	term.Update(sync.Progress{Phase: "resources", Resources: 7, Elapsed: time.Second})
	time.Sleep(150 * time.Millisecond)
	fmt.Fprintln(term, "a log line")
	term.Update(sync.Progress{Phase: "grants", Resources: 7, Grants: 3, Elapsed: 2 * time.Second})
	term.Update(sync.Progress{Phase: "done", Resources: 7, Grants: 3, Expanded: 2, Elapsed: 2 * time.Second, Done: true})
	fmt.Fprintln(term, "after the end")
	term.Close()
	s := out.String()
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`(?m)^resources\s+✓ 7 resources  0 entitlements  0 grants  7/s  1s`),
		regexp.MustCompile(`(?m)^grants\s+✓ 7 resources  0 entitlements  3 grants  5/s  2s  \+2 expanded`),
	} {
		if !want.MatchString(s) {
			t.Errorf("no finished line matching %s:\n%q", want, s)
		}
	}
	if strings.Contains(s, "done ") || !strings.Contains(s, "a log line\n") || !strings.HasSuffix(s, "after the end\n") {
		t.Errorf("output:\n%q", s)
	}
}
