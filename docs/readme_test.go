package docs_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/text"
)

// quickStart returns the commands of the README's code block after the
// paragraph that ends "Then explore:", one per logical line.
func quickStart(t *testing.T, doc []byte) []string {
	t.Helper()
	root := goldmark.New().Parser().Parse(text.NewReader(doc))
	for n := root.FirstChild(); n != nil; n = n.NextSibling() {
		p, ok := n.(*ast.Paragraph)
		if !ok || !strings.HasSuffix(strings.TrimSpace(string(p.Lines().Value(doc))), "Then explore:") {
			continue
		}
		code, ok := p.NextSibling().(*ast.FencedCodeBlock)
		if !ok {
			t.Fatal(`README.md: "Then explore:" is not followed by a code block`)
		}
		var cmds []string
		var cur strings.Builder
		for i := 0; i < code.Lines().Len(); i++ {
			seg := code.Lines().At(i)
			line := strings.TrimRight(string(seg.Value(doc)), "\n")
			if body, more := strings.CutSuffix(line, `\`); more {
				cur.WriteString(body)
				continue
			}
			cur.WriteString(line)
			cmds = append(cmds, cur.String())
			cur.Reset()
		}
		return cmds
	}
	t.Fatal(`README.md has no "Then explore:" block`)
	return nil
}

// Every command the README's quick start offers after make demo works as
// printed, in order, in a directory make demo left: each exits 0, or 9
// where it asks diff for --exit-code. The explorer serves until stopped;
// its own tests drive it in a browser.
func TestQuickStartCommands(t *testing.T) {
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	doc, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	cmds := quickStart(t, doc)
	if len(cmds) < 10 {
		t.Fatalf("the quick start has %d commands: the block changed", len(cmds))
	}
	if _, err := exec.LookPath("jq"); err != nil {
		t.Fatal("the quick start pipes into jq: install it (make test-deps does)")
	}
	dir := t.TempDir()
	build := exec.Command("go", "build", "-o", filepath.Join(dir, "bin")+"/", "./cmd/baton", "./examples/sqlapp/cmd/baton-sqlapp")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	// What make demo does.
	demo := "bin/baton-sqlapp --db sqlapp.db --file sync.c1z"
	for _, c := range append([]string{demo}, cmds...) {
		if strings.Contains(c, "baton explorer") {
			continue
		}
		cmd := exec.Command("bash", "-o", "pipefail", "-c", c)
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		code := cmd.ProcessState.ExitCode()
		want := 0
		if strings.Contains(c, "--exit-code") {
			want = 9
		}
		if code != want {
			t.Errorf("%s\nexit %d (%v), want %d:\n%s", c, code, err, want, out)
		}
	}
}
