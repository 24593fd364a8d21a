// Package clitest runs baton commands in process for tests that live
// outside internal/cli: the example connectors' own test suites.
package clitest

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"

	"github.com/batonkit/batonkit/internal/cli"
	"github.com/batonkit/batonkit/pkg/connectortest"
)

// Conforms runs `baton conformance -o json` with args (the --connector
// flag and what follows it) and fails t unless every check passes, the
// restart check included: a connector's test of its own binary over the
// child link, as `baton conformance` judges any connector.
func Conforms(t testing.TB, args ...string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := cli.Execute(context.Background(), append([]string{"conformance", "-o", "json"}, args...), &out, &errb)
	var rep struct {
		Passed bool
		Checks []*connectortest.CheckResult
	}
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("exit %d, output %q: %v\n%s", code, out.String(), err, errb.String())
	}
	if code != cli.ExitOK || !rep.Passed {
		t.Fatalf("exit %d: %+v\n%s", code, rep.Checks, errb.String())
	}
	for _, c := range rep.Checks {
		if c.ID == "restart" && c.Status != connectortest.Pass {
			t.Errorf("the restart check is %s over the child link", c.Status)
		}
	}
}
