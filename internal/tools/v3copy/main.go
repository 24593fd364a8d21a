// Command v3copy writes the latest sync of a v1 c1z in the layout of
// Baton's v3 files, for benchmarks of the v3 reader at sizes Baton's own
// tools are not here to write: v3copy IN.c1z OUT.c1z.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/batonkit/batonkit/internal/c1ztest"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: v3copy IN.c1z OUT.c1z")
		os.Exit(2)
	}
	if err := c1ztest.CopyToV3(context.Background(), os.Args[1], os.Args[2]); err != nil {
		fmt.Fprintln(os.Stderr, "v3copy:", err)
		os.Exit(1)
	}
}
