package serve

import (
	"context"
	"crypto/subtle"
	"slices"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	connectorv2 "github.com/batonkit/batonkit/pb/c1/connector/v2"
)

// changing lists the services whose calls change the application: off
// unless the operator serves with provisioning.
var changing = []string{
	connectorv2.GrantManagerService_ServiceDesc.ServiceName,
	connectorv2.ResourceManagerService_ServiceDesc.ServiceName,
	connectorv2.ResourceDeleterService_ServiceDesc.ServiceName,
	connectorv2.AccountManagerService_ServiceDesc.ServiceName,
	connectorv2.CredentialManagerService_ServiceDesc.ServiceName,
	connectorv2.TicketsService_ServiceDesc.ServiceName,
	connectorv2.ActionService_ServiceDesc.ServiceName,
}

func isChanging(svc string) bool { return slices.Contains(changing, svc) }

// service is the service part of a full method name, /pkg.Service/Method.
func service(fullMethod string) string {
	s, _, _ := strings.Cut(strings.TrimPrefix(fullMethod, "/"), "/")
	return s
}

// guard checks every call before the connector sees it: the bearer
// token when one is set (the health service excepted, so probes need no
// secret), and provisioning for the services that change the app.
type guard struct {
	token        []byte
	provisioning bool
}

func (g guard) check(ctx context.Context, fullMethod string) error {
	svc := service(fullMethod)
	if len(g.token) > 0 && svc != grpc_health_v1.Health_ServiceDesc.ServiceName {
		md, _ := metadata.FromIncomingContext(ctx)
		var got string
		if v := md.Get("authorization"); len(v) == 1 {
			got, _ = strings.CutPrefix(v[0], "Bearer ")
		}
		if subtle.ConstantTimeCompare([]byte(got), g.token) != 1 {
			return status.Error(codes.Unauthenticated, "a bearer token is required (metadata \"authorization: Bearer <token>\"), and this one does not match")
		}
	}
	if !g.provisioning && isChanging(svc) {
		return status.Errorf(codes.FailedPrecondition, "%s changes the application, and this connector is served without --provisioning", fullMethod)
	}
	return nil
}

func (g guard) unary(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	if err := g.check(ctx, info.FullMethod); err != nil {
		return nil, err
	}
	return handler(ctx, req)
}

func (g guard) stream(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
	if err := g.check(ss.Context(), info.FullMethod); err != nil {
		return err
	}
	return handler(srv, ss)
}
