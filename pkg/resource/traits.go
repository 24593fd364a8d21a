package resource

import (
	"fmt"
	"time"

	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	connectorv2 "github.com/batonkit/batonkit/pb/c1/connector/v2"
)

// UserOption configures a UserTrait.
type UserOption func(*connectorv2.UserTrait) error

// User marks the resource as an account and describes it.
func User(opts ...UserOption) Option {
	return func(r *connectorv2.Resource) error {
		ut := &connectorv2.UserTrait{}
		for _, o := range opts {
			if err := o(ut); err != nil {
				return fmt.Errorf("user trait: %w", err)
			}
		}
		return withTrait(ut)(r)
	}
}

// Email adds an email address; mark at most one primary.
func Email(address string, primary bool) UserOption {
	return func(ut *connectorv2.UserTrait) error {
		ut.Emails = append(ut.Emails, &connectorv2.UserTrait_Email{Address: address, IsPrimary: primary})
		return nil
	}
}

// Login sets the sign-in name and any aliases.
func Login(login string, aliases ...string) UserOption {
	return func(ut *connectorv2.UserTrait) error {
		ut.Login, ut.LoginAliases = login, aliases
		return nil
	}
}

// UserStatus sets whether the account is enabled, disabled or deleted.
func UserStatus(s connectorv2.UserTrait_Status_Status) UserOption {
	return func(ut *connectorv2.UserTrait) error {
		ut.Status = &connectorv2.UserTrait_Status{Status: s}
		return nil
	}
}

// AccountType says whether a person, a service or the system uses the account.
func AccountType(t connectorv2.UserTrait_AccountType) UserOption {
	return func(ut *connectorv2.UserTrait) error { ut.AccountType = t; return nil }
}

// UserProfile sets free-form attributes of the account.
func UserProfile(profile map[string]any) UserOption {
	return func(ut *connectorv2.UserTrait) error {
		st, err := structpb.NewStruct(profile)
		if err != nil {
			return fmt.Errorf("profile: %w", err)
		}
		ut.Profile = st
		return nil
	}
}

// LastLogin records when the account last signed in.
func LastLogin(t time.Time) UserOption {
	return func(ut *connectorv2.UserTrait) error { ut.LastLogin = timestamppb.New(t); return nil }
}

// MFA records whether multi-factor authentication is on.
func MFA(enabled bool) UserOption {
	return func(ut *connectorv2.UserTrait) error {
		ut.MfaStatus = &connectorv2.UserTrait_MFAStatus{MfaEnabled: enabled}
		return nil
	}
}

// Group marks the resource as a group, with optional attributes.
func Group(profile map[string]any) Option {
	return func(r *connectorv2.Resource) error {
		gt := &connectorv2.GroupTrait{}
		if profile != nil {
			st, err := structpb.NewStruct(profile)
			if err != nil {
				return fmt.Errorf("group trait profile: %w", err)
			}
			gt.Profile = st
		}
		return withTrait(gt)(r)
	}
}

// Role marks the resource as a role, with optional attributes.
func Role(profile map[string]any) Option {
	return func(r *connectorv2.Resource) error {
		rt := &connectorv2.RoleTrait{}
		if profile != nil {
			st, err := structpb.NewStruct(profile)
			if err != nil {
				return fmt.Errorf("role trait profile: %w", err)
			}
			rt.Profile = st
		}
		return withTrait(rt)(r)
	}
}

// App marks the resource as an application.
func App(helpURL string, flags ...connectorv2.AppTrait_AppFlag) Option {
	return withTrait(&connectorv2.AppTrait{HelpUrl: helpURL, Flags: flags})
}

// Secret marks the resource as a credential held by identity.
func Secret(identity *connectorv2.ResourceId, t connectorv2.SecretTrait_CredentialType, expiresAt time.Time) Option {
	st := &connectorv2.SecretTrait{IdentityId: identity, CredentialType: t}
	if !expiresAt.IsZero() {
		st.ExpiresAt = timestamppb.New(expiresAt)
	}
	return withTrait(st)
}
