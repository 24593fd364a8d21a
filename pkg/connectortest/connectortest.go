package connectortest

import (
	"context"
	"maps"
	"net"
	"slices"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	connectorv2 "github.com/batonkit/batonkit/pb/c1/connector/v2"
	"github.com/batonkit/batonkit/pkg/annotations"
	"github.com/batonkit/batonkit/pkg/connector"
	"github.com/batonkit/batonkit/pkg/contract"
	"github.com/batonkit/batonkit/pkg/entitlement"
	"github.com/batonkit/batonkit/pkg/grant"
	"github.com/batonkit/batonkit/pkg/subprocess"
)

type options struct {
	provisioning bool
	grantable    func(e *connectorv2.Entitlement, principal *connectorv2.Resource) bool
	maxPages     int
	pageSizes    []int
}

// Option configures Run.
type Option func(*options)

// WithProvisioning also grants one grantable entitlement to a principal
// that lacks it and revokes it again. Only for test tenants.
func WithProvisioning() Option { return func(o *options) { o.provisioning = true } }

// WithProvisioningFilter narrows the entitlement and principal the
// provisioning check picks (in id order) to those keep accepts: an app may
// refuse some pairs its entitlements' grantable_to cannot express (a
// built-in role that cannot be anyone's member).
func WithProvisioningFilter(keep func(e *connectorv2.Entitlement, principal *connectorv2.Resource) bool) Option {
	return func(o *options) { o.provisioning, o.grantable = true, keep }
}

// WithMaxPages bounds every listing (default 10000 pages) so a connector
// that never ends paging fails instead of hanging.
func WithMaxPages(n int) Option { return func(o *options) { o.maxPages = n } }

// Report is what Run saw, for further assertions.
type Report struct {
	Metadata     *connectorv2.ConnectorMetadata
	Types        []*connectorv2.ResourceType
	Resources    map[string]*connectorv2.Resource    // by "type:id"
	Entitlements map[string]*connectorv2.Entitlement // by id
	Grants       []*connectorv2.Grant
	Client       contract.Client
}

// Run serves c on a loopback TLS listener and checks it. It fails t on
// the first broken rule and returns what it read.
func Run(t testing.TB, c connector.Connector, opts ...Option) *Report {
	t.Helper()
	o := options{maxPages: 10000, pageSizes: []int{1, 2}}
	for _, opt := range opts {
		opt(&o)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	t.Cleanup(cancel)
	client := Serve(t, c)
	k := &kit{t: t, c: client, opts: o, inserted: map[string]bool{}, rep: &Report{Client: client, Resources: map[string]*connectorv2.Resource{}, Entitlements: map[string]*connectorv2.Entitlement{}}}
	k.metadata(ctx)
	k.resources(ctx)
	k.entitlementsAndGrants(ctx)
	k.checkGrants()
	k.pageSizes(ctx)
	k.capabilities(ctx)
	return k.rep
}

// Serve runs c behind a real gRPC server on 127.0.0.1 with mutual TLS and
// returns a client for it; both stop when the test ends.
func Serve(t testing.TB, c connector.Connector) contract.Client {
	t.Helper()
	srv, err := connector.NewServer(context.Background(), c)
	if err != nil {
		t.Fatalf("connector.NewServer: %v", err)
	}
	clientCred, serverCred, err := subprocess.NewCredentials()
	if err != nil {
		t.Fatal(err)
	}
	stls, err := subprocess.ServerTLS(serverCred)
	if err != nil {
		t.Fatal(err)
	}
	ctls, err := subprocess.ClientTLS(clientCred)
	if err != nil {
		t.Fatal(err)
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	gs := connector.NewGRPCServer(srv, grpc.Creds(credentials.NewTLS(stls)))
	go gs.Serve(lis)
	t.Cleanup(gs.Stop)
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(credentials.NewTLS(ctls)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return contract.NewClient(conn)
}

type kit struct {
	t        testing.TB
	c        contract.Client
	opts     options
	rep      *Report
	inserted map[string]bool // resources known only from grants (InsertResourceGrants)
}

func (k *kit) fatalf(format string, args ...any) {
	k.t.Helper()
	k.t.Fatalf("connectortest: "+format, args...)
}

func (k *kit) valid(what string, m any) {
	k.t.Helper()
	if err := contract.Validate(m); err != nil {
		k.fatalf("%s is invalid: %v", what, err)
	}
}

func (k *kit) metadata(ctx context.Context) {
	md, err := k.c.GetMetadata(ctx, &connectorv2.ConnectorServiceGetMetadataRequest{})
	if err != nil {
		k.fatalf("GetMetadata: %v", err)
	}
	k.valid("metadata", md)
	if md.GetMetadata().GetDisplayName() == "" {
		k.fatalf("metadata has no display name")
	}
	k.rep.Metadata = md.GetMetadata()
	if _, err := k.c.Validate(ctx, &connectorv2.ConnectorServiceValidateRequest{}); err != nil {
		k.fatalf("Validate: %v", err)
	}
}

// pages calls next until the token runs out, failing on a repeated token.
func (k *kit) pages(what string, next func(token string) (string, error)) {
	k.t.Helper()
	token := ""
	for i := 0; ; i++ {
		if i >= k.opts.maxPages {
			k.fatalf("%s: still paging after %d pages", what, i)
		}
		nt, err := next(token)
		if err != nil {
			k.fatalf("%s: %v", what, err)
		}
		if nt == "" {
			return
		}
		if nt == token {
			k.fatalf("%s: page token %q returned twice; paging would never end", what, nt)
		}
		token = nt
	}
}

func (k *kit) resources(ctx context.Context) {
	k.pages("ListResourceTypes", func(tok string) (string, error) {
		resp, err := k.c.ListResourceTypes(ctx, &connectorv2.ResourceTypesServiceListResourceTypesRequest{PageToken: tok})
		k.rep.Types = append(k.rep.Types, resp.GetList()...)
		return resp.GetNextPageToken(), err
	})
	if len(k.rep.Types) == 0 {
		k.fatalf("the connector has no resource types")
	}
	type listing struct {
		typeID string
		parent *connectorv2.ResourceId
	}
	queue := []listing{}
	for _, rt := range k.rep.Types {
		k.valid("resource type "+rt.GetId(), rt)
		queue = append(queue, listing{typeID: rt.GetId()})
	}
	for len(queue) > 0 {
		l := queue[0]
		queue = queue[1:]
		k.pages("ListResources("+l.typeID+")", func(tok string) (string, error) {
			resp, err := k.c.ListResources(ctx, &connectorv2.ResourcesServiceListResourcesRequest{ResourceTypeId: l.typeID, ParentResourceId: l.parent, PageToken: tok})
			for _, r := range resp.GetList() {
				key := r.GetId().GetResourceType() + ":" + r.GetId().GetResource()
				k.valid("resource "+key, r)
				if r.GetId().GetResourceType() != l.typeID {
					k.fatalf("ListResources(%s) returned %s of another type", l.typeID, key)
				}
				if l.parent != nil && (r.GetParentResourceId().GetResourceType() != l.parent.GetResourceType() || r.GetParentResourceId().GetResource() != l.parent.GetResource()) {
					k.fatalf("child %s does not name its parent %s:%s", key, l.parent.GetResourceType(), l.parent.GetResource())
				}
				k.rep.Resources[key] = r
				for _, a := range r.GetAnnotations() {
					var crt connectorv2.ChildResourceType
					if a.MessageIs(&crt) && a.UnmarshalTo(&crt) == nil {
						queue = append(queue, listing{typeID: crt.GetResourceTypeId(), parent: r.GetId()})
					}
				}
			}
			return resp.GetNextPageToken(), err
		})
	}
}

func (k *kit) typeOf(id string) *connectorv2.ResourceType {
	for _, rt := range k.rep.Types {
		if rt.GetId() == id {
			return rt
		}
	}
	return nil
}

func (k *kit) entitlementsAndGrants(ctx context.Context) {
	for _, rt := range k.rep.Types {
		k.pages("ListStaticEntitlements("+rt.GetId()+")", func(tok string) (string, error) {
			resp, err := k.c.ListStaticEntitlements(ctx, &connectorv2.EntitlementsServiceListStaticEntitlementsRequest{ResourceTypeId: rt.GetId(), PageToken: tok})
			for _, e := range resp.GetList() {
				k.valid("static entitlement "+e.GetId(), e)
				if e.GetSlug() == "" {
					k.fatalf("static entitlement %q of %s has no slug", e.GetId(), rt.GetId())
				}
				// A static entitlement exists on every resource of its
				// type, made for it as the syncer makes it: its id and
				// resource those of the resource.
				for _, r := range k.rep.Resources {
					if r.GetId().GetResourceType() == rt.GetId() {
						inst := proto.CloneOf(e)
						inst.Id, inst.Resource = entitlement.ID(r.GetId(), e.GetSlug()), r
						k.rep.Entitlements[inst.GetId()] = inst
					}
				}
			}
			return resp.GetNextPageToken(), err
		})
	}
	for key, r := range k.rep.Resources {
		annos := append(annotations.Annotations(r.GetAnnotations()), k.typeOf(r.GetId().GetResourceType()).GetAnnotations()...)
		skipAll := annos.Contains(&connectorv2.SkipEntitlementsAndGrants{})
		if !skipAll && !annos.Contains(&connectorv2.SkipEntitlements{}) {
			k.pages("ListEntitlements("+key+")", func(tok string) (string, error) {
				resp, err := k.c.ListEntitlements(ctx, &connectorv2.EntitlementsServiceListEntitlementsRequest{Resource: r, PageToken: tok})
				for _, e := range resp.GetList() {
					k.valid("entitlement "+e.GetId(), e)
					rid := e.GetResource().GetId()
					if rid.GetResourceType() != r.GetId().GetResourceType() || rid.GetResource() != r.GetId().GetResource() {
						k.fatalf("entitlement %q listed for %s belongs to %s:%s", e.GetId(), key, rid.GetResourceType(), rid.GetResource())
					}
					if e.GetSlug() != "" && e.GetId() != entitlement.ID(rid, e.GetSlug()) {
						k.fatalf("entitlement id %q does not follow <type>:<id>:<slug> (want %q)", e.GetId(), entitlement.ID(rid, e.GetSlug()))
					}
					k.rep.Entitlements[e.GetId()] = e
				}
				return resp.GetNextPageToken(), err
			})
		}
		if !skipAll && !annos.Contains(&connectorv2.SkipGrants{}) {
			k.pages("ListGrants("+key+")", func(tok string) (string, error) {
				resp, err := k.c.ListGrants(ctx, &connectorv2.GrantsServiceListGrantsRequest{Resource: r, PageToken: tok})
				// Resources the connector discovers only through grants
				// arrive on the grants' entitlements, flagged by
				// InsertResourceGrants: the syncer stores them, as Baton's does.
				inserts := annotations.Annotations(resp.GetAnnotations()).Contains(&connectorv2.InsertResourceGrants{})
				for _, g := range resp.GetList() {
					if inserts {
						e := g.GetEntitlement()
						res := e.GetResource()
						key := res.GetId().GetResourceType() + ":" + res.GetId().GetResource()
						k.valid("resource inserted from a grant", res)
						if _, listed := k.rep.Resources[key]; !listed {
							k.rep.Resources[key] = res
							k.inserted[key] = true
						}
						if _, listed := k.rep.Entitlements[e.GetId()]; !listed {
							k.rep.Entitlements[e.GetId()] = e
						}
					}
					k.valid("grant "+g.GetId(), g)
					if want := grant.ID(g.GetEntitlement().GetId(), g.GetPrincipal().GetId()); g.GetId() != want {
						k.fatalf("grant id %q does not follow <entitlement id>:<principal type>:<principal id> (want %q)", g.GetId(), want)
					}
					k.rep.Grants = append(k.rep.Grants, g)
				}
				return resp.GetNextPageToken(), err
			})
		}
	}
}

func (k *kit) checkGrants() {
	for _, g := range k.rep.Grants {
		if _, ok := k.rep.Entitlements[g.GetEntitlement().GetId()]; !ok {
			k.fatalf("grant %q is of entitlement %q, which no resource lists", g.GetId(), g.GetEntitlement().GetId())
		}
		p := g.GetPrincipal().GetId()
		if _, ok := k.rep.Resources[p.GetResourceType()+":"+p.GetResource()]; !ok {
			k.fatalf("grant %q is held by %s:%s, which ListResources does not return", g.GetId(), p.GetResourceType(), p.GetResource())
		}
		for _, a := range g.GetAnnotations() {
			var ge connectorv2.GrantExpandable
			if a.MessageIs(&ge) && a.UnmarshalTo(&ge) == nil {
				for _, id := range ge.GetEntitlementIds() {
					if _, ok := k.rep.Entitlements[id]; !ok {
						k.fatalf("grant %q expands from entitlement %q, which no resource lists", g.GetId(), id)
					}
				}
			}
		}
	}
}

func (k *kit) has(c connectorv2.Capability) bool {
	return slices.Contains(k.rep.Metadata.GetCapabilities().GetConnectorCapabilities(), c)
}

// capabilities exercises what the metadata claims, read-only unless
// WithProvisioning was given.
func (k *kit) capabilities(ctx context.Context) {
	for _, rtc := range k.rep.Metadata.GetCapabilities().GetResourceTypeCapabilities() {
		typeID := rtc.GetResourceType().GetId()
		if slices.Contains(rtc.GetCapabilities(), connectorv2.Capability_CAPABILITY_TARGETED_SYNC) {
			for key, r := range k.rep.Resources {
				if r.GetId().GetResourceType() != typeID || k.inserted[key] {
					continue
				}
				resp, err := k.c.GetResource(ctx, &connectorv2.ResourceGetterServiceGetResourceRequest{ResourceId: r.GetId(), ParentResourceId: r.GetParentResourceId()})
				if err != nil {
					k.fatalf("GetResource(%s:%s): %v", typeID, r.GetId().GetResource(), err)
				}
				if resp.GetResource().GetId().GetResource() != r.GetId().GetResource() {
					k.fatalf("GetResource(%s:%s) returned %v", typeID, r.GetId().GetResource(), resp.GetResource().GetId())
				}
				break
			}
		}
		if k.opts.provisioning && slices.Contains(rtc.GetCapabilities(), connectorv2.Capability_CAPABILITY_PROVISION) {
			k.grantAndRevoke(ctx, typeID)
		}
	}
	if k.has(connectorv2.Capability_CAPABILITY_TICKETING) {
		k.pages("ListTicketSchemas", func(tok string) (string, error) {
			resp, err := k.c.ListTicketSchemas(ctx, &connectorv2.TicketsServiceListTicketSchemasRequest{PageToken: tok})
			return resp.GetNextPageToken(), err
		})
	}
	if k.has(connectorv2.Capability_CAPABILITY_EVENT_FEED_V2) {
		feeds, err := k.c.ListEventFeeds(ctx, &connectorv2.ListEventFeedsRequest{})
		if err != nil {
			k.fatalf("ListEventFeeds: %v", err)
		}
		for _, f := range feeds.GetList() {
			k.valid("event feed "+f.GetId(), f)
			cursor := ""
			for i := 0; ; i++ {
				resp, err := k.c.ListEvents(ctx, &connectorv2.ListEventsRequest{EventFeedId: f.GetId(), Cursor: cursor})
				if err != nil {
					k.fatalf("ListEvents(%s): %v", f.GetId(), err)
				}
				if !resp.GetHasMore() {
					break
				}
				if resp.GetCursor() == cursor || i >= k.opts.maxPages {
					k.fatalf("ListEvents(%s): has_more with no progress (cursor %q)", f.GetId(), cursor)
				}
				cursor = resp.GetCursor()
			}
		}
	}
	if k.has(connectorv2.Capability_CAPABILITY_ACTIONS) {
		resp, err := k.c.ListActionSchemas(ctx, &connectorv2.ListActionSchemasRequest{})
		if err != nil {
			k.fatalf("ListActionSchemas: %v", err)
		}
		for _, s := range resp.GetSchemas() {
			if s.GetName() == "" {
				k.fatalf("an action schema has no name")
			}
		}
	}
}

// grantAndRevoke gives the first principal that lacks it one grantable
// entitlement of typeID, checks the returned grants, then revokes it.
func (k *kit) grantAndRevoke(ctx context.Context, typeID string) {
	held := map[string]bool{}
	for _, g := range k.rep.Grants {
		held[g.GetId()] = true
	}
	// In id order, so a run picks the same pair every time.
	for _, eid := range slices.Sorted(maps.Keys(k.rep.Entitlements)) {
		e := k.rep.Entitlements[eid]
		if e.GetResource().GetId().GetResourceType() != typeID || len(e.GetGrantableTo()) == 0 {
			continue
		}
		for _, pid := range slices.Sorted(maps.Keys(k.rep.Resources)) {
			p := k.rep.Resources[pid]
			if !slices.ContainsFunc(e.GetGrantableTo(), func(rt *connectorv2.ResourceType) bool { return rt.GetId() == p.GetId().GetResourceType() }) ||
				held[grant.ID(e.GetId(), p.GetId())] || (k.opts.grantable != nil && !k.opts.grantable(e, p)) {
				continue
			}
			resp, err := k.c.Grant(ctx, &connectorv2.GrantManagerServiceGrantRequest{Entitlement: e, Principal: p})
			if err != nil {
				k.fatalf("Grant(%s to %s): %v", e.GetId(), p.GetId().GetResource(), err)
			}
			for _, g := range resp.GetGrants() {
				k.valid("granted "+g.GetId(), g)
			}
			g := grant.Of(e, p)
			if _, err := k.c.Revoke(ctx, &connectorv2.GrantManagerServiceRevokeRequest{Grant: g}); err != nil && status.Code(err) != codes.NotFound {
				k.fatalf("Revoke(%s): %v", g.GetId(), err)
			}
			return
		}
	}
}
