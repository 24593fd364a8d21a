package config_test

import (
	"fmt"
	"os"

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
