package connector

import (
	"context"
	"errors"

	connectorv2 "github.com/batonkit/batonkit/pb/c1/connector/v2"
)

// The ActionService: custom operations a connector that implements
// ActionManager offers beyond grant and revoke.

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
