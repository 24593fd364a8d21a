package contract

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	connectorv2 "github.com/batonkit/batonkit/pb/c1/connector/v2"
)

// serviceDescs are the sixteen services, for dispatch without a network.
var serviceDescs = []*grpc.ServiceDesc{
	&connectorv2.ConnectorService_ServiceDesc,
	&connectorv2.ResourceTypesService_ServiceDesc,
	&connectorv2.ResourcesService_ServiceDesc,
	&connectorv2.ResourceGetterService_ServiceDesc,
	&connectorv2.EntitlementsService_ServiceDesc,
	&connectorv2.GrantsService_ServiceDesc,
	&connectorv2.GrantManagerService_ServiceDesc,
	&connectorv2.ResourceManagerService_ServiceDesc,
	&connectorv2.ResourceDeleterService_ServiceDesc,
	&connectorv2.AccountManagerService_ServiceDesc,
	&connectorv2.CredentialManagerService_ServiceDesc,
	&connectorv2.TicketsService_ServiceDesc,
	&connectorv2.EventService_ServiceDesc,
	&connectorv2.ActionService_ServiceDesc,
	&connectorv2.AssetService_ServiceDesc,
	&connectorv2.SchemaService_ServiceDesc,
}

// InProcess is a grpc.ClientConnInterface that calls a Server directly, in
// this process, through the same interceptors a network server would run.
// Requests and responses are copied, exactly as serialization would, so
// neither side can see the other's later changes; nothing is encoded.
type InProcess struct {
	srv    Server
	unary  grpc.UnaryServerInterceptor
	stream grpc.StreamServerInterceptor
	unaryM map[string]grpc.MethodHandler
	strM   map[string]grpc.StreamDesc
}

// NewInProcess returns a connection to srv. unary and stream may be nil;
// chain several with grpc-middleware's chaining helpers.
func NewInProcess(srv Server, unary grpc.UnaryServerInterceptor, stream grpc.StreamServerInterceptor) *InProcess {
	c := &InProcess{srv: srv, unary: unary, stream: stream, unaryM: map[string]grpc.MethodHandler{}, strM: map[string]grpc.StreamDesc{}}
	for _, sd := range serviceDescs {
		for _, m := range sd.Methods {
			c.unaryM["/"+sd.ServiceName+"/"+m.MethodName] = m.Handler
		}
		for _, s := range sd.Streams {
			c.strM["/"+sd.ServiceName+"/"+s.StreamName] = s
		}
	}
	return c
}

// NewInProcessClient is NewClient(NewInProcess(srv, unary, stream)).
func NewInProcessClient(srv Server, unary grpc.UnaryServerInterceptor, stream grpc.StreamServerInterceptor) Client {
	return NewClient(NewInProcess(srv, unary, stream))
}

// Invoke implements grpc.ClientConnInterface.
func (c *InProcess) Invoke(ctx context.Context, method string, args, reply any, _ ...grpc.CallOption) error {
	h, ok := c.unaryM[method]
	if !ok {
		return status.Errorf(codes.Unimplemented, "unknown method %s", method)
	}
	in, ok1 := args.(proto.Message)
	out, ok2 := reply.(proto.Message)
	if !ok1 || !ok2 {
		return status.Errorf(codes.Internal, "in-process call %s: messages must be protobuf", method)
	}
	dec := func(into any) error {
		proto.Merge(into.(proto.Message), in)
		return nil
	}
	resp, err := h(c.srv, ctx, dec, c.unary)
	if err != nil {
		return wireError(ctx, err)
	}
	if m, ok := resp.(proto.Message); ok && m.ProtoReflect().IsValid() {
		proto.Merge(out, m)
	}
	return nil
}

// wireError turns a handler error into what a remote client would receive.
func wireError(ctx context.Context, err error) error {
	if ctxErr := ctx.Err(); ctxErr != nil {
		return status.FromContextError(ctxErr).Err()
	}
	if _, ok := status.FromError(err); ok {
		return err
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return status.FromContextError(err).Err()
	}
	return status.Error(codes.Unknown, err.Error())
}

// NewStream implements grpc.ClientConnInterface for server-streaming
// methods (the contract has no client streams).
func (c *InProcess) NewStream(ctx context.Context, desc *grpc.StreamDesc, method string, _ ...grpc.CallOption) (grpc.ClientStream, error) {
	sd, ok := c.strM[method]
	if !ok {
		return nil, status.Errorf(codes.Unimplemented, "unknown stream %s", method)
	}
	if desc.ClientStreams {
		return nil, status.Errorf(codes.Unimplemented, "in-process client streams are not supported (%s)", method)
	}
	ctx, cancel := context.WithCancel(ctx)
	return &clientStream{ctx: ctx, cancel: cancel, conn: c, sd: sd, method: method, msgs: make(chan proto.Message)}, nil
}

type clientStream struct {
	ctx    context.Context
	cancel context.CancelFunc
	conn   *InProcess
	sd     grpc.StreamDesc
	method string

	req     proto.Message
	started sync.Once
	msgs    chan proto.Message
	done    chan struct{}
	err     error // set before done is closed
}

func (s *clientStream) Header() (metadata.MD, error) { return nil, nil }
func (s *clientStream) Trailer() metadata.MD         { return nil }
func (s *clientStream) Context() context.Context     { return s.ctx }

func (s *clientStream) SendMsg(m any) error {
	pm, ok := m.(proto.Message)
	if !ok || s.req != nil {
		return status.Error(codes.Internal, "in-process stream takes exactly one protobuf request")
	}
	s.req = proto.Clone(pm)
	return nil
}

func (s *clientStream) CloseSend() error {
	s.started.Do(s.start)
	return nil
}

func (s *clientStream) start() {
	s.done = make(chan struct{})
	go func() {
		ss := &serverStream{ctx: s.ctx, req: s.req, msgs: s.msgs}
		info := &grpc.StreamServerInfo{FullMethod: s.method, IsServerStream: true}
		var err error
		if s.conn.stream != nil {
			err = s.conn.stream(s.conn.srv, ss, info, s.sd.Handler)
		} else {
			err = s.sd.Handler(s.conn.srv, ss)
		}
		if err != nil {
			err = wireError(s.ctx, err)
		}
		s.err = err
		close(s.done)
	}()
}

func (s *clientStream) RecvMsg(m any) error {
	s.started.Do(s.start)
	select {
	case msg := <-s.msgs:
		proto.Merge(m.(proto.Message), msg)
		return nil
	case <-s.done:
		// Drain a message sent just before the handler returned.
		select {
		case msg := <-s.msgs:
			proto.Merge(m.(proto.Message), msg)
			return nil
		default:
		}
		s.cancel()
		if s.err != nil {
			return s.err
		}
		return io.EOF
	case <-s.ctx.Done():
		return status.FromContextError(s.ctx.Err()).Err()
	}
}

type serverStream struct {
	ctx  context.Context
	req  proto.Message
	used bool
	msgs chan proto.Message
}

func (s *serverStream) SetHeader(metadata.MD) error  { return nil }
func (s *serverStream) SendHeader(metadata.MD) error { return nil }
func (s *serverStream) SetTrailer(metadata.MD)       {}
func (s *serverStream) Context() context.Context     { return s.ctx }

func (s *serverStream) SendMsg(m any) error {
	pm, ok := m.(proto.Message)
	if !ok {
		return fmt.Errorf("in-process stream: %T is not protobuf", m)
	}
	select {
	case s.msgs <- proto.Clone(pm):
		return nil
	case <-s.ctx.Done():
		return s.ctx.Err()
	}
}

func (s *serverStream) RecvMsg(m any) error {
	if s.used {
		return io.EOF
	}
	s.used = true
	proto.Merge(m.(proto.Message), s.req)
	return nil
}
