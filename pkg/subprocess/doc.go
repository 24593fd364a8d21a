// Package subprocess implements both sides of Baton's child-process
// protocol, so a parent (the baton CLI, a platform) can run any connector
// binary, ours or one built on Baton's SDK, and talk to it over mutually
// authenticated gRPC on loopback.
//
// The protocol, as Baton's tools speak it:
//
//  1. The parent creates a fresh ed25519 CA and two leaf certificates
//     (server and client) valid for 127.0.0.1 and ::1, for both client and
//     server auth. Certificates are DER; private keys are raw ed25519.
//  2. The parent listens on 127.0.0.1:0 and starts
//     `<connector> <args...> _connector-service` with that listening socket
//     as file descriptor 3 and BATON_CONNECTOR_SERVICE_LISTENER_FD=3.
//  3. The parent writes one line on the child's stdin: the standard base64
//     encoding of a c1.connector_wrapper.v1.ServerConfig (the server
//     credential with the CA, the rate limiter settings, the port).
//  4. The child serves every connector service with TLS on the inherited
//     listener, requiring a client certificate signed by the CA.
//  5. The parent dials 127.0.0.1:<port> with its client certificate
//     (server name 127.0.0.1) and retries until the child answers.
//  6. The child exits when its stdin reaches end of file: when the parent
//     closes it, and also when the parent dies, so no child outlives it.
//
// Start is the parent side; Serve is the child side.
package subprocess
