package sync_test

import (
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/batonkit/batonkit/internal/protoconn"
	"github.com/batonkit/batonkit/internal/testkit"
	"github.com/batonkit/batonkit/pkg/contract"
	"github.com/batonkit/batonkit/pkg/sync"
)

// chaosSeeds are seeds that once found bugs; they run first, always.
var chaosSeeds = []uint64{}

// Connectors that misbehave as real apps do (retryable errors, slow
// pages, a page served twice, repeated objects, invalid objects, grants to
// principals no listing returns, resources deleted mid-sync): the sync
// completes with exactly the valid data, and what it dropped is counted in
// its stats. The client does not validate responses, as a connector from
// elsewhere would not: the syncer's own checks are what is tested.
func TestChaosConnectors(t *testing.T) {
	dir := t.TempDir()
	n := seeds(t, 60)
	all := append(slices.Clone(chaosSeeds), func() []uint64 {
		var s []uint64
		for i := range uint64(n) {
			s = append(s, 1000+i)
		}
		return s
	}()...)
	dropped, vanished := 0, 0
	for _, seed := range all {
		o := protoconn.Options{Seed: seed, Chaos: true, Flaky: true, Scale: 2}
		ref := protoconn.New(o)
		rc := contract.NewInProcessClient(ref, nil, nil)
		want, err := protoconn.Reference(t.Context(), rc, rc, rc, rc)
		testkit.Must(t, err)
		path := filepath.Join(dir, fmt.Sprintf("c%d.c1z", seed))
		res, err := syncTo(t, contract.NewInProcessClient(protoconn.New(o), nil, nil), path,
			sync.WithWorkers(1+int(seed%3)), sync.WithRetry(sync.RetryPolicy{BaseDelay: 1}))
		if err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
		if got := dump(t, path); !slices.Equal(got, want) {
			t.Fatalf("seed %d: the file is not exactly the valid data\n%s", seed, diffLines(got, want))
		}
		stored := 0
		for _, v := range res.Stats.Dropped {
			stored += int(v)
		}
		for _, v := range res.Dropped {
			dropped += v
			if stored == 0 {
				t.Fatalf("seed %d: %d objects dropped, none counted in the sync's stats", seed, v)
			}
		}
		vanished += res.NotFound
	}
	if dropped == 0 || vanished == 0 {
		t.Fatalf("the chaos never dropped an invalid object (%d) or lost a resource mid-sync (%d): it tests nothing", dropped, vanished)
	}
	t.Logf("%d chaotic syncs: %d invalid objects dropped and counted, %d resources vanished mid-sync", len(all), dropped, vanished)
}

// A connector whose page tokens never end fails the sync, naming the
// listing, instead of running forever.
func TestEndlessPageTokensFail(t *testing.T) {
	_, err := syncTo(t, rawClient(protoconn.New(protoconn.Options{Seed: 3, Endless: true})), filepath.Join(t.TempDir(), "e.c1z"), sync.WithMaxPages(200))
	if !errors.Is(err, sync.ErrListingTooLong) || !strings.Contains(err.Error(), `resource type "t0"`) {
		t.Fatalf("err = %v, want ErrListingTooLong naming the t0 listing", err)
	}
}
