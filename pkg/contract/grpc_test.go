package contract_test

import (
	"context"
	"net"
	"strings"
	"testing"

	"github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/validator"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/reflection"
	reflectionpb "google.golang.org/grpc/reflection/grpc_reflection_v1"
	"google.golang.org/grpc/status"

	connectorv2 "github.com/batonkit/batonkit/pb/c1/connector/v2"
	"github.com/batonkit/batonkit/pkg/contract"
)

// listOnly serves ListResources and leaves the rest Unimplemented.
type listOnly struct {
	contract.UnimplementedServer
	calls int
}

func (l *listOnly) ListResources(_ context.Context, req *connectorv2.ResourcesServiceListResourcesRequest) (*connectorv2.ResourcesServiceListResourcesResponse, error) {
	l.calls++
	return &connectorv2.ResourcesServiceListResourcesResponse{List: []*connectorv2.Resource{{
		Id: &connectorv2.ResourceId{ResourceType: req.GetResourceTypeId(), Resource: "r1"},
	}}}, nil
}

func serve(t *testing.T, impl contract.Server) *grpc.ClientConn {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer(grpc.ChainUnaryInterceptor(validator.UnaryServerInterceptor()))
	contract.Register(srv, impl)
	reflection.Register(srv)
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

func TestLoopbackServerHasAllSixteenServices(t *testing.T) {
	conn := serve(t, &listOnly{})
	stream, err := reflectionpb.NewServerReflectionClient(conn).ServerReflectionInfo(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if err := stream.Send(&reflectionpb.ServerReflectionRequest{MessageRequest: &reflectionpb.ServerReflectionRequest_ListServices{}}); err != nil {
		t.Fatal(err)
	}
	resp, err := stream.Recv()
	if err != nil {
		t.Fatal(err)
	}
	served := map[string]bool{}
	for _, s := range resp.GetListServicesResponse().GetService() {
		served[s.GetName()] = true
	}
	if len(contract.ServiceNames) != 16 {
		t.Fatalf("ServiceNames has %d entries, want 16", len(contract.ServiceNames))
	}
	for _, name := range contract.ServiceNames {
		if !served[name] {
			t.Errorf("service %s is not registered", name)
		}
	}
}

func TestValidatorInterceptor(t *testing.T) {
	impl := &listOnly{}
	c := contract.NewClient(serve(t, impl))
	ctx := context.Background()

	_, err := c.ListResources(ctx, &connectorv2.ResourcesServiceListResourcesRequest{ResourceTypeId: "user", PageSize: 1000})
	if status.Code(err) != codes.InvalidArgument {
		t.Fatalf("page_size 1000: got %v, want InvalidArgument", err)
	}
	if !strings.Contains(status.Convert(err).Message(), "PageSize") {
		t.Errorf("error %q does not name the field", status.Convert(err).Message())
	}
	if impl.calls != 0 {
		t.Fatalf("an invalid request reached the handler")
	}

	resp, err := c.ListResources(ctx, &connectorv2.ResourcesServiceListResourcesRequest{ResourceTypeId: "user", PageSize: 50})
	if err != nil {
		t.Fatalf("valid request: %v", err)
	}
	if impl.calls != 1 || resp.GetList()[0].GetId().GetResource() != "r1" {
		t.Fatalf("valid request did not reach the handler: calls=%d resp=%v", impl.calls, resp)
	}

	// Everything not implemented answers Unimplemented, not a transport error.
	_, err = c.ListResourceTypes(ctx, &connectorv2.ResourceTypesServiceListResourceTypesRequest{})
	if status.Code(err) != codes.Unimplemented {
		t.Fatalf("ListResourceTypes: got %v, want Unimplemented", err)
	}
}
