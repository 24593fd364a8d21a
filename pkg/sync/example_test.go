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
