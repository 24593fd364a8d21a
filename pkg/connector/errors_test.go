package connector_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	connectorv2 "github.com/batonkit/batonkit/pb/c1/connector/v2"
	"github.com/batonkit/batonkit/pkg/connector"
	"github.com/batonkit/batonkit/pkg/pagination"
)

// failing is a team connector whose listing fails with err.
type failing struct {
	team
	err error
}

func (f failing) ResourceSyncers(context.Context) []connector.ResourceSyncer {
	return []connector.ResourceSyncer{f}
}

func (f failing) List(context.Context, *connectorv2.ResourceId, connector.PageRequest) (connector.Page[*connectorv2.Resource], error) {
	return connector.Page[*connectorv2.Resource]{}, f.err
}

// Each error an author returns reaches a caller over real gRPC with its
// code, its message and, for a rate limit, when to try again.
func TestAuthorErrorsReachCallersWithTheirCodes(t *testing.T) {
	reset := time.Now().Add(time.Minute).Truncate(time.Second)
	_, parseErr := pagination.Parse("not-a-token")
	for _, tc := range []struct {
		err  error
		code codes.Code
		is   error
	}{
		{connector.NotFound("team %q is gone", "red"), codes.NotFound, connector.ErrNotFound},
		{fmt.Errorf("list: %w", connector.ErrNotFound), codes.NotFound, connector.ErrNotFound},
		{connector.BadPageToken("xyz"), codes.InvalidArgument, pagination.ErrBadToken},
		{parseErr, codes.InvalidArgument, pagination.ErrBadToken},
		{connector.Invalid("roles are assigned to users, not %q", "group"), codes.InvalidArgument, nil},
		{connector.Unsupported("ownership changes another way"), codes.FailedPrecondition, nil},
		{connector.Unavailable("the app answered %d", 503), codes.Unavailable, nil},
		{connector.RateLimited(reset, "over the limit"), codes.Unavailable, nil},
		{connector.PermissionDenied("the token may not list teams"), codes.PermissionDenied, nil},
		{errors.New("something else"), codes.Unknown, nil},
	} {
		t.Run(tc.err.Error(), func(t *testing.T) {
			if tc.is != nil && !errors.Is(tc.err, tc.is) {
				t.Fatalf("errors.Is(%v, %v) is false", tc.err, tc.is)
			}
			_, err := serve(t, failing{err: tc.err}).ListResources(context.Background(), &connectorv2.ResourcesServiceListResourcesRequest{ResourceTypeId: "team"})
			st := status.Convert(err)
			if st.Code() != tc.code || st.Message() != tc.err.Error() {
				t.Fatalf("caller got %v %q, want %v %q", st.Code(), st.Message(), tc.code, tc.err.Error())
			}
			var rl *connectorv2.RateLimitDescription
			for _, d := range st.Details() {
				if r, ok := d.(*connectorv2.RateLimitDescription); ok {
					rl = r
				}
			}
			var ce *connector.Error
			if errors.As(tc.err, &ce) && !ce.RetryAt.IsZero() {
				if rl == nil || !rl.GetResetAt().AsTime().Equal(reset) || rl.GetStatus() != connectorv2.RateLimitDescription_STATUS_OVERLIMIT {
					t.Fatalf("rate limit detail %v, want a reset at %v", rl, reset)
				}
			} else if rl != nil {
				t.Fatalf("unexpected rate limit detail %v", rl)
			}
		})
	}
}

// serve runs c on a loopback gRPC server and returns a client of it.
func serve(t *testing.T, c connector.Connector) connectorv2.ResourcesServiceClient {
	t.Helper()
	srv, err := connector.NewServer(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	g := connector.NewGRPCServer(srv)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go g.Serve(l)
	t.Cleanup(g.Stop)
	conn, err := grpc.NewClient(l.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return connectorv2.NewResourcesServiceClient(conn)
}

func ExampleNotFound() {
	err := connector.NotFound("group %q is gone", "eng")
	fmt.Println(status.Code(err), errors.Is(err, connector.ErrNotFound))
	// Output: NotFound true
}

func ExampleRateLimited() {
	err := connector.RateLimited(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC), "the app allows 100 calls a minute")
	var ce *connector.Error
	errors.As(err, &ce)
	fmt.Println(status.Code(err), ce.RetryAt.Format(time.RFC3339))
	// Output: Unavailable 2030-01-01T00:00:00Z
}
