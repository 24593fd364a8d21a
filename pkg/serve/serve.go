package serve

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/health"
	"google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/reflection"

	"github.com/batonkit/batonkit/pkg/connector"
	"github.com/batonkit/batonkit/pkg/contract"
)

// Server is a connector being served: Addr says where (the port the
// system chose for host:0).
type Server struct {
	gs   *grpc.Server
	addr string
}

// Addr is where the server listens: unix:///path or host:port.
func (s *Server) Addr() string { return s.addr }

// Listen checks o, opens its address and starts serving srv in the
// background until Stop. The checks run first: a refused combination
// opens nothing.
func Listen(srv *connector.Server, o Options, log *slog.Logger) (*Server, error) {
	a, err := parseAddress(o.Listen)
	if err != nil {
		return nil, err
	}
	if err := o.check(a); err != nil {
		return nil, err
	}
	tlsCfg, err := o.serverTLS()
	if err != nil {
		return nil, err
	}
	lis, err := listen(a)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", o.Listen, err)
	}
	g := guard{token: []byte(o.Token), provisioning: o.Provisioning}
	opts := []grpc.ServerOption{grpc.ChainUnaryInterceptor(g.unary), grpc.ChainStreamInterceptor(g.stream),
		grpc.ConnectionTimeout(10 * time.Second)}
	if tlsCfg != nil {
		opts = append(opts, grpc.Creds(credentials.NewTLS(tlsCfg)))
	}
	gs := connector.NewGRPCServer(srv, opts...)
	reflection.Register(gs)
	// Per service: those that change the app serve only with
	// provisioning, which is how a client learns whether they may.
	hs := health.NewServer()
	for _, s := range contract.ServiceNames {
		st := grpc_health_v1.HealthCheckResponse_SERVING
		if isChanging(s) && !o.Provisioning {
			st = grpc_health_v1.HealthCheckResponse_NOT_SERVING
		}
		hs.SetServingStatus(s, st)
	}
	grpc_health_v1.RegisterHealthServer(gs, hs)
	addr := lis.Addr().String()
	if a.network == "unix" {
		addr = "unix://" + a.addr
	}
	log.Info("serving the connector", "addr", addr, "tls", tlsCfg != nil, "client_certificates", o.ClientCA != "",
		"token", o.Token != "", "provisioning", o.Provisioning)
	s := &Server{gs: gs, addr: addr}
	go func() { _ = gs.Serve(lis) }()
	return s, nil
}

// Serve serves the connector as o says until ctx ends, then stops
// gracefully (calls in flight get a few seconds to finish).
func Serve(ctx context.Context, srv *connector.Server, o Options, log *slog.Logger) error {
	s, err := Listen(srv, o, log)
	if err != nil {
		return err
	}
	<-ctx.Done()
	log.Info("stopping: finishing calls in flight")
	return s.Stop(10 * time.Second)
}

// Stop stops accepting calls and waits up to grace for those in flight.
func (s *Server) Stop(grace time.Duration) error {
	done := make(chan struct{})
	go func() { s.gs.GracefulStop(); close(done) }()
	select {
	case <-done:
		return nil
	case <-time.After(grace):
		s.gs.Stop()
		return errors.New("calls still running after the grace period were cut off")
	}
}
