package ldap

import (
	"cmp"
	"fmt"
	"net/url"

	"github.com/batonkit/batonkit/pkg/config"
)

// Fields are the connector's settings (flags, BATON_* variables, a YAML
// file), for runner.Main.
var Fields = []config.Field{
	config.String("url", "the directory, ldap://host:389 or ldaps://host:636", config.Required()),
	config.String("bind-dn", "the DN to bind as (read access to people and groups is enough)"),
	config.String("bind-password", "the bind DN's password", config.Secret()),
	config.String("base-dn", "where people and groups live", config.Required()),
	config.String("user-search-dn", "where to search for people (default: the base DN)"),
	config.String("group-search-dn", "where to search for groups (default: the base DN)"),
	config.String("user-filter", "which entries are people", config.Default(defaultUserFilter)),
	config.String("group-filter", "which entries are groups", config.Default(defaultGroupFilter)),
	config.Int("page-size", "entries per paged search request", config.Default(100)),
	config.Bool("start-tls", "upgrade an ldap:// connection with StartTLS"),
	config.Bool("insecure-skip-verify", "accept any server certificate (testing only)"),
}

const (
	defaultUserFilter  = "(|(objectClass=inetOrgPerson)(objectClass=posixAccount)(objectClass=person))"
	defaultGroupFilter = "(|(objectClass=groupOfNames)(objectClass=groupOfUniqueNames)(objectClass=posixGroup))"
)

// Config is what the connector needs to reach and read the directory.
type Config struct {
	URL                string
	BindDN             string
	BindPassword       string
	BaseDN             string
	UserSearchDN       string
	GroupSearchDN      string
	UserFilter         string
	GroupFilter        string
	PageSize           int
	StartTLS           bool
	InsecureSkipVerify bool
}

// FromValues reads a Config from loaded settings.
func FromValues(v *config.Values) Config {
	return Config{
		URL: v.String("url"), BindDN: v.String("bind-dn"), BindPassword: v.String("bind-password"), BaseDN: v.String("base-dn"),
		UserSearchDN: v.String("user-search-dn"), GroupSearchDN: v.String("group-search-dn"),
		UserFilter: v.String("user-filter"), GroupFilter: v.String("group-filter"), PageSize: v.Int("page-size"),
		StartTLS: v.Bool("start-tls"), InsecureSkipVerify: v.Bool("insecure-skip-verify"),
	}
}

func (c *Config) check() error {
	u, err := url.Parse(c.URL)
	if err != nil || (u.Scheme != "ldap" && u.Scheme != "ldaps") || u.Host == "" {
		return fmt.Errorf("--url %q: want ldap://host[:port] or ldaps://host[:port]", c.URL)
	}
	if c.BaseDN == "" {
		return fmt.Errorf("--base-dn is required")
	}
	c.UserSearchDN = cmp.Or(c.UserSearchDN, c.BaseDN)
	c.GroupSearchDN = cmp.Or(c.GroupSearchDN, c.BaseDN)
	c.UserFilter = cmp.Or(c.UserFilter, defaultUserFilter)
	c.GroupFilter = cmp.Or(c.GroupFilter, defaultGroupFilter)
	if c.PageSize <= 0 || c.PageSize > 1000 {
		c.PageSize = 100
	}
	return nil
}
