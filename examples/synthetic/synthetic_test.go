package synthetic_test

import (
	"testing"

	"github.com/batonkit/batonkit/examples/synthetic"
	"github.com/batonkit/batonkit/pkg/connectortest"
)

func TestConformance(t *testing.T) {
	rep := connectortest.Run(t, synthetic.New(synthetic.Shape{Users: 230, Groups: 12, Members: 7, Nesting: 4}))
	// 12 groups x 7 members, plus 3 nesting grants (g0>g1>g2>g3).
	if len(rep.Resources) != 242 || len(rep.Grants) != 12*7+3 {
		t.Fatalf("%d resources, %d grants", len(rep.Resources), len(rep.Grants))
	}
}
