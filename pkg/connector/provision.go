package connector

import (
	"context"

	"google.golang.org/protobuf/types/known/timestamppb"

	connectorv2 "github.com/batonkit/batonkit/pb/c1/connector/v2"
	"github.com/batonkit/batonkit/pkg/annotations"
)

// Grant implements GrantManagerService.
func (s *Server) Grant(ctx context.Context, req *connectorv2.GrantManagerServiceGrantRequest) (*connectorv2.GrantManagerServiceGrantResponse, error) {
	typeID := req.GetEntitlement().GetResource().GetId().GetResourceType()
	p, err := s.provisioner(typeID)
	if err != nil {
		return nil, err
	}
	grants, annos, err := p.Grant(ctx, req.GetPrincipal(), req.GetEntitlement())
	if err != nil {
		return nil, toStatus(err)
	}
	return &connectorv2.GrantManagerServiceGrantResponse{Grants: grants, Annotations: annos}, nil
}

// Revoke implements GrantManagerService.
func (s *Server) Revoke(ctx context.Context, req *connectorv2.GrantManagerServiceRevokeRequest) (*connectorv2.GrantManagerServiceRevokeResponse, error) {
	typeID := req.GetGrant().GetEntitlement().GetResource().GetId().GetResourceType()
	p, err := s.provisioner(typeID)
	if err != nil {
		return nil, err
	}
	annos, err := p.Revoke(ctx, req.GetGrant())
	if err != nil {
		return nil, toStatus(err)
	}
	return &connectorv2.GrantManagerServiceRevokeResponse{Annotations: annos}, nil
}

// RevokesInherited reports whether the syncer of resourceType revokes
// grants a principal holds only through other grants (InheritedRevoker).
func (s *Server) RevokesInherited(resourceType string) bool {
	r, ok := s.syncers[resourceType].(InheritedRevoker)
	return ok && r.RevokesInherited()
}

func (s *Server) provisioner(typeID string) (Provisioner, error) {
	rs, err := s.syncer(typeID)
	if err != nil {
		return nil, err
	}
	p, ok := rs.(Provisioner)
	if !ok {
		return nil, unimplemented("Provisioner", typeID)
	}
	return p, nil
}

// CreateResource implements ResourceManagerService.
func (s *Server) CreateResource(ctx context.Context, req *connectorv2.CreateResourceRequest) (*connectorv2.CreateResourceResponse, error) {
	typeID := req.GetResource().GetId().GetResourceType()
	rs, err := s.syncer(typeID)
	if err != nil {
		return nil, err
	}
	rc, ok := rs.(ResourceCreator)
	if !ok {
		return nil, unimplemented("ResourceCreator", typeID)
	}
	r, annos, err := rc.Create(ctx, req.GetResource())
	if err != nil {
		return nil, toStatus(err)
	}
	return &connectorv2.CreateResourceResponse{Created: r, Annotations: annos}, nil
}

func (s *Server) delete(ctx context.Context, id, parent *connectorv2.ResourceId) (annotations.Annotations, error) {
	rs, err := s.syncer(id.GetResourceType())
	if err != nil {
		return nil, err
	}
	rd, ok := rs.(ResourceDeleter)
	if !ok {
		return nil, unimplemented("ResourceDeleter", id.GetResourceType())
	}
	annos, err := rd.Delete(ctx, id, parent)
	return annos, toStatus(err)
}

// DeleteResource implements ResourceManagerService.
func (s *Server) DeleteResource(ctx context.Context, req *connectorv2.DeleteResourceRequest) (*connectorv2.DeleteResourceResponse, error) {
	annos, err := s.delete(ctx, req.GetResourceId(), req.GetParentResourceId())
	if err != nil {
		return nil, err
	}
	return &connectorv2.DeleteResourceResponse{Annotations: annos}, nil
}

// DeleteResourceV2 implements ResourceDeleterService.
func (s *Server) DeleteResourceV2(ctx context.Context, req *connectorv2.DeleteResourceV2Request) (*connectorv2.DeleteResourceV2Response, error) {
	annos, err := s.delete(ctx, req.GetResourceId(), req.GetParentResourceId())
	if err != nil {
		return nil, err
	}
	return &connectorv2.DeleteResourceV2Response{Annotations: annos}, nil
}

// CreateAccount implements AccountManagerService. The request's resource
// type picks the syncer; without one, the only AccountCreator is used.
func (s *Server) CreateAccount(ctx context.Context, req *connectorv2.CreateAccountRequest) (*connectorv2.CreateAccountResponse, error) {
	ac, err := s.accountCreator(req.GetResourceTypeId())
	if err != nil {
		return nil, err
	}
	creds, err := localCredentials(req.GetCredentialOptions())
	if err != nil {
		return nil, err
	}
	res, secrets, annos, err := ac.CreateAccount(ctx, req.GetAccountInfo(), creds)
	if err != nil {
		return nil, toStatus(err)
	}
	enc, err := encryptAll(secrets, req.GetEncryptionConfigs())
	if err != nil {
		return nil, err
	}
	resp := &connectorv2.CreateAccountResponse{EncryptedData: enc, Annotations: annos}
	switch res.Status {
	case AccountActionRequired:
		resp.Result = &connectorv2.CreateAccountResponse_ActionRequired{ActionRequired: &connectorv2.CreateAccountResponse_ActionRequiredResult{
			Resource: res.Resource, Message: res.Message, IsCreateAccountResult: true}}
	case AccountAlreadyExists:
		resp.Result = &connectorv2.CreateAccountResponse_AlreadyExists{AlreadyExists: &connectorv2.CreateAccountResponse_AlreadyExistsResult{
			Resource: res.Resource, IsCreateAccountResult: true}}
	case AccountInProgress:
		resp.Result = &connectorv2.CreateAccountResponse_InProgress{InProgress: &connectorv2.CreateAccountResponse_InProgressResult{
			Resource: res.Resource, IsCreateAccountResult: true}}
	default:
		sr := &connectorv2.CreateAccountResponse_SuccessResult{Resource: res.Resource, IsCreateAccountResult: true}
		if !res.InvitationExpiresAt.IsZero() {
			sr.InvitationExpiresAt = timestamppb.New(res.InvitationExpiresAt)
		}
		resp.Result = &connectorv2.CreateAccountResponse_Success{Success: sr}
	}
	return resp, nil
}

func (s *Server) accountCreator(typeID string) (AccountCreator, error) {
	if typeID != "" {
		rs, err := s.syncer(typeID)
		if err != nil {
			return nil, err
		}
		ac, ok := rs.(AccountCreator)
		if !ok {
			return nil, unimplemented("AccountCreator", typeID)
		}
		return ac, nil
	}
	var found []AccountCreator
	for _, id := range s.order {
		if ac, ok := s.syncers[id].(AccountCreator); ok {
			found = append(found, ac)
		}
	}
	switch len(found) {
	case 0:
		return nil, unimplemented("AccountCreator (on any resource syncer)", "")
	case 1:
		return found[0], nil
	}
	return nil, invalid("several resource types can create accounts; set resource_type_id")
}

// RotateCredential implements CredentialManagerService.
func (s *Server) RotateCredential(ctx context.Context, req *connectorv2.RotateCredentialRequest) (*connectorv2.RotateCredentialResponse, error) {
	typeID := req.GetResourceId().GetResourceType()
	rs, err := s.syncer(typeID)
	if err != nil {
		return nil, err
	}
	cr, ok := rs.(CredentialRotator)
	if !ok {
		return nil, unimplemented("CredentialRotator", typeID)
	}
	creds, err := localCredentials(req.GetCredentialOptions())
	if err != nil {
		return nil, err
	}
	secrets, annos, err := cr.RotateCredential(ctx, req.GetResourceId(), creds)
	if err != nil {
		return nil, toStatus(err)
	}
	enc, err := encryptAll(secrets, req.GetEncryptionConfigs())
	if err != nil {
		return nil, err
	}
	return &connectorv2.RotateCredentialResponse{EncryptedData: enc, ResourceId: req.GetResourceId(), Annotations: annos}, nil
}

// localCredentials turns the caller's credential options into what a
// connector acts on. Caller-chosen passwords arrive encrypted for a key
// this process does not hold, so they are refused rather than guessed at.
func localCredentials(co *connectorv2.CredentialOptions) (*connectorv2.LocalCredentialOptions, error) {
	lo := &connectorv2.LocalCredentialOptions{ForceChangeAtNextLogin: co.GetForceChangeAtNextLogin()}
	switch o := co.GetOptions().(type) {
	case nil:
	case *connectorv2.CredentialOptions_RandomPassword_:
		lo.Options = &connectorv2.LocalCredentialOptions_RandomPassword_{RandomPassword: &connectorv2.LocalCredentialOptions_RandomPassword{
			Length: o.RandomPassword.GetLength(), Constraints: o.RandomPassword.GetConstraints()}}
	case *connectorv2.CredentialOptions_NoPassword_:
		lo.Options = &connectorv2.LocalCredentialOptions_NoPassword_{NoPassword: &connectorv2.LocalCredentialOptions_NoPassword{}}
	case *connectorv2.CredentialOptions_Sso:
		lo.Options = &connectorv2.LocalCredentialOptions_Sso{Sso: &connectorv2.LocalCredentialOptions_SSO{SsoProvider: o.Sso.GetSsoProvider()}}
	case *connectorv2.CredentialOptions_EncryptedPassword_:
		return nil, invalid("encrypted caller-chosen passwords are not supported: no decryption key is configured for this connector")
	}
	return lo, nil
}
