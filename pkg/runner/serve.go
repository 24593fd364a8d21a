package runner

import (
	"errors"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/batonkit/batonkit/pkg/serve"
)

// serveCmd serves the connector to any gRPC client (package serve).
func (e *environment) serveCmd() *cobra.Command {
	var o serve.Options
	cmd := &cobra.Command{
		Use:   "serve --listen ADDR",
		Short: "Serve the connector's gRPC services to any client (grpcurl, Python, baton sync --connector-addr)",
		Long: "serve offers the sixteen c1.connector.v2 services, gRPC reflection and the standard\n" +
			"health service on a Unix socket or a TCP address, until SIGTERM or SIGINT.\n\n" +
			"  unix:///path.sock   created 0600; plaintext with --insecure-loopback, or TLS\n" +
			"  host:port           TLS (--tls-cert, --tls-key) with client certificates\n" +
			"                      (--tls-client-ca) or a bearer token (BATON_SERVE_TOKEN);\n" +
			"                      plaintext only on a loopback address, with --insecure-loopback\n\n" +
			"Calls that change the application (grant, revoke, accounts, credentials,\n" +
			"resources, tickets, actions) are refused unless --provisioning.",
		Example: "  baton-acme serve --listen unix:///run/user/1000/acme.sock --insecure-loopback\n" +
			"  BATON_SERVE_TOKEN=$(cat token) baton-acme serve --listen 0.0.0.0:9443 --tls-cert srv.pem --tls-key srv.key",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := e.load(cmd); err != nil {
				return err
			}
			o.Token = os.Getenv("BATON_SERVE_TOKEN")
			ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGTERM, syscall.SIGINT)
			defer stop()
			srv, err := e.server(ctx)
			if err != nil {
				return err
			}
			err = serve.Serve(ctx, srv, o, e.log)
			if errors.Is(err, serve.ErrRefused) {
				return usageErr{err}
			}
			return err
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.Listen, "listen", "", "where to serve: unix:///path.sock or host:port")
	f.StringVar(&o.TLSCert, "tls-cert", "", "the server's certificate (PEM)")
	f.StringVar(&o.TLSKey, "tls-key", "", "the server's private key (PEM)")
	f.StringVar(&o.ClientCA, "tls-client-ca", "", "require client certificates issued by these CAs (PEM): mutual TLS")
	f.BoolVar(&o.InsecureLoopback, "insecure-loopback", false, "serve plaintext (a Unix socket or a loopback address only)")
	f.BoolVar(&o.Provisioning, "provisioning", false, "allow the calls that change the application")
	return cmd
}
