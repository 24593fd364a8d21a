package serve_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health/grpc_health_v1"
	reflectionpb "google.golang.org/grpc/reflection/grpc_reflection_v1"
	"google.golang.org/grpc/status"

	"github.com/batonkit/batonkit/internal/testconnector"
	"github.com/batonkit/batonkit/internal/testpki"
	connectorv2 "github.com/batonkit/batonkit/pb/c1/connector/v2"
	"github.com/batonkit/batonkit/pkg/connector"
	"github.com/batonkit/batonkit/pkg/serve"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func start(t *testing.T, o serve.Options) *serve.Server {
	t.Helper()
	ctx := context.Background()
	srv, err := connector.NewServer(ctx, testconnector.New(5, 2, 0), connector.WithLogger(quiet))
	if err != nil {
		t.Fatal(err)
	}
	s, err := serve.Listen(srv, o, quiet)
	if err != nil {
		t.Fatalf("listen %+v: %v", o, err)
	}
	t.Cleanup(func() { s.Stop(time.Second) })
	return s
}

// privateDir is a directory only this user can write, as a socket's must be.
func privateDir(t *testing.T) string {
	d := t.TempDir()
	if err := os.Chmod(d, 0o700); err != nil {
		t.Fatal(err)
	}
	return d
}

func users(t *testing.T, c interface {
	ListResources(context.Context, *connectorv2.ResourcesServiceListResourcesRequest, ...grpc.CallOption) (*connectorv2.ResourcesServiceListResourcesResponse, error)
}) (int, error) {
	t.Helper()
	resp, err := c.ListResources(context.Background(), &connectorv2.ResourcesServiceListResourcesRequest{ResourceTypeId: "user"})
	return len(resp.GetList()), err
}

// A Unix socket: made 0600, plaintext when asked for, every service
// reachable, reflection lists them, health says which change the app,
// and those are refused without provisioning.
func TestServeOnAUnixSocket(t *testing.T) {
	sock := filepath.Join(privateDir(t), "c.sock")
	s := start(t, serve.Options{Listen: "unix://" + sock, InsecureLoopback: true})
	if s.Addr() != "unix://"+sock {
		t.Errorf("Addr %q", s.Addr())
	}
	fi, err := os.Lstat(sock)
	if err != nil || fi.Mode()&os.ModeSocket == 0 || fi.Mode().Perm() != 0o600 {
		t.Fatalf("the socket: %v %v", fi.Mode(), err)
	}
	c, closeConn, err := serve.Dial(s.Addr(), serve.ClientOptions{InsecureLoopback: true})
	if err != nil {
		t.Fatal(err)
	}
	defer closeConn()
	if n, err := users(t, c); err != nil || n == 0 {
		t.Fatalf("list users: %d, %v", n, err)
	}
	_, err = c.Grant(context.Background(), &connectorv2.GrantManagerServiceGrantRequest{})
	if status.Code(err) != codes.FailedPrecondition || !strings.Contains(err.Error(), "--provisioning") {
		t.Errorf("a grant without --provisioning: %v", err)
	}

	cc, err := grpc.NewClient("unix://"+sock, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	health := grpc_health_v1.NewHealthClient(cc)
	for svc, want := range map[string]grpc_health_v1.HealthCheckResponse_ServingStatus{
		"":                                    grpc_health_v1.HealthCheckResponse_SERVING,
		"c1.connector.v2.ResourcesService":    grpc_health_v1.HealthCheckResponse_SERVING,
		"c1.connector.v2.GrantManagerService": grpc_health_v1.HealthCheckResponse_NOT_SERVING,
	} {
		resp, err := health.Check(context.Background(), &grpc_health_v1.HealthCheckRequest{Service: svc})
		if err != nil || resp.GetStatus() != want {
			t.Errorf("health of %q: %v, %v; want %v", svc, resp.GetStatus(), err, want)
		}
	}
	if got := listServices(t, cc); len(got) < 16 || !slices.Contains(got, "c1.connector.v2.GrantsService") || !slices.Contains(got, "grpc.health.v1.Health") {
		t.Errorf("reflection lists %v", got)
	}

	// A second server on the same live socket is refused; once the first
	// stops, the socket is gone.
	if _, err := serve.Listen(nil, serve.Options{Listen: "unix://" + sock, InsecureLoopback: true}, quiet); err == nil || !strings.Contains(err.Error(), "in use") {
		t.Errorf("a second server on a live socket: %v", err)
	}
	if err := s.Stop(time.Second); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(sock); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the socket outlives the server: %v", err)
	}
}

// listServices asks the server's reflection service for its services, as
// grpcurl list does.
func listServices(t *testing.T, cc *grpc.ClientConn) []string {
	t.Helper()
	stream, err := reflectionpb.NewServerReflectionClient(cc).ServerReflectionInfo(context.Background())
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
	stream.CloseSend()
	var out []string
	for _, s := range resp.GetListServicesResponse().GetService() {
		out = append(out, s.GetName())
	}
	return out
}

// TLS on TCP with a token: the right token is let in, a wrong or missing
// one is not, and health probes need none.
func TestServeTLSWithAToken(t *testing.T) {
	pki := testpki.New(t)
	s := start(t, serve.Options{Listen: "127.0.0.1:0", TLSCert: pki.ServerCert, TLSKey: pki.ServerKey, Token: "s3cret", Provisioning: true})
	for _, tc := range []struct {
		token string
		want  codes.Code
	}{{"s3cret", codes.OK}, {"wrong", codes.Unauthenticated}, {"", codes.Unauthenticated}, {"s3cret-and-more", codes.Unauthenticated}} {
		c, closeConn, err := serve.Dial(s.Addr(), serve.ClientOptions{CA: pki.CA, ServerName: "localhost", Token: tc.token})
		if err != nil {
			t.Fatal(err)
		}
		_, err = users(t, c)
		if status.Code(err) != tc.want {
			t.Errorf("token %q: %v, want %v", tc.token, err, tc.want)
		}
		closeConn()
	}
	// With --provisioning, a grant reaches the connector (which answers
	// about the request, not with FailedPrecondition).
	c, closeConn, _ := serve.Dial(s.Addr(), serve.ClientOptions{CA: pki.CA, ServerName: "localhost", Token: "s3cret"})
	defer closeConn()
	if _, err := c.Grant(context.Background(), &connectorv2.GrantManagerServiceGrantRequest{}); status.Code(err) == codes.FailedPrecondition || status.Code(err) == codes.Unauthenticated {
		t.Errorf("a grant with --provisioning: %v", err)
	}
	// A client that does not trust the server's CA stops at the handshake.
	other := testpki.New(t)
	c2, close2, _ := serve.Dial(s.Addr(), serve.ClientOptions{CA: other.CA, ServerName: "localhost", Token: "s3cret"})
	defer close2()
	if _, err := users(t, c2); status.Code(err) != codes.Unavailable {
		t.Errorf("a client trusting another CA: %v", err)
	}
}

// Mutual TLS: only a certificate from the named CA is let in.
func TestServeMutualTLS(t *testing.T) {
	pki, other := testpki.New(t), testpki.New(t)
	s := start(t, serve.Options{Listen: "127.0.0.1:0", TLSCert: pki.ServerCert, TLSKey: pki.ServerKey, ClientCA: pki.CA})
	for _, tc := range []struct {
		name       string
		cert, key  string
		wantListed bool
	}{
		{"the CA's client certificate", pki.ClientCert, pki.ClientKey, true},
		{"no client certificate", "", "", false},
		{"another CA's client certificate", other.ClientCert, other.ClientKey, false},
	} {
		c, closeConn, err := serve.Dial(s.Addr(), serve.ClientOptions{CA: pki.CA, ServerName: "localhost", Cert: tc.cert, Key: tc.key})
		if err != nil {
			t.Fatal(err)
		}
		_, err = users(t, c)
		if (err == nil) != tc.wantListed {
			t.Errorf("%s: %v", tc.name, err)
		}
		closeConn()
	}
}

// What would let a caller in unchecked is refused before anything is
// opened, with an error that says what to give instead.
func TestServeRefusesUncheckedCallers(t *testing.T) {
	pki := testpki.New(t)
	dir := privateDir(t)
	open := filepath.Join(t.TempDir(), "open")
	if err := os.Mkdir(open, 0o777); err != nil {
		t.Fatal(err)
	}
	os.Chmod(open, 0o777)
	plain := filepath.Join(dir, "plain-file")
	os.WriteFile(plain, nil, 0o600)
	for _, tc := range []struct {
		name string
		o    serve.Options
		want string
	}{
		{"plaintext on a routable address", serve.Options{Listen: "0.0.0.0:0", InsecureLoopback: true}, "--tls-cert"},
		{"plaintext on loopback, not asked for", serve.Options{Listen: "127.0.0.1:0"}, "--insecure-loopback"},
		{"plaintext on a socket, not asked for", serve.Options{Listen: "unix://" + filepath.Join(dir, "s.sock")}, "--insecure-loopback"},
		{"TLS on TCP with no check of the caller", serve.Options{Listen: "127.0.0.1:0", TLSCert: pki.ServerCert, TLSKey: pki.ServerKey}, "BATON_SERVE_TOKEN"},
		{"a certificate without its key", serve.Options{Listen: "127.0.0.1:0", TLSCert: pki.ServerCert, Token: "t"}, "--tls-key"},
		{"client CAs without TLS", serve.Options{Listen: "127.0.0.1:0", ClientCA: pki.CA, InsecureLoopback: true}, "--tls-client-ca needs"},
		{"a relative socket path", serve.Options{Listen: "unix://c.sock", InsecureLoopback: true}, "absolute"},
		{"a socket in a directory others can write", serve.Options{Listen: "unix://" + filepath.Join(open, "s.sock"), InsecureLoopback: true}, "other users can write"},
		{"a file that is not a socket", serve.Options{Listen: "unix://" + plain, InsecureLoopback: true}, "not a socket"},
		{"no address", serve.Options{}, "no address"},
	} {
		_, err := serve.Listen(nil, tc.o, quiet)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error naming %q", tc.name, err, tc.want)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "s.sock")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a refused socket was created: %v", err)
	}
	if _, _, err := serve.Dial("10.1.2.3:443", serve.ClientOptions{InsecureLoopback: true}); !errors.Is(err, serve.ErrRefused) {
		t.Errorf("plaintext dial to a routable address: %v", err)
	}
}
