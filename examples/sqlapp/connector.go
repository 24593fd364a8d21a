package sqlapp

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"golang.org/x/crypto/bcrypt"

	connectorv2 "github.com/batonkit/batonkit/pb/c1/connector/v2"
	"github.com/batonkit/batonkit/pkg/annotations"
	"github.com/batonkit/batonkit/pkg/connector"
	"github.com/batonkit/batonkit/pkg/entitlement"
	"github.com/batonkit/batonkit/pkg/grant"
	"github.com/batonkit/batonkit/pkg/pagination"
	"github.com/batonkit/batonkit/pkg/resource"
)

// Connector reads and changes one sqlapp database.
type Connector struct {
	db *sql.DB
}

// New returns a connector over an open app database.
func New(db *sql.DB) *Connector { return &Connector{db: db} }

var (
	userType = resource.NewType("user", "User", resource.WithTraits(connectorv2.ResourceType_TRAIT_USER),
		resource.WithTypeDescription("An account that signs in to the app"),
		resource.WithTypeAnnotations(&connectorv2.SkipEntitlementsAndGrants{}))
	groupType = resource.NewType("group", "Group", resource.WithTraits(connectorv2.ResourceType_TRAIT_GROUP),
		resource.WithTypeDescription("A set of users and other groups"))
	roleType = resource.NewType("role", "Role", resource.WithTraits(connectorv2.ResourceType_TRAIT_ROLE),
		resource.WithTypeDescription("A bundle of permissions in the app"))
)

// Metadata implements connector.Connector.
func (c *Connector) Metadata(context.Context) (*connectorv2.ConnectorMetadata, error) {
	return &connectorv2.ConnectorMetadata{
		DisplayName: "SQL App",
		Description: "Users, nested groups and roles of an application that only has a database",
	}, nil
}

// Validate implements connector.Connector: the database must answer.
func (c *Connector) Validate(ctx context.Context) (annotations.Annotations, error) {
	var n int
	if err := c.db.QueryRowContext(ctx, "select count(*) from users").Scan(&n); err != nil {
		return nil, fmt.Errorf("app database is not readable: %w", err)
	}
	return nil, nil
}

// ResourceSyncers implements connector.Connector.
func (c *Connector) ResourceSyncers(context.Context) []connector.ResourceSyncer {
	return []connector.ResourceSyncer{&users{c.db}, &groups{c.db}, &roles{c.db}}
}

// pageSize is how many rows one page holds; offsets are the page tokens.
const pageSize = 50

// --- users ---

type users struct{ db *sql.DB }

func (u *users) ResourceType(context.Context) *connectorv2.ResourceType { return userType }

func userResource(id, login, email, name, st string) (*connectorv2.Resource, error) {
	s := connectorv2.UserTrait_Status_STATUS_ENABLED
	if st == "suspended" {
		s = connectorv2.UserTrait_Status_STATUS_DISABLED
	}
	return resource.New("user", id, name, resource.User(
		resource.Email(email, true), resource.Login(login), resource.UserStatus(s),
		resource.AccountType(connectorv2.UserTrait_ACCOUNT_TYPE_HUMAN)))
}

const userCols = "id, login, email, name, status"

func scanUser(sc interface{ Scan(...any) error }) (*connectorv2.Resource, error) {
	var id, login, email, name, st string
	if err := sc.Scan(&id, &login, &email, &name, &st); err != nil {
		return nil, err
	}
	return userResource(id, login, email, name, st)
}

func (u *users) List(ctx context.Context, _ *connectorv2.ResourceId, req connector.PageRequest) (connector.Page[*connectorv2.Resource], error) {
	var p connector.Page[*connectorv2.Resource]
	o, err := pagination.ParseOffset(req.Token, req.Size, pageSize)
	if err != nil {
		return p, err
	}
	rows, err := u.db.QueryContext(ctx, "select "+userCols+" from users order by id limit ? offset ?", o.Size, o.Start)
	if err != nil {
		return p, err
	}
	defer rows.Close()
	for rows.Next() {
		r, err := scanUser(rows)
		if err != nil {
			return p, err
		}
		p.Items = append(p.Items, r)
	}
	p.NextToken = o.Next(len(p.Items))
	return p, rows.Err()
}

func (u *users) Entitlements(context.Context, *connectorv2.Resource, connector.PageRequest) (connector.Page[*connectorv2.Entitlement], error) {
	return connector.Page[*connectorv2.Entitlement]{}, nil
}

func (u *users) Grants(context.Context, *connectorv2.Resource, connector.PageRequest) (connector.Page[*connectorv2.Grant], error) {
	return connector.Page[*connectorv2.Grant]{}, nil
}

// Get implements connector.ResourceGetter.
func (u *users) Get(ctx context.Context, id, _ *connectorv2.ResourceId) (*connectorv2.Resource, annotations.Annotations, error) {
	r, err := scanUser(u.db.QueryRowContext(ctx, "select "+userCols+" from users where id = ?", id.GetResource()))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, fmt.Errorf("user %s: %w", id.GetResource(), connector.ErrNotFound)
	}
	return r, nil, err
}

// CreateAccount implements connector.AccountCreator.
func (u *users) CreateAccount(ctx context.Context, info *connectorv2.AccountInfo, creds *connectorv2.LocalCredentialOptions) (connector.AccountResult, []*connectorv2.PlaintextData, annotations.Annotations, error) {
	login := info.GetLogin()
	if login == "" {
		return connector.AccountResult{}, nil, nil, connector.Invalid("an account needs a login")
	}
	email := login + "@example.com"
	if len(info.GetEmails()) > 0 {
		email = info.GetEmails()[0].GetAddress()
	}
	name := login
	if n := info.GetProfile().GetFields()["name"].GetStringValue(); n != "" {
		name = n
	}
	if r, err := scanUser(u.db.QueryRowContext(ctx, "select "+userCols+" from users where login = ?", login)); err == nil {
		return connector.AccountResult{Resource: r, Status: connector.AccountAlreadyExists}, nil, nil, nil
	}
	var secrets []*connectorv2.PlaintextData
	hash := ""
	if creds.GetNoPassword() == nil && creds.GetSso() == nil {
		pw, err := connector.RandomPassword(creds)
		if err != nil {
			return connector.AccountResult{}, nil, nil, err
		}
		if hash, err = hashPassword(pw); err != nil {
			return connector.AccountResult{}, nil, nil, err
		}
		secrets = append(secrets, &connectorv2.PlaintextData{Name: "password", Description: "initial password for " + login, Bytes: []byte(pw)})
	}
	id := "u-" + login
	if _, err := u.db.ExecContext(ctx, "insert into users (id, login, email, name, status, password_hash) values (?, ?, ?, ?, 'active', ?)",
		id, login, email, name, hash); err != nil {
		return connector.AccountResult{}, nil, nil, fmt.Errorf("create account %s: %w", login, err)
	}
	r, err := userResource(id, login, email, name, "active")
	return connector.AccountResult{Resource: r}, secrets, nil, err
}

// AccountCreationOptions implements connector.AccountCreator.
func (u *users) AccountCreationOptions(context.Context) *connectorv2.CredentialDetailsAccountProvisioning {
	return &connectorv2.CredentialDetailsAccountProvisioning{
		SupportedCredentialOptions: []connectorv2.CapabilityDetailCredentialOption{
			connectorv2.CapabilityDetailCredentialOption_CAPABILITY_DETAIL_CREDENTIAL_OPTION_RANDOM_PASSWORD,
			connectorv2.CapabilityDetailCredentialOption_CAPABILITY_DETAIL_CREDENTIAL_OPTION_NO_PASSWORD,
		},
		PreferredCredentialOption: connectorv2.CapabilityDetailCredentialOption_CAPABILITY_DETAIL_CREDENTIAL_OPTION_RANDOM_PASSWORD,
	}
}

// Delete implements connector.ResourceDeleter: deleting a user removes its
// memberships and role assignments too.
func (u *users) Delete(ctx context.Context, id, _ *connectorv2.ResourceId) (annotations.Annotations, error) {
	tx, err := u.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, "delete from users where id = ?", id.GetResource())
	if err != nil {
		return nil, err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil, fmt.Errorf("user %s: %w", id.GetResource(), connector.ErrNotFound)
	}
	if _, err := tx.ExecContext(ctx, "delete from group_members where member_type = 'user' and member_id = ?", id.GetResource()); err != nil {
		return nil, err
	}
	return nil, tx.Commit()
}

// RotateCredential implements connector.CredentialRotator.
func (u *users) RotateCredential(ctx context.Context, id *connectorv2.ResourceId, creds *connectorv2.LocalCredentialOptions) ([]*connectorv2.PlaintextData, annotations.Annotations, error) {
	pw, err := connector.RandomPassword(creds)
	if err != nil {
		return nil, nil, err
	}
	hash, err := hashPassword(pw)
	if err != nil {
		return nil, nil, err
	}
	res, err := u.db.ExecContext(ctx, "update users set password_hash = ? where id = ?", hash, id.GetResource())
	if err != nil {
		return nil, nil, err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil, nil, fmt.Errorf("user %s: %w", id.GetResource(), connector.ErrNotFound)
	}
	return []*connectorv2.PlaintextData{{Name: "password", Description: "new password", Bytes: []byte(pw)}}, nil, nil
}

// RotationOptions implements connector.CredentialRotator.
func (u *users) RotationOptions(context.Context) *connectorv2.CredentialDetailsCredentialRotation {
	return &connectorv2.CredentialDetailsCredentialRotation{
		SupportedCredentialOptions: []connectorv2.CapabilityDetailCredentialOption{connectorv2.CapabilityDetailCredentialOption_CAPABILITY_DETAIL_CREDENTIAL_OPTION_RANDOM_PASSWORD},
		PreferredCredentialOption:  connectorv2.CapabilityDetailCredentialOption_CAPABILITY_DETAIL_CREDENTIAL_OPTION_RANDOM_PASSWORD,
	}
}

func hashPassword(pw string) (string, error) {
	h, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.DefaultCost)
	return string(h), err
}

// --- groups ---

type groups struct{ db *sql.DB }

func (g *groups) ResourceType(context.Context) *connectorv2.ResourceType { return groupType }

func groupResource(id, name string) (*connectorv2.Resource, error) {
	return resource.New("group", id, name, resource.Group(nil))
}

func (g *groups) List(ctx context.Context, _ *connectorv2.ResourceId, req connector.PageRequest) (connector.Page[*connectorv2.Resource], error) {
	var p connector.Page[*connectorv2.Resource]
	o, err := pagination.ParseOffset(req.Token, req.Size, pageSize)
	if err != nil {
		return p, err
	}
	rows, err := g.db.QueryContext(ctx, "select id, name from groups order by id limit ? offset ?", o.Size, o.Start)
	if err != nil {
		return p, err
	}
	defer rows.Close()
	for rows.Next() {
		var id, name string
		if err := rows.Scan(&id, &name); err != nil {
			return p, err
		}
		r, err := groupResource(id, name)
		if err != nil {
			return p, err
		}
		p.Items = append(p.Items, r)
	}
	p.NextToken = o.Next(len(p.Items))
	return p, rows.Err()
}

func member(r *connectorv2.Resource) *connectorv2.Entitlement {
	return entitlement.NewAssignment(r, "member", entitlement.GrantableTo(userType, groupType),
		entitlement.WithDisplayName(r.GetDisplayName()+" member"), entitlement.WithDescription("Member of the "+r.GetDisplayName()+" group"))
}

func (g *groups) Entitlements(_ context.Context, r *connectorv2.Resource, _ connector.PageRequest) (connector.Page[*connectorv2.Entitlement], error) {
	return connector.Page[*connectorv2.Entitlement]{Items: []*connectorv2.Entitlement{member(r)}}, nil
}

// Grants lists members; a member group's grant is expandable, so the
// syncer passes the membership on to that group's own members.
func (g *groups) Grants(ctx context.Context, r *connectorv2.Resource, req connector.PageRequest) (connector.Page[*connectorv2.Grant], error) {
	var p connector.Page[*connectorv2.Grant]
	o, err := pagination.ParseOffset(req.Token, req.Size, pageSize)
	if err != nil {
		return p, err
	}
	rows, err := g.db.QueryContext(ctx, "select member_type, member_id from group_members where group_id = ? order by member_type, member_id limit ? offset ?",
		r.GetId().GetResource(), o.Size, o.Start)
	if err != nil {
		return p, err
	}
	defer rows.Close()
	for rows.Next() {
		var typ, id string
		if err := rows.Scan(&typ, &id); err != nil {
			return p, err
		}
		pid := resource.ID(typ, id)
		var opts []grant.Option
		if typ == "group" {
			opts = append(opts, grant.Expandable(entitlement.ID(pid, "member")))
		}
		p.Items = append(p.Items, grant.New(r, "member", pid, opts...))
	}
	p.NextToken = o.Next(len(p.Items))
	return p, rows.Err()
}

// Get implements connector.ResourceGetter.
func (g *groups) Get(ctx context.Context, id, _ *connectorv2.ResourceId) (*connectorv2.Resource, annotations.Annotations, error) {
	var name string
	err := g.db.QueryRowContext(ctx, "select name from groups where id = ?", id.GetResource()).Scan(&name)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, fmt.Errorf("group %s: %w", id.GetResource(), connector.ErrNotFound)
	}
	if err != nil {
		return nil, nil, err
	}
	r, err := groupResource(id.GetResource(), name)
	return r, nil, err
}

// Grant implements connector.Provisioner: add a user or group to a group.
func (g *groups) Grant(ctx context.Context, principal *connectorv2.Resource, e *connectorv2.Entitlement) ([]*connectorv2.Grant, annotations.Annotations, error) {
	pid := principal.GetId()
	if pid.GetResourceType() != "user" && pid.GetResourceType() != "group" {
		return nil, nil, connector.Invalid("groups hold users and groups, not %q", pid.GetResourceType())
	}
	if err := mustExist(ctx, g.db, pid, e.GetResource().GetId()); err != nil {
		return nil, nil, err
	}
	res, err := g.db.ExecContext(ctx, "insert or ignore into group_members (group_id, member_type, member_id) values (?, ?, ?)",
		e.GetResource().GetId().GetResource(), pid.GetResourceType(), pid.GetResource())
	if err != nil {
		return nil, nil, err
	}
	gr := grant.Of(e, principal)
	if n, _ := res.RowsAffected(); n == 0 {
		return []*connectorv2.Grant{gr}, annotations.New(&connectorv2.GrantAlreadyExists{}), nil
	}
	return []*connectorv2.Grant{gr}, nil, nil
}

// mustExist answers NotFound, naming it, for a principal or resource the
// app does not have: group members are not foreign keys (a member is a
// user or a group), and a constraint error would tell the caller nothing.
func mustExist(ctx context.Context, db *sql.DB, ids ...*connectorv2.ResourceId) error {
	tables := map[string]string{"user": "users", "group": "groups", "role": "roles"}
	for _, id := range ids {
		table, ok := tables[id.GetResourceType()]
		if !ok {
			return connector.Invalid("sqlapp has no resource type %q", id.GetResourceType())
		}
		var one int
		err := db.QueryRowContext(ctx, "select 1 from "+table+" where id = ?", id.GetResource()).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return connector.NotFound("%s %s does not exist", id.GetResourceType(), id.GetResource())
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// Revoke implements connector.Provisioner.
func (g *groups) Revoke(ctx context.Context, gr *connectorv2.Grant) (annotations.Annotations, error) {
	pid := gr.GetPrincipal().GetId()
	res, err := g.db.ExecContext(ctx, "delete from group_members where group_id = ? and member_type = ? and member_id = ?",
		gr.GetEntitlement().GetResource().GetId().GetResource(), pid.GetResourceType(), pid.GetResource())
	if err != nil {
		return nil, err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return annotations.New(&connectorv2.GrantAlreadyRevoked{}), nil
	}
	return nil, nil
}

// --- roles ---

type roles struct{ db *sql.DB }

func (r *roles) ResourceType(context.Context) *connectorv2.ResourceType { return roleType }

func (r *roles) List(ctx context.Context, _ *connectorv2.ResourceId, req connector.PageRequest) (connector.Page[*connectorv2.Resource], error) {
	var p connector.Page[*connectorv2.Resource]
	o, err := pagination.ParseOffset(req.Token, req.Size, pageSize)
	if err != nil {
		return p, err
	}
	rows, err := r.db.QueryContext(ctx, "select id, name, description from roles order by id limit ? offset ?", o.Size, o.Start)
	if err != nil {
		return p, err
	}
	defer rows.Close()
	for rows.Next() {
		var id, name, desc string
		if err := rows.Scan(&id, &name, &desc); err != nil {
			return p, err
		}
		res, err := resource.New("role", id, name, resource.Role(nil), resource.WithDescription(desc))
		if err != nil {
			return p, err
		}
		p.Items = append(p.Items, res)
	}
	p.NextToken = o.Next(len(p.Items))
	return p, rows.Err()
}

func assigned(res *connectorv2.Resource) *connectorv2.Entitlement {
	return entitlement.NewPermission(res, "assigned", entitlement.GrantableTo(userType),
		entitlement.WithDisplayName(res.GetDisplayName()), entitlement.WithDescription("Has the "+res.GetDisplayName()+" role"))
}

func (r *roles) Entitlements(_ context.Context, res *connectorv2.Resource, _ connector.PageRequest) (connector.Page[*connectorv2.Entitlement], error) {
	return connector.Page[*connectorv2.Entitlement]{Items: []*connectorv2.Entitlement{assigned(res)}}, nil
}

func (r *roles) Grants(ctx context.Context, res *connectorv2.Resource, req connector.PageRequest) (connector.Page[*connectorv2.Grant], error) {
	var p connector.Page[*connectorv2.Grant]
	o, err := pagination.ParseOffset(req.Token, req.Size, pageSize)
	if err != nil {
		return p, err
	}
	rows, err := r.db.QueryContext(ctx, "select user_id from role_assignments where role_id = ? order by user_id limit ? offset ?", res.GetId().GetResource(), o.Size, o.Start)
	if err != nil {
		return p, err
	}
	defer rows.Close()
	for rows.Next() {
		var uid string
		if err := rows.Scan(&uid); err != nil {
			return p, err
		}
		p.Items = append(p.Items, grant.New(res, "assigned", resource.ID("user", uid)))
	}
	p.NextToken = o.Next(len(p.Items))
	return p, rows.Err()
}

// Grant implements connector.Provisioner: assign a role to a user.
func (r *roles) Grant(ctx context.Context, principal *connectorv2.Resource, e *connectorv2.Entitlement) ([]*connectorv2.Grant, annotations.Annotations, error) {
	if principal.GetId().GetResourceType() != "user" {
		return nil, nil, connector.Invalid("roles are assigned to users, not %q", principal.GetId().GetResourceType())
	}
	if err := mustExist(ctx, r.db, principal.GetId(), e.GetResource().GetId()); err != nil {
		return nil, nil, err
	}
	res, err := r.db.ExecContext(ctx, "insert or ignore into role_assignments (role_id, user_id) values (?, ?)",
		e.GetResource().GetId().GetResource(), principal.GetId().GetResource())
	if err != nil {
		return nil, nil, err
	}
	gr := grant.Of(e, principal)
	if n, _ := res.RowsAffected(); n == 0 {
		return []*connectorv2.Grant{gr}, annotations.New(&connectorv2.GrantAlreadyExists{}), nil
	}
	return []*connectorv2.Grant{gr}, nil, nil
}

// Revoke implements connector.Provisioner.
func (r *roles) Revoke(ctx context.Context, gr *connectorv2.Grant) (annotations.Annotations, error) {
	res, err := r.db.ExecContext(ctx, "delete from role_assignments where role_id = ? and user_id = ?",
		gr.GetEntitlement().GetResource().GetId().GetResource(), gr.GetPrincipal().GetId().GetResource())
	if err != nil {
		return nil, err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return annotations.New(&connectorv2.GrantAlreadyRevoked{}), nil
	}
	return nil, nil
}

var (
	_ connector.Provisioner       = (*groups)(nil)
	_ connector.Provisioner       = (*roles)(nil)
	_ connector.AccountCreator    = (*users)(nil)
	_ connector.ResourceDeleter   = (*users)(nil)
	_ connector.CredentialRotator = (*users)(nil)
	_ connector.ResourceGetter    = (*users)(nil)
	_ connector.ResourceGetter    = (*groups)(nil)
)
