package expand_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/batonkit/batonkit/pkg/c1z"
	"github.com/batonkit/batonkit/pkg/entitlement"
	"github.com/batonkit/batonkit/pkg/grant"
	"github.com/batonkit/batonkit/pkg/resource"
	"github.com/batonkit/batonkit/pkg/sync/expand"
)

// Group "eng" is a member of "all", so eng's members inherit all's
// membership: Run writes that grant, with eng's membership as its source.
// Replay undoes it and runs it again on the finished sync.
func ExampleRun() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)
	st, err := c1z.Open(ctx, filepath.Join(dir, "sync.c1z"))
	if err != nil {
		panic(err)
	}
	defer st.Close(ctx)
	run, _ := st.StartSync(ctx, c1z.SyncFull, "")
	all, _ := resource.New("group", "all", "All", resource.Group(nil))
	eng, _ := resource.New("group", "eng", "Eng", resource.Group(nil))
	run.PutResources(ctx, all, eng)
	run.PutEntitlements(ctx, entitlement.NewAssignment(all, "member"), entitlement.NewAssignment(eng, "member"))
	run.PutGrants(ctx,
		grant.New(all, "member", resource.ID("group", "eng"), grant.Expandable("group:eng:member")),
		grant.New(eng, "member", resource.ID("user", "ada")))

	stats, err := expand.Run(ctx, run, expand.Options{})
	if err != nil {
		panic(err)
	}
	fmt.Println("created", stats.Created)
	run.End(ctx)

	amend, _ := st.AmendSync(ctx, run.ID)
	rb, again, err := expand.Replay(ctx, amend, false, expand.Options{})
	if err != nil {
		panic(err)
	}
	amend.End(ctx)
	fmt.Println("rolled back", rb.Deleted, "created again", again.Created)
	// Output:
	// created 1
	// rolled back 1 created again 1
}
