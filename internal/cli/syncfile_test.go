package cli_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/batonkit/batonkit/pkg/c1z"
)

// syncFile writes a c1z holding one finished full sync that fill puts
// objects into, and returns its path.
func syncFile(t *testing.T, fill func(ctx context.Context, w *c1z.SyncWriter) error) string {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "sync.c1z")
	st, err := c1z.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	run, err := st.StartSync(ctx, c1z.SyncFull, "")
	if err == nil {
		err = fill(ctx, run)
	}
	if err == nil {
		_, err = run.End(ctx)
	}
	if cerr := st.Close(ctx); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}
	return path
}
