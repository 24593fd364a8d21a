package grant_test

import (
	"fmt"

	connectorv2 "github.com/batonkit/batonkit/pb/c1/connector/v2"
	"github.com/batonkit/batonkit/pkg/annotations"
	"github.com/batonkit/batonkit/pkg/entitlement"
	"github.com/batonkit/batonkit/pkg/grant"
	"github.com/batonkit/batonkit/pkg/resource"
)

func ExampleNew() {
	team, _ := resource.New("team", "red", "Red team")
	direct := grant.New(team, "member", resource.ID("user", "alice"))
	nested := grant.New(team, "member", resource.ID("team", "blue"), grant.Expandable("team:blue:member"))
	fmt.Println(direct.GetId())
	fmt.Println(nested.GetId(), annotations.Annotations(nested.GetAnnotations()).Contains(&connectorv2.GrantExpandable{}))
	// Output:
	// team:red:member:user:alice
	// team:red:member:team:blue true
}

// Of builds the grant Provisioner.Grant returns: the entitlement it was
// given, to the principal.
func ExampleOf() {
	team, _ := resource.New("team", "red", "Red team")
	admin := entitlement.NewPermission(team, "admin")
	ada, _ := resource.New("user", "ada", "Ada")
	fmt.Println(grant.Of(admin, ada).GetId())
	// Output: team:red:admin:user:ada
}
