package annotations_test

import (
	"fmt"

	connectorv2 "github.com/batonkit/batonkit/pb/c1/connector/v2"
	"github.com/batonkit/batonkit/pkg/annotations"
)

func ExampleAnnotations_Pick() {
	r := &connectorv2.Resource{
		Annotations: annotations.New(&connectorv2.UserTrait{Login: "alice"}),
	}
	var ut connectorv2.UserTrait
	ok, err := annotations.Annotations(r.GetAnnotations()).Pick(&ut)
	fmt.Println(ok, err, ut.GetLogin())
	// Output: true <nil> alice
}
