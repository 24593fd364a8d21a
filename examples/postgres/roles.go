package postgres

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	connectorv2 "github.com/batonkit/batonkit/pb/c1/connector/v2"
	"github.com/batonkit/batonkit/pkg/annotations"
	"github.com/batonkit/batonkit/pkg/connector"
	"github.com/batonkit/batonkit/pkg/entitlement"
	"github.com/batonkit/batonkit/pkg/grant"
	"github.com/batonkit/batonkit/pkg/resource"
)

// pageSize is how many catalog rows one page holds.
const pageSize = 500

// publicID is the pseudo-role PUBLIC (grantee 0 in an ACL): every role
// holds what it is granted. Its grants are not expanded to every role;
// auditors see them on role:public.
const publicID = "public"

// attributes are the role attributes synced as entitlements of the
// cluster. PostgreSQL does not pass them on through membership, so their
// grants are not expandable.
var attributes = []struct{ slug, column, desc string }{
	{"superuser", "rolsuper", "Bypasses every permission check"},
	{"createrole", "rolcreaterole", "May create, alter and drop roles"},
	{"createdb", "rolcreatedb", "May create databases"},
	{"replication", "rolreplication", "May start streaming replication and backups"},
	{"bypassrls", "rolbypassrls", "Bypasses row-level security"},
}

type cluster struct{ c *Connector }

func (*cluster) ResourceType(context.Context) *connectorv2.ResourceType { return clusterType }

func clusterResource() (*connectorv2.Resource, error) {
	return resource.New("cluster", "cluster", "PostgreSQL server")
}

func (*cluster) List(_ context.Context, parent *connectorv2.ResourceId, _ connector.PageRequest) (connector.Page[*connectorv2.Resource], error) {
	if parent != nil {
		return connector.Page[*connectorv2.Resource]{}, nil
	}
	r, err := clusterResource()
	return connector.Page[*connectorv2.Resource]{Items: []*connectorv2.Resource{r}}, err
}

func (*cluster) Entitlements(_ context.Context, r *connectorv2.Resource, _ connector.PageRequest) (connector.Page[*connectorv2.Entitlement], error) {
	var p connector.Page[*connectorv2.Entitlement]
	for _, a := range attributes {
		p.Items = append(p.Items, entitlement.NewPermission(r, a.slug, entitlement.WithDescription(a.desc), entitlement.GrantableTo(userType, roleType)))
	}
	return p, nil
}

func (cl *cluster) Grants(ctx context.Context, r *connectorv2.Resource, _ connector.PageRequest) (connector.Page[*connectorv2.Grant], error) {
	var p connector.Page[*connectorv2.Grant]
	pool, err := cl.c.pool(ctx, "")
	if err != nil {
		return p, err
	}
	for _, a := range attributes {
		// a.column is one of the constants above, never input.
		rows, err := pool.Query(ctx, "select oid::text, rolcanlogin from pg_roles where "+a.column+" order by oid")
		if err != nil {
			return p, err
		}
		for rows.Next() {
			var oid string
			var login bool
			if err := rows.Scan(&oid, &login); err != nil {
				rows.Close()
				return p, err
			}
			p.Items = append(p.Items, grant.New(r, a.slug, roleID(oid, login)))
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return p, err
		}
	}
	return p, nil
}

// roles lists the roles that can log in (users) or those that cannot.
type roles struct {
	c     *Connector
	typ   *connectorv2.ResourceType
	login bool
}

func roleID(oid string, login bool) *connectorv2.ResourceId {
	if oid == "0" {
		return resource.ID("role", publicID)
	}
	if login {
		return resource.ID("user", oid)
	}
	return resource.ID("role", oid)
}

func (r *roles) ResourceType(context.Context) *connectorv2.ResourceType { return r.typ }

func (r *roles) List(ctx context.Context, parent *connectorv2.ResourceId, req connector.PageRequest) (connector.Page[*connectorv2.Resource], error) {
	var p connector.Page[*connectorv2.Resource]
	if parent != nil {
		return p, nil
	}
	after, err := afterToken(req.Token)
	if err != nil {
		return p, err
	}
	if after == 0 && !r.login {
		pub, err := resource.New("role", publicID, "PUBLIC", resource.Role(nil), resource.WithDescription("Every role: what PUBLIC is granted, everyone holds"))
		if err != nil {
			return p, err
		}
		p.Items = append(p.Items, pub)
	}
	pool, err := r.c.pool(ctx, "")
	if err != nil {
		return p, err
	}
	rows, err := pool.Query(ctx, `select oid, rolname, rolvaliduntil, rolsuper, rolinherit, rolconnlimit from pg_roles
		where rolcanlogin = $1 and oid > $2 order by oid limit $3`, r.login, after, pageSize)
	if err != nil {
		return p, err
	}
	defer rows.Close()
	var last uint32
	for rows.Next() {
		var oid uint32
		var name string
		var until *time.Time
		var super, inherit bool
		var connLimit int
		if err := rows.Scan(&oid, &name, &until, &super, &inherit, &connLimit); err != nil {
			return p, err
		}
		last = oid
		id := strconv.FormatUint(uint64(oid), 10)
		profile := map[string]any{"rolname": name, "superuser": super, "inherit": inherit, "connection_limit": connLimit}
		var trait resource.Option
		if r.login {
			st := connectorv2.UserTrait_Status_STATUS_ENABLED
			if until != nil && until.Before(time.Now()) {
				st = connectorv2.UserTrait_Status_STATUS_DISABLED
				profile["valid_until"] = until.UTC().Format(time.RFC3339)
			}
			trait = resource.User(resource.Login(name), resource.UserStatus(st), resource.UserProfile(profile))
		} else {
			trait = resource.Role(profile)
		}
		res, err := resource.New(r.typ.GetId(), id, name, trait)
		if err != nil {
			return p, err
		}
		p.Items = append(p.Items, res)
	}
	if err := rows.Err(); err != nil {
		return p, err
	}
	if len(p.Items) >= pageSize {
		p.NextToken = strconv.FormatUint(uint64(last), 10)
	}
	return p, nil
}

func afterToken(tok string) (uint32, error) {
	if tok == "" {
		return 0, nil
	}
	n, err := strconv.ParseUint(tok, 10, 32)
	if err != nil {
		return 0, connector.Invalid("page token %q is not a role oid", tok)
	}
	return uint32(n), nil
}

// Entitlements: membership in the role, and membership with the right to
// grant it on (WITH ADMIN OPTION).
func (r *roles) Entitlements(_ context.Context, res *connectorv2.Resource, _ connector.PageRequest) (connector.Page[*connectorv2.Entitlement], error) {
	if res.GetId().GetResource() == publicID {
		return connector.Page[*connectorv2.Entitlement]{}, nil
	}
	return connector.Page[*connectorv2.Entitlement]{Items: []*connectorv2.Entitlement{
		entitlement.NewAssignment(res, "member", entitlement.GrantableTo(userType, roleType),
			entitlement.WithDescription("Member of "+res.GetDisplayName()+": holds its privileges (when the member inherits)")),
		entitlement.NewPermission(res, "admin", entitlement.GrantableTo(userType, roleType),
			entitlement.WithDescription("May grant and revoke membership in "+res.GetDisplayName())),
	}}, nil
}

// Grants lists the role's members. A member that has members of its own
// holds the membership for them too: each grant is expandable through the
// member's own membership entitlement (nested roles).
func (r *roles) Grants(ctx context.Context, res *connectorv2.Resource, req connector.PageRequest) (connector.Page[*connectorv2.Grant], error) {
	var p connector.Page[*connectorv2.Grant]
	if res.GetId().GetResource() == publicID {
		return p, nil
	}
	pool, err := r.c.pool(ctx, "")
	if err != nil {
		return p, err
	}
	rows, err := pool.Query(ctx, `select m.member::text, r.rolcanlogin, m.admin_option from pg_auth_members m
		join pg_roles r on r.oid = m.member where m.roleid = $1::oid order by m.member`, res.GetId().GetResource())
	if err != nil {
		return p, err
	}
	defer rows.Close()
	for rows.Next() {
		var oid string
		var login, admin bool
		if err := rows.Scan(&oid, &login, &admin); err != nil {
			return p, err
		}
		pid := roleID(oid, login)
		p.Items = append(p.Items, grant.New(res, "member", pid, grant.Expandable(entitlement.ID(pid, "member"))))
		if admin {
			p.Items = append(p.Items, grant.New(res, "admin", pid))
		}
	}
	return p, rows.Err()
}

// TypeGrants implements connector.TypeGrantLister: the members of every
// role of the type in one keyset-paged query over pg_auth_members, rather
// than a query per role (a server has thousands of login roles, almost
// none with members).
func (r *roles) TypeGrants(ctx context.Context, req connector.PageRequest) (connector.Page[*connectorv2.Grant], error) {
	var p connector.Page[*connectorv2.Grant]
	var role, member uint32
	if req.Token != "" {
		a, b, ok := strings.Cut(req.Token, ":")
		x, err1 := strconv.ParseUint(a, 10, 32)
		y, err2 := strconv.ParseUint(b, 10, 32)
		if !ok || err1 != nil || err2 != nil {
			return p, connector.Invalid("page token %q is not <role oid>:<member oid>", req.Token)
		}
		role, member = uint32(x), uint32(y)
	}
	pool, err := r.c.pool(ctx, "")
	if err != nil {
		return p, err
	}
	rows, err := pool.Query(ctx, `select m.roleid, m.member, mr.rolcanlogin, m.admin_option from pg_auth_members m
		join pg_roles rr on rr.oid = m.roleid join pg_roles mr on mr.oid = m.member
		where rr.rolcanlogin = $1 and (m.roleid, m.member) > ($2::oid, $3::oid) order by m.roleid, m.member limit $4`, r.login, role, member, pageSize)
	if err != nil {
		return p, err
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var login, admin bool
		if err := rows.Scan(&role, &member, &login, &admin); err != nil {
			return p, err
		}
		n++
		on := &connectorv2.Resource{Id: roleID(strconv.FormatUint(uint64(role), 10), r.login)}
		pid := roleID(strconv.FormatUint(uint64(member), 10), login)
		p.Items = append(p.Items, grant.New(on, "member", pid, grant.Expandable(entitlement.ID(pid, "member"))))
		if admin {
			p.Items = append(p.Items, grant.New(on, "admin", pid))
		}
	}
	if err := rows.Err(); err != nil {
		return p, err
	}
	if n >= pageSize {
		p.NextToken = fmt.Sprintf("%d:%d", role, member)
	}
	return p, nil
}

// roleName reads the current name of the role with the given id.
func (c *Connector) roleName(ctx context.Context, id *connectorv2.ResourceId) (string, error) {
	if id.GetResourceType() == "role" && id.GetResource() == publicID {
		return "", connector.Invalid("PUBLIC is not a role one can be a member of")
	}
	pool, err := c.pool(ctx, "")
	if err != nil {
		return "", err
	}
	var name string
	err = pool.QueryRow(ctx, "select rolname from pg_roles where oid = $1::oid", id.GetResource()).Scan(&name)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", fmt.Errorf("role %s: %w", id.GetResource(), connector.ErrNotFound)
	}
	return name, err
}

// grantee is the SQL name a privilege is granted to: a quoted role name,
// or the keyword PUBLIC.
func (c *Connector) grantee(ctx context.Context, id *connectorv2.ResourceId) (string, error) {
	if id.GetResourceType() == "role" && id.GetResource() == publicID {
		return "PUBLIC", nil
	}
	name, err := c.roleName(ctx, id)
	return quote(name), err
}

// Grant implements connector.Provisioner: GRANT role TO member (with
// ADMIN OPTION for the admin entitlement).
func (r *roles) Grant(ctx context.Context, principal *connectorv2.Resource, e *connectorv2.Entitlement) ([]*connectorv2.Grant, annotations.Annotations, error) {
	if principal.GetId().GetResource() == e.GetResource().GetId().GetResource() {
		return nil, nil, connector.Invalid("a role cannot be a member of itself")
	}
	role, err := r.c.roleName(ctx, e.GetResource().GetId())
	if err != nil {
		return nil, nil, err
	}
	member, err := r.c.roleName(ctx, principal.GetId())
	if err != nil {
		return nil, nil, err
	}
	has, admin, err := r.c.membership(ctx, e.GetResource().GetId().GetResource(), principal.GetId().GetResource())
	if err != nil {
		return nil, nil, err
	}
	q := "grant " + quote(role) + " to " + quote(member)
	switch e.GetSlug() {
	case "member":
		if has {
			return nil, annotations.New(&connectorv2.GrantAlreadyExists{}), nil
		}
	case "admin":
		if admin {
			return nil, annotations.New(&connectorv2.GrantAlreadyExists{}), nil
		}
		q += " with admin option"
	default:
		return nil, nil, connector.Invalid("unknown role entitlement %q", e.GetSlug())
	}
	if err := r.c.exec(ctx, "", q); err != nil {
		return nil, nil, err
	}
	return []*connectorv2.Grant{grant.Of(e, principal)}, nil, nil
}

// Revoke implements connector.Provisioner: REVOKE role FROM member (or
// only its ADMIN OPTION).
func (r *roles) Revoke(ctx context.Context, g *connectorv2.Grant) (annotations.Annotations, error) {
	role, err := r.c.roleName(ctx, g.GetEntitlement().GetResource().GetId())
	if err != nil {
		return nil, err
	}
	member, err := r.c.roleName(ctx, g.GetPrincipal().GetId())
	if err != nil {
		return nil, err
	}
	has, admin, err := r.c.membership(ctx, g.GetEntitlement().GetResource().GetId().GetResource(), g.GetPrincipal().GetId().GetResource())
	if err != nil {
		return nil, err
	}
	q := "revoke " + quote(role) + " from " + quote(member)
	switch g.GetEntitlement().GetSlug() {
	case "member":
		if !has {
			return annotations.New(&connectorv2.GrantAlreadyRevoked{}), nil
		}
	case "admin":
		if !admin {
			return annotations.New(&connectorv2.GrantAlreadyRevoked{}), nil
		}
		q = "revoke admin option for " + quote(role) + " from " + quote(member)
	default:
		return nil, connector.Invalid("unknown role entitlement %q", g.GetEntitlement().GetSlug())
	}
	return nil, r.c.exec(ctx, "", q)
}

// membership reports whether member is a member of role, and with admin.
func (c *Connector) membership(ctx context.Context, role, member string) (has, admin bool, err error) {
	pool, err := c.pool(ctx, "")
	if err != nil {
		return false, false, err
	}
	err = pool.QueryRow(ctx, "select true, bool_or(admin_option) from pg_auth_members where roleid = $1::oid and member = $2::oid having count(*) > 0",
		role, member).Scan(&has, &admin)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, false, nil
	}
	return has, admin, err
}

// exec runs one statement in database db.
func (c *Connector) exec(ctx context.Context, db, q string, args ...any) error {
	pool, err := c.pool(ctx, db)
	if err != nil {
		return err
	}
	_, err = pool.Exec(ctx, q, args...)
	return err
}
