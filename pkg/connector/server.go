package connector

import (
	"context"
	"fmt"
	"log/slog"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"

	connectorv2 "github.com/batonkit/batonkit/pb/c1/connector/v2"
	batonv1 "github.com/batonkit/batonkit/pb/c1/connectorapi/baton/v1"
	"github.com/batonkit/batonkit/pkg/annotations"
	"github.com/batonkit/batonkit/pkg/contract"
	"github.com/batonkit/batonkit/pkg/session"
)

// SDKVersion is reported by ConnectorService.Validate.
const SDKVersion = "batonkit/v0.1.0"

// Server serves every c1.connector.v2 service for one Connector. Create it
// with NewServer; serve it with NewGRPCServer, or call it in-process with
// InProcessClient.
type Server struct {
	contract.UnimplementedServer

	c       Connector
	log     *slog.Logger
	order   []string
	syncers map[string]ResourceSyncer
	types   map[string]*connectorv2.ResourceType
	// sessions reaches the session store of the process running the sync.
	sessions batonv1.BatonSessionServiceClient
}

var _ contract.Server = (*Server)(nil)

// ServerOption configures NewServer.
type ServerOption func(*Server)

// WithLogger sets the server's logger (default slog.Default()).
func WithLogger(l *slog.Logger) ServerOption { return func(s *Server) { s.log = l } }

// WithSessions gives the connector a session store: every sync call's
// context then carries the store of its sync (session.FromContext).
// pkg/runner sets it, in process and as a child; most authors never do.
func WithSessions(c batonv1.BatonSessionServiceClient) ServerOption {
	return func(s *Server) { s.sessions = c }
}

// withSession puts the store of the call's sync into ctx.
func (s *Server) withSession(ctx context.Context, syncID string) context.Context {
	if s.sessions == nil || syncID == "" {
		return ctx
	}
	return session.NewContext(ctx, session.New(s.sessions, syncID))
}

// NewServer checks c's resource syncers (each type once, with an id) and
// returns a server for it.
func NewServer(ctx context.Context, c Connector, opts ...ServerOption) (*Server, error) {
	s := &Server{c: c, log: slog.Default(), syncers: map[string]ResourceSyncer{}, types: map[string]*connectorv2.ResourceType{}}
	for _, o := range opts {
		o(s)
	}
	for _, rs := range c.ResourceSyncers(ctx) {
		rt := rs.ResourceType(ctx)
		id := rt.GetId()
		if id == "" {
			return nil, fmt.Errorf("connector: a resource syncer (%T) has a resource type without an id", rs)
		}
		if _, dup := s.syncers[id]; dup {
			return nil, fmt.Errorf("connector: resource type %q is synced by two resource syncers", id)
		}
		s.syncers[id], s.types[id] = rs, announceTypeScoped(rt, rs)
		s.order = append(s.order, id)
	}
	return s, nil
}

// announceTypeScoped adds the TypeScoped* annotations to a type whose
// syncer lists its entitlements or grants per type, so every syncer (ours
// or Baton's) calls it that way.
func announceTypeScoped(rt *connectorv2.ResourceType, rs ResourceSyncer) *connectorv2.ResourceType {
	annos := annotations.Annotations(rt.GetAnnotations())
	if _, ok := rs.(TypeEntitlementLister); ok && !annos.Contains(&connectorv2.TypeScopedEntitlements{}) {
		annos = annos.With(&connectorv2.TypeScopedEntitlements{})
	}
	if _, ok := rs.(TypeGrantLister); ok && !annos.Contains(&connectorv2.TypeScopedGrants{}) {
		annos = annos.With(&connectorv2.TypeScopedGrants{})
	}
	if len(annos) == len(rt.GetAnnotations()) {
		return rt
	}
	rt = proto.Clone(rt).(*connectorv2.ResourceType)
	rt.Annotations = annos
	return rt
}

// withFanout turns a page's Fanout into the EnqueuePageTokens annotation.
func withFanout[T any](p Page[T]) annotations.Annotations {
	if len(p.Fanout) == 0 {
		return p.Annotations
	}
	return p.Annotations.With(&connectorv2.EnqueuePageTokens{PageTokens: p.Fanout, EstimatedTotal: p.EstimatedTotal})
}

// noFanout refuses Fanout where the protocol has no place for it.
func noFanout[T any](call string, p Page[T]) error {
	if len(p.Fanout) > 0 {
		return status.Errorf(codes.Internal, "%s returned Page.Fanout, which only entitlement and grant listings may use", call)
	}
	return nil
}

func (s *Server) syncer(typeID string) (ResourceSyncer, error) {
	rs, ok := s.syncers[typeID]
	if !ok {
		return nil, unknownType(typeID)
	}
	return rs, nil
}

// GetMetadata implements ConnectorService.
func (s *Server) GetMetadata(ctx context.Context, _ *connectorv2.ConnectorServiceGetMetadataRequest) (*connectorv2.ConnectorServiceGetMetadataResponse, error) {
	md, err := s.c.Metadata(ctx)
	if err != nil {
		return nil, toStatus(err)
	}
	if md == nil {
		md = &connectorv2.ConnectorMetadata{}
	}
	md.Capabilities = s.capabilities(ctx)
	return &connectorv2.ConnectorServiceGetMetadataResponse{Metadata: md}, nil
}

// Validate implements ConnectorService.
func (s *Server) Validate(ctx context.Context, _ *connectorv2.ConnectorServiceValidateRequest) (*connectorv2.ConnectorServiceValidateResponse, error) {
	annos, err := s.c.Validate(ctx)
	if err != nil {
		return nil, toStatus(err)
	}
	return &connectorv2.ConnectorServiceValidateResponse{Annotations: annos, SdkVersion: SDKVersion}, nil
}

// Cleanup implements ConnectorService.
func (s *Server) Cleanup(ctx context.Context, _ *connectorv2.ConnectorServiceCleanupRequest) (*connectorv2.ConnectorServiceCleanupResponse, error) {
	if cl, ok := s.c.(Cleaner); ok {
		if err := cl.Cleanup(ctx); err != nil {
			return nil, toStatus(err)
		}
	}
	return &connectorv2.ConnectorServiceCleanupResponse{}, nil
}

// ListResourceTypes implements ResourceTypesService: all types, one page.
func (s *Server) ListResourceTypes(context.Context, *connectorv2.ResourceTypesServiceListResourceTypesRequest) (*connectorv2.ResourceTypesServiceListResourceTypesResponse, error) {
	resp := &connectorv2.ResourceTypesServiceListResourceTypesResponse{}
	for _, id := range s.order {
		resp.List = append(resp.List, s.types[id])
	}
	return resp, nil
}

func pageRequest(token string, size uint32, syncID string, annos []*anypb.Any) PageRequest {
	return PageRequest{Token: token, Size: int(size), SyncID: syncID, Annotations: annotations.Annotations(annos)}
}

// ListResources implements ResourcesService.
func (s *Server) ListResources(ctx context.Context, req *connectorv2.ResourcesServiceListResourcesRequest) (*connectorv2.ResourcesServiceListResourcesResponse, error) {
	ctx = s.withSession(ctx, req.GetActiveSyncId())
	rs, err := s.syncer(req.GetResourceTypeId())
	if err != nil {
		return nil, err
	}
	p, err := rs.List(ctx, req.GetParentResourceId(), pageRequest(req.GetPageToken(), req.GetPageSize(), req.GetActiveSyncId(), req.GetAnnotations()))
	if err != nil {
		return nil, toStatus(err)
	}
	if err := noFanout("List", p); err != nil {
		return nil, err
	}
	return &connectorv2.ResourcesServiceListResourcesResponse{List: p.Items, NextPageToken: p.NextToken, Annotations: p.Annotations}, nil
}

// GetResource implements ResourceGetterService.
func (s *Server) GetResource(ctx context.Context, req *connectorv2.ResourceGetterServiceGetResourceRequest) (*connectorv2.ResourceGetterServiceGetResourceResponse, error) {
	ctx = s.withSession(ctx, req.GetActiveSyncId())
	typeID := req.GetResourceId().GetResourceType()
	rs, err := s.syncer(typeID)
	if err != nil {
		return nil, err
	}
	g, ok := rs.(ResourceGetter)
	if !ok {
		return nil, unimplemented("ResourceGetter", typeID)
	}
	r, annos, err := g.Get(ctx, req.GetResourceId(), req.GetParentResourceId())
	if err != nil {
		return nil, toStatus(err)
	}
	return &connectorv2.ResourceGetterServiceGetResourceResponse{Resource: r, Annotations: annos}, nil
}

// ListEntitlements implements EntitlementsService.
func (s *Server) ListEntitlements(ctx context.Context, req *connectorv2.EntitlementsServiceListEntitlementsRequest) (*connectorv2.EntitlementsServiceListEntitlementsResponse, error) {
	ctx = s.withSession(ctx, req.GetActiveSyncId())
	if req.GetResource().GetId() == nil {
		return nil, invalid("ListEntitlements needs a resource")
	}
	rs, err := s.syncer(req.GetResource().GetId().GetResourceType())
	if err != nil {
		return nil, err
	}
	pr := pageRequest(req.GetPageToken(), req.GetPageSize(), req.GetActiveSyncId(), req.GetAnnotations())
	var p Page[*connectorv2.Entitlement]
	if pr.Annotations.Contains(&connectorv2.TypeScopedEntitlements{}) {
		tl, ok := rs.(TypeEntitlementLister)
		if !ok {
			return nil, unimplemented("TypeEntitlementLister", req.GetResource().GetId().GetResourceType())
		}
		p, err = tl.TypeEntitlements(ctx, pr)
	} else {
		p, err = rs.Entitlements(ctx, req.GetResource(), pr)
	}
	if err != nil {
		return nil, toStatus(err)
	}
	return &connectorv2.EntitlementsServiceListEntitlementsResponse{List: p.Items, NextPageToken: p.NextToken, Annotations: withFanout(p)}, nil
}

// ListStaticEntitlements implements EntitlementsService. Types without
// static entitlements answer an empty list.
func (s *Server) ListStaticEntitlements(ctx context.Context, req *connectorv2.EntitlementsServiceListStaticEntitlementsRequest) (*connectorv2.EntitlementsServiceListStaticEntitlementsResponse, error) {
	ctx = s.withSession(ctx, req.GetActiveSyncId())
	rs, err := s.syncer(req.GetResourceTypeId())
	if err != nil {
		return nil, err
	}
	sl, ok := rs.(StaticEntitlementLister)
	if !ok {
		return &connectorv2.EntitlementsServiceListStaticEntitlementsResponse{}, nil
	}
	p, err := sl.StaticEntitlements(ctx, pageRequest(req.GetPageToken(), req.GetPageSize(), req.GetActiveSyncId(), req.GetAnnotations()))
	if err != nil {
		return nil, toStatus(err)
	}
	if err := noFanout("StaticEntitlements", p); err != nil {
		return nil, err
	}
	return &connectorv2.EntitlementsServiceListStaticEntitlementsResponse{List: p.Items, NextPageToken: p.NextToken, Annotations: p.Annotations}, nil
}

// ListGrants implements GrantsService.
func (s *Server) ListGrants(ctx context.Context, req *connectorv2.GrantsServiceListGrantsRequest) (*connectorv2.GrantsServiceListGrantsResponse, error) {
	ctx = s.withSession(ctx, req.GetActiveSyncId())
	rs, err := s.syncer(req.GetResource().GetId().GetResourceType())
	if err != nil {
		return nil, err
	}
	pr := pageRequest(req.GetPageToken(), req.GetPageSize(), req.GetActiveSyncId(), req.GetAnnotations())
	var p Page[*connectorv2.Grant]
	if pr.Annotations.Contains(&connectorv2.TypeScopedGrants{}) {
		tl, ok := rs.(TypeGrantLister)
		if !ok {
			return nil, unimplemented("TypeGrantLister", req.GetResource().GetId().GetResourceType())
		}
		p, err = tl.TypeGrants(ctx, pr)
	} else {
		p, err = rs.Grants(ctx, req.GetResource(), pr)
	}
	if err != nil {
		return nil, toStatus(err)
	}
	return &connectorv2.GrantsServiceListGrantsResponse{List: p.Items, NextPageToken: p.NextToken, Annotations: withFanout(p)}, nil
}
