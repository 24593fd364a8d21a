package connectortest

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	connectorv2 "github.com/batonkit/batonkit/pb/c1/connector/v2"
	"github.com/batonkit/batonkit/pkg/contract"
)

// Status is a check's outcome.
type Status string

const (
	Pass Status = "pass"
	Fail Status = "fail"
	Skip Status = "skip" // not applicable, or not asked for (Reason says which)
)

// CheckResult is one check's outcome, with the objects it looked at.
type CheckResult struct {
	ID       string   `json:"id"`
	Title    string   `json:"title"`
	Status   Status   `json:"status"`
	Problems []string `json:"problems,omitempty"`
	// Notes are what the check advises without failing: behaviour that
	// works with the syncer but loses something (a no-op not reported).
	Notes  []string `json:"notes,omitempty"`
	Reason string   `json:"reason,omitempty"` // why it was skipped
	// Seen counts what the check looked at; Sample names the first of
	// them (ids as listings print them: type:id for resources).
	Seen   int      `json:"seen"`
	Sample []string `json:"sample,omitempty"`
	Millis int64    `json:"ms"`
}

const (
	maxProblems = 20 // per check; the rest are counted
	maxSample   = 10
)

func (r *CheckResult) failf(format string, args ...any) {
	r.Status = Fail
	if len(r.Problems) == maxProblems {
		r.Problems = append(r.Problems, "(further problems not listed)")
	}
	if len(r.Problems) > maxProblems {
		return
	}
	r.Problems = append(r.Problems, fmt.Sprintf(format, args...))
}

func (r *CheckResult) notef(format string, args ...any) {
	if len(r.Notes) < maxProblems {
		r.Notes = append(r.Notes, fmt.Sprintf(format, args...))
	}
}

func (r *CheckResult) saw(ids ...string) {
	for _, id := range ids {
		r.Seen++
		if len(r.Sample) < maxSample {
			r.Sample = append(r.Sample, id)
		}
	}
}

// Report is the outcome of every check, and what the walk read.
type Report struct {
	Connector string         `json:"connector"` // the metadata's display name
	Checks    []*CheckResult `json:"checks"`

	Metadata     *connectorv2.ConnectorMetadata      `json:"-"`
	Types        []*connectorv2.ResourceType         `json:"-"`
	Resources    map[string]*connectorv2.Resource    `json:"-"` // by "type:id"
	Entitlements map[string]*connectorv2.Entitlement `json:"-"` // by id
	Grants       []*connectorv2.Grant                `json:"-"`
	Client       contract.Client                     `json:"-"`
}

// Passed reports whether no check failed.
func (r *Report) Passed() bool { return len(r.Failed()) == 0 }

// Failed lists the checks that failed.
func (r *Report) Failed() []*CheckResult {
	var out []*CheckResult
	for _, c := range r.Checks {
		if c.Status == Fail {
			out = append(out, c)
		}
	}
	return out
}

// Check returns the result of the check with this id, or nil.
func (r *Report) Check(id string) *CheckResult {
	for _, c := range r.Checks {
		if c.ID == id {
			return c
		}
	}
	return nil
}

// WriteText prints the report as a table, each failure's problems under
// it, and a last line with the counts. escape is applied to text that came
// from the connector (names, ids, messages); nil leaves it as is.
func (r *Report) WriteText(w io.Writer, escape func(string) string) error {
	if escape == nil {
		escape = func(s string) string { return s }
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "CHECK\tRESULT\tSEEN\tWHAT IT CHECKS\n")
	counts := map[Status]int{}
	for _, c := range r.Checks {
		counts[c.Status]++
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\n", c.ID, strings.ToUpper(string(c.Status)), c.Seen, c.Title)
		if c.Status == Skip && c.Reason != "" {
			fmt.Fprintf(tw, "\t\t\t  skipped: %s\n", escape(c.Reason))
		}
		for _, p := range c.Problems {
			fmt.Fprintf(tw, "\t\t\t  - %s\n", escape(p))
		}
		for _, n := range c.Notes {
			fmt.Fprintf(tw, "\t\t\t  note: %s\n", escape(n))
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "%s: %d passed, %d failed, %d skipped\n", escape(r.Connector), counts[Pass], counts[Fail], counts[Skip])
	return err
}
