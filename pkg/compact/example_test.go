package compact_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	connectorv2 "github.com/batonkit/batonkit/pb/c1/connector/v2"
	"github.com/batonkit/batonkit/pkg/c1z"
	"github.com/batonkit/batonkit/pkg/compact"
)

// A full sync and a targeted sync after it fold into one full sync: the
// group's members as the targeted sync re-read them.
func ExampleCompact() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "sync.c1z")
	st, _ := c1z.Open(ctx, path)
	write := func(typ c1z.SyncType, members ...string) {
		run, _ := st.StartSync(ctx, typ, "")
		eng := &connectorv2.Resource{Id: &connectorv2.ResourceId{ResourceType: "group", Resource: "eng"}}
		ent := &connectorv2.Entitlement{Id: "group:eng:member", Resource: eng, Slug: "member"}
		run.PutResourceTypes(ctx, &connectorv2.ResourceType{Id: "group"})
		run.PutResources(ctx, eng)
		run.PutEntitlements(ctx, ent)
		for _, m := range members {
			p := &connectorv2.Resource{Id: &connectorv2.ResourceId{ResourceType: "user", Resource: m}}
			run.PutGrants(ctx, &connectorv2.Grant{Id: "group:eng:member:user:" + m, Entitlement: ent, Principal: p})
		}
		run.End(ctx)
	}
	write(c1z.SyncFull, "alice", "bob")
	write(c1z.SyncPartial, "alice", "carol") // bob left, carol joined
	st.Close(ctx)

	inputs, _ := compact.Select(ctx, path)
	res, err := compact.Compact(ctx, filepath.Join(dir, "compacted.c1z"), inputs, compact.Options{})
	if err != nil {
		panic(err)
	}
	r, _ := c1z.OpenReader(ctx, res.Path)
	defer r.Close(ctx)
	for g, err := range r.Grants(ctx, c1z.GrantQuery{}) {
		if err != nil {
			panic(err)
		}
		fmt.Println(g.GetPrincipal().GetId().GetResource())
	}
	fmt.Println(res.Type, len(res.Applied))
	// Output:
	// alice
	// carol
	// full 2
}
