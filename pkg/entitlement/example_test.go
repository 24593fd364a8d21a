package entitlement_test

import (
	"fmt"

	"github.com/batonkit/batonkit/pkg/entitlement"
	"github.com/batonkit/batonkit/pkg/resource"
)

func ExampleNewAssignment() {
	team, _ := resource.New("team", "red", "Red team")
	e := entitlement.NewAssignment(team, "member", entitlement.GrantableTo(resource.NewType("user", "User")))
	fmt.Println(e.GetId(), e.GetPurpose(), e.GetGrantableTo()[0].GetId())
	// Output: team:red:member PURPOSE_VALUE_ASSIGNMENT user
}
