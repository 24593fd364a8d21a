// Package docs holds the guides; its test keeps docs/tutorial.md true.
package docs_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var block = regexp.MustCompile("(?s)<!-- (run|run: with a container engine|from: ([^ ]+)) -->\n```(sh|go)\n(.*?)```")

// Every Go block of the tutorial is, verbatim, in the file it names
// (which the module's tests compile and run); every shell block marked
// run runs, in order, in one shell, from an empty directory.
func TestTutorial(t *testing.T) {
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	doc, err := os.ReadFile("tutorial.md")
	if err != nil {
		t.Fatal(err)
	}
	var script strings.Builder
	script.WriteString("set -euo pipefail\n")
	found := block.FindAllStringSubmatch(string(doc), -1)
	runs := 0
	// podman builds without a daemon; docker only with one running.
	_, podman := exec.LookPath("podman")
	engine := podman == nil || exec.Command("docker", "info").Run() == nil
	for _, m := range found {
		if m[1] == "run: with a container engine" && !engine {
			t.Log("no container engine: the tutorial's image step is not run")
			continue
		}
		if strings.HasPrefix(m[1], "run") {
			runs++
			for _, line := range strings.Split(m[4], "\n") {
				// The reader sets BATONKIT to their checkout; the test to
				// this one.
				if !strings.HasPrefix(line, "export BATONKIT=") {
					script.WriteString(line + "\n")
				}
			}
			continue
		}
		src, err := os.ReadFile(filepath.Join(root, m[2]))
		if err != nil {
			t.Fatalf("the tutorial quotes %s: %v", m[2], err)
		}
		if !strings.Contains(string(src), m[4]) {
			t.Errorf("a code block is no longer in %s:\n%s", m[2], m[4])
		}
	}
	if runs < 4 || len(found) < 7 {
		t.Fatalf("found %d blocks (%d to run): the markers changed", len(found), runs)
	}
	cmd := exec.Command("bash", "-c", script.String())
	cmd.Dir = t.TempDir()
	cmd.Env = append(os.Environ(), "BATONKIT="+root)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the tutorial's commands failed: %v\n%s", err, out)
	}
	for _, want := range []string{"Grace Hopper", "through team:t1:member", "Frances Allen"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("the tutorial's output lacks %q:\n%s", want, out)
		}
	}
}
