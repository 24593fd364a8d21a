package config_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/pflag"

	"github.com/batonkit/batonkit/pkg/config"
)

// Settings arrive from a YAML file and BATON_* variables that anyone may
// have written: any content loads or is ErrInvalid, and a secret's value
// never appears in the error.
func FuzzLoad(f *testing.F) {
	f.Add("base-url: https://x\napi-key: k\npage-size: 10\norgs: [a, b]\nlabels: {a: b}\n", "25", "a,b", "k1=v1")
	f.Add("page-size: [1]\n", "x", "", "=")
	f.Add("{", "", "", "")
	f.Add("api-key: {nested: true}\n", "-1", "a,,b", "k")
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, yaml, pageSize, orgs, labels string) {
		for _, v := range []string{pageSize, orgs, labels} {
			if strings.ContainsRune(v, 0) {
				return // an environment cannot hold NUL
			}
		}
		path := filepath.Join(dir, "c.yaml")
		if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
			t.Fatal(err)
		}
		t.Setenv(config.ConfigEnv, path)
		t.Setenv("BATON_PAGE_SIZE", pageSize)
		t.Setenv("BATON_ORGS", orgs)
		t.Setenv("BATON_LABELS", labels)
		t.Setenv("BATON_API_KEY", "fuzz-secret-value")
		fs := pflag.NewFlagSet("f", pflag.ContinueOnError)
		schema.Bind(fs)
		_, err := schema.Load(fs)
		if err == nil {
			return
		}
		if !errors.Is(err, config.ErrInvalid) {
			t.Fatalf("unclassified error: %v", err)
		}
		if strings.Contains(err.Error(), "fuzz-secret-value") {
			t.Fatalf("the error shows a secret: %v", err)
		}
	})
}
