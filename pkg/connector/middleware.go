package connector

import (
	"context"
	"fmt"
	"log/slog"
	"runtime/debug"

	"github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/logging"
	"github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/recovery"
	"github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/validator"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	connectorv2 "github.com/batonkit/batonkit/pb/c1/connector/v2"
	"github.com/batonkit/batonkit/pkg/contract"
)

// Interceptors returns the chain every connector call runs through, over
// the network or in-process: structured logging, panic recovery (a panic
// becomes codes.Internal and the server keeps serving), validation of the
// request, and validation of the connector's response (a response that
// breaks a rule is an Internal error naming the object and the field).
func Interceptors(log *slog.Logger) (grpc.UnaryServerInterceptor, grpc.StreamServerInterceptor) {
	if log == nil {
		log = slog.Default()
	}
	logger := logging.LoggerFunc(func(ctx context.Context, lvl logging.Level, msg string, fields ...any) {
		log.Log(ctx, slog.Level(lvl), msg, fields...)
	})
	logOpts := []logging.Option{
		logging.WithLogOnEvents(logging.FinishCall),
		logging.WithLevels(func(c codes.Code) logging.Level {
			switch c {
			case codes.OK, codes.NotFound, codes.Canceled:
				return logging.LevelDebug
			case codes.Internal, codes.Unknown, codes.DataLoss:
				return logging.LevelError
			}
			return logging.LevelWarn
		}),
	}
	rec := recovery.WithRecoveryHandlerContext(func(ctx context.Context, p any) error {
		log.ErrorContext(ctx, "connector panicked", "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
		return status.Errorf(codes.Internal, "connector panicked: %v", p)
	})
	unary := chainUnary(
		logging.UnaryServerInterceptor(logger, logOpts...),
		recovery.UnaryServerInterceptor(rec),
		validator.UnaryServerInterceptor(),
		validateResponse,
	)
	stream := chainStream(
		logging.StreamServerInterceptor(logger, logOpts...),
		recovery.StreamServerInterceptor(rec),
		validator.StreamServerInterceptor(),
	)
	return unary, stream
}

// chainUnary composes interceptors, first outermost. (grpc only offers
// composition as a ServerOption; in-process calls need the function.)
func chainUnary(ints ...grpc.UnaryServerInterceptor) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		h := handler
		for i := len(ints) - 1; i >= 0; i-- {
			next, ic := h, ints[i]
			h = func(ctx context.Context, req any) (any, error) { return ic(ctx, req, info, next) }
		}
		return h(ctx, req)
	}
}

func chainStream(ints ...grpc.StreamServerInterceptor) grpc.StreamServerInterceptor {
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
		h := handler
		for i := len(ints) - 1; i >= 0; i-- {
			next, ic := h, ints[i]
			h = func(srv any, ss grpc.ServerStream) error { return ic(srv, ss, info, next) }
		}
		return h(srv, ss)
	}
}

// NewGRPCServer returns a gRPC server with every service of srv registered
// behind Interceptors. Add transport credentials through opts; serve it on
// a listener of your choice. Interceptors chained in opts run before
// these: a check of the caller (a token, a rate limit) comes first.
func NewGRPCServer(srv *Server, opts ...grpc.ServerOption) *grpc.Server {
	unary, stream := Interceptors(srv.log)
	gs := grpc.NewServer(append(opts, grpc.ChainUnaryInterceptor(unary), grpc.ChainStreamInterceptor(stream))...)
	contract.Register(gs, srv)
	return gs
}

// InProcessClient returns a client that calls srv directly, through the
// same interceptors as NewGRPCServer, without encoding anything: the
// fastest way for a syncer in the same process to drive a connector.
func InProcessClient(srv *Server) contract.Client {
	unary, stream := Interceptors(srv.log)
	return contract.NewInProcessClient(srv, unary, stream)
}

func validateResponse(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	resp, err := handler(ctx, req)
	if err != nil {
		return resp, err
	}
	if verr := contract.Validate(resp); verr != nil {
		msg := describeInvalid(resp.(proto.Message), verr)
		if hint := contract.Hint(verr); hint != "" {
			msg += "; to fix: " + hint
		}
		return nil, status.Errorf(codes.Internal, "connector returned an invalid response to %s: %s", info.FullMethod, msg)
	}
	return resp, nil
}

// describeInvalid names the first invalid object in a response by its id,
// then gives the validator's own account of the field.
func describeInvalid(resp proto.Message, verr error) string {
	m := resp.ProtoReflect()
	fields := m.Descriptor().Fields()
	for i := 0; i < fields.Len(); i++ {
		f := fields.Get(i)
		if !f.IsList() || f.Message() == nil {
			continue
		}
		l := m.Get(f).List()
		for j := 0; j < l.Len(); j++ {
			item := l.Get(j).Message().Interface()
			if err := contract.Validate(item); err != nil {
				return fmt.Sprintf("%s[%d] (%s): %v", f.Name(), j, objectName(item), err)
			}
		}
	}
	return verr.Error()
}

func objectName(m proto.Message) string {
	switch o := m.(type) {
	case *connectorv2.Resource:
		return fmt.Sprintf("resource %s:%s", o.GetId().GetResourceType(), o.GetId().GetResource())
	case *connectorv2.Entitlement:
		return fmt.Sprintf("entitlement %q", o.GetId())
	case *connectorv2.Grant:
		return fmt.Sprintf("grant %q", o.GetId())
	case *connectorv2.ResourceType:
		return fmt.Sprintf("resource type %q", o.GetId())
	}
	return string(m.ProtoReflect().Descriptor().FullName())
}
