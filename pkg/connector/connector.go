package connector

import (
	"context"
	"io"
	"time"

	"google.golang.org/protobuf/types/known/structpb"

	connectorv2 "github.com/batonkit/batonkit/pb/c1/connector/v2"
	"github.com/batonkit/batonkit/pkg/annotations"
)

// Connector is the one interface every connector implements: what the
// connector is, whether its configuration works, and one ResourceSyncer per
// kind of object it syncs. Everything else is optional and discovered by
// type assertion (see the capability interfaces below).
type Connector interface {
	// Metadata describes the connector. Capabilities are filled in by the
	// server from what the connector implements; leave them empty.
	Metadata(ctx context.Context) (*connectorv2.ConnectorMetadata, error)
	// Validate checks configuration and credentials against the app.
	Validate(ctx context.Context) (annotations.Annotations, error)
	// ResourceSyncers returns one syncer per resource type, in the order
	// the syncer should walk them.
	ResourceSyncers(ctx context.Context) []ResourceSyncer
}

// PageRequest is what every paged call receives.
type PageRequest struct {
	Token       string // empty for the first page, else a NextToken you returned
	Size        int    // the caller's preferred page size (at most 250); 0 = your choice
	SyncID      string // the sync this call belongs to, for caches keyed by sync
	Annotations annotations.Annotations
}

// Page is what every paged call returns. An empty NextToken ends paging;
// returning the token you were given again is an error the syncer reports.
type Page[T any] struct {
	Items       []T
	NextToken   string
	Annotations annotations.Annotations
	// Fanout, on a page of entitlements or grants, hands the syncer more
	// page tokens to fetch independently of NextToken, in parallel on its
	// workers (Baton's EnqueuePageTokens): for page-numbered APIs whose
	// first page tells how many pages there are. Each token comes back as
	// PageRequest.Token of its own call and must say everything needed to
	// serve it (it may be fetched after a resume, by another worker). At
	// most 1024 per page; a token must never be handed out twice.
	Fanout []string
	// EstimatedTotal is an optional estimate of the items behind Fanout,
	// for progress.
	EstimatedTotal int64
}

// ResourceSyncer reads one resource type. It is the required interface:
// implement it once per kind of object.
type ResourceSyncer interface {
	// ResourceType describes the type; its id keys every resource of it.
	ResourceType(ctx context.Context) *connectorv2.ResourceType
	// List returns a page of resources, the children of parent when parent
	// is set (for types announced with a ChildResourceType annotation).
	List(ctx context.Context, parent *connectorv2.ResourceId, req PageRequest) (Page[*connectorv2.Resource], error)
	// Entitlements returns a page of what can be granted on r.
	Entitlements(ctx context.Context, r *connectorv2.Resource, req PageRequest) (Page[*connectorv2.Entitlement], error)
	// Grants returns a page of who holds the entitlements of r.
	Grants(ctx context.Context, r *connectorv2.Resource, req PageRequest) (Page[*connectorv2.Grant], error)
}

// StaticEntitlementLister is implemented by a ResourceSyncer whose
// entitlements are the same for every resource of its type; they are
// listed once per type. Their Resource field names only the type.
type StaticEntitlementLister interface {
	StaticEntitlements(ctx context.Context, req PageRequest) (Page[*connectorv2.Entitlement], error)
}

// TypeEntitlementLister is implemented by a ResourceSyncer that lists the
// entitlements of all its resources at once, for APIs whose natural unit is
// the whole collection. The syncer then calls it instead of Entitlements
// for every resource (the type is announced with TypeScopedEntitlements).
// It must return every entitlement of every resource of the type.
type TypeEntitlementLister interface {
	TypeEntitlements(ctx context.Context, req PageRequest) (Page[*connectorv2.Entitlement], error)
}

// TypeGrantLister is implemented by a ResourceSyncer that lists the grants
// of all its resources at once (a delta query, an export). The syncer then
// calls it instead of Grants for every resource (the type is announced
// with TypeScopedGrants). It must return every grant of the type,
// including those on resources that carry SkipGrants.
type TypeGrantLister interface {
	TypeGrants(ctx context.Context, req PageRequest) (Page[*connectorv2.Grant], error)
}

// ResourceGetter is implemented by a ResourceSyncer that can fetch one
// resource by id, which enables targeted syncs. Return a NotFound status
// (or ErrNotFound) when the resource is gone.
type ResourceGetter interface {
	Get(ctx context.Context, id, parent *connectorv2.ResourceId) (*connectorv2.Resource, annotations.Annotations, error)
}

// Provisioner is implemented by a ResourceSyncer whose entitlements can be
// granted and revoked.
type Provisioner interface {
	// Grant gives principal the entitlement e (an entitlement on a resource
	// of this syncer's type) and returns the grants that now exist.
	Grant(ctx context.Context, principal *connectorv2.Resource, e *connectorv2.Entitlement) ([]*connectorv2.Grant, annotations.Annotations, error)
	// Revoke takes the grant g away.
	Revoke(ctx context.Context, g *connectorv2.Grant) (annotations.Annotations, error)
}

// InheritedRevoker is implemented by a Provisioner whose Revoke can also
// take away access a principal holds only through another grant (a role a
// user has through a team, say), by whatever change the app needs for
// that. Without it the runner refuses such a revoke and names the grants
// that give the access, because passing it on would let Revoke report
// success for access that stays.
type InheritedRevoker interface {
	Provisioner
	// RevokesInherited reports whether Revoke handles inherited grants;
	// a wrapper may decide per configuration.
	RevokesInherited() bool
}

// ResourceCreator is implemented by a ResourceSyncer that can create
// resources of its type.
type ResourceCreator interface {
	Create(ctx context.Context, r *connectorv2.Resource) (*connectorv2.Resource, annotations.Annotations, error)
}

// ResourceDeleter is implemented by a ResourceSyncer that can delete
// resources of its type.
type ResourceDeleter interface {
	Delete(ctx context.Context, id, parent *connectorv2.ResourceId) (annotations.Annotations, error)
}

// AccountStatus says what CreateAccount achieved.
type AccountStatus int

// Account creation outcomes.
const (
	AccountCreated        AccountStatus = iota // usable now
	AccountActionRequired                      // someone must act first (Message says what)
	AccountAlreadyExists                       // it was already there
	AccountInProgress                          // the app is still creating it
)

// AccountResult is the outcome of CreateAccount.
type AccountResult struct {
	Resource            *connectorv2.Resource
	Status              AccountStatus
	Message             string    // for AccountActionRequired
	InvitationExpiresAt time.Time // when an invitation was sent
}

// AccountCreator is implemented by a ResourceSyncer (usually the user
// type) that can create accounts. Secrets it returns as plaintext are
// encrypted by the server for the caller's keys before leaving the
// process; never log them.
type AccountCreator interface {
	CreateAccount(ctx context.Context, info *connectorv2.AccountInfo, creds *connectorv2.LocalCredentialOptions) (AccountResult, []*connectorv2.PlaintextData, annotations.Annotations, error)
	// AccountCreationOptions lists the credential options CreateAccount
	// supports and the preferred one.
	AccountCreationOptions(ctx context.Context) *connectorv2.CredentialDetailsAccountProvisioning
}

// CredentialRotator is implemented by a ResourceSyncer whose resources'
// credentials can be rotated. Returned plaintext is encrypted by the server.
type CredentialRotator interface {
	RotateCredential(ctx context.Context, id *connectorv2.ResourceId, creds *connectorv2.LocalCredentialOptions) ([]*connectorv2.PlaintextData, annotations.Annotations, error)
	RotationOptions(ctx context.Context) *connectorv2.CredentialDetailsCredentialRotation
}

// TicketManager is implemented by a Connector that opens tickets.
type TicketManager interface {
	ListTicketSchemas(ctx context.Context, req PageRequest) (Page[*connectorv2.TicketSchema], error)
	GetTicketSchema(ctx context.Context, id string) (*connectorv2.TicketSchema, annotations.Annotations, error)
	CreateTicket(ctx context.Context, t *connectorv2.TicketRequest, schema *connectorv2.TicketSchema) (*connectorv2.Ticket, annotations.Annotations, error)
	GetTicket(ctx context.Context, id string) (*connectorv2.Ticket, annotations.Annotations, error)
}

// EventRequest asks an event feed for events.
type EventRequest struct {
	Cursor  string    // empty: start at StartAt
	StartAt time.Time // earliest event wanted when there is no cursor
	Size    int       // at most 1000; 0 = feed's choice
}

// EventPage is a batch of events.
type EventPage struct {
	Events      []*connectorv2.Event
	Cursor      string // where to continue
	HasMore     bool
	Annotations annotations.Annotations
}

// EventFeed is one stream of events.
type EventFeed interface {
	EventFeedMetadata(ctx context.Context) *connectorv2.EventFeedMetadata
	ListEvents(ctx context.Context, req EventRequest) (EventPage, error)
}

// EventFeedProvider is implemented by a Connector that offers event feeds.
type EventFeedProvider interface {
	EventFeeds(ctx context.Context) []EventFeed
}

// ActionStatus reports an invoked action.
type ActionStatus struct {
	ID          string
	Status      connectorv2.BatonActionStatus
	Response    *structpb.Struct
	Annotations annotations.Annotations
}

// ActionManager is implemented by a Connector with custom actions.
type ActionManager interface {
	// ActionSchemas lists the actions, all of them when resourceTypeID is
	// empty.
	ActionSchemas(ctx context.Context, resourceTypeID string) ([]*connectorv2.BatonActionSchema, error)
	InvokeAction(ctx context.Context, name, resourceTypeID string, args *structpb.Struct) (ActionStatus, error)
	ActionStatus(ctx context.Context, id string) (ActionStatus, error)
}

// AssetGetter is implemented by a Connector that serves binary assets
// referenced by AssetRef (icons, logos). The server streams body in chunks
// and closes it.
type AssetGetter interface {
	GetAsset(ctx context.Context, ref *connectorv2.AssetRef) (contentType string, body io.ReadCloser, err error)
}

// Cleaner is implemented by a Connector that wants to drop caches or
// temporary state when a sync ends.
type Cleaner interface {
	Cleanup(ctx context.Context) error
}

// NoAccess is embedded in a ResourceSyncer for a type that nothing is
// granted on (users, usually): it supplies empty Entitlements and Grants.
// Announce the type with SkipEntitlementsAndGrants too, so syncers do not
// even ask.
type NoAccess struct{}

// Entitlements returns no entitlements.
func (NoAccess) Entitlements(context.Context, *connectorv2.Resource, PageRequest) (Page[*connectorv2.Entitlement], error) {
	return Page[*connectorv2.Entitlement]{}, nil
}

// Grants returns no grants.
func (NoAccess) Grants(context.Context, *connectorv2.Resource, PageRequest) (Page[*connectorv2.Grant], error) {
	return Page[*connectorv2.Grant]{}, nil
}
