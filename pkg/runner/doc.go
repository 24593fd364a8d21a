// Package runner is a connector's main(). One call turns a schema and a
// constructor into the command Baton users know:
//
//	func main() {
//		runner.Main("baton-acme", version, schema, func(ctx context.Context, cfg *config.Values) (connector.Connector, error) {
//			return acme.New(cfg.String("api-key"))
//		})
//	}
//
// The command syncs into --file (default sync.c1z), resuming an interrupted
// sync; with --provisioning it performs one change (grant, revoke, create
// an account, delete a resource, rotate a credential, a ticket or an
// action) and exits (`--provisioning --help` builds the connector from the
// settings given and lists only the operations it implements; a revoke is
// of a grant as stored in --file, and one the principal holds only through
// other grants is refused unless the syncer is a
// connector.InheritedRevoker); `capabilities` and `config` describe the connector;
// the hidden `_connector-service` subcommand serves the connector to a
// parent process over Baton's child-process protocol (pkg/subprocess).
//
// --file may be s3://bucket/key (pkg/remote): the sync runs on a local
// copy and the result is uploaded. --interval or --schedule keep the
// process up and sync on schedule, one sync at a time, with /healthz,
// /readyz and /metrics on --health-addr; SIGTERM saves a running sync and
// exits 0, and the next start resumes it (schedule.go).
//
// A plain sync runs the connector in this process and drives it through
// the in-process client, which applies the same interceptors (validation,
// panic recovery, logging) as the network server. A child process would add
// TLS, serialization and a second process to every one of the tens of
// thousands of calls a large sync makes, and buy nothing a connector's own
// binary needs: isolation matters when the parent is another program (the
// baton CLI, a platform), which is what `_connector-service` is for.
package runner
