package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	connectorv2 "github.com/batonkit/batonkit/pb/c1/connector/v2"
	"github.com/batonkit/batonkit/pkg/annotations"
	"github.com/batonkit/batonkit/pkg/connector"
	"github.com/batonkit/batonkit/pkg/entitlement"
	"github.com/batonkit/batonkit/pkg/grant"
	"github.com/batonkit/batonkit/pkg/resource"
)

// Databases, schemas and tables share one shape: privileges from an ACL
// (aclexplode over the object's ACL, or the built-in default when it has
// none), an owner, and GRANT/REVOKE to change them. Each privilege is an
// entitlement ("select"), and so is holding it WITH GRANT OPTION
// ("select-grant-option"); ownership is "owner". Privileges and ownership
// held by a role pass on to its members, so grants to roles are
// expandable through their membership; grants to PUBLIC are not.

// objects is one kind of securable object.
type objects struct {
	c     *Connector
	typ   *connectorv2.ResourceType
	privs []string // SQL privilege keywords, as aclexplode names them
	// acl selects (grantee, privilege_type, is_grantable) for the object
	// with oid $1, and owner its owner, in the object's database.
	acl, owner string
	// keyword and name say what GRANT ... ON <keyword> <name> targets.
	keyword string
	name    func(ctx context.Context, c *Connector, db, oid string) (string, error)
}

func grantOption(priv string) string { return strings.ToLower(priv) + "-grant-option" }

func (o *objects) ResourceType(context.Context) *connectorv2.ResourceType { return o.typ }

func (o *objects) Entitlements(_ context.Context, r *connectorv2.Resource, _ connector.PageRequest) (connector.Page[*connectorv2.Entitlement], error) {
	var p connector.Page[*connectorv2.Entitlement]
	to := entitlement.GrantableTo(userType, roleType)
	for _, priv := range o.privs {
		p.Items = append(p.Items,
			entitlement.NewPermission(r, strings.ToLower(priv), to, entitlement.WithDescription(priv+" on "+r.GetDisplayName())),
			entitlement.NewPermission(r, grantOption(priv), to, entitlement.WithDescription(priv+" on "+r.GetDisplayName()+", and may grant it to others")))
	}
	p.Items = append(p.Items, entitlement.NewPermission(r, "owner", entitlement.WithDescription("Owns "+r.GetDisplayName()+": every privilege, and may drop it")))
	return p, nil
}

// dbOf is the database (name) and object oid of a resource id.
func (c *Connector) dbOf(ctx context.Context, id *connectorv2.ResourceId) (db, oid string, err error) {
	if id.GetResourceType() == "database" {
		return "", id.GetResource(), nil
	}
	dbOID, oid, err := splitID(id.GetResource())
	if err != nil {
		return "", "", connector.Invalid("%w", err)
	}
	db, err = c.databaseName(ctx, dbOID)
	return db, oid, err
}

func (c *Connector) databaseName(ctx context.Context, oid string) (string, error) {
	pool, err := c.pool(ctx, "")
	if err != nil {
		return "", err
	}
	var name string
	err = pool.QueryRow(ctx, "select datname from pg_database where oid = $1::oid", oid).Scan(&name)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", fmt.Errorf("database %s: %w", oid, connector.ErrNotFound)
	}
	return name, err
}

func (o *objects) Grants(ctx context.Context, r *connectorv2.Resource, _ connector.PageRequest) (connector.Page[*connectorv2.Grant], error) {
	var p connector.Page[*connectorv2.Grant]
	db, oid, err := o.c.dbOf(ctx, r.GetId())
	if err != nil {
		return p, err
	}
	pool, err := o.c.pool(ctx, db)
	if err != nil {
		return p, err
	}
	// Roles are cluster-wide: pg_roles is the same in every database.
	rows, err := pool.Query(ctx, `select a.grantee::text, coalesce(r.rolcanlogin, false), a.privilege_type, a.is_grantable
		from (`+o.acl+`) a left join pg_roles r on r.oid = a.grantee`, oid)
	if err != nil {
		return p, err
	}
	for rows.Next() {
		var grantee, priv string
		var login, grantable bool
		if err := rows.Scan(&grantee, &login, &priv, &grantable); err != nil {
			rows.Close()
			return p, err
		}
		if !slices.Contains(o.privs, priv) {
			continue // a privilege of a newer server this connector does not model
		}
		pid := roleID(grantee, login)
		p.Items = append(p.Items, privGrant(r, strings.ToLower(priv), pid))
		if grantable {
			p.Items = append(p.Items, privGrant(r, grantOption(priv), pid))
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return p, err
	}
	var owner string
	var login bool
	err = pool.QueryRow(ctx, `select o.owner::text, r.rolcanlogin from (`+o.owner+`) o join pg_roles r on r.oid = o.owner`, oid).Scan(&owner, &login)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return p, fmt.Errorf("%s %s vanished: %w", o.typ.GetId(), r.GetId().GetResource(), connector.ErrNotFound)
	case err != nil:
		return p, err
	}
	p.Items = append(p.Items, privGrant(r, "owner", roleID(owner, login)))
	return p, nil
}

func privGrant(r *connectorv2.Resource, slug string, pid *connectorv2.ResourceId) *connectorv2.Grant {
	if pid.GetResource() == publicID {
		return grant.New(r, slug, pid)
	}
	return grant.New(r, slug, pid, grant.Expandable(entitlement.ID(pid, "member")))
}

// privilege reads an entitlement slug as (keyword, with grant option).
func (o *objects) privilege(slug string) (string, bool, error) {
	if slug == "owner" {
		return "", false, connector.Unsupported("ownership of a %s changes with ALTER ... OWNER TO, not with a grant", o.typ.GetId())
	}
	priv, opt := strings.CutSuffix(slug, "-grant-option")
	priv = strings.ToUpper(priv)
	if !slices.Contains(o.privs, priv) {
		return "", false, connector.Invalid("%q is not a privilege on a %s", slug, o.typ.GetId())
	}
	return priv, opt, nil
}

// holds reports what the ACL of oid gives grantee (an oid, "0" for
// PUBLIC) of privilege priv: held, and held with grant option.
func (o *objects) holds(ctx context.Context, db, oid, grantee, priv string) (held, grantable bool, err error) {
	pool, err := o.c.pool(ctx, db)
	if err != nil {
		return false, false, err
	}
	err = pool.QueryRow(ctx, `select true, bool_or(a.is_grantable) from (`+o.acl+`) a where a.grantee = $2::oid and a.privilege_type = $3 having count(*) > 0`,
		oid, grantee, priv).Scan(&held, &grantable)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, false, nil
	}
	return held, grantable, err
}

func granteeOID(id *connectorv2.ResourceId) string {
	if id.GetResourceType() == "role" && id.GetResource() == publicID {
		return "0"
	}
	return id.GetResource()
}

// change is one privilege of one role on one object, as the ACL has it now.
type change struct {
	o               *objects
	priv            string // SQL keyword
	opt             bool   // the -grant-option entitlement
	db, oid         string
	principal       *connectorv2.ResourceId
	held, grantable bool
}

// change reads entitlement e (of a principal) and what the ACL holds of it.
func (o *objects) change(ctx context.Context, e *connectorv2.Entitlement, principal *connectorv2.ResourceId) (change, error) {
	ch := change{o: o, principal: principal}
	var err error
	if ch.priv, ch.opt, err = o.privilege(e.GetSlug()); err != nil {
		return ch, err
	}
	if ch.db, ch.oid, err = o.c.dbOf(ctx, e.GetResource().GetId()); err != nil {
		return ch, err
	}
	ch.held, ch.grantable, err = o.holds(ctx, ch.db, ch.oid, granteeOID(principal), ch.priv)
	return ch, err
}

// run executes GRANT ... TO or REVOKE ... FROM for the change, naming the
// object and the role only now (they may be gone when nothing is to do).
func (ch change) run(ctx context.Context, give bool) error {
	target, err := ch.o.name(ctx, ch.o.c, ch.db, ch.oid)
	if err != nil {
		return err
	}
	who, err := ch.o.c.grantee(ctx, ch.principal)
	if err != nil {
		return err
	}
	on := ch.priv + " on " + ch.o.keyword + " " + target
	q := "grant " + on + " to " + who
	switch {
	case give && ch.opt:
		q += " with grant option"
	case !give && ch.opt:
		q = "revoke grant option for " + on + " from " + who
	case !give:
		q = "revoke " + on + " from " + who
	}
	return ch.o.c.exec(ctx, ch.db, q)
}

// Grant implements connector.Provisioner: GRANT <privilege> ON <object>
// TO <role> [WITH GRANT OPTION].
func (o *objects) Grant(ctx context.Context, principal *connectorv2.Resource, e *connectorv2.Entitlement) ([]*connectorv2.Grant, annotations.Annotations, error) {
	ch, err := o.change(ctx, e, principal.GetId())
	if err != nil {
		return nil, nil, err
	}
	if ch.held && (ch.grantable || !ch.opt) {
		return nil, annotations.New(&connectorv2.GrantAlreadyExists{}), nil
	}
	if err := ch.run(ctx, true); err != nil {
		return nil, nil, err
	}
	return []*connectorv2.Grant{grant.Of(e, principal)}, nil, nil
}

// Revoke implements connector.Provisioner: REVOKE [GRANT OPTION FOR]
// <privilege> ON <object> FROM <role>.
func (o *objects) Revoke(ctx context.Context, g *connectorv2.Grant) (annotations.Annotations, error) {
	ch, err := o.change(ctx, g.GetEntitlement(), g.GetPrincipal().GetId())
	if err != nil {
		return nil, err
	}
	if !ch.held || (ch.opt && !ch.grantable) {
		return annotations.New(&connectorv2.GrantAlreadyRevoked{}), nil
	}
	return nil, ch.run(ctx, false)
}

// --- databases

type databases struct{ objects }

func newDatabases(c *Connector) *databases {
	return &databases{objects{c: c, typ: databaseType, privs: []string{"CONNECT", "CREATE", "TEMPORARY"},
		acl:     "select (x).* from (select aclexplode(coalesce(datacl, acldefault('d', datdba))) x from pg_database where oid = $1::oid) s",
		owner:   "select datdba as owner from pg_database where oid = $1::oid",
		keyword: "database",
		name: func(ctx context.Context, c *Connector, _, oid string) (string, error) {
			n, err := c.databaseName(ctx, oid)
			return quote(n), err
		}}}
}

func (d *databases) List(ctx context.Context, parent *connectorv2.ResourceId, req connector.PageRequest) (connector.Page[*connectorv2.Resource], error) {
	var p connector.Page[*connectorv2.Resource]
	if parent != nil {
		return p, nil
	}
	pool, err := d.c.pool(ctx, "")
	if err != nil {
		return p, err
	}
	rows, err := pool.Query(ctx, "select oid, datname, datallowconn from pg_database where not datistemplate order by oid")
	if err != nil {
		return p, err
	}
	defer rows.Close()
	for rows.Next() {
		var oid uint32
		var name string
		var conn bool
		if err := rows.Scan(&oid, &name, &conn); err != nil {
			return p, err
		}
		var opts []resource.Option
		if conn && d.c.databaseAllowed(name) {
			opts = append(opts, resource.WithChildTypes("schema"))
		}
		r, err := resource.New("database", strconv.FormatUint(uint64(oid), 10), name, opts...)
		if err != nil {
			return p, err
		}
		p.Items = append(p.Items, r)
	}
	return p, rows.Err()
}

// --- schemas

type schemas struct{ objects }

func newSchemas(c *Connector) *schemas {
	return &schemas{objects{c: c, typ: schemaType, privs: []string{"USAGE", "CREATE"},
		acl:     "select (x).* from (select aclexplode(coalesce(nspacl, acldefault('n', nspowner))) x from pg_namespace where oid = $1::oid) s",
		owner:   "select nspowner as owner from pg_namespace where oid = $1::oid",
		keyword: "schema",
		name: func(ctx context.Context, c *Connector, db, oid string) (string, error) {
			return c.objectName(ctx, db, "select array[nspname::text] from pg_namespace where oid = $1::oid", oid)
		}}}
}

// objectName runs q (selecting the object's qualified name as a text
// array) and quotes the parts.
func (c *Connector) objectName(ctx context.Context, db, q, oid string) (string, error) {
	pool, err := c.pool(ctx, db)
	if err != nil {
		return "", err
	}
	var parts []string
	err = pool.QueryRow(ctx, q, oid).Scan(&parts)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", fmt.Errorf("object %s: %w", oid, connector.ErrNotFound)
	}
	if err != nil {
		return "", err
	}
	return quote(parts...), nil
}

// List lists the schemas of one database (schemas are children of
// databases: the syncer asks per database).
func (s *schemas) List(ctx context.Context, parent *connectorv2.ResourceId, req connector.PageRequest) (connector.Page[*connectorv2.Resource], error) {
	var p connector.Page[*connectorv2.Resource]
	if parent.GetResourceType() != "database" {
		return p, nil
	}
	db, err := s.c.databaseName(ctx, parent.GetResource())
	if err != nil {
		return p, err
	}
	after, err := afterToken(req.Token)
	if err != nil {
		return p, err
	}
	pool, err := s.c.pool(ctx, db)
	if err != nil {
		return p, err
	}
	filter, args := s.c.schemaFilter()
	n := len(args)
	rows, err := pool.Query(ctx, fmt.Sprintf("select n.oid, n.nspname from pg_namespace n where %s and n.oid > $%d order by n.oid limit $%d", filter, n+1, n+2),
		append(args, after, pageSize)...)
	if err != nil {
		return p, err
	}
	defer rows.Close()
	var last uint32
	for rows.Next() {
		var oid uint32
		var name string
		if err := rows.Scan(&oid, &name); err != nil {
			return p, err
		}
		last = oid
		r, err := resource.New("schema", parent.GetResource()+"/"+strconv.FormatUint(uint64(oid), 10), db+"."+name,
			resource.WithParent(parent), resource.WithChildTypes("table"))
		if err != nil {
			return p, err
		}
		p.Items = append(p.Items, r)
	}
	if len(p.Items) >= pageSize {
		p.NextToken = strconv.FormatUint(uint64(last), 10)
	}
	return p, rows.Err()
}

// --- tables

type tables struct{ objects }

func newTables(c *Connector) *tables {
	return &tables{objects{c: c, typ: tableType,
		privs:   []string{"SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER"},
		acl:     "select (x).* from (select aclexplode(coalesce(relacl, acldefault('r', relowner))) x from pg_class where oid = $1::oid) s",
		owner:   "select relowner as owner from pg_class where oid = $1::oid",
		keyword: "table",
		name: func(ctx context.Context, c *Connector, db, oid string) (string, error) {
			return c.objectName(ctx, db, "select array[n.nspname::text, c.relname::text] from pg_class c join pg_namespace n on n.oid = c.relnamespace where c.oid = $1::oid", oid)
		}}}
}

// List lists the tables and views of one schema.
func (t *tables) List(ctx context.Context, parent *connectorv2.ResourceId, req connector.PageRequest) (connector.Page[*connectorv2.Resource], error) {
	var p connector.Page[*connectorv2.Resource]
	if parent.GetResourceType() != "schema" {
		return p, nil
	}
	db, nsp, err := t.c.dbOf(ctx, parent)
	if err != nil {
		return p, err
	}
	dbOID, _, _ := splitID(parent.GetResource())
	after, err := afterToken(req.Token)
	if err != nil {
		return p, err
	}
	pool, err := t.c.pool(ctx, db)
	if err != nil {
		return p, err
	}
	rows, err := pool.Query(ctx, `select c.oid, n.nspname, c.relname, c.relkind::text from pg_class c join pg_namespace n on n.oid = c.relnamespace
		where c.relnamespace = $1::oid and c.relkind in ('r', 'v', 'm', 'f', 'p') and c.oid > $2 order by c.oid limit $3`, nsp, after, pageSize)
	if err != nil {
		return p, err
	}
	defer rows.Close()
	var last uint32
	kinds := map[string]string{"r": "table", "v": "view", "m": "materialized view", "f": "foreign table", "p": "partitioned table"}
	for rows.Next() {
		var oid uint32
		var schema, name, kind string
		if err := rows.Scan(&oid, &schema, &name, &kind); err != nil {
			return p, err
		}
		last = oid
		r, err := resource.New("table", dbOID+"/"+strconv.FormatUint(uint64(oid), 10), db+"."+schema+"."+name,
			resource.WithParent(parent), resource.WithDescription(kinds[kind]), resource.WithProfile(map[string]any{"kind": kinds[kind]}))
		if err != nil {
			return p, err
		}
		p.Items = append(p.Items, r)
	}
	if len(p.Items) >= pageSize {
		p.NextToken = strconv.FormatUint(uint64(last), 10)
	}
	return p, rows.Err()
}
