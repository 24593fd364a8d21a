package sync_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/batonkit/batonkit/examples/synthetic"
	"github.com/batonkit/batonkit/pkg/c1z"
	"github.com/batonkit/batonkit/pkg/connector"
	"github.com/batonkit/batonkit/pkg/sync"
)

func ExampleSyncer_Run() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)

	srv, _ := connector.NewServer(ctx, synthetic.New(synthetic.Shape{Users: 100, Groups: 5, Members: 10}))
	st, err := c1z.Open(ctx, filepath.Join(dir, "sync.c1z"))
	if err != nil {
		panic(err)
	}
	res, err := sync.New(connector.InProcessClient(srv), st, sync.WithWorkers(2)).Run(ctx)
	if err != nil {
		panic(err) // errors.Is(err, sync.ErrInterrupted): run again to resume
	}
	st.Close(ctx)
	fmt.Println(res.Stats.Resources, res.Stats.Entitlements, res.Stats.Grants)
	// Output: 105 5 50
}

// Options narrow and watch a sync: only some resource types, no grants,
// a progress callback, and the protocol features the connector used that
// the syncer does not act on, counted in the result.
func ExampleWithResourceTypes() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)

	srv, _ := connector.NewServer(ctx, synthetic.New(synthetic.Shape{Users: 10, Groups: 2, Members: 3}))
	st, _ := c1z.Open(ctx, filepath.Join(dir, "sync.c1z"))
	phases := map[string]bool{}
	res, err := sync.New(connector.InProcessClient(srv), st,
		sync.WithResourceTypes("group"),
		sync.WithSkipGrants(),
		sync.WithProgress(func(p sync.Progress) { phases[p.Phase] = true }),
	).Run(ctx)
	if err != nil {
		panic(err)
	}
	st.Close(ctx)
	fmt.Println(res.Stats.Resources, res.Stats.Grants, len(res.Unhandled), phases["grants"])
	// Output: 2 0 0 false
}
