// Package config declares a connector's settings once and reads them from
// flags, environment variables and a YAML file, with one precedence:
//
//	flag > environment (BATON_<UPPER_SNAKE>) > file (--config or BATON_CONFIG_PATH) > default
//
// A schema is a list of fields and the relationships between them:
//
//	schema := config.Schema{
//		DisplayName: "Acme",
//		Fields: []config.Field{
//			config.String("base-url", "API base URL", config.Default("https://api.acme.test")),
//			config.String("api-key", "API key", config.Required(), config.Secret()),
//			config.Bool("include-bots", "Also sync bot accounts"),
//		},
//	}
//
// Errors name both the flag and its environment variable. Secret values
// never appear in logs, errors or --help. Schema.Proto converts the schema
// to c1.config.v1.Configuration, the form Baton's tools read.
package config
