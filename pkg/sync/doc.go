// Package sync drives a connector into a c1z file.
//
// A Syncer takes a contract.Client (so the connector may run in this
// process, behind loopback gRPC, or as a child process in any language) and
// a writable *c1z.Store:
//
//	st, _ := c1z.Open(ctx, "sync.c1z")
//	defer st.Close(ctx)
//	res, err := sync.New(client, st, sync.WithWorkers(4)).Run(ctx)
//	if errors.Is(err, sync.ErrInterrupted) { /* run again later: it resumes */ }
//
// # The order of calls
//
// The syncer calls a connector in the order Baton's syncer does, so a
// connector built with either SDK sees the same conversation. A full sync
// runs these phases, each to its end before the next begins:
//
//  1. ListResourceTypes, every page.
//  2. ListResources of every type, every page; then the child types each
//     resource announces (ChildResourceType), under that resource.
//  3. ListStaticEntitlements of every type; each static entitlement is
//     stored once per resource of the type.
//  4. ListEntitlements of every resource, or once per type for a type that
//     carries TypeScopedEntitlements.
//  5. ListGrants of every resource, or once per type for a type that
//     carries TypeScopedGrants.
//  6. Grant expansion, in the store (no connector calls).
//
// Resources opt out of phases 4 and 5 with SkipEntitlementsAndGrants (on
// the resource or its type), SkipEntitlements (on either) and SkipGrants
// (on the resource: Baton's syncer ignores it on a type, and so does this
// one). A type-scoped call carries the marker annotation on the request and
// a stub resource whose id is the type's id for both fields.
//
// # Concurrency
//
// The pages of one listing always run one after another, with nothing
// else reaching the connector from that listing in between, and listings
// of different phases never overlap. With WithWorkers(n), up to n listings
// of the same phase run at once: the resource listings of different types,
// the entitlement or grant listings of different resources, and sibling
// cursors a connector enqueued (EnqueuePageTokens). With one worker (the
// default), exactly one call is in flight at any time, in the order above.
//
// # What a connector may keep between calls
//
//   - A cursor between the pages of one listing: the next call of that
//     listing comes before any call of another phase, and with one worker
//     before any other call at all (an LDAP paged search on one connection
//     works).
//   - Anything learned in an earlier phase, for a later one of the same
//     process: resources are all listed before any entitlement, and
//     entitlements before any grant (a cache filled by ListResources and
//     read by ListGrants works), unless the sync was resumed by a new
//     process, which starts with an empty cache.
//   - Nothing across a resume: a token handed out before a crash may come
//     back in a new process, so tokens must carry what they need.
//
// # Resuming
//
// The work is a stack of small actions, saved as a versioned JSON token in
// the sync run on a timer and at every phase boundary, in the transaction
// that commits the rows written before it, so a sync that is killed or
// cancelled resumes where it stopped. Planners page through what the store
// holds and push one leaf action per type or resource, a page at a time:
// the token holds actions, never objects, whatever the tenant's size.
//
// # Protocol features
//
// Every annotation that changes what a syncer does, what Baton's syncer
// (v0.25) does with it, and what this one does. A feature this syncer does
// not act on is never ignored silently: it is logged once per sync, counted
// in Result.Unhandled and in the sync's stats (unhandled_protocol_features),
// and, where ignoring it would leave data out, fails the sync with
// ErrUnhandledProtocol unless WithAllowPartial is given.
//
//	annotation (where)                     Baton's syncer                       this syncer                       test
//	ChildResourceType (resource)           lists the child type under it        same                              TestDifferentialAgainstReference
//	SkipEntitlementsAndGrants (res, type)  no entitlement or grant listing      same                              TestDifferentialAgainstReference
//	SkipEntitlements (resource, type)      no entitlement listing               same                              TestDifferentialAgainstReference
//	SkipGrants (resource)                  no grant listing                     same                              TestDifferentialAgainstReference
//	SkipGrants (type)                      ignored: grants are listed           same; counted                     TestSkipGrantsOnATypeListsGrantsAsBatonDoes
//	TypeScopedEntitlements (type)          one listing per type, marker on req  same                              TestDifferentialAgainstReference
//	TypeScopedGrants (type)                one listing per type, marker on req  same                              TestDifferentialAgainstReference
//	EnqueuePageTokens (ents, grants resp)  sibling cursors on the workers       same, cycle/size guarded          TestDifferentialAgainstReference, TestFanoutGuards
//	EnqueuePageTokens (other responses)    ignored                              fails: counted, lossy             TestUnhandledProtocolFeatures
//	InsertResourceGrants (grants resp)     stores each grant's resource         same                              TestInsertResourceGrantsStoresTheGrantsResources
//	InsertResourceGrants (other resp)      ignored                              counted                           TestUnhandledProtocolFeatures
//	GrantExpandable (grant)                grant expansion                      same                              package expand
//	RateLimitDescription (response)        waits for the reset                  same                              TestReportedRateLimitIsRespected
//	RateLimitDescription (error detail)    retries after the reset              same                              TestTransientErrorsAreRetried
//	RateLimitWaitReport, SessionStoreUsage statistics only                      no effect                         TestUnhandledProtocolFeatures
//	RequestId (response)                   tracing only                         no effect                         TestUnhandledProtocolFeatures
//	SourceCacheReplay, ETagMatch (resp)    copies rows of the previous sync     not implemented: lossy            TestUnhandledProtocolFeatures
//	SourceCacheRecord, ETag (response)     records a cache key                  counted (this sync is complete)   TestUnhandledProtocolFeatures
//	ExternalResourceMatch* (grant)         matches with an external sync file   same (WithExternalResources);     TestExternalPrincipalsAreMatched
//	                                       (stored as is without one)           without one stored as is, counted
//	an unknown type URL (resp or type)     ignored                              counted                           TestUnhandledProtocolFeatures
//
// Annotations that are data (traits, ExternalLink, V1Identifier, RawId,
// Aliases, GrantMetadata, GrantImmutable, EntitlementImmutable,
// EntitlementExclusionGroup, ...) are stored with their objects, as Baton
// stores them.
package sync
