package ldap

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	goldap "github.com/go-ldap/ldap/v3"

	connectorv2 "github.com/batonkit/batonkit/pb/c1/connector/v2"
	"github.com/batonkit/batonkit/pkg/annotations"
	"github.com/batonkit/batonkit/pkg/connector"
	"github.com/batonkit/batonkit/pkg/grant"
)

// do runs fn on the lookup connection (writes are few and short).
func (c *Connector) do(ctx context.Context, fn func(*goldap.Conn) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	l := c.links["lookup"]
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.conn == nil || l.conn.IsClosing() {
		conn, err := c.dial()
		if err != nil {
			return err
		}
		l.conn = conn
	}
	return ldapStatus(fn(l.conn))
}

// memberValue is how the group at dn names principal: which attribute
// its object class uses (member, uniqueMember, memberUid) and the value
// (a DN, or a person's uid).
func (c *Connector) memberValue(ctx context.Context, groupDN string, principal *connectorv2.ResourceId) (attr, value string, err error) {
	res, err := c.search(ctx, "lookup", goldap.NewSearchRequest(groupDN, goldap.ScopeBaseObject, goldap.NeverDerefAliases, 1, 0, false,
		"(objectClass=*)", []string{"objectClass"}, nil))
	if err != nil {
		return "", "", fmt.Errorf("read group %s: %w", groupDN, err)
	}
	if len(res.Entries) == 0 {
		return "", "", fmt.Errorf("group %s: %w", groupDN, connector.ErrNotFound)
	}
	classes := res.Entries[0].GetAttributeValues("objectClass")
	has := func(name string) bool {
		return slices.ContainsFunc(classes, func(c string) bool { return strings.EqualFold(c, name) })
	}
	switch {
	case has("groupOfNames"):
		return "member", principal.GetResource(), nil
	case has("groupOfUniqueNames"):
		return "uniqueMember", principal.GetResource(), nil
	case has("posixGroup"):
		if principal.GetResourceType() != "user" {
			return "", "", connector.Invalid("a posixGroup's members are people (memberUid), not groups")
		}
		uid, err := c.uidOf(ctx, principal.GetResource())
		return "memberUid", uid, err
	}
	return "", "", connector.Unsupported("%s is not a groupOfNames, groupOfUniqueNames or posixGroup", groupDN)
}

func (c *Connector) uidOf(ctx context.Context, dn string) (string, error) {
	res, err := c.search(ctx, "lookup", goldap.NewSearchRequest(dn, goldap.ScopeBaseObject, goldap.NeverDerefAliases, 1, 0, false,
		"(objectClass=*)", []string{"uid"}, nil))
	if err != nil {
		return "", err
	}
	if len(res.Entries) == 0 || res.Entries[0].GetAttributeValue("uid") == "" {
		return "", connector.Unsupported("%s has no uid", dn)
	}
	return res.Entries[0].GetAttributeValue("uid"), nil
}

// Grant implements connector.Provisioner: add the principal to the group.
func (g *groups) Grant(ctx context.Context, principal *connectorv2.Resource, e *connectorv2.Entitlement) ([]*connectorv2.Grant, annotations.Annotations, error) {
	groupDN := e.GetResource().GetId().GetResource()
	attr, value, err := g.c.memberValue(ctx, groupDN, principal.GetId())
	if err != nil {
		return nil, nil, err
	}
	err = g.c.do(ctx, func(conn *goldap.Conn) error {
		req := goldap.NewModifyRequest(groupDN, nil)
		req.Add(attr, []string{value})
		return conn.Modify(req)
	})
	if isCode(err, goldap.LDAPResultAttributeOrValueExists) {
		return nil, annotations.New(&connectorv2.GrantAlreadyExists{}), nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("add %s to %s: %w", principal.GetId().GetResource(), groupDN, err)
	}
	return []*connectorv2.Grant{grant.Of(e, principal)}, nil, nil
}

// Revoke implements connector.Provisioner: remove the principal from the
// group. A groupOfNames must keep one member; the directory says so.
func (g *groups) Revoke(ctx context.Context, gr *connectorv2.Grant) (annotations.Annotations, error) {
	groupDN := gr.GetEntitlement().GetResource().GetId().GetResource()
	attr, value, err := g.c.memberValue(ctx, groupDN, gr.GetPrincipal().GetId())
	if err != nil {
		return nil, err
	}
	err = g.c.do(ctx, func(conn *goldap.Conn) error {
		req := goldap.NewModifyRequest(groupDN, nil)
		req.Delete(attr, []string{value})
		return conn.Modify(req)
	})
	if isCode(err, goldap.LDAPResultNoSuchAttribute) {
		return annotations.New(&connectorv2.GrantAlreadyRevoked{}), nil
	}
	if err != nil {
		return nil, fmt.Errorf("remove %s from %s: %w", gr.GetPrincipal().GetId().GetResource(), groupDN, err)
	}
	return nil, nil
}

// isCode reports whether err is the directory's result code.
func isCode(err error, code uint16) bool {
	var le *goldap.Error
	return errors.As(err, &le) && le.ResultCode == code
}

var randomPassword = []connectorv2.CapabilityDetailCredentialOption{connectorv2.CapabilityDetailCredentialOption_CAPABILITY_DETAIL_CREDENTIAL_OPTION_RANDOM_PASSWORD}

// CreateAccount implements connector.AccountCreator: an inetOrgPerson
// under the user search base, named by uid, its password set with the
// Password Modify operation (RFC 3062) so the server hashes it as it is
// configured to.
func (u *users) CreateAccount(ctx context.Context, info *connectorv2.AccountInfo, creds *connectorv2.LocalCredentialOptions) (connector.AccountResult, []*connectorv2.PlaintextData, annotations.Annotations, error) {
	login := info.GetLogin()
	if login == "" {
		return connector.AccountResult{}, nil, nil, connector.Invalid("an account needs a login (its uid)")
	}
	dn := "uid=" + goldap.EscapeDN(login) + "," + cmp.Or(u.c.cfg.UserSearchDN, u.c.cfg.BaseDN)
	name := info.GetProfile().GetFields()["name"].GetStringValue()
	if name == "" {
		name = login
	}
	pw, err := connector.RandomPassword(creds)
	if err != nil {
		return connector.AccountResult{}, nil, nil, err
	}
	err = u.c.do(ctx, func(conn *goldap.Conn) error {
		req := goldap.NewAddRequest(dn, nil)
		req.Attribute("objectClass", []string{"inetOrgPerson"})
		req.Attribute("uid", []string{login})
		req.Attribute("cn", []string{name})
		req.Attribute("sn", []string{name})
		var mails []string
		for _, e := range info.GetEmails() {
			mails = append(mails, e.GetAddress())
		}
		if len(mails) > 0 {
			req.Attribute("mail", mails)
		}
		if err := conn.Add(req); err != nil {
			return err
		}
		_, err := conn.PasswordModify(goldap.NewPasswordModifyRequest(dn, "", pw))
		return err
	})
	if isCode(err, goldap.LDAPResultEntryAlreadyExists) {
		r, rerr := userResource(dn, login, name, nil, connectorv2.UserTrait_Status_STATUS_ENABLED)
		return connector.AccountResult{Resource: r, Status: connector.AccountAlreadyExists}, nil, nil, rerr
	}
	if err != nil {
		return connector.AccountResult{}, nil, nil, fmt.Errorf("create %s: %w", dn, err)
	}
	r, err := userResource(dn, login, name, nil, connectorv2.UserTrait_Status_STATUS_ENABLED)
	return connector.AccountResult{Resource: r}, []*connectorv2.PlaintextData{{Name: "password", Description: "password of " + login, Bytes: []byte(pw)}}, nil, err
}

// AccountCreationOptions implements connector.AccountCreator.
func (u *users) AccountCreationOptions(context.Context) *connectorv2.CredentialDetailsAccountProvisioning {
	return &connectorv2.CredentialDetailsAccountProvisioning{SupportedCredentialOptions: randomPassword,
		PreferredCredentialOption: connectorv2.CapabilityDetailCredentialOption_CAPABILITY_DETAIL_CREDENTIAL_OPTION_RANDOM_PASSWORD}
}

// RotateCredential implements connector.CredentialRotator with the
// Password Modify operation.
func (u *users) RotateCredential(ctx context.Context, id *connectorv2.ResourceId, creds *connectorv2.LocalCredentialOptions) ([]*connectorv2.PlaintextData, annotations.Annotations, error) {
	pw, err := connector.RandomPassword(creds)
	if err != nil {
		return nil, nil, err
	}
	err = u.c.do(ctx, func(conn *goldap.Conn) error {
		_, err := conn.PasswordModify(goldap.NewPasswordModifyRequest(id.GetResource(), "", pw))
		return err
	})
	if err != nil {
		return nil, nil, fmt.Errorf("set the password of %s: %w", id.GetResource(), err)
	}
	return []*connectorv2.PlaintextData{{Name: "password", Description: "new password of " + id.GetResource(), Bytes: []byte(pw)}}, nil, nil
}

// RotationOptions implements connector.CredentialRotator.
func (u *users) RotationOptions(context.Context) *connectorv2.CredentialDetailsCredentialRotation {
	return &connectorv2.CredentialDetailsCredentialRotation{SupportedCredentialOptions: randomPassword,
		PreferredCredentialOption: connectorv2.CapabilityDetailCredentialOption_CAPABILITY_DETAIL_CREDENTIAL_OPTION_RANDOM_PASSWORD}
}

// Delete implements connector.ResourceDeleter: delete the person's
// entry. Group memberships naming it are left to the directory (OpenLDAP's
// refint overlay, where configured, removes them).
func (u *users) Delete(ctx context.Context, id, _ *connectorv2.ResourceId) (annotations.Annotations, error) {
	err := u.c.do(ctx, func(conn *goldap.Conn) error { return conn.Del(goldap.NewDelRequest(id.GetResource(), nil)) })
	if err != nil {
		return nil, fmt.Errorf("delete %s: %w", id.GetResource(), err)
	}
	return nil, nil
}
