package sync_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/batonkit/batonkit/internal/protoconn"
	"github.com/batonkit/batonkit/internal/testkit"
	connectorv2 "github.com/batonkit/batonkit/pb/c1/connector/v2"
	"github.com/batonkit/batonkit/pkg/connector"
	"github.com/batonkit/batonkit/pkg/contract"
	"github.com/batonkit/batonkit/pkg/sync"
)

// rawClient calls a raw contract server in process, through the same
// validating interceptors a served connector has.
func rawClient(srv contract.Server) contract.Client {
	unary, stream := connector.Interceptors(slog.New(slog.DiscardHandler))
	return contract.NewInProcessClient(srv, unary, stream)
}

func reference(t *testing.T, o protoconn.Options) []string {
	t.Helper()
	o.Strict, o.Cache = protoconn.Lenient, false
	c := rawClient(protoconn.New(o))
	want, err := protoconn.Reference(t.Context(), c, c, c, c)
	testkit.Must(t, err)
	return want
}

func seeds(t *testing.T, def int) int {
	if v := os.Getenv("BATONKIT_DIFF_SEEDS"); v != "" {
		n, err := strconv.Atoi(v)
		testkit.Must(t, err)
		return n
	}
	return def
}

// TestDifferentialAgainstReference syncs randomized connectors that mix
// per-resource and type-scoped listings, next-page chains and fan-out
// tokens, child types, static entitlements, skips and retryable failures,
// and compares each file with what a naive walk of the same connector says
// a complete sync must hold. Every fifth seed is also interrupted at a
// seed-chosen step and resumed. BATONKIT_DIFF_SEEDS sets the count (make
// fuzz runs thousands).
func TestDifferentialAgainstReference(t *testing.T) {
	n := seeds(t, 200)
	dir := t.TempDir()
	for seed := range uint64(n) {
		o := protoconn.Options{Seed: seed, Flaky: true}
		want := reference(t, o)
		workers := 1 + int(seed%4)
		path := filepath.Join(dir, fmt.Sprintf("s%d.c1z", seed))
		opts := []sync.Option{sync.WithWorkers(workers), sync.WithRetry(sync.RetryPolicy{BaseDelay: 1})}
		if seed%5 == 0 {
			_, err := syncTo(t, rawClient(protoconn.New(o)), path, append(opts, sync.StopAfter(1+int(seed%17)))...)
			if err != nil && !errors.Is(err, sync.ErrInterrupted) {
				t.Fatalf("seed %d: interrupted run: %v", seed, err)
			}
		}
		if _, err := syncTo(t, rawClient(protoconn.New(o)), path, opts...); err != nil {
			t.Fatalf("seed %d (workers %d): %v", seed, workers, err)
		}
		if got := dump(t, path); !slices.Equal(got, want) {
			t.Fatalf("seed %d (workers %d): the file holds %d objects, the reference %d\n%s", seed, workers, len(got), len(want), diffLines(got, want))
		}
		os.Remove(path)
	}
}

// diffLines shows the first objects one side has and the other lacks.
func diffLines(got, want []string) string {
	out := ""
	for _, g := range got {
		if !slices.Contains(want, g) {
			out += fmt.Sprintf("  only in file: %q\n", g)
			if len(out) > 2000 {
				return out
			}
		}
	}
	for _, w := range want {
		if !slices.Contains(got, w) {
			out += fmt.Sprintf("  only in reference: %q\n", w)
			if len(out) > 2000 {
				return out
			}
		}
	}
	return out
}

// Stateful connectors, over every transport: each gets the result of an
// unconstrained walk although it dies when the syncer breaks Baton's
// order: a cursor that dies when anything else reaches the connector (one
// worker), or when a call of another phase does (four workers), and a
// cache that only ListResources fills.
func TestStatefulConnectors(t *testing.T) {
	all := make([]uint64, 40)
	for i := range all {
		all[i] = uint64(i*7) % 53
	}
	for _, tc := range []struct {
		strict  protoconn.Strictness
		workers int
	}{{protoconn.StrictConnector, 1}, {protoconn.StrictPhase, 1}, {protoconn.StrictPhase, 4}} {
		t.Run(fmt.Sprintf("strict%d-workers%d", tc.strict, tc.workers), func(t *testing.T) {
			opts := func(seed uint64) protoconn.Options {
				return protoconn.Options{Seed: seed, Strict: tc.strict, Cache: true, Scale: 1 + int(seed%3)}
			}
			eachTransport(t, all, opts, func(t *testing.T, o protoconn.Options, c contract.Client) {
				want := reference(t, o)
				path := filepath.Join(t.TempDir(), "s.c1z")
				if _, err := syncTo(t, c, path, sync.WithWorkers(tc.workers)); err != nil {
					t.Fatal(err)
				}
				if got := dump(t, path); !slices.Equal(got, want) {
					t.Fatalf("differs from an unconstrained walk\n%s", diffLines(got, want))
				}
			})
		})
	}
}

// The strict mode is strict enough to catch the bug of the pipelined
// order: any call between two pages of a listing kills its cursor, with an
// error that names the listing.
func TestStrictConnectorRejectsInterleaving(t *testing.T) {
	ctx := context.Background()
	for seed := range uint64(50) {
		c := rawClient(protoconn.New(protoconn.Options{Seed: seed, Strict: protoconn.StrictConnector}))
		types, err := c.ListResourceTypes(ctx, &connectorv2.ResourceTypesServiceListResourceTypesRequest{})
		testkit.Must(t, err)
		for _, rt := range types.GetList() {
			first, err := c.ListResources(ctx, &connectorv2.ResourcesServiceListResourcesRequest{ResourceTypeId: rt.GetId()})
			testkit.Must(t, err)
			if first.GetNextPageToken() == "" {
				continue
			}
			_, _ = c.ListResourceTypes(ctx, &connectorv2.ResourceTypesServiceListResourceTypesRequest{})
			_, err = c.ListResources(ctx, &connectorv2.ResourcesServiceListResourcesRequest{ResourceTypeId: rt.GetId(), PageToken: first.GetNextPageToken()})
			if status.Code(err) != codes.FailedPrecondition || !strings.Contains(err.Error(), rt.GetId()) {
				t.Fatalf("an interleaved call left the cursor valid: %v", err)
			}
			return
		}
	}
	t.Fatal("no seed has a resource listing of two pages")
}
