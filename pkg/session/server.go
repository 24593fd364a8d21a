package session

import (
	"context"
	"fmt"
	"sync"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	batonv1 "github.com/batonkit/batonkit/pb/c1/connectorapi/baton/v1"
)

// Entry is one key and its value.
type Entry struct {
	Key   string
	Value []byte
}

// Backend is where values live; *c1z.Store is one.
type Backend interface {
	SessionGet(ctx context.Context, syncID, key string) ([]byte, bool, error)
	SessionSetMany(ctx context.Context, syncID string, values map[string][]byte) error
	SessionDelete(ctx context.Context, syncID string, keys ...string) error
	SessionClear(ctx context.Context, syncID, prefix string) error
	SessionPage(ctx context.Context, syncID, prefix, from string, n int) ([]Entry, string, error)
}

// pageSize is how many entries GetAll returns at most, as Baton's store.
const pageSize = 100

// Server serves BatonSessionService for the sync bound to it. A parent
// creates it before it starts the connector (the port goes into the
// connector's ServerConfig) and binds it when the sync has an id; calls
// before that, after it, or for another sync are refused.
type Server struct {
	batonv1.UnimplementedBatonSessionServiceServer

	mu      sync.RWMutex
	backend Backend
	syncID  string

	max     int64
	writeMu sync.Mutex // writes one at a time, so the size stays exact
	q       quota      // the bound sync's size (writeMu)
}

// NewServer returns a Server bound to nothing.
func NewServer(opts ...Option) *Server {
	s := &Server{max: DefaultMaxSize}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Bind serves syncID's values from b.
func (s *Server) Bind(b Backend, syncID string) {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	s.mu.Lock()
	s.backend, s.syncID = b, syncID
	s.mu.Unlock()
	s.q = quota{}
}

// Unbind stops serving values (the sync ended).
func (s *Server) Unbind() { s.Bind(nil, "") }

// scope returns the backend for a request's sync.
func (s *Server) scope(syncID string) (Backend, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	switch {
	case s.backend == nil:
		return nil, status.Error(codes.FailedPrecondition, "session store: no sync is running")
	case syncID != s.syncID:
		return nil, status.Errorf(codes.PermissionDenied, "session store: sync %q is not the running sync", syncID)
	}
	return s.backend, nil
}

func storeErr(op string, err error) error {
	if _, ok := status.FromError(err); ok {
		return err
	}
	return status.Errorf(codes.Internal, "session store %s: %v", op, err)
}

// Get implements BatonSessionService.
func (s *Server) Get(ctx context.Context, req *batonv1.GetRequest) (*batonv1.GetResponse, error) {
	b, err := s.scope(req.GetSyncId())
	if err != nil {
		return nil, err
	}
	v, ok, err := b.SessionGet(ctx, req.GetSyncId(), req.GetPrefix()+req.GetKey())
	if err != nil {
		return nil, storeErr("get", err)
	}
	return &batonv1.GetResponse{Value: v, Found: ok}, nil
}

// GetMany implements BatonSessionService.
func (s *Server) GetMany(ctx context.Context, req *batonv1.GetManyRequest) (*batonv1.GetManyResponse, error) {
	b, err := s.scope(req.GetSyncId())
	if err != nil {
		return nil, err
	}
	resp := &batonv1.GetManyResponse{}
	for _, k := range req.GetKeys() {
		v, ok, err := b.SessionGet(ctx, req.GetSyncId(), req.GetPrefix()+k)
		if err != nil {
			return nil, storeErr("get many", err)
		}
		if ok {
			resp.Items = append(resp.Items, &batonv1.GetManyItem{Key: k, Value: v})
		}
	}
	return resp, nil
}

// GetAll implements BatonSessionService.
func (s *Server) GetAll(ctx context.Context, req *batonv1.GetAllRequest) (*batonv1.GetAllResponse, error) {
	b, err := s.scope(req.GetSyncId())
	if err != nil {
		return nil, err
	}
	page, next, err := b.SessionPage(ctx, req.GetSyncId(), req.GetPrefix(), req.GetPageToken(), pageSize)
	if err != nil {
		return nil, storeErr("get all", err)
	}
	resp := &batonv1.GetAllResponse{PageToken: next}
	for _, e := range page {
		resp.Items = append(resp.Items, &batonv1.GetAllItem{Key: e.Key[len(req.GetPrefix()):], Value: e.Value})
	}
	return resp, nil
}

// Set implements BatonSessionService.
func (s *Server) Set(ctx context.Context, req *batonv1.SetRequest) (*batonv1.SetResponse, error) {
	b, err := s.scope(req.GetSyncId())
	if err != nil {
		return nil, err
	}
	if err := s.set(ctx, b, req.GetSyncId(), map[string][]byte{req.GetPrefix() + req.GetKey(): req.GetValue()}); err != nil {
		return nil, storeErr("set", err)
	}
	return &batonv1.SetResponse{}, nil
}

// SetMany implements BatonSessionService.
func (s *Server) SetMany(ctx context.Context, req *batonv1.SetManyRequest) (*batonv1.SetManyResponse, error) {
	b, err := s.scope(req.GetSyncId())
	if err != nil {
		return nil, err
	}
	values := make(map[string][]byte, len(req.GetValues()))
	for k, v := range req.GetValues() {
		values[req.GetPrefix()+k] = v
	}
	if err := s.set(ctx, b, req.GetSyncId(), values); err != nil {
		return nil, storeErr("set many", err)
	}
	return &batonv1.SetManyResponse{}, nil
}

// Delete implements BatonSessionService.
func (s *Server) Delete(ctx context.Context, req *batonv1.DeleteRequest) (*batonv1.DeleteResponse, error) {
	b, err := s.scope(req.GetSyncId())
	if err != nil {
		return nil, err
	}
	if err := s.delete(ctx, b, req.GetSyncId(), req.GetPrefix()+req.GetKey()); err != nil {
		return nil, storeErr("delete", err)
	}
	return &batonv1.DeleteResponse{}, nil
}

// DeleteMany implements BatonSessionService.
func (s *Server) DeleteMany(ctx context.Context, req *batonv1.DeleteManyRequest) (*batonv1.DeleteManyResponse, error) {
	b, err := s.scope(req.GetSyncId())
	if err != nil {
		return nil, err
	}
	keys := make([]string, len(req.GetKeys()))
	for i, k := range req.GetKeys() {
		keys[i] = req.GetPrefix() + k
	}
	if err := s.delete(ctx, b, req.GetSyncId(), keys...); err != nil {
		return nil, storeErr("delete many", err)
	}
	return &batonv1.DeleteManyResponse{}, nil
}

// Clear implements BatonSessionService.
func (s *Server) Clear(ctx context.Context, req *batonv1.ClearRequest) (*batonv1.ClearResponse, error) {
	b, err := s.scope(req.GetSyncId())
	if err != nil {
		return nil, err
	}
	s.writeMu.Lock()
	err = b.SessionClear(ctx, req.GetSyncId(), req.GetPrefix())
	s.q.known = false // counted again at the next write
	s.writeMu.Unlock()
	if err != nil {
		return nil, storeErr("clear", err)
	}
	return &batonv1.ClearResponse{}, nil
}

// set writes values within the sync's size.
func (s *Server) set(ctx context.Context, b Backend, syncID string, values map[string][]byte) error {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	delta, err := s.admitLocked(ctx, b, syncID, values)
	if err != nil {
		return err
	}
	if err := b.SessionSetMany(ctx, syncID, values); err != nil {
		s.q.known = false
		return err
	}
	s.q.used += delta
	return nil
}

// delete removes keys and gives their bytes back.
func (s *Server) delete(ctx context.Context, b Backend, syncID string, keys ...string) error {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	freed, err := s.freedLocked(ctx, b, syncID, keys)
	if err != nil {
		return err
	}
	if err := b.SessionDelete(ctx, syncID, keys...); err != nil {
		s.q.known = false
		return err
	}
	s.q.used -= freed
	return nil
}

// validating rejects requests that break the contract's rules before they
// reach the backend, as a served connector's interceptor does.
func validating(req any) error {
	if v, ok := req.(interface{ Validate() error }); ok {
		if err := v.Validate(); err != nil {
			return status.Error(codes.InvalidArgument, fmt.Sprintf("session store: %v", err))
		}
	}
	return nil
}
