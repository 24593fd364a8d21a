// The Node.js example is checked here, from Go: install its locked
// dependencies, run it through the child-process protocol, sync it with
// batonkit's syncer and read the file back.
package node_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/batonkit/batonkit/internal/clitest"
	connectorv2 "github.com/batonkit/batonkit/pb/c1/connector/v2"
	"github.com/batonkit/batonkit/pkg/c1z"
	"github.com/batonkit/batonkit/pkg/subprocess"
	batonsync "github.com/batonkit/batonkit/pkg/sync"
)

// install runs npm ci once for the package's tests and returns the
// example's directory.
var install = sync.OnceValues(func() (string, error) {
	for _, tool := range []string{"node", "npm"} {
		if _, err := exec.LookPath(tool); err != nil {
			return "", fmt.Errorf("%s is not installed; the Node.js example needs Node.js 18 or newer with npm "+
				"(Debian/Ubuntu: apt-get install nodejs npm; elsewhere: https://nodejs.org): %v", tool, err)
		}
	}
	dir, err := filepath.Abs(".")
	if err != nil {
		return "", err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "npm", "ci", "--no-audit", "--no-fund", "--loglevel=error")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("npm ci: %v\n%s", err, out)
	}
	return dir, nil
})

func TestNodeConnectorSyncs(t *testing.T) {
	dir, err := install()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()

	p, err := subprocess.Start(ctx, filepath.Join(dir, "connector.js"), nil, subprocess.Options{Stderr: os.Stderr})
	if err != nil {
		t.Fatalf("start the Node.js connector: %v", err)
	}
	defer p.Close()

	path := filepath.Join(t.TempDir(), "node.c1z")
	st, err := c1z.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	res, err := batonsync.New(p.Client, st, batonsync.WithWorkers(2)).Run(ctx)
	if err != nil {
		t.Fatalf("sync: %v", err)
	}
	if err := st.Close(ctx); err != nil {
		t.Fatal(err)
	}
	// 5 people + 3 teams; one membership entitlement per team; 7 direct
	// grants and 6 more from nested teams (web in infra in all).
	if res.Stats.Resources != 8 || res.Stats.Entitlements != 3 || res.Stats.Grants != 13 {
		t.Fatalf("stats %+v; want 8 resources, 3 entitlements, 13 grants", res.Stats)
	}

	r, err := c1z.OpenReader(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close(ctx)
	g, err := r.Grant(ctx, "", "team:all:member:person:p1")
	if err != nil {
		t.Fatalf("Ada should be in Everyone through Infrastructure and Web: %v", err)
	}
	var srcs []string
	for id := range g.GetSources().GetSources() {
		srcs = append(srcs, id)
	}
	if !slices.Equal(srcs, []string{"team:infra:member"}) {
		t.Fatalf("sources %v, want team:infra:member", srcs)
	}
	ada, err := r.Resource(ctx, "", &connectorv2.ResourceId{ResourceType: "person", Resource: "p1"})
	if err != nil || ada.GetDisplayName() != "Ada" {
		t.Fatalf("person p1: %v %v", ada, err)
	}
}

// baton conformance judges the Node.js connector over the child-process
// link, as it would any connector binary: every check passes.
func TestNodeConnectorConforms(t *testing.T) {
	dir, err := install()
	if err != nil {
		t.Fatal(err)
	}
	clitest.Conforms(t, "--connector", filepath.Join(dir, "connector.js"))
}
