package sync_test

import (
	"errors"
	"path/filepath"
	"slices"
	"testing"

	"github.com/batonkit/batonkit/internal/protoconn"
	"github.com/batonkit/batonkit/pkg/sync"
)

// Seed 1165 of the differential test once lost a static entitlement: an
// interrupted run with two workers cancelled a checkpoint whose
// transaction had taken another worker's buffered rows, and the rows were
// dropped while the token counted them as written. Interrupting it at the
// same step many times, the resumed file must always be complete.
func TestInterruptedCheckpointKeepsOtherWorkersRows(t *testing.T) {
	o := protoconn.Options{Seed: 1165, Flaky: true}
	want := reference(t, o)
	for i := range 60 {
		path := filepath.Join(t.TempDir(), "s.c1z")
		opts := []sync.Option{sync.WithWorkers(2), sync.WithRetry(sync.RetryPolicy{BaseDelay: 1})}
		if _, err := syncTo(t, rawClient(protoconn.New(o)), path, append(opts, sync.StopAfter(10))...); err != nil && !errors.Is(err, sync.ErrInterrupted) {
			t.Fatal(err)
		}
		if _, err := syncTo(t, rawClient(protoconn.New(o)), path, opts...); err != nil {
			t.Fatal(err)
		}
		if got := dump(t, path); !slices.Equal(got, want) {
			t.Fatalf("run %d: the resumed file lost objects\n%s", i, diffLines(got, want))
		}
	}
}
