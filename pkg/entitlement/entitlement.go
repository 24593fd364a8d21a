package entitlement

import (
	"errors"
	"fmt"
	"strings"

	"google.golang.org/protobuf/proto"

	connectorv2 "github.com/batonkit/batonkit/pb/c1/connector/v2"
	"github.com/batonkit/batonkit/pkg/annotations"
)

// ID is the id of the entitlement slug on resource r.
func ID(r *connectorv2.ResourceId, slug string) string {
	return r.GetResourceType() + ":" + r.GetResource() + ":" + slug
}

// Option configures an entitlement.
type Option func(*connectorv2.Entitlement)

// ErrBadID is returned for a string that is not an entitlement id.
var ErrBadID = errors.New("not an entitlement id (<resource type>:<resource id>:<slug>)")

// ParseID splits an entitlement id into the resource it is on and its
// slug. Resource ids may hold colons (LDAP DNs, paths); types and slugs
// may not, so the type ends at the first colon and the slug starts after
// the last.
func ParseID(id string) (*connectorv2.ResourceId, string, error) {
	first, last := strings.IndexByte(id, ':'), strings.LastIndexByte(id, ':')
	if first <= 0 || last == first || last == len(id)-1 || last-first < 2 {
		return nil, "", fmt.Errorf("%w: %q", ErrBadID, id)
	}
	return &connectorv2.ResourceId{ResourceType: id[:first], Resource: id[first+1 : last]}, id[last+1:], nil
}

// New returns the entitlement slug on resource r with the given purpose.
// Its display name defaults to the slug.
func New(r *connectorv2.Resource, slug string, purpose connectorv2.Entitlement_PurposeValue, opts ...Option) *connectorv2.Entitlement {
	e := &connectorv2.Entitlement{
		Resource:    r,
		Id:          ID(r.GetId(), slug),
		Slug:        slug,
		DisplayName: slug,
		Purpose:     purpose,
	}
	for _, o := range opts {
		o(e)
	}
	return e
}

// NewAssignment is an entitlement that is a membership or role assignment.
func NewAssignment(r *connectorv2.Resource, slug string, opts ...Option) *connectorv2.Entitlement {
	return New(r, slug, connectorv2.Entitlement_PURPOSE_VALUE_ASSIGNMENT, opts...)
}

// NewPermission is an entitlement that is a permission on the resource.
func NewPermission(r *connectorv2.Resource, slug string, opts ...Option) *connectorv2.Entitlement {
	return New(r, slug, connectorv2.Entitlement_PURPOSE_VALUE_PERMISSION, opts...)
}

// NewOwnership is an entitlement that makes its holder an owner.
func NewOwnership(r *connectorv2.Resource, slug string, opts ...Option) *connectorv2.Entitlement {
	return New(r, slug, connectorv2.Entitlement_PURPOSE_VALUE_OWNERSHIP, opts...)
}

// GrantableTo lists the resource types whose resources can hold it.
func GrantableTo(types ...*connectorv2.ResourceType) Option {
	return func(e *connectorv2.Entitlement) { e.GrantableTo = append(e.GrantableTo, types...) }
}

// WithDisplayName overrides the display name.
func WithDisplayName(n string) Option { return func(e *connectorv2.Entitlement) { e.DisplayName = n } }

// WithDescription says what holding the entitlement allows.
func WithDescription(d string) Option { return func(e *connectorv2.Entitlement) { e.Description = d } }

// WithAnnotations attaches annotations (for example EntitlementImmutable).
func WithAnnotations(msgs ...proto.Message) Option {
	return func(e *connectorv2.Entitlement) {
		e.Annotations = annotations.Annotations(e.Annotations).With(msgs...)
	}
}
