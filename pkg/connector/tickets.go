package connector

import (
	"context"

	connectorv2 "github.com/batonkit/batonkit/pb/c1/connector/v2"
)

// The TicketsService: a connector that implements TicketManager opens
// and reads tickets in the app's ticketing system.

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
