package sync_test

import (
	"context"
	"testing"

	"github.com/batonkit/batonkit/examples/synthetic"
	connectorv2 "github.com/batonkit/batonkit/pb/c1/connector/v2"
	"github.com/batonkit/batonkit/pkg/connectortest"
	"github.com/batonkit/batonkit/pkg/contract"
)

// BenchmarkPerCall measures what one connector call costs the syncer
// beyond the connector's own work: a page of 50 resources fetched over a
// real mutually-authenticated gRPC link on loopback, and in-process.
func BenchmarkPerCall(b *testing.B) {
	conn := synthetic.New(synthetic.Shape{Users: 1000, Groups: 10, Members: 5})
	for name, client := range map[string]contract.Client{
		"loopback-mtls": connectortest.Serve(b, conn),
		"in-process":    inProcess(b, conn),
	} {
		b.Run(name, func(b *testing.B) {
			ctx := context.Background()
			req := &connectorv2.ResourcesServiceListResourcesRequest{ResourceTypeId: "user"}
			for i := 0; i < b.N; i++ {
				resp, err := client.ListResources(ctx, req)
				if err != nil || len(resp.GetList()) != 50 {
					b.Fatalf("%v, %d resources", err, len(resp.GetList()))
				}
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/1000, "ms/call")
		})
	}
}
