package config_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/batonkit/batonkit/pkg/config"
)

var schema = config.Schema{
	DisplayName: "Acme",
	Fields: []config.Field{
		config.String("base-url", "API base URL", config.Default("https://api.acme.test")),
		config.String("api-key", "API key", config.Secret()),
		config.String("client-id", "OAuth client id"),
		config.String("client-secret", "OAuth client secret", config.Secret()),
		config.Bool("include-bots", "sync bot accounts"),
		config.Int("page-size", "page size", config.Default(50)),
		config.StringList("orgs", "organisations"),
		config.StringMap("labels", "extra labels"),
		config.Select("region", "data region", []string{"us", "eu"}, config.Default("us")),
	},
	Relationships: []config.Relationship{
		{Kind: config.RequiredTogether, Fields: []string{"client-id", "client-secret"}},
		{Kind: config.MutuallyExclusive, Fields: []string{"api-key", "client-id"}},
		{Kind: config.AtLeastOne, Fields: []string{"api-key", "client-id"}},
		{Kind: config.DependsOn, Fields: []string{"include-bots"}, On: []string{"orgs"}},
	},
}

func load(t *testing.T, args []string, env map[string]string, file string) (*config.Values, error) {
	t.Helper()
	for k, v := range env {
		t.Setenv(k, v)
	}
	if file != "" {
		p := filepath.Join(t.TempDir(), "c.yaml")
		if err := os.WriteFile(p, []byte(file), 0o600); err != nil {
			t.Fatal(err)
		}
		args = append(args, "--config", p)
	}
	fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
	schema.Bind(fs)
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	return schema.Load(fs)
}

func TestPrecedence(t *testing.T) {
	v, err := load(t, []string{"--page-size", "10"}, map[string]string{"BATON_PAGE_SIZE": "20", "BATON_API_KEY": "k"}, "page-size: 30\nregion: eu\norgs: [a, b]\n")
	if err != nil {
		t.Fatal(err)
	}
	if v.Int("page-size") != 10 || v.Source("page-size") != "flag" {
		t.Errorf("flag did not win: %d from %s", v.Int("page-size"), v.Source("page-size"))
	}
	if v.String("region") != "eu" || v.Source("region") != "file" {
		t.Errorf("file value: %q from %s", v.String("region"), v.Source("region"))
	}
	if v.String("base-url") != "https://api.acme.test" || v.Source("base-url") != "default" {
		t.Errorf("default: %q from %s", v.String("base-url"), v.Source("base-url"))
	}
	if got := v.StringList("orgs"); len(got) != 2 || got[1] != "b" {
		t.Errorf("list from file: %v", got)
	}
	v, err = load(t, nil, map[string]string{"BATON_PAGE_SIZE": "20", "BATON_API_KEY": "k", "BATON_LABELS": "a=1,b=2"}, "page-size: 30\n")
	if err != nil {
		t.Fatal(err)
	}
	if v.Int("page-size") != 20 || v.Source("page-size") != "env" || v.StringMap("labels")["b"] != "2" {
		t.Errorf("env did not beat the file: %d from %s, labels %v", v.Int("page-size"), v.Source("page-size"), v.StringMap("labels"))
	}
}

func TestRelationshipsAndErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want []string // substrings of the error; empty means valid
	}{
		{"one credential", []string{"--api-key", "k"}, nil, nil},
		{"none", nil, nil, []string{"at least one of", "--api-key (or BATON_API_KEY)"}},
		{"both kinds", []string{"--api-key", "k", "--client-id", "c", "--client-secret", "s"}, nil, []string{"only one of"}},
		{"half a pair", []string{"--client-id", "c"}, nil, []string{"must be set together", "--client-secret (or BATON_CLIENT_SECRET)"}},
		{"depends on", []string{"--api-key", "k", "--include-bots"}, nil, []string{"--include-bots (or BATON_INCLUDE_BOTS) needs --orgs"}},
		{"bad select", []string{"--api-key", "k", "--region", "mars"}, nil, []string{"--region (or BATON_REGION)", "mars"}},
		{"bad int from env", nil, map[string]string{"BATON_API_KEY": "k", "BATON_PAGE_SIZE": "lots"}, []string{"--page-size (or BATON_PAGE_SIZE) from env"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := load(t, tt.args, tt.env, "")
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if !errors.Is(err, config.ErrInvalid) {
				t.Fatalf("err = %v, want ErrInvalid", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

func TestSecretsStayHidden(t *testing.T) {
	fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
	s := config.Schema{Fields: []config.Field{config.Select("token", "a secret", []string{"ok"}, config.Secret(), config.Default("ok"))}}
	s.Bind(fs)
	if strings.Contains(fs.FlagUsages(), "(default ok)") {
		t.Fatal("a secret's default appears in --help")
	}
	fs.Parse([]string{"--token", "hunter2"})
	_, err := s.Load(fs)
	if err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Fatalf("error %v leaks the secret value", err)
	}
}

func TestProto(t *testing.T) {
	p := schema.Proto()
	if len(p.GetFields()) != len(schema.Fields) || len(p.GetConstraints()) != 4 || p.GetDisplayName() != "Acme" {
		t.Fatalf("proto %v", p)
	}
	for _, f := range p.GetFields() {
		if f.GetName() == "api-key" && !f.GetIsSecret() {
			t.Error("api-key is not marked secret")
		}
		if f.GetName() == "region" && len(f.GetStringField().GetOptions()) != 2 {
			t.Error("select options lost")
		}
	}
	if err := (config.Schema{Fields: []config.Field{config.String("Bad_Name", "")}}).Check(); err == nil {
		t.Error("a non-kebab name passed Check")
	}
}

// Printing the loaded values, however it is done, never shows a secret.
func TestPrintedValuesRedactSecrets(t *testing.T) {
	v, err := load(t, nil, map[string]string{"BATON_API_KEY": "sk-live-123"}, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
		if out := fmt.Sprintf(verb, v); strings.Contains(out, "sk-live-123") || !strings.Contains(out, "api-key") {
			t.Fatalf("%s printed %q", verb, out)
		}
	}
	if out := fmt.Sprint(v); strings.Contains(out, "sk-live-123") {
		t.Fatalf("Sprint printed %q", out)
	}
}

// The schema a connector describes (`<connector> config`) never holds a
// secret field's default.
func TestSchemaHidesSecretDefaults(t *testing.T) {
	s := config.Schema{Fields: []config.Field{config.String("token", "a token", config.Secret(), config.Default("default-secret-xyz"))}}
	b, err := protojson.Marshal(s.Proto())
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), "default-secret-xyz") {
		t.Fatalf("the schema shows the secret default: %s", b)
	}
}

// A bad value of a secret list or map flag is refused without quoting it.
func TestBadSecretFlagIsNotEchoed(t *testing.T) {
	s := config.Schema{Fields: []config.Field{config.StringMap("headers", "secret headers", config.Secret()), config.StringList("keys", "secret keys", config.Secret())}}
	for _, args := range [][]string{{"--headers", "Authorization:sk-abc-999"}, {"--keys", "k1,\"sk-abc-999"}} {
		fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
		s.Bind(fs)
		err := fs.Parse(args)
		if err == nil {
			_, err = s.Load(fs)
		}
		if err != nil && strings.Contains(err.Error(), "sk-abc-999") {
			t.Fatalf("%v: the error quotes the secret: %v", args, err)
		}
	}
	fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
	s.Bind(fs)
	if err := fs.Parse([]string{"--headers", "a=b,c=d", "--keys", "x,y"}); err != nil {
		t.Fatal(err)
	}
	v, err := s.Load(fs)
	if err != nil || v.StringMap("headers")["c"] != "d" || len(v.StringList("keys")) != 2 {
		t.Fatalf("good secret flags: %v %v", v, err)
	}
}

func TestDisplayNames(t *testing.T) {
	for _, tc := range []struct {
		f    config.Field
		want string
	}{
		{config.String("base-url", "x"), "Base URL"},
		{config.String("bind-dn", "x"), "Bind DN"},
		{config.String("page-size", "x"), "Page Size"},
		{config.String("token", "x", config.WithLabel("Personal access token")), "Personal access token"},
	} {
		if got := tc.f.DisplayName(); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.f.Name, got, tc.want)
		}
	}
	if (config.Schema{Fields: []config.Field{config.String("base-url", "x")}}).Proto().GetFields()[0].GetDisplayName() != "Base URL" {
		t.Fatal("the schema does not carry the display name")
	}
}

func TestDurationField(t *testing.T) {
	s := config.Schema{Fields: []config.Field{config.Duration("every", "how often", config.Default("10s"))}}
	for _, tc := range []struct {
		env  string
		want time.Duration
		err  bool
	}{{"", 10 * time.Second, false}, {"1m30s", 90 * time.Second, false}, {"soon", 0, true}} {
		if tc.env != "" {
			t.Setenv("BATON_EVERY", tc.env)
		}
		fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
		s.Bind(fs)
		v, err := s.Load(fs)
		if tc.err {
			if err == nil || !strings.Contains(err.Error(), "BATON_EVERY") {
				t.Fatalf("%q: err = %v, want one naming BATON_EVERY", tc.env, err)
			}
			continue
		}
		if err != nil || v.Duration("every") != tc.want {
			t.Fatalf("%q: %v %v", tc.env, v.Duration("every"), err)
		}
	}
}
