package connector

import (
	"context"
	"errors"
	"io"

	"google.golang.org/grpc"

	connectorv2 "github.com/batonkit/batonkit/pb/c1/connector/v2"
)

// Connector-level capabilities: tickets, event feeds, actions and assets.

func (s *Server) tickets() (TicketManager, error) {
	tm, ok := s.c.(TicketManager)
	if !ok {
		return nil, unimplemented("TicketManager", "")
	}
	return tm, nil
}

// ListTicketSchemas implements TicketsService.
func (s *Server) ListTicketSchemas(ctx context.Context, req *connectorv2.TicketsServiceListTicketSchemasRequest) (*connectorv2.TicketsServiceListTicketSchemasResponse, error) {
	tm, err := s.tickets()
	if err != nil {
		return nil, err
	}
	p, err := tm.ListTicketSchemas(ctx, pageRequest(req.GetPageToken(), req.GetPageSize(), "", req.GetAnnotations()))
	if err != nil {
		return nil, toStatus(err)
	}
	return &connectorv2.TicketsServiceListTicketSchemasResponse{List: p.Items, NextPageToken: p.NextToken, Annotations: p.Annotations}, nil
}

// GetTicketSchema implements TicketsService.
func (s *Server) GetTicketSchema(ctx context.Context, req *connectorv2.TicketsServiceGetTicketSchemaRequest) (*connectorv2.TicketsServiceGetTicketSchemaResponse, error) {
	tm, err := s.tickets()
	if err != nil {
		return nil, err
	}
	sc, annos, err := tm.GetTicketSchema(ctx, req.GetId())
	if err != nil {
		return nil, toStatus(err)
	}
	return &connectorv2.TicketsServiceGetTicketSchemaResponse{Schema: sc, Annotations: annos}, nil
}

// CreateTicket implements TicketsService.
func (s *Server) CreateTicket(ctx context.Context, req *connectorv2.TicketsServiceCreateTicketRequest) (*connectorv2.TicketsServiceCreateTicketResponse, error) {
	tm, err := s.tickets()
	if err != nil {
		return nil, err
	}
	t, annos, err := tm.CreateTicket(ctx, req.GetRequest(), req.GetSchema())
	if err != nil {
		return nil, toStatus(err)
	}
	return &connectorv2.TicketsServiceCreateTicketResponse{Ticket: t, Annotations: annos}, nil
}

// GetTicket implements TicketsService.
func (s *Server) GetTicket(ctx context.Context, req *connectorv2.TicketsServiceGetTicketRequest) (*connectorv2.TicketsServiceGetTicketResponse, error) {
	tm, err := s.tickets()
	if err != nil {
		return nil, err
	}
	t, annos, err := tm.GetTicket(ctx, req.GetId())
	if err != nil {
		return nil, toStatus(err)
	}
	return &connectorv2.TicketsServiceGetTicketResponse{Ticket: t, Annotations: annos}, nil
}

// BulkCreateTickets implements TicketsService: one CreateTicket per
// request; a failure is reported in that ticket's error field and does not
// stop the others.
func (s *Server) BulkCreateTickets(ctx context.Context, req *connectorv2.TicketsServiceBulkCreateTicketsRequest) (*connectorv2.TicketsServiceBulkCreateTicketsResponse, error) {
	if _, err := s.tickets(); err != nil {
		return nil, err
	}
	resp := &connectorv2.TicketsServiceBulkCreateTicketsResponse{}
	for _, r := range req.GetTicketRequests() {
		one, err := s.CreateTicket(ctx, r)
		if err != nil {
			one = &connectorv2.TicketsServiceCreateTicketResponse{Error: err.Error()}
		}
		resp.Tickets = append(resp.Tickets, one)
	}
	return resp, nil
}

// BulkGetTickets implements TicketsService, like BulkCreateTickets.
func (s *Server) BulkGetTickets(ctx context.Context, req *connectorv2.TicketsServiceBulkGetTicketsRequest) (*connectorv2.TicketsServiceBulkGetTicketsResponse, error) {
	if _, err := s.tickets(); err != nil {
		return nil, err
	}
	resp := &connectorv2.TicketsServiceBulkGetTicketsResponse{}
	for _, r := range req.GetTicketRequests() {
		one, err := s.GetTicket(ctx, r)
		if err != nil {
			one = &connectorv2.TicketsServiceGetTicketResponse{Error: err.Error()}
		}
		resp.Tickets = append(resp.Tickets, one)
	}
	return resp, nil
}

// ListEventFeeds implements EventService.
func (s *Server) ListEventFeeds(ctx context.Context, _ *connectorv2.ListEventFeedsRequest) (*connectorv2.ListEventFeedsResponse, error) {
	ep, ok := s.c.(EventFeedProvider)
	if !ok {
		return nil, unimplemented("EventFeedProvider", "")
	}
	resp := &connectorv2.ListEventFeedsResponse{}
	for _, f := range ep.EventFeeds(ctx) {
		resp.List = append(resp.List, f.EventFeedMetadata(ctx))
	}
	return resp, nil
}

// ListEvents implements EventService. An empty feed id means the first feed.
func (s *Server) ListEvents(ctx context.Context, req *connectorv2.ListEventsRequest) (*connectorv2.ListEventsResponse, error) {
	ep, ok := s.c.(EventFeedProvider)
	if !ok {
		return nil, unimplemented("EventFeedProvider", "")
	}
	var feed EventFeed
	for _, f := range ep.EventFeeds(ctx) {
		if req.GetEventFeedId() == "" || f.EventFeedMetadata(ctx).GetId() == req.GetEventFeedId() {
			feed = f
			break
		}
	}
	if feed == nil {
		return nil, toStatus(errors.Join(ErrNotFound, errors.New("event feed "+req.GetEventFeedId())))
	}
	er := EventRequest{Cursor: req.GetCursor(), Size: int(req.GetPageSize())}
	if req.GetStartAt() != nil {
		er.StartAt = req.GetStartAt().AsTime()
	}
	p, err := feed.ListEvents(ctx, er)
	if err != nil {
		return nil, toStatus(err)
	}
	return &connectorv2.ListEventsResponse{Events: p.Events, Cursor: p.Cursor, HasMore: p.HasMore, Annotations: p.Annotations}, nil
}

func (s *Server) actions() (ActionManager, error) {
	am, ok := s.c.(ActionManager)
	if !ok {
		return nil, unimplemented("ActionManager", "")
	}
	return am, nil
}

// ListActionSchemas implements ActionService.
func (s *Server) ListActionSchemas(ctx context.Context, req *connectorv2.ListActionSchemasRequest) (*connectorv2.ListActionSchemasResponse, error) {
	am, err := s.actions()
	if err != nil {
		return nil, err
	}
	schemas, err := am.ActionSchemas(ctx, req.GetResourceTypeId())
	if err != nil {
		return nil, toStatus(err)
	}
	return &connectorv2.ListActionSchemasResponse{Schemas: schemas}, nil
}

// GetActionSchema implements ActionService.
func (s *Server) GetActionSchema(ctx context.Context, req *connectorv2.GetActionSchemaRequest) (*connectorv2.GetActionSchemaResponse, error) {
	am, err := s.actions()
	if err != nil {
		return nil, err
	}
	schemas, err := am.ActionSchemas(ctx, "")
	if err != nil {
		return nil, toStatus(err)
	}
	for _, sc := range schemas {
		if sc.GetName() == req.GetName() {
			return &connectorv2.GetActionSchemaResponse{Schema: sc}, nil
		}
	}
	return nil, toStatus(errors.Join(ErrNotFound, errors.New("action "+req.GetName())))
}

// InvokeAction implements ActionService.
func (s *Server) InvokeAction(ctx context.Context, req *connectorv2.InvokeActionRequest) (*connectorv2.InvokeActionResponse, error) {
	am, err := s.actions()
	if err != nil {
		return nil, err
	}
	st, err := am.InvokeAction(ctx, req.GetName(), req.GetResourceTypeId(), req.GetArgs())
	if err != nil {
		return nil, toStatus(err)
	}
	return &connectorv2.InvokeActionResponse{Id: st.ID, Name: req.GetName(), Status: st.Status, Response: st.Response, Annotations: st.Annotations}, nil
}

// GetActionStatus implements ActionService.
func (s *Server) GetActionStatus(ctx context.Context, req *connectorv2.GetActionStatusRequest) (*connectorv2.GetActionStatusResponse, error) {
	am, err := s.actions()
	if err != nil {
		return nil, err
	}
	st, err := am.ActionStatus(ctx, req.GetId())
	if err != nil {
		return nil, toStatus(err)
	}
	return &connectorv2.GetActionStatusResponse{Id: req.GetId(), Name: req.GetName(), Status: st.Status, Response: st.Response, Annotations: st.Annotations}, nil
}

// assetChunk is the largest Data message the contract allows.
const assetChunk = 1 << 20

// GetAsset implements AssetService: a Metadata message, then the bytes in
// chunks of at most 1 MiB.
func (s *Server) GetAsset(req *connectorv2.AssetServiceGetAssetRequest, stream grpc.ServerStreamingServer[connectorv2.AssetServiceGetAssetResponse]) error {
	ag, ok := s.c.(AssetGetter)
	if !ok {
		return unimplemented("AssetGetter", "")
	}
	ctx := stream.Context()
	ct, body, err := ag.GetAsset(ctx, req.GetAsset())
	if err != nil {
		return toStatus(err)
	}
	defer body.Close()
	if err := stream.Send(&connectorv2.AssetServiceGetAssetResponse{Msg: &connectorv2.AssetServiceGetAssetResponse_Metadata_{
		Metadata: &connectorv2.AssetServiceGetAssetResponse_Metadata{ContentType: ct}}}); err != nil {
		return err
	}
	buf := make([]byte, assetChunk)
	for {
		n, rerr := io.ReadFull(body, buf)
		if n > 0 {
			if err := stream.Send(&connectorv2.AssetServiceGetAssetResponse{Msg: &connectorv2.AssetServiceGetAssetResponse_Data_{
				Data: &connectorv2.AssetServiceGetAssetResponse_Data{Data: append([]byte(nil), buf[:n]...)}}}); err != nil {
				return err
			}
		}
		if rerr == io.EOF || rerr == io.ErrUnexpectedEOF {
			return nil
		}
		if rerr != nil {
			return toStatus(rerr)
		}
	}
}
