// Package connectortest is a conformance kit for connector authors. One
// line in a test runs the connector behind a real gRPC server on loopback
// (with mutual TLS, as in production) and walks everything it implements:
//
//	func TestConformance(t *testing.T) {
//		connectortest.Run(t, myconnector.New(testConfig))
//	}
//
// It checks that pagination ends (a token returned twice fails), that ids
// follow Baton's conventions, that entitlements belong to their resource,
// that grants point at entitlements and principals that exist, and that
// every object passes the contract's validation rules. WithProvisioning
// also grants and revokes one entitlement, for connectors pointed at a
// test tenant.
package connectortest
