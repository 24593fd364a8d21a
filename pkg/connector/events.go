package connector

import (
	"context"
	"errors"

	connectorv2 "github.com/batonkit/batonkit/pb/c1/connector/v2"
)

// The EventService: a connector that implements EventFeedProvider
// reports what changed in the app since a point in time.

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
