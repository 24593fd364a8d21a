package c1z_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	connectorv2 "github.com/batonkit/batonkit/pb/c1/connector/v2"
	"github.com/batonkit/batonkit/pkg/c1z"
)

func ExampleOpen() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "sync.c1z")

	// Write one sync.
	st, err := c1z.Open(ctx, path)
	if err != nil {
		panic(err)
	}
	run, _ := st.StartSync(ctx, c1z.SyncFull, "")
	st.PutResourceTypes(ctx, run.ID, &connectorv2.ResourceType{Id: "user", DisplayName: "User"})
	st.PutResources(ctx, run.ID, &connectorv2.Resource{Id: &connectorv2.ResourceId{ResourceType: "user", Resource: "alice"}, DisplayName: "Alice"})
	st.EndSync(ctx, run.ID)
	if err := st.Close(ctx); err != nil { // compresses and renames into place
		panic(err)
	}

	// Read it back; readers default to the latest finished full sync.
	r, err := c1z.Open(ctx, path, c1z.ReadOnly())
	if err != nil {
		panic(err)
	}
	defer r.Close(ctx)
	for res, err := range r.Resources(ctx, c1z.ResourceQuery{ResourceTypeID: "user"}) {
		if err != nil {
			panic(err)
		}
		fmt.Println(res.GetDisplayName())
	}
	// Output: Alice
}
