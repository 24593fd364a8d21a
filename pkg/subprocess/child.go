package subprocess

import (
	"bufio"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strconv"
	"time"

	"golang.org/x/time/rate"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/protobuf/proto"

	connectorwrapperv1 "github.com/batonkit/batonkit/pb/c1/connector_wrapper/v1"
	batonv1 "github.com/batonkit/batonkit/pb/c1/connectorapi/baton/v1"
	ratelimitv1 "github.com/batonkit/batonkit/pb/c1/ratelimit/v1"
)

// ListenerFDEnv names the variable holding the inherited listener's fd.
const ListenerFDEnv = "BATON_CONNECTOR_SERVICE_LISTENER_FD"

// ServiceCommand is the subcommand a parent appends to the child's args.
const ServiceCommand = "_connector-service"

// handshakeTimeout bounds an unauthenticated connection's TLS handshake.
const handshakeTimeout = 5 * time.Second

// maxServerConfigLine bounds the ServerConfig line read from stdin.
const maxServerConfigLine = 64 << 10

// ReadServerConfig reads the one-line base64 ServerConfig from r. The
// returned reader continues after that line (for the EOF watch).
func ReadServerConfig(r io.Reader) (*connectorwrapperv1.ServerConfig, *bufio.Reader, error) {
	br := bufio.NewReaderSize(r, maxServerConfigLine+1)
	// A real line is a few KB; a parent that sends more is not one.
	b, err := br.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		return nil, nil, fmt.Errorf("server config on stdin is longer than %d bytes", maxServerConfigLine)
	}
	line := string(b)
	if err != nil && (err != io.EOF || line == "") {
		return nil, nil, fmt.Errorf("read server config from stdin: %w", err)
	}
	raw, err := base64.StdEncoding.DecodeString(trimEOL(line))
	if err != nil {
		return nil, nil, fmt.Errorf("server config on stdin is not base64: %w", err)
	}
	cfg := &connectorwrapperv1.ServerConfig{}
	if err := proto.Unmarshal(raw, cfg); err != nil {
		return nil, nil, fmt.Errorf("server config on stdin is not a ServerConfig: %w", err)
	}
	return cfg, br, nil
}

func trimEOL(s string) string {
	for len(s) > 0 && (s[len(s)-1] == '\n' || s[len(s)-1] == '\r') {
		s = s[:len(s)-1]
	}
	return s
}

// inheritedListener returns the listener the parent passed.
func inheritedListener() (net.Listener, error) {
	fdText := os.Getenv(ListenerFDEnv)
	if fdText == "" {
		return nil, fmt.Errorf("%s is not set: %s must be started by a parent process", ListenerFDEnv, ServiceCommand)
	}
	fd, err := strconv.Atoi(fdText)
	if err != nil || fd < 3 {
		return nil, fmt.Errorf("%s=%q is not a file descriptor", ListenerFDEnv, fdText)
	}
	f := os.NewFile(uintptr(fd), "connector-listener")
	defer f.Close()
	l, err := net.FileListener(f)
	if err != nil {
		return nil, fmt.Errorf("fd %d is not a listening socket: %w", fd, err)
	}
	return l, nil
}

// Env is what the parent's ServerConfig gives the child's server.
type Env struct {
	// Options serve with the parent's TLS credentials and rate limits, and
	// the link's flow-control windows.
	Options []grpc.ServerOption
	// Sessions reaches the parent's session store, or is nil when the
	// parent offers none (connector.WithSessions takes it).
	Sessions batonv1.BatonSessionServiceClient
}

// Serve is the child side: it reads the ServerConfig from stdin, serves
// the connector on the inherited listener with mutual TLS, and returns when
// stdin reaches EOF (or ctx ends). newServer receives what the parent's
// configuration asks for and must return a server with the connector's
// services registered (connector.NewGRPCServer does).
func Serve(ctx context.Context, stdin io.Reader, log *slog.Logger, newServer func(Env) *grpc.Server) error {
	cfg, rest, err := ReadServerConfig(stdin)
	if err != nil {
		return err
	}
	var env Env
	if port := cfg.GetSessionStoreListenPort(); port != 0 {
		// The parent serves the store under this child's own credential
		// and requires it of the child, as Baton's parent does.
		ctls, err := ClientTLS(cfg.GetCredential())
		if err != nil {
			return fmt.Errorf("session store credential: %w", err)
		}
		conn, err := grpc.NewClient(fmt.Sprintf("127.0.0.1:%d", port), append(linkDialOptions(), grpc.WithTransportCredentials(credentials.NewTLS(ctls)))...)
		if err != nil {
			return fmt.Errorf("session store: %w", err)
		}
		defer conn.Close()
		env.Sessions = batonv1.NewBatonSessionServiceClient(conn)
	}
	tlsCfg, err := ServerTLS(cfg.GetCredential())
	if err != nil {
		return fmt.Errorf("server credential: %w", err)
	}
	lis, err := inheritedListener()
	if err != nil {
		return err
	}
	// A caller must finish its TLS handshake quickly: one that connects and
	// waits holds nothing open for long.
	opts := append(linkServerOptions(), grpc.Creds(credentials.NewTLS(tlsCfg)), grpc.ConnectionTimeout(handshakeTimeout))
	if lim := limiterFor(cfg.GetRateLimiterConfig()); lim != nil {
		opts = append(opts, grpc.ChainUnaryInterceptor(lim))
	}
	env.Options = opts
	srv := newServer(env)
	if srv == nil {
		return errors.New("child: no connector server to serve")
	}

	eof := make(chan error, 1)
	go func() {
		_, err := io.Copy(io.Discard, rest)
		eof <- err
	}()
	served := make(chan error, 1)
	go func() { served <- srv.Serve(lis) }()
	log.Debug("connector service listening", "addr", lis.Addr().String())

	select {
	case err := <-served:
		return err
	case <-eof:
		log.Debug("stdin closed; connector service stopping")
	case <-ctx.Done():
	}
	stopped := make(chan struct{})
	go func() { srv.GracefulStop(); close(stopped) }()
	select {
	case <-stopped:
	case <-time.After(2 * time.Second):
		srv.Stop()
	}
	if err := <-served; err != nil && !errors.Is(err, grpc.ErrServerStopped) {
		return err
	}
	return nil
}

// limiterFor turns the parent's rate limiter settings into an interceptor
// that spaces the connector's calls. A fixed in-memory limiter is honoured;
// "disabled", adaptive and external limiters need no client-side spacing
// here (the connector's own HTTP client reacts to the app's limits).
func limiterFor(cfg *ratelimitv1.RateLimiterConfig) grpc.UnaryServerInterceptor {
	fixed := cfg.GetFixedMem()
	if fixed == nil || fixed.GetRate() <= 0 || fixed.GetPeriod().AsDuration() <= 0 {
		return nil
	}
	per := fixed.GetPeriod().AsDuration() / time.Duration(fixed.GetRate())
	lim := rate.NewLimiter(rate.Every(per), 1)
	return func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		if err := lim.Wait(ctx); err != nil {
			return nil, err
		}
		return handler(ctx, req)
	}
}
