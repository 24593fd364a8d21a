package cli

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"text/template"

	"github.com/spf13/cobra"
	"golang.org/x/mod/modfile"
	gomodule "golang.org/x/mod/module"

	"github.com/batonkit/batonkit/internal/buildinfo"
)

//go:embed scaffold/*.tmpl
var scaffold embed.FS

// scaffoldFiles maps each template to where it goes in the new module.
var scaffoldFiles = map[string]string{
	"go.mod.tmpl":            "go.mod",
	"connector.go.tmpl":      "connector.go",
	"connector_test.go.tmpl": "connector_test.go",
	"main.go.tmpl":           "cmd/baton-{{.Name}}/main.go",
	"Makefile.tmpl":          "Makefile",
	"Dockerfile.tmpl":        "Dockerfile",
	"README.md.tmpl":         "README.md",
}

var connectorName = regexp.MustCompile(`^[a-z][a-z0-9-]{0,39}$`)

type scaffoldData struct {
	Name, Package, Title, Module, Replace string
}

func newNewCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "new", Short: "Start something new: a connector module", Annotations: usesGlobals()}
	var module, dir, replace string
	conn := &cobra.Command{
		Use:   "connector NAME",
		Short: "Write a ready-to-build connector module: main, one syncer on an HTTP API, a conformance test, Makefile, Dockerfile",
		Long: "new connector writes a Go module for baton-NAME into ./baton-NAME (or --dir): a\n" +
			"connector that lists users from a JSON API with pkg/uhttp, its main() on\n" +
			"pkg/runner, a connectortest.Run test against a fake API, a Makefile and a\n" +
			"Dockerfile. Then: cd baton-NAME && go mod tidy && make test.",
		Example: "  baton new connector acme\n  baton new connector acme --module github.com/example/baton-acme",
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usagef("new connector takes the connector's NAME (lower case, digits and dashes: acme, acme-hr)")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			name := args[0]
			if !connectorName.MatchString(name) {
				return usagef("connector name %q: lower case letters, digits and dashes, starting with a letter (acme, acme-hr)", name)
			}
			if module == "" {
				module = "example.com/baton-" + name
			}
			// Both go into generated Go and go.mod as they are: only a
			// real module path and a real checkout.
			if err := gomodule.CheckImportPath(module); err != nil {
				return usagef("--module %q is not a Go module path: %v", module, err)
			}
			// Until batonkit is on the module proxy, a scaffold builds
			// against a checkout: the one named, or the one this baton
			// was built from.
			note := ""
			if replace == "" {
				if replace = buildinfo.Checkout(); replace != "" {
					note = fmt.Sprintf("building against the batonkit checkout this baton was built from: %s (--batonkit to choose another)\n", replace)
				}
			}
			if replace != "" {
				var err error
				if replace, err = batonkitCheckout(replace); err != nil {
					return usageError{err}
				}
			} else {
				note = "note: this baton does not know a batonkit checkout and batonkit is not on the module proxy yet, so go mod tidy\n" +
					"will fail: clone batonkit (git clone https://github.com/batonkit/batonkit) and pass --batonkit PATH\n"
			}
			d := scaffoldData{Name: name, Package: strings.ReplaceAll(name, "-", ""), Module: module, Replace: replace,
				Title: strings.ToUpper(name[:1]) + name[1:]}
			if dir == "" {
				dir = "baton-" + name
			}
			if err := writeScaffold(dir, d); err != nil {
				return err
			}
			fmt.Fprintf(g.stdout, "wrote %s (module %s)\n%snext: cd %s && go mod tidy && make test\n", dir, d.Module, note, dir)
			return nil
		},
	}
	conn.Flags().StringVar(&module, "module", "", "the module path (default example.com/baton-NAME)")
	conn.Flags().StringVar(&dir, "dir", "", "where to write it (default ./baton-NAME; must not exist)")
	conn.Flags().StringVar(&replace, "batonkit", "", "a local batonkit checkout to build against (adds a replace directive; default: the checkout this baton was built from)")
	cmd.AddCommand(conn)
	return cmd
}

// batonkitCheckout checks that dir is a batonkit checkout and returns it
// as go.mod's replace directive wants it: absolute (the new module lives
// elsewhere), quoted when it must be.
func batonkitCheckout(dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	if strings.ContainsAny(abs, "\x00\n\r\"`") {
		return "", fmt.Errorf("--batonkit %q: a path with quotes or line breaks cannot go into go.mod", dir)
	}
	data, err := os.ReadFile(filepath.Join(abs, "go.mod"))
	if err != nil {
		return "", fmt.Errorf("--batonkit %s is not a batonkit checkout: %w", dir, err)
	}
	if got := modfile.ModulePath(data); got != "github.com/batonkit/batonkit" {
		return "", fmt.Errorf("--batonkit %s is not a batonkit checkout: its go.mod is module %q", dir, got)
	}
	return modfile.AutoQuote(abs), nil
}

// writeScaffold renders every template into a new directory; it never
// writes into one that exists.
func writeScaffold(dir string, d scaffoldData) error {
	if _, err := os.Stat(dir); err == nil {
		return usagef("%s already exists: choose another --dir", dir)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	for src, dst := range scaffoldFiles {
		text, err := scaffold.ReadFile("scaffold/" + src)
		if err != nil {
			return err
		}
		var out, path bytes.Buffer
		if err := template.Must(template.New(src).Parse(string(text))).Execute(&out, d); err != nil {
			return fmt.Errorf("render %s: %w", src, err)
		}
		if err := template.Must(template.New("path").Parse(dst)).Execute(&path, d); err != nil {
			return err
		}
		target := filepath.Join(dir, filepath.FromSlash(path.String()))
		if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(target, out.Bytes(), 0o644); err != nil {
			return err
		}
	}
	return nil
}
