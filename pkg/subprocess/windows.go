package subprocess

import "google.golang.org/grpc"

// The links between a parent and its child (the connector's services, and
// the parent's session store the child calls back) run over loopback,
// where gRPC's default flow control only costs: its windows start at
// 64 KiB and grow by probing the link, and every data frame received
// sends a PING to time it, which the other side answers. On the child
// link that came to 3.8 writes per call against 2.1 with fixed windows
// (strace, 4,000 calls; BENCHMARKS.md). Setting both windows turns the
// probing off; the sizes are well above anything loopback needs, and are
// only a bound on what a peer may send before it is read: gRPC allocates
// as data arrives.
const (
	linkStreamWindow = 1 << 20
	linkConnWindow   = 4 << 20
)

// linkDialOptions are the flow-control settings of a client on a link.
func linkDialOptions() []grpc.DialOption {
	return []grpc.DialOption{grpc.WithInitialWindowSize(linkStreamWindow), grpc.WithInitialConnWindowSize(linkConnWindow)}
}

// linkServerOptions are the flow-control settings of a server on a link.
func linkServerOptions() []grpc.ServerOption {
	return []grpc.ServerOption{grpc.InitialWindowSize(linkStreamWindow), grpc.InitialConnWindowSize(linkConnWindow)}
}
