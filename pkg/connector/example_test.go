package connector_test

import (
	"context"
	"fmt"
	"strings"

	connectorv2 "github.com/batonkit/batonkit/pb/c1/connector/v2"
	"github.com/batonkit/batonkit/pkg/annotations"
	"github.com/batonkit/batonkit/pkg/connector"
	"github.com/batonkit/batonkit/pkg/entitlement"
	"github.com/batonkit/batonkit/pkg/grant"
	"github.com/batonkit/batonkit/pkg/resource"
)

// team is a one-type connector: two teams, each with a member entitlement.
type team struct{}

func (team) Metadata(context.Context) (*connectorv2.ConnectorMetadata, error) {
	return &connectorv2.ConnectorMetadata{DisplayName: "Teams"}, nil
}
func (team) Validate(context.Context) (annotations.Annotations, error) { return nil, nil }
func (t team) ResourceSyncers(context.Context) []connector.ResourceSyncer {
	return []connector.ResourceSyncer{t}
}
func (team) ResourceType(context.Context) *connectorv2.ResourceType {
	return resource.NewType("team", "Team", resource.WithTraits(connectorv2.ResourceType_TRAIT_GROUP))
}
func (team) List(context.Context, *connectorv2.ResourceId, connector.PageRequest) (connector.Page[*connectorv2.Resource], error) {
	red, _ := resource.New("team", "red", "Red team", resource.Group(nil))
	blue, _ := resource.New("team", "blue", "Blue team", resource.Group(nil))
	return connector.Page[*connectorv2.Resource]{Items: []*connectorv2.Resource{red, blue}}, nil
}
func (team) Entitlements(_ context.Context, r *connectorv2.Resource, _ connector.PageRequest) (connector.Page[*connectorv2.Entitlement], error) {
	return connector.Page[*connectorv2.Entitlement]{Items: []*connectorv2.Entitlement{entitlement.NewAssignment(r, "member")}}, nil
}
func (team) Grants(_ context.Context, r *connectorv2.Resource, _ connector.PageRequest) (connector.Page[*connectorv2.Grant], error) {
	return connector.Page[*connectorv2.Grant]{Items: []*connectorv2.Grant{grant.New(r, "member", resource.ID("user", "alice"))}}, nil
}

func ExampleNewServer() {
	ctx := context.Background()
	srv, err := connector.NewServer(ctx, team{})
	if err != nil {
		panic(err)
	}
	client := connector.InProcessClient(srv)
	resp, err := client.ListResources(ctx, &connectorv2.ResourcesServiceListResourcesRequest{ResourceTypeId: "team"})
	if err != nil {
		panic(err)
	}
	for _, r := range resp.GetList() {
		fmt.Println(r.GetId().GetResource(), r.GetDisplayName())
	}
	_, err = client.Grant(ctx, &connectorv2.GrantManagerServiceGrantRequest{})
	fmt.Println(err != nil)
	// Output:
	// red Red team
	// blue Blue team
	// true
}

func ExampleRandomPassword() {
	creds := &connectorv2.LocalCredentialOptions{Options: &connectorv2.LocalCredentialOptions_RandomPassword_{
		RandomPassword: &connectorv2.LocalCredentialOptions_RandomPassword{Length: 32}}}
	pw, err := connector.RandomPassword(creds)
	if err != nil {
		panic(err)
	}
	fmt.Println(len(pw), strings.Trim(pw, connector.PasswordAlphabet) == "")
	// Output: 32 true
}
