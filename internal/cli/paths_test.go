package cli_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	connectorv2 "github.com/batonkit/batonkit/pb/c1/connector/v2"
	"github.com/batonkit/batonkit/pkg/c1z"
)

// A principal that holds an entitlement directly and through a team is
// shown both paths by access and principals: revoking the direct grant
// would not take the access away.
func TestAccessShowsEveryPath(t *testing.T) {
	project := &connectorv2.Resource{Id: &connectorv2.ResourceId{ResourceType: "project", Resource: "p2"}, DisplayName: "P2"}
	user := &connectorv2.Resource{Id: &connectorv2.ResourceId{ResourceType: "user", Resource: "u1"}, DisplayName: "Ada"}
	editor := &connectorv2.Entitlement{Id: "project:p2:editor", Resource: project, Slug: "editor", DisplayName: "Editor"}
	g := &connectorv2.Grant{Id: "project:p2:editor:user:u1", Entitlement: editor, Principal: user,
		Sources: &connectorv2.GrantSources{Sources: map[string]*connectorv2.GrantSources_GrantSource{
			"project:p2:editor": {IsDirect: true}, "team:t3:member": {}}}}
	path := syncFile(t, func(ctx context.Context, st *c1z.Store, id string) error {
		return errors.Join(
			st.PutResourceTypes(ctx, id, &connectorv2.ResourceType{Id: "project", DisplayName: "Project"}, &connectorv2.ResourceType{Id: "user", DisplayName: "User"}),
			st.PutResources(ctx, id, project, user), st.PutEntitlements(ctx, id, editor), st.PutGrants(ctx, id, g))
	})
	for _, args := range [][]string{{"access", "-t", "user", "-r", "u1"}, {"principals", "-e", "project:p2:editor"}} {
		out, stderr, code := run(t, append([]string{"-f", path}, args...)...)
		if code != 0 || !strings.Contains(out, "granted by the connector; through team:t3:member") {
			t.Fatalf("%v: exit %d, %s%s; want both paths", args, code, out, stderr)
		}
	}
}
