package postgres

import (
	"context"
	"fmt"
	"strconv"

	connectorv2 "github.com/batonkit/batonkit/pb/c1/connector/v2"
	"github.com/batonkit/batonkit/pkg/annotations"
	"github.com/batonkit/batonkit/pkg/connector"
	"github.com/batonkit/batonkit/pkg/resource"
)

var randomPassword = []connectorv2.CapabilityDetailCredentialOption{connectorv2.CapabilityDetailCredentialOption_CAPABILITY_DETAIL_CREDENTIAL_OPTION_RANDOM_PASSWORD}

// users are the roles that can log in: accounts can be created and
// their passwords rotated.
type users struct{ roles }

// CreateAccount implements connector.AccountCreator: CREATE ROLE ... LOGIN
// with a generated password, returned for the requester to decrypt.
func (r *users) CreateAccount(ctx context.Context, info *connectorv2.AccountInfo, creds *connectorv2.LocalCredentialOptions) (connector.AccountResult, []*connectorv2.PlaintextData, annotations.Annotations, error) {
	login := info.GetLogin()
	if login == "" {
		return connector.AccountResult{}, nil, nil, connector.Invalid("an account needs a login (the role name)")
	}
	pool, err := r.c.pool(ctx, "")
	if err != nil {
		return connector.AccountResult{}, nil, nil, err
	}
	var existing uint32
	if err := pool.QueryRow(ctx, "select oid from pg_roles where rolname = $1", login).Scan(&existing); err == nil {
		res, err := userResource(existing, login)
		return connector.AccountResult{Resource: res, Status: connector.AccountAlreadyExists}, nil, nil, err
	}
	pw, err := connector.RandomPassword(creds)
	if err != nil {
		return connector.AccountResult{}, nil, nil, err
	}
	// DDL takes no bound parameters; the password is a plain literal
	// because connector.PasswordAlphabet needs no escaping.
	if err := r.c.exec(ctx, "", "create role "+quote(login)+" login password '"+pw+"'"); err != nil {
		return connector.AccountResult{}, nil, nil, fmt.Errorf("create role %s: %w", login, err)
	}
	var oid uint32
	if err := pool.QueryRow(ctx, "select oid from pg_roles where rolname = $1", login).Scan(&oid); err != nil {
		return connector.AccountResult{}, nil, nil, err
	}
	res, err := userResource(oid, login)
	secret := &connectorv2.PlaintextData{Name: "password", Description: "password of role " + login, Bytes: []byte(pw)}
	return connector.AccountResult{Resource: res}, []*connectorv2.PlaintextData{secret}, nil, err
}

func userResource(oid uint32, login string) (*connectorv2.Resource, error) {
	return resource.New("user", strconv.FormatUint(uint64(oid), 10), login,
		resource.User(resource.Login(login), resource.UserStatus(connectorv2.UserTrait_Status_STATUS_ENABLED)))
}

// AccountCreationOptions implements connector.AccountCreator.
func (r *users) AccountCreationOptions(context.Context) *connectorv2.CredentialDetailsAccountProvisioning {
	return &connectorv2.CredentialDetailsAccountProvisioning{SupportedCredentialOptions: randomPassword,
		PreferredCredentialOption: connectorv2.CapabilityDetailCredentialOption_CAPABILITY_DETAIL_CREDENTIAL_OPTION_RANDOM_PASSWORD}
}

// RotateCredential implements connector.CredentialRotator: ALTER ROLE ...
// PASSWORD with a new generated one.
func (r *users) RotateCredential(ctx context.Context, id *connectorv2.ResourceId, creds *connectorv2.LocalCredentialOptions) ([]*connectorv2.PlaintextData, annotations.Annotations, error) {
	name, err := r.c.roleName(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	pw, err := connector.RandomPassword(creds)
	if err != nil {
		return nil, nil, err
	}
	if err := r.c.exec(ctx, "", "alter role "+quote(name)+" password '"+pw+"'"); err != nil {
		return nil, nil, fmt.Errorf("set the password of %s: %w", name, err)
	}
	return []*connectorv2.PlaintextData{{Name: "password", Description: "new password of role " + name, Bytes: []byte(pw)}}, nil, nil
}

// RotationOptions implements connector.CredentialRotator.
func (r *users) RotationOptions(context.Context) *connectorv2.CredentialDetailsCredentialRotation {
	return &connectorv2.CredentialDetailsCredentialRotation{SupportedCredentialOptions: randomPassword,
		PreferredCredentialOption: connectorv2.CapabilityDetailCredentialOption_CAPABILITY_DETAIL_CREDENTIAL_OPTION_RANDOM_PASSWORD}
}

// Delete implements connector.ResourceDeleter: DROP ROLE. PostgreSQL
// refuses while the role owns objects or holds privileges; its message
// says which.
func (r *roles) Delete(ctx context.Context, id, _ *connectorv2.ResourceId) (annotations.Annotations, error) {
	name, err := r.c.roleName(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := r.c.exec(ctx, "", "drop role "+quote(name)); err != nil {
		return nil, fmt.Errorf("drop role %s: %w", name, err)
	}
	return nil, nil
}
