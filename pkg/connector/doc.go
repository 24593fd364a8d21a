// Package connector is the author API: write a few small Go types and get
// a complete, validated server for Baton's c1.connector.v2 contract.
//
// # A first connector
//
// A connector describes itself and lists one ResourceSyncer per kind of
// object in the app:
//
//	type App struct{ api *acme.Client }
//
//	func (a *App) Metadata(ctx context.Context) (*connectorv2.ConnectorMetadata, error) {
//		return &connectorv2.ConnectorMetadata{DisplayName: "Acme"}, nil
//	}
//	func (a *App) Validate(ctx context.Context) (annotations.Annotations, error) {
//		return nil, a.api.Ping(ctx)
//	}
//	func (a *App) ResourceSyncers(ctx context.Context) []connector.ResourceSyncer {
//		return []connector.ResourceSyncer{&users{a.api}, &teams{a.api}}
//	}
//
// A ResourceSyncer lists its resources, and for each resource what can be
// granted on it (entitlements) and who holds it (grants), a page at a
// time; pkg/resource, pkg/entitlement and pkg/grant build the objects with
// Baton's id conventions:
//
//	func (t *teams) List(ctx context.Context, parent *connectorv2.ResourceId, req connector.PageRequest) (connector.Page[*connectorv2.Resource], error)
//	func (t *teams) Entitlements(ctx context.Context, team *connectorv2.Resource, req connector.PageRequest) (connector.Page[*connectorv2.Entitlement], error) {
//		return connector.Page[*connectorv2.Entitlement]{Items: []*connectorv2.Entitlement{entitlement.NewAssignment(team, "member")}}, nil
//	}
//	func (t *teams) Grants(ctx context.Context, team *connectorv2.Resource, req connector.PageRequest) (connector.Page[*connectorv2.Grant], error)
//
// # Capabilities
//
// Everything beyond reading is optional and discovered by type assertion,
// as database/sql/driver does: implement Provisioner on a syncer and its
// entitlements can be granted and revoked (InheritedRevoker says Revoke
// also handles access held only through another grant); ResourceGetter
// enables targeted syncs; ResourceCreator, ResourceDeleter, AccountCreator and
// CredentialRotator manage objects and secrets. On the Connector itself,
// TicketManager, EventFeedProvider, ActionManager, AssetGetter and Cleaner
// add the rest of the contract. GetMetadata reports exactly what is
// implemented; a call the connector cannot serve answers Unimplemented with
// the name of the interface to implement.
//
// # How you are called, and what you may keep
//
// The syncer (batonkit's, and Baton's) calls a connector in phases, each to
// its end before the next: resource types; every resource of every type
// (then the child types a resource announces with resource.WithChildTypes);
// static entitlements; the entitlements of every resource; the grants of
// every resource. The pages of one listing arrive one after another, and
// with one worker (the default) nothing else reaches the connector between
// them, so a cursor held on one connection (an LDAP paged search) stays
// valid; with more workers, other listings of the same phase may run
// alongside. Data gathered in one phase may be cached for a later one of
// the same process (resources before grants), but a resumed sync starts in
// a new process: a page token must carry what serving it needs.
// pkg/sync's documentation has the full contract.
//
// # Saying what went wrong
//
// Return an Error built for the failure and callers get the right code:
// NotFound (a group deleted mid-sync), BadPageToken, Invalid (a request
// the app cannot carry out as asked), Unsupported, PermissionDenied,
// Unavailable (retried with backoff) and RateLimited (the syncer waits
// until the given time). ErrNotFound and the pagination package's errors
// may also be returned as they are; a gRPC status passes through; any
// other error reaches callers as Unknown.
//
// # Listing a whole type at once, and fanning out
//
// APIs whose natural unit is the collection (a delta query, an export)
// implement TypeEntitlementLister or TypeGrantLister on the syncer: the
// type is announced with TypeScopedEntitlements or TypeScopedGrants and the
// syncer calls TypeEntitlements or TypeGrants once per type instead of
// Entitlements or Grants per resource. A page of entitlements or grants may
// also set Page.Fanout: page tokens the syncer fetches independently, in
// parallel on its workers (Baton's EnqueuePageTokens), for page-numbered
// APIs whose first page tells how many there are. See ExampleTypeGrantLister.
//
// # Serving
//
// NewServer wraps a Connector. NewGRPCServer serves it over the network
// behind interceptors that log, recover panics (as codes.Internal), and
// validate every request and every response against the contract's rules;
// InProcessClient calls it directly through the same interceptors. Most
// authors never do either: pkg/runner's Main builds the command line,
// syncs, provisions and serves child processes.
//
// Secrets a connector returns (new passwords, rotated keys) are plaintext
// only inside the connector: the server encrypts them for the caller's JWK
// or age keys and refuses to return them when the caller sent none.
package connector
