// Package docs holds the guides; its tests keep docs/tutorial.md and the
// README's quick start true, read as a Markdown renderer reads them.
package docs_test

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/text"
)

// step is a marked code block: the HTML comment before a fence says what
// the test does with it.
//
//	<!-- run -->                          run it in the tutorial's shell
//	<!-- run: with a container engine --> the same, when podman or docker works
//	<!-- from: PATH -->                   it is, verbatim, in PATH of this repository
//	<!-- file: NAME -->                   the reader writes it as NAME
//	<!-- edit: NAME -->                   its functions replace the same ones in NAME
type step struct {
	kind, arg, lang, code string
	line                  int
}

var marker = regexp.MustCompile(`^<!-- (run|run: with a container engine|from: (\S+)|file: (\S+)|edit: (\S+)) -->\s*$`)

// steps reads the tutorial as a CommonMark renderer does, so a fence that
// does not close where the author meant (and swallows the prose and steps
// after it) fails here instead of only on the rendered page.
func steps(t *testing.T, doc []byte) (out []step, headings []string) {
	t.Helper()
	root := goldmark.New().Parser().Parse(text.NewReader(doc))
	lineOf := func(offset int) int { return bytes.Count(doc[:offset], []byte("\n")) + 1 }
	for n := root.FirstChild(); n != nil; n = n.NextSibling() {
		switch n := n.(type) {
		case *ast.Heading:
			headings = append(headings, string(n.Lines().Value(doc)))
		case *ast.HTMLBlock:
			m := marker.FindStringSubmatch(strings.TrimSpace(string(n.Lines().Value(doc))))
			if m == nil {
				continue
			}
			code, ok := n.NextSibling().(*ast.FencedCodeBlock)
			if !ok {
				t.Fatalf("tutorial.md:%d: %s is not followed by a fenced code block", lineOf(n.Lines().At(0).Start), m[0])
			}
			s := step{kind: strings.SplitN(m[1], ":", 2)[0], arg: m[2] + m[3] + m[4], lang: string(code.Language(doc)), line: lineOf(n.Lines().At(0).Start)}
			if m[1] == "run: with a container engine" {
				s.kind = "run-engine"
			}
			var b strings.Builder
			for i := 0; i < code.Lines().Len(); i++ {
				seg := code.Lines().At(i)
				b.Write(seg.Value(doc))
			}
			s.code = b.String()
			out = append(out, s)
		}
	}
	return out, headings
}

// Every marker in the source must be a block of its own in the parsed
// document: one inside a code block means a fence swallowed it.
func TestTutorialRendersAsWritten(t *testing.T) {
	doc, err := os.ReadFile("tutorial.md")
	if err != nil {
		t.Fatal(err)
	}
	found, headings := steps(t, doc)
	written := 0
	for _, line := range strings.Split(string(doc), "\n") {
		if marker.MatchString(line) {
			written++
		}
	}
	if len(found) != written {
		t.Errorf("tutorial.md has %d step markers but renders %d: a code fence does not close on its own line", written, len(found))
	}
	for i, h := range headings[1:] {
		if !strings.HasPrefix(h, fmt.Sprintf("%d. ", i+1)) {
			t.Errorf("heading %d renders as %q: the steps are numbered 1, 2, ... and none may vanish into a code block", i+1, h)
		}
	}
	if len(headings) < 8 {
		t.Errorf("tutorial.md renders %d headings, want the title and 7 steps: %q", len(headings), headings)
	}
	for _, s := range found {
		if want := map[string]string{"run": "sh", "run-engine": "sh", "from": "go", "file": "go", "edit": "go"}[s.kind]; s.lang != want {
			t.Errorf("tutorial.md:%d: a %s block is %q, want %q", s.line, s.kind, s.lang, want)
		}
	}
}

// A broken fence, as the tutorial once had, is caught.
func TestBrokenFenceIsCaught(t *testing.T) {
	doc := []byte("# T\n\n## 1. One\n\n<!-- run -->\n```sh\ntrue```\n\n## 2. Two\n\n<!-- run -->\n```sh\ntrue\n```\n")
	found, headings := steps(t, doc)
	if len(found) != 1 || len(headings) != 2 {
		t.Fatalf("a fence closed inside a line swallowed nothing: %d steps, headings %q", len(found), headings)
	}
}

// Every Go block of the tutorial is, verbatim, in the file it names or is
// written into the reader's connector; every shell block marked run runs,
// in order, in one shell, from an empty directory, with the files written
// and edited where the reader would.
func TestTutorial(t *testing.T) {
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	doc, err := os.ReadFile("tutorial.md")
	if err != nil {
		t.Fatal(err)
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	found, _ := steps(t, doc)
	// podman builds without a daemon; docker only with one running.
	_, podman := exec.LookPath("podman")
	engine := podman == nil || exec.Command("docker", "info").Run() == nil
	var script strings.Builder
	script.WriteString("set -euo pipefail\n")
	runs, files := 0, 0
	for _, s := range found {
		switch s.kind {
		case "run-engine":
			if !engine {
				t.Log("no container engine: the tutorial's image step is not run")
				continue
			}
			fallthrough
		case "run":
			runs++
			for _, line := range strings.Split(s.code, "\n") {
				// The reader clones and sets BATONKIT; the test uses this
				// checkout.
				if !strings.HasPrefix(line, "git clone ") && !strings.HasPrefix(line, "export BATONKIT=") {
					script.WriteString(line + "\n")
				}
			}
		case "from":
			src, err := os.ReadFile(filepath.Join(root, s.arg))
			if err != nil {
				t.Fatalf("tutorial.md:%d quotes %s: %v", s.line, s.arg, err)
			}
			if !strings.Contains(string(src), s.code) {
				t.Errorf("tutorial.md:%d: a code block is no longer in %s:\n%s", s.line, s.arg, s.code)
			}
		case "file", "edit":
			files++
			var cmd string
			if s.kind == "file" {
				cmd = "cat > " + shellQuote(s.arg)
			} else {
				cmd = "TUTORIAL_EDIT=" + shellQuote(s.arg) + " " + shellQuote(self)
			}
			fmt.Fprintf(&script, "%s <<'TUTORIAL_EOF'\n%sTUTORIAL_EOF\n", cmd, s.code)
		}
	}
	if runs < 6 || files < 4 {
		t.Fatalf("found %d blocks to run and %d files to write: the markers changed", runs, files)
	}
	cmd := exec.Command("bash", "-c", script.String())
	cmd.Dir = t.TempDir()
	cmd.Env = append(os.Environ(), "BATONKIT="+root)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the tutorial's commands failed: %v\n%s", err, out)
	}
	for _, want := range []string{"Grace Hopper", "through team:t1:member", "team:t1:member > project:p1:editor", "Frances Allen", "Platform"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("the tutorial's output lacks %q:\n%s", want, out)
		}
	}
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }
