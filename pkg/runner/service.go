package runner

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/batonkit/batonkit/internal/safefs"
	"github.com/batonkit/batonkit/pkg/connector"
	"github.com/batonkit/batonkit/pkg/service"
	"github.com/batonkit/batonkit/pkg/session"
	"github.com/batonkit/batonkit/pkg/sync"
)

// Service mode: with --client-id the connector stays up and takes its work
// from ConductorOne (syncs, grants, revokes, accounts, credentials) as
// pkg/service describes. --health-addr serves /healthz, /readyz (ready
// while authenticated and polling) and /metrics. SIGTERM lets running
// tasks end (a sync saves at its next checkpoint and resumes when the task
// comes back) and exits 0.
func (e *environment) service(ctx context.Context, provisioning bool) error {
	switch {
	case e.cfg.Duration("interval") > 0 || e.cfg.String("schedule") != "":
		return usageErr{errors.New("--client-id (service mode) takes its schedule from ConductorOne; drop --interval and --schedule")}
	case e.cfg.String("client-secret") == "":
		return usageErr{errors.New("service mode needs the client secret: set BATON_CLIENT_SECRET")}
	case e.cfg.Int("task-concurrency") < 1 || e.cfg.Int("task-concurrency") > 100:
		return usageErr{fmt.Errorf("--task-concurrency %d: want 1 to 100", e.cfg.Int("task-concurrency"))}
	}
	tlsConfig, err := e.apiTLS()
	if err != nil {
		return err
	}
	dir, err := e.serviceDir()
	if err != nil {
		return err
	}
	sessions := e.sessions()
	srv, err := e.server(ctx, connector.WithSessions(session.LocalClient(sessions)))
	if err != nil {
		return err
	}
	syncOpts := append(e.engineOptions(sessions), sync.WithProgress(sync.LogProgress(e.log, 10*time.Second)))
	ext, err := e.external()
	if err != nil {
		return err
	}
	if ext != nil {
		syncOpts = append(syncOpts, sync.WithExternalResources(*ext))
	}
	reg := prometheus.NewRegistry()
	w, err := service.New(connector.InProcessClient(srv), service.Options{
		ClientID: e.cfg.String("client-id"), ClientSecret: e.cfg.String("client-secret"),
		APIHost: e.cfg.String("c1-api-host"), HostID: e.cfg.String("host-id"), TLS: tlsConfig,
		Dir: dir, Concurrency: e.cfg.Int("task-concurrency"), Version: e.cmd.Version,
		SyncOptions: syncOpts,
		Logger:      e.log, Registerer: reg, Provisioning: provisioning, KeepSyncs: e.cfg.Int("service-keep-syncs"),
	})
	if err != nil {
		return usageErr{err}
	}
	if addr := e.cfg.String("health-addr"); addr != "" {
		ready := func() ([]byte, bool) {
			state := "connecting"
			if w.Ready() {
				state = "polling"
			}
			b, _ := json.Marshal(map[string]string{"state": state})
			return b, w.Ready()
		}
		if err := e.serveHealth(ctx, addr, ready, reg); err != nil {
			return err
		}
	}
	return w.Run(ctx)
}

// apiTLS trusts --c1-api-ca-file when given, the system's roots otherwise.
func (e *environment) apiTLS() (*tls.Config, error) {
	path := e.cfg.String("c1-api-ca-file")
	if path == "" {
		return nil, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("--c1-api-ca-file: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(b) {
		return nil, usageErr{fmt.Errorf("--c1-api-ca-file %s holds no PEM certificate", path)}
	}
	return &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}, nil
}

// serviceDir is --service-dir, or a directory of this connector and client
// in the user cache (two clients on one host never share sync files).
func (e *environment) serviceDir() (string, error) {
	if dir := e.cfg.String("service-dir"); dir != "" {
		return dir, nil
	}
	sum := sha256.Sum256([]byte(e.cfg.String("client-id")))
	return safefs.UserCache("batonkit", fmt.Sprintf("%s-%x", e.cmd.Name, sum[:6]))
}
