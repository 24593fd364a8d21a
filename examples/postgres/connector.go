package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	connectorv2 "github.com/batonkit/batonkit/pb/c1/connector/v2"
	"github.com/batonkit/batonkit/pkg/annotations"
	"github.com/batonkit/batonkit/pkg/config"
	"github.com/batonkit/batonkit/pkg/connector"
	"github.com/batonkit/batonkit/pkg/resource"
)

// Fields are the connector's settings. The connection string carries a
// password: pass it as BATON_DSN or in the config file.
var Fields = []config.Field{
	config.String("dsn", "the server, as a connection string: postgres://user:password@host:5432/postgres", config.Secret(), config.Required(),
		config.WithLabel("Connection string")),
	config.StringList("databases", "only these databases' schemas and tables (default: every database that accepts connections)"),
	config.StringList("schemas", "only these schemas (default: every schema but pg_catalog, information_schema and pg_toast)"),
}

// Config is what the connector needs.
type Config struct {
	DSN       string
	Databases []string
	Schemas   []string
}

// FromValues reads a Config from loaded settings.
func FromValues(v *config.Values) Config {
	return Config{DSN: v.String("dsn"), Databases: v.StringList("databases"), Schemas: v.StringList("schemas")}
}

// Connector reads and changes one PostgreSQL server's roles and
// privileges. Create it with New.
type Connector struct {
	cfg  Config
	base *pgxpool.Config

	mu    sync.Mutex
	pools map[string]*pgxpool.Pool // by database name
}

// New checks the configuration; connections open on first use.
func New(cfg Config) (*Connector, error) {
	pc, err := pgxpool.ParseConfig(cfg.DSN)
	if err != nil {
		// pgx's message quotes the connection string; ours does not.
		return nil, errors.New("--dsn is not a PostgreSQL connection string (postgres://user:password@host:5432/dbname)")
	}
	pc.MaxConns = 2
	return &Connector{cfg: cfg, base: pc, pools: map[string]*pgxpool.Pool{}}, nil
}

// pool returns the pool for database db ("" is the one the DSN names).
func (c *Connector) pool(ctx context.Context, db string) (*pgxpool.Pool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if p := c.pools[db]; p != nil {
		return p, nil
	}
	pc := c.base.Copy()
	if db != "" {
		pc.ConnConfig.Database = db
	}
	p, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		return nil, fmt.Errorf("connect to database %q: %w", pc.ConnConfig.Database, err)
	}
	c.pools[db] = p
	return p, nil
}

// Close implements connector.Cleaner's sibling io.Closer use: it closes
// every pool.
func (c *Connector) Close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, p := range c.pools {
		p.Close()
	}
	c.pools = map[string]*pgxpool.Pool{}
}

var (
	clusterType  = resource.NewType("cluster", "Cluster", resource.WithTypeDescription("The server: role attributes such as superuser are its entitlements"))
	userType     = resource.NewType("user", "User", resource.WithTraits(connectorv2.ResourceType_TRAIT_USER), resource.WithTypeDescription("A role that can log in"))
	roleType     = resource.NewType("role", "Role", resource.WithTraits(connectorv2.ResourceType_TRAIT_ROLE), resource.WithTypeDescription("A role that cannot log in: a group of privileges, or PUBLIC"))
	databaseType = resource.NewType("database", "Database")
	schemaType   = resource.NewType("schema", "Schema")
	tableType    = resource.NewType("table", "Table", resource.WithTypeDescription("A table, view, materialized view, foreign or partitioned table"))
)

// Metadata implements connector.Connector.
func (c *Connector) Metadata(context.Context) (*connectorv2.ConnectorMetadata, error) {
	return &connectorv2.ConnectorMetadata{DisplayName: "PostgreSQL",
		Description: "Roles, role membership, role attributes and privileges on databases, schemas and tables"}, nil
}

// Validate implements connector.Connector: the server must answer, and
// the login must be able to read the catalog.
func (c *Connector) Validate(ctx context.Context) (annotations.Annotations, error) {
	p, err := c.pool(ctx, "")
	if err != nil {
		return nil, err
	}
	var n int
	if err := p.QueryRow(ctx, "select count(*) from pg_roles").Scan(&n); err != nil {
		return nil, fmt.Errorf("the server refused the login or is unreachable: %w", err)
	}
	return nil, nil
}

// ResourceSyncers implements connector.Connector.
func (c *Connector) ResourceSyncers(context.Context) []connector.ResourceSyncer {
	return []connector.ResourceSyncer{&cluster{c}, &users{roles{c, userType, true}}, &roles{c, roleType, false}, newDatabases(c), newSchemas(c), newTables(c)}
}

// databaseAllowed reports whether the settings include database name.
func (c *Connector) databaseAllowed(name string) bool {
	return len(c.cfg.Databases) == 0 || slices.Contains(c.cfg.Databases, name)
}

// schemaFilter is the SQL condition on n.nspname the settings ask for.
func (c *Connector) schemaFilter() (string, []any) {
	if len(c.cfg.Schemas) > 0 {
		return "n.nspname = any($1)", []any{c.cfg.Schemas}
	}
	return "n.nspname not in ('pg_catalog', 'information_schema') and n.nspname not like 'pg_toast%' and n.nspname not like 'pg_temp_%'", nil
}

// quote is a safely quoted SQL identifier.
func quote(parts ...string) string { return pgx.Identifier(parts).Sanitize() }

// splitID reads "<database oid>/<object oid>".
func splitID(id string) (db, obj string, err error) {
	db, obj, ok := strings.Cut(id, "/")
	if !ok || db == "" || obj == "" {
		return "", "", fmt.Errorf("id %q is not <database oid>/<oid>", id)
	}
	return db, obj, nil
}
