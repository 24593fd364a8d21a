package connectortest_test

import (
	"testing"

	"github.com/batonkit/batonkit/internal/testconnector"
	"github.com/batonkit/batonkit/pkg/connectortest"
)

// In a connector's own tests: Run serves it over a real gRPC connection,
// walks every listing at the default page size and at 1 and 2, checks
// ids, references and the contract's rules, and (with WithProvisioning)
// grants and revokes one entitlement.
func TestMyConnector(t *testing.T) {
	c := testconnector.New(5, 2, 1) // your connector, pointed at a test tenant or a fake API
	rep := connectortest.Run(t, c, connectortest.WithProvisioning())
	if len(rep.Resources) == 0 {
		t.Fatal("nothing synced")
	}
}
