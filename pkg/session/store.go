package session

import (
	"context"
	"errors"
	"iter"
	"slices"

	"google.golang.org/grpc"

	batonv1 "github.com/batonkit/batonkit/pb/c1/connectorapi/baton/v1"
)

// ErrNoStore is returned by a Store when the process running the sync
// offers none (an old parent, a one-shot call outside a sync).
var ErrNoStore = errors.New("no session store: the sync runner offers none")

// Store is a connector's view of the session store: one sync, and an
// optional key prefix. Its zero value (and a nil *Store) answers
// ErrNoStore.
type Store struct {
	client batonv1.BatonSessionServiceClient
	syncID string
	prefix string
}

// New returns the store of syncID reached through client.
func New(client batonv1.BatonSessionServiceClient, syncID string) *Store {
	return &Store{client: client, syncID: syncID}
}

// WithPrefix returns the same store with keys namespaced by prefix.
func (s *Store) WithPrefix(prefix string) *Store {
	if s == nil {
		return nil
	}
	c := *s
	c.prefix += prefix
	return &c
}

func (s *Store) ok() error {
	if s == nil || s.client == nil || s.syncID == "" {
		return ErrNoStore
	}
	return nil
}

// Get returns the value under key and whether it exists.
func (s *Store) Get(ctx context.Context, key string) ([]byte, bool, error) {
	if err := s.ok(); err != nil {
		return nil, false, err
	}
	resp, err := s.client.Get(ctx, &batonv1.GetRequest{SyncId: s.syncID, Key: key, Prefix: s.prefix})
	return resp.GetValue(), resp.GetFound(), err
}

// GetMany returns the values of the keys that exist, asking 100 keys at a
// time (repeated keys are asked once).
func (s *Store) GetMany(ctx context.Context, keys []string) (map[string][]byte, error) {
	if err := s.ok(); err != nil {
		return nil, err
	}
	keys = slices.Compact(slices.Sorted(slices.Values(keys)))
	out := make(map[string][]byte, len(keys))
	for len(keys) > 0 {
		n := min(len(keys), 100)
		resp, err := s.client.GetMany(ctx, &batonv1.GetManyRequest{SyncId: s.syncID, Keys: keys[:n], Prefix: s.prefix})
		if err != nil {
			return nil, err
		}
		for _, it := range resp.GetItems() {
			out[it.GetKey()] = it.GetValue()
		}
		// Keys the store did not get to are asked again.
		keys = append(resp.GetUnprocessedKeys(), keys[n:]...)
	}
	return out, nil
}

// Set stores value under key.
func (s *Store) Set(ctx context.Context, key string, value []byte) error {
	if err := s.ok(); err != nil {
		return err
	}
	_, err := s.client.Set(ctx, &batonv1.SetRequest{SyncId: s.syncID, Key: key, Value: value, Prefix: s.prefix})
	return err
}

// SetMany stores values, 100 per call.
func (s *Store) SetMany(ctx context.Context, values map[string][]byte) error {
	if err := s.ok(); err != nil {
		return err
	}
	batch := map[string][]byte{}
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		_, err := s.client.SetMany(ctx, &batonv1.SetManyRequest{SyncId: s.syncID, Values: batch, Prefix: s.prefix})
		batch = map[string][]byte{}
		return err
	}
	for k, v := range values {
		batch[k] = v
		if len(batch) == 100 {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	return flush()
}

// Delete removes key.
func (s *Store) Delete(ctx context.Context, key string) error {
	if err := s.ok(); err != nil {
		return err
	}
	_, err := s.client.Delete(ctx, &batonv1.DeleteRequest{SyncId: s.syncID, Key: key, Prefix: s.prefix})
	return err
}

// All streams every key (under the prefix) and its value in key order,
// a page at a time; a failure ends the stream with the error.
//
//	for e, err := range store.All(ctx) { ... }
func (s *Store) All(ctx context.Context) iter.Seq2[Entry, error] {
	return func(yield func(Entry, error) bool) {
		if err := s.ok(); err != nil {
			yield(Entry{}, err)
			return
		}
		tok := ""
		for {
			resp, err := s.client.GetAll(ctx, &batonv1.GetAllRequest{SyncId: s.syncID, PageToken: tok, Prefix: s.prefix})
			if err != nil {
				yield(Entry{}, err)
				return
			}
			for _, it := range resp.GetItems() {
				if !yield(Entry{Key: it.GetKey(), Value: it.GetValue()}, nil) {
					return
				}
			}
			switch resp.GetPageToken() {
			case "":
				return
			case tok:
				yield(Entry{}, errors.New("session store: GetAll returned the page token it was given"))
				return
			}
			tok = resp.GetPageToken()
		}
	}
}

// Clear removes every key (under the prefix).
func (s *Store) Clear(ctx context.Context) error {
	if err := s.ok(); err != nil {
		return err
	}
	_, err := s.client.Clear(ctx, &batonv1.ClearRequest{SyncId: s.syncID, Prefix: s.prefix})
	return err
}

type ctxKey struct{}

// NewContext returns ctx carrying s; the connector server does this for
// every sync call.
func NewContext(ctx context.Context, s *Store) context.Context {
	return context.WithValue(ctx, ctxKey{}, s)
}

// FromContext returns the store of the call's sync (a Store answering
// ErrNoStore when there is none).
func FromContext(ctx context.Context) *Store {
	s, _ := ctx.Value(ctxKey{}).(*Store)
	return s
}

// LocalClient calls srv in this process, through the contract's
// validation rules, for a connector that runs beside its syncer.
func LocalClient(srv *Server) batonv1.BatonSessionServiceClient { return local{srv} }

type local struct{ s *Server }

func call[Req, Resp any](ctx context.Context, req Req, fn func(context.Context, Req) (Resp, error)) (Resp, error) {
	if err := validating(req); err != nil {
		var zero Resp
		return zero, err
	}
	return fn(ctx, req)
}

func (l local) Get(ctx context.Context, in *batonv1.GetRequest, _ ...grpc.CallOption) (*batonv1.GetResponse, error) {
	return call(ctx, in, l.s.Get)
}
func (l local) GetMany(ctx context.Context, in *batonv1.GetManyRequest, _ ...grpc.CallOption) (*batonv1.GetManyResponse, error) {
	return call(ctx, in, l.s.GetMany)
}
func (l local) GetAll(ctx context.Context, in *batonv1.GetAllRequest, _ ...grpc.CallOption) (*batonv1.GetAllResponse, error) {
	return call(ctx, in, l.s.GetAll)
}
func (l local) Set(ctx context.Context, in *batonv1.SetRequest, _ ...grpc.CallOption) (*batonv1.SetResponse, error) {
	return call(ctx, in, l.s.Set)
}
func (l local) SetMany(ctx context.Context, in *batonv1.SetManyRequest, _ ...grpc.CallOption) (*batonv1.SetManyResponse, error) {
	return call(ctx, in, l.s.SetMany)
}
func (l local) Delete(ctx context.Context, in *batonv1.DeleteRequest, _ ...grpc.CallOption) (*batonv1.DeleteResponse, error) {
	return call(ctx, in, l.s.Delete)
}
func (l local) DeleteMany(ctx context.Context, in *batonv1.DeleteManyRequest, _ ...grpc.CallOption) (*batonv1.DeleteManyResponse, error) {
	return call(ctx, in, l.s.DeleteMany)
}
func (l local) Clear(ctx context.Context, in *batonv1.ClearRequest, _ ...grpc.CallOption) (*batonv1.ClearResponse, error) {
	return call(ctx, in, l.s.Clear)
}

// UnaryValidator is a gRPC server interceptor that applies the contract's
// rules to session requests.
func UnaryValidator(ctx context.Context, req any, _ *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	if err := validating(req); err != nil {
		return nil, err
	}
	return handler(ctx, req)
}
