package resource_test

import (
	"fmt"

	connectorv2 "github.com/batonkit/batonkit/pb/c1/connector/v2"
	"github.com/batonkit/batonkit/pkg/annotations"
	"github.com/batonkit/batonkit/pkg/resource"
)

func ExampleNew() {
	alice, err := resource.New("user", "u-123", "Alice",
		resource.User(resource.Email("alice@example.com", true), resource.Login("alice"),
			resource.UserStatus(connectorv2.UserTrait_Status_STATUS_ENABLED)),
		resource.WithProfile(map[string]any{"department": "R&D"}))
	if err != nil {
		panic(err)
	}
	var ut connectorv2.UserTrait
	annotations.Annotations(alice.GetAnnotations()).Pick(&ut)
	fmt.Println(alice.GetId().GetResourceType(), alice.GetId().GetResource(), ut.GetLogin(), alice.GetProfile().GetFields()["department"].GetStringValue())
	// Output: user u-123 alice R&D
}

func ExampleNewType() {
	rt := resource.NewType("repo", "Repository", resource.WithTypeDescription("A source repository"))
	fmt.Println(rt.GetId(), rt.GetDisplayName())
	// Output: repo Repository
}
