package config_test

import (
	"fmt"
	"log/slog"
	"os"
	"strings"

	"github.com/spf13/pflag"

	"github.com/batonkit/batonkit/pkg/config"
)

func ExampleSchema_Load() {
	s := config.Schema{Fields: []config.Field{
		config.String("domain", "the tenant's domain", config.Required()),
		config.Int("page-size", "items per page", config.Default(100)),
	}}
	fs := pflag.NewFlagSet("baton-acme", pflag.ContinueOnError)
	s.Bind(fs)
	os.Setenv("BATON_PAGE_SIZE", "25")
	defer os.Unsetenv("BATON_PAGE_SIZE")
	fs.Parse([]string{"--domain", "acme.example"})

	v, err := s.Load(fs)
	if err != nil {
		panic(err)
	}
	fmt.Println(v.String("domain"), v.Int("page-size"), v.Source("page-size"))
	// Output: acme.example 25 env
}

// A schema's fields, each kind read back; a Secret field never reaches a
// log line in the clear.
func ExampleValues_LogValue() {
	s := config.Schema{Fields: []config.Field{
		config.String("api-token", "the app's API token", config.Secret(), config.Required()),
		config.Select("region", "the app's region", []string{"eu", "us"}, config.Default("eu")),
		config.StringList("orgs", "only these organisations"),
		config.Duration("timeout", "per request", config.Default("30s")),
		config.Bool("include-bots", "sync bot accounts too"),
	}}
	fs := pflag.NewFlagSet("baton-acme", pflag.ContinueOnError)
	s.Bind(fs)
	os.Setenv("BATON_API_TOKEN", "s3cr3t")
	defer os.Unsetenv("BATON_API_TOKEN")
	fs.Parse([]string{"--orgs", "eng,ops", "--include-bots"})
	v, err := s.Load(fs)
	if err != nil {
		panic(err)
	}
	fmt.Println(v.String("region"), v.StringList("orgs"), v.Duration("timeout"), v.Bool("include-bots"), len(v.String("api-token")))

	noTime := func(_ []string, a slog.Attr) slog.Attr {
		if a.Key == slog.TimeKey {
			return slog.Attr{}
		}
		return a
	}
	log := slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{ReplaceAttr: noTime}))
	log.Info("configuration", "config", v)
	fmt.Println(strings.Contains(fmt.Sprint(v), "s3cr3t"))
	// Output:
	// eu [eng ops] 30s true 6
	// level=INFO msg=configuration config.api-token=[secret] config.region=eu config.orgs="[eng ops]" config.timeout=30s config.include-bots=true
	// false
}
