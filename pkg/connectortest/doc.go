// Package connectortest is the conformance kit: a list of named checks run
// against any connector through its gRPC contract, so the same checks
// judge a Go connector in its own tests, a binary over the child-process
// link (`baton conformance --connector BIN`, any language, either SDK), or
// a server on loopback.
//
// In a Go connector's tests, one line serves the connector behind a real
// gRPC server with mutual TLS, runs every check and fails the test for
// each one that fails:
//
//	func TestConformance(t *testing.T) {
//		connectortest.Run(t, myconnector.New(testConfig))
//	}
//
// Against a client of any kind, Check returns a Report instead:
//
//	rep := connectortest.Check(ctx, client)
//	rep.WriteText(os.Stdout)
//	if !rep.Passed() { ... }
//
// The checks walk the connector in the syncer's order (resource types,
// resources and their child types, static entitlements, entitlements,
// grants), one call at a time, and then look at what they read: that
// paging ends and repeats nothing at any page size, that small page sizes
// give what the default gives, that every object passes the contract's
// validation rules, that ids follow Baton's conventions, that references
// resolve, that parents and child types agree, that advertised
// capabilities answer and Get agrees with List, that a fresh process
// answers a later phase alone (what a resumed sync asks of it), and, with
// WithProvisioning against a test instance, that grant then revoke leaves
// the app as it was and repeats are answered as such. Checks lists them
// with their ids.
package connectortest
