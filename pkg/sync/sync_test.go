package sync_test

import (
	"context"
	"path/filepath"
	"slices"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/batonkit/batonkit/internal/testconnector"
	"github.com/batonkit/batonkit/pkg/c1z"
	"github.com/batonkit/batonkit/pkg/connector"
	"github.com/batonkit/batonkit/pkg/contract"
	"github.com/batonkit/batonkit/pkg/sync"
)

func inProcess(t testing.TB, c connector.Connector) contract.Client {
	t.Helper()
	srv, err := connector.NewServer(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	return connector.InProcessClient(srv)
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// syncTo runs one sync of c into a new file and returns its path.
func syncTo(t *testing.T, client contract.Client, path string, opts ...sync.Option) (sync.Result, error) {
	t.Helper()
	ctx := context.Background()
	st, err := c1z.Open(ctx, path)
	must(t, err)
	res, err := sync.New(client, st, opts...).Run(ctx)
	must(t, st.Close(ctx))
	return res, err
}

// dump is every object of a file's default sync, canonically encoded and
// sorted: two files with equal dumps hold the same data whatever their
// sync ids, timestamps or row order.
func dump(t *testing.T, path string) []string {
	t.Helper()
	ctx := context.Background()
	st, err := c1z.Open(ctx, path, c1z.ReadOnly())
	must(t, err)
	defer st.Close(ctx)
	var out []string
	add := func(kind string, m proto.Message, err error) {
		must(t, err)
		b, err := proto.MarshalOptions{Deterministic: true}.Marshal(m)
		must(t, err)
		out = append(out, kind+" "+string(b))
	}
	for m, err := range st.ResourceTypes(ctx, "") {
		add("rt", m, err)
	}
	for m, err := range st.Resources(ctx, c1z.ResourceQuery{}) {
		add("r", m, err)
	}
	for m, err := range st.Entitlements(ctx, c1z.EntitlementQuery{}) {
		add("e", m, err)
	}
	for m, err := range st.Grants(ctx, c1z.GrantQuery{}) {
		add("g", m, err)
	}
	slices.Sort(out)
	return out
}

func TestFullSync(t *testing.T) {
	c := testconnector.New(20, 6, 3)
	path := filepath.Join(t.TempDir(), "sync.c1z")
	res, err := syncTo(t, inProcess(t, c), path)
	must(t, err)
	// 20 users + 6 groups + 2 roles + 2 orgs + 4 repos.
	if res.Stats.Resources != 34 || res.Stats.ResourceTypes != 5 {
		t.Fatalf("stats %+v", res.Stats)
	}
	// 6 group memberships + 2 static role entitlements + 4 repo admins.
	if res.Stats.Entitlements != 12 {
		t.Fatalf("entitlements %d, want 12", res.Stats.Entitlements)
	}
	if res.Expand.Edges == 0 || res.Expand.Created == 0 {
		t.Fatalf("no expansion happened: %+v", res.Expand)
	}
	t.Logf("result: %+v", res)
}
