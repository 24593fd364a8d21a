package contract_test

import (
	"fmt"

	connectorv2 "github.com/batonkit/batonkit/pb/c1/connector/v2"
	"github.com/batonkit/batonkit/pkg/contract"
)

func ExampleValidate() {
	err := contract.Validate(&connectorv2.ResourceId{Resource: "alice"})
	fmt.Println(err != nil)
	// Output: true
}
