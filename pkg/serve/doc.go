// Package serve offers a connector to any gRPC client, in any language:
// the sixteen c1.connector.v2 services on a Unix socket or a TCP address,
// with gRPC server reflection and the standard health service, so that
// grpcurl, a Python or Node program, or `baton sync --connector-addr` can
// call it without playing Baton's parent process.
//
// Who may call is decided by the address and the options, never by
// default:
//
//   - unix:///path/to.sock: the socket is created 0600 in a directory
//     other users cannot rearrange; TLS and a token are optional there,
//     plaintext needs Options.InsecureLoopback.
//   - host:port: TLS (Options.TLSCert, Options.TLSKey) with mutual TLS
//     (Options.ClientCA) or a bearer token (Options.Token, which the
//     runner reads from BATON_SERVE_TOKEN), or both. Plaintext only on a
//     loopback address, and only with Options.InsecureLoopback.
//
// One-shot operations that change the application (grant, revoke,
// accounts, credentials, resources, tickets, actions) are refused with
// FailedPrecondition unless Options.Provisioning; the health service
// reports each of those services SERVING or NOT_SERVING accordingly.
//
// Serve runs until its context ends, then stops gracefully. Dial is the
// client side with the same options, for the syncer.
package serve
