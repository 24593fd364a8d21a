package runner_test

import (
	"os/exec"
	"regexp"
	"strings"
	"testing"
)

// baton --version, baton version and every connector's --version print
// the version and the commit the binary was built from.
func TestVersionNamesTheCommit(t *testing.T) {
	head, err := exec.Command("git", "rev-parse", "--short=12", "HEAD").Output()
	if err != nil {
		t.Fatalf("git rev-parse (the tests run in a checkout): %v", err)
	}
	commit := strings.TrimSpace(string(head))
	line := regexp.MustCompile(`^(baton|baton-sqlapp version) \S+ \(commit ([0-9a-f]{12})(, modified)?; go1\.\d+`)
	dir := t.TempDir()
	for _, c := range []struct {
		bin  string
		args []string
	}{{bins.baton, []string{"--version"}}, {bins.baton, []string{"version"}}, {bins.sqlapp, []string{"--version"}}} {
		out := ok(t, runIn(t, dir, nil, c.bin, c.args...)).stdout
		m := line.FindStringSubmatch(out)
		if m == nil || m[2] != commit {
			t.Errorf("%s %v: %q, want the version and commit %s", c.bin, c.args, out, commit)
		}
	}
}
