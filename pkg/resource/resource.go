package resource

import (
	"fmt"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	connectorv2 "github.com/batonkit/batonkit/pb/c1/connector/v2"
	"github.com/batonkit/batonkit/pkg/annotations"
)

// TypeOption configures a resource type.
type TypeOption func(*connectorv2.ResourceType)

// NewType returns a resource type. id is what every ResourceId of this kind
// carries as its resource_type; keep it short, lowercase and stable.
func NewType(id, displayName string, opts ...TypeOption) *connectorv2.ResourceType {
	rt := &connectorv2.ResourceType{Id: id, DisplayName: displayName}
	for _, o := range opts {
		o(rt)
	}
	return rt
}

// WithTraits declares what the type's resources are (users, groups...).
func WithTraits(traits ...connectorv2.ResourceType_Trait) TypeOption {
	return func(rt *connectorv2.ResourceType) { rt.Traits = append(rt.Traits, traits...) }
}

// WithTypeDescription sets the type's description.
func WithTypeDescription(d string) TypeOption {
	return func(rt *connectorv2.ResourceType) { rt.Description = d }
}

// WithTypeAnnotations attaches annotations to the type, for example
// SkipEntitlementsAndGrants on a user type.
func WithTypeAnnotations(msgs ...proto.Message) TypeOption {
	return func(rt *connectorv2.ResourceType) {
		rt.Annotations = annotations.Annotations(rt.Annotations).With(msgs...)
	}
}

// ID returns the ResourceId of resource id within type typeID.
func ID(typeID, id string) *connectorv2.ResourceId {
	return &connectorv2.ResourceId{ResourceType: typeID, Resource: id}
}

// Option configures a resource. Options that can fail (a profile value
// that does not convert) report through New's error.
type Option func(*connectorv2.Resource) error

// New returns a resource of type typeID with the app's id and a display
// name, configured by opts.
func New(typeID, id, displayName string, opts ...Option) (*connectorv2.Resource, error) {
	r := &connectorv2.Resource{Id: ID(typeID, id), DisplayName: displayName}
	for _, o := range opts {
		if err := o(r); err != nil {
			return nil, fmt.Errorf("resource %s:%s: %w", typeID, id, err)
		}
	}
	return r, nil
}

// WithParent nests the resource under another (a repository under its
// organisation).
func WithParent(parent *connectorv2.ResourceId) Option {
	return func(r *connectorv2.Resource) error { r.ParentResourceId = parent; return nil }
}

// WithDescription sets the resource's description.
func WithDescription(d string) Option {
	return func(r *connectorv2.Resource) error { r.Description = d; return nil }
}

// WithAnnotations attaches annotations, for example ChildResourceType.
func WithAnnotations(msgs ...proto.Message) Option {
	return func(r *connectorv2.Resource) error {
		r.Annotations = annotations.Annotations(r.Annotations).With(msgs...)
		return nil
	}
}

// WithChildTypes announces resource types listed under this resource.
func WithChildTypes(typeIDs ...string) Option {
	return func(r *connectorv2.Resource) error {
		for _, t := range typeIDs {
			r.Annotations = annotations.Annotations(r.Annotations).With(&connectorv2.ChildResourceType{ResourceTypeId: t})
		}
		return nil
	}
}

// WithProfile sets free-form attributes shown with the resource. Values
// must be JSON-like (strings, numbers, bools, nil, slices and maps of them).
func WithProfile(profile map[string]any) Option {
	return func(r *connectorv2.Resource) error {
		st, err := structpb.NewStruct(profile)
		if err != nil {
			return fmt.Errorf("profile: %w", err)
		}
		r.Profile = st
		return nil
	}
}

// WithStatus sets the resource's lifecycle state.
func WithStatus(s connectorv2.Status_ResourceStatus, details string) Option {
	return func(r *connectorv2.Resource) error {
		r.Status = &connectorv2.Status{Status: s, Details: details}
		return nil
	}
}

// WithCreatedAt records when the app created the resource.
func WithCreatedAt(t time.Time) Option {
	return func(r *connectorv2.Resource) error { r.CreatedAt = timestamppb.New(t); return nil }
}

func withTrait(m proto.Message) Option {
	return func(r *connectorv2.Resource) error {
		a := annotations.Annotations(r.Annotations)
		a.Update(m)
		r.Annotations = a
		return nil
	}
}
