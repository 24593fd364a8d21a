package sync_test

import (
	"fmt"
	"log/slog"
	"net"
	"os"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/batonkit/batonkit/internal/protoconn"
	"github.com/batonkit/batonkit/internal/testkit"
	"github.com/batonkit/batonkit/pkg/connector"
	"github.com/batonkit/batonkit/pkg/contract"
	"github.com/batonkit/batonkit/pkg/subprocess"
)

// transport is one way a connector reaches the syncer. A test body runs
// over each (eachTransport), as litestream runs one suite against every
// replica client: what holds in process must hold over the wire and
// across a process boundary.
type transport struct {
	name string
	// seeds is how many of a test's seeds this transport runs: a child
	// process costs a start each.
	seeds   int
	connect func(t *testing.T, o protoconn.Options) contract.Client
}

func transports() []transport {
	return []transport{
		{"in-process", 40, func(_ *testing.T, o protoconn.Options) contract.Client { return rawClient(protoconn.New(o)) }},
		{"loopback", 10, loopbackClient},
		{"child-process", 5, childClient},
	}
}

// eachTransport runs body as sub-tests per transport and seed (of seeds,
// the first the transport takes), for the connector opts(seed) describes.
func eachTransport(t *testing.T, seeds []uint64, opts func(seed uint64) protoconn.Options, body func(t *testing.T, o protoconn.Options, c contract.Client)) {
	for _, tr := range transports() {
		t.Run(tr.name, func(t *testing.T) {
			for _, seed := range seeds[:min(len(seeds), tr.seeds)] {
				t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
					o := opts(seed)
					body(t, o, tr.connect(t, o))
				})
			}
		})
	}
}

// loopbackClient serves the connector over real gRPC on 127.0.0.1.
func loopbackClient(t *testing.T, o protoconn.Options) contract.Client {
	unary, stream := connector.Interceptors(slog.New(slog.DiscardHandler))
	g := grpc.NewServer(grpc.ChainUnaryInterceptor(unary), grpc.ChainStreamInterceptor(stream))
	contract.Register(g, protoconn.New(o))
	l, err := net.Listen("tcp", "127.0.0.1:0")
	testkit.Must(t, err)
	go g.Serve(l)
	t.Cleanup(g.Stop)
	conn, err := grpc.NewClient(l.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	testkit.Must(t, err)
	t.Cleanup(func() { conn.Close() })
	return contract.NewClient(conn)
}

// childClient starts the connector as a child process (this test binary,
// see TestSyncHelper) over Baton's child-process protocol.
func childClient(t *testing.T, o protoconn.Options) contract.Client {
	p, err := subprocess.Start(t.Context(), os.Args[0], []string{"-test.run=^TestSyncHelper$"}, subprocess.Options{
		Env: append(helperEnv(o), "BATONKIT_SYNC_HELPER=child"), ReadyTimeout: 20 * time.Second})
	testkit.Must(t, err)
	t.Cleanup(func() { p.Close() })
	return p.Client
}
