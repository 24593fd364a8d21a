package docs_test

import (
	"cmp"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"os"
	"slices"
	"strings"
	"testing"
)

// TestMain doubles as the reader's editor: the tutorial's script runs this
// test binary with TUTORIAL_EDIT=FILE to apply an "edit:" block read from
// stdin, in the directory the reader is in at that step.
func TestMain(m *testing.M) {
	if name := os.Getenv("TUTORIAL_EDIT"); name != "" {
		if err := editFile(name, os.Stdin); err != nil {
			fmt.Fprintln(os.Stderr, "tutorial edit:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func editFile(name string, block io.Reader) error {
	src, err := os.ReadFile(name)
	if err != nil {
		return err
	}
	b, err := io.ReadAll(block)
	if err != nil {
		return err
	}
	out, err := replaceFuncs(src, b)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return os.WriteFile(name, out, 0o644)
}

// replaceFuncs replaces each function of block, with its doc comment, by
// the one of src with the same name and receiver: what "make this function
// read as follows" means to a reader.
func replaceFuncs(src, block []byte) ([]byte, error) {
	fset := token.NewFileSet()
	file, err := parser.ParseFile(fset, "src.go", src, parser.ParseComments)
	if err != nil {
		return nil, err
	}
	const head = "package p\n"
	edits, err := parser.ParseFile(fset, "block.go", head+string(block), parser.ParseComments)
	if err != nil {
		return nil, fmt.Errorf("the edit does not parse: %w", err)
	}
	out := string(src)
	if len(edits.Decls) == 0 {
		return nil, fmt.Errorf("the edit has no functions")
	}
	// Replace from the last function of the file backwards so the offsets
	// of the ones before stay right.
	type span struct {
		from, to int
		text     string
	}
	var spans []span
	for _, d := range edits.Decls {
		fn, ok := d.(*ast.FuncDecl)
		if !ok {
			return nil, fmt.Errorf("the edit holds a %T: only functions are replaced", d)
		}
		target := findFunc(file, funcKey(fn))
		if target == nil {
			return nil, fmt.Errorf("no function %s to replace", funcKey(fn))
		}
		text := string(block[offset(fset, start(fn))-len(head) : offset(fset, fn.End())-len(head)])
		spans = append(spans, span{offset(fset, start(target)), offset(fset, target.End()), text})
	}
	slices.SortFunc(spans, func(a, b span) int { return cmp.Compare(a.from, b.from) })
	for i := len(spans) - 1; i >= 0; i-- {
		out = out[:spans[i].from] + spans[i].text + out[spans[i].to:]
	}
	return []byte(out), nil
}

func start(fn *ast.FuncDecl) token.Pos {
	if fn.Doc != nil {
		return fn.Doc.Pos()
	}
	return fn.Pos()
}

func offset(fset *token.FileSet, p token.Pos) int { return fset.Position(p).Offset }

// funcKey names a function as "Name" or "(Recv).Name".
func funcKey(fn *ast.FuncDecl) string {
	if fn.Recv == nil || len(fn.Recv.List) == 0 {
		return fn.Name.Name
	}
	t := fn.Recv.List[0].Type
	if s, ok := t.(*ast.StarExpr); ok {
		t = s.X
	}
	if id, ok := t.(*ast.Ident); ok {
		return "(" + id.Name + ")." + fn.Name.Name
	}
	return fn.Name.Name
}

func findFunc(file *ast.File, key string) *ast.FuncDecl {
	for _, d := range file.Decls {
		if fn, ok := d.(*ast.FuncDecl); ok && funcKey(fn) == key {
			return fn
		}
	}
	return nil
}

func TestReplaceFuncs(t *testing.T) {
	src := "package a\n\n// A says a.\nfunc A() int { return 1 }\n\nfunc (t *T) B() {}\n\nfunc C() {}\n"
	tests := []struct {
		block, want, err string
	}{
		{block: "// A says two.\nfunc A() int {\n\treturn 2\n}\n", want: "package a\n\n// A says two.\nfunc A() int {\n\treturn 2\n}\n\nfunc (t *T) B() {}\n\nfunc C() {}\n"},
		{block: "func C() { panic(1) }\nfunc (t *T) B() { _ = t }\n", want: "package a\n\n// A says a.\nfunc A() int { return 1 }\n\nfunc (t *T) B() { _ = t }\n\nfunc C() { panic(1) }\n"},
		{block: "func B() {}\n", err: "no function B"},
		{block: "var x = 1\n", err: "only functions"},
		{block: "func A( {\n", err: "does not parse"},
	}
	for _, tc := range tests {
		got, err := replaceFuncs([]byte(src), []byte(tc.block))
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%q: error %v, want %q", tc.block, err, tc.err)
			}
			continue
		}
		if err != nil || string(got) != tc.want {
			t.Errorf("%q:\n got %q, %v\nwant %q", tc.block, got, err, tc.want)
		}
	}
}
