// Package contract bundles the sixteen gRPC services of c1.connector.v2 into
// one server interface and one client, and names them.
//
// A connector is "a thing that serves all sixteen services"; a syncer or CLI is
// "a thing that holds a client for all sixteen". Keeping both bundles here lets
// the in-process, loopback and child-process transports share one type:
//
//	srv := grpc.NewServer()
//	contract.Register(srv, impl) // impl: any contract.Server
//	...
//	c := contract.NewClient(conn) // conn: any grpc.ClientConnInterface
//	resp, err := c.ListResourceTypes(ctx, &connectorv2.ResourceTypesServiceListResourceTypesRequest{})
//
// Most users never touch this package: pkg/connector builds a Server from
// small Go interfaces, and pkg/sync consumes a Client.
package contract
