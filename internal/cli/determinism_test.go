package cli_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	batonv1 "github.com/batonkit/batonkit/pb/baton/v1"
	connectorv2 "github.com/batonkit/batonkit/pb/c1/connector/v2"
	"github.com/batonkit/batonkit/pkg/c1z"
)

// grantsFile writes a sync whose grants of one entitlement embed it in
// different shapes: full, and as {id, resource} only (as grant.New does).
func grantsFile(t *testing.T) (string, map[string]*connectorv2.Grant) {
	t.Helper()
	want := map[string]*connectorv2.Grant{}
	path := syncFile(t, func(ctx context.Context, w *c1z.SyncWriter) error {
		if err := w.PutResourceTypes(ctx, &connectorv2.ResourceType{Id: "team", DisplayName: "Team"}, &connectorv2.ResourceType{Id: "user", DisplayName: "User"}); err != nil {
			return err
		}
		for e := range 20 {
			team := &connectorv2.Resource{Id: &connectorv2.ResourceId{ResourceType: "team", Resource: fmt.Sprintf("t%d", e)}, DisplayName: fmt.Sprintf("Team %d", e)}
			full := &connectorv2.Entitlement{Id: fmt.Sprintf("team:t%d:member", e), Resource: team, DisplayName: fmt.Sprintf("Member of %d", e), Slug: "member",
				Purpose: connectorv2.Entitlement_PURPOSE_VALUE_ASSIGNMENT}
			if err := errors.Join(w.PutResources(ctx, team), w.PutEntitlements(ctx, full)); err != nil {
				return err
			}
			for u := range 20 {
				user := &connectorv2.Resource{Id: &connectorv2.ResourceId{ResourceType: "user", Resource: fmt.Sprintf("u%d", u)}, DisplayName: fmt.Sprintf("User %d", u)}
				if e == 0 {
					if err := w.PutResources(ctx, user); err != nil {
						return err
					}
				}
				ent := full
				if (e+u)%2 == 1 {
					ent = &connectorv2.Entitlement{Id: full.GetId(), Resource: &connectorv2.Resource{Id: team.GetId()}}
				}
				g := &connectorv2.Grant{Id: full.GetId() + ":user:" + user.GetId().GetResource(), Entitlement: ent, Principal: user}
				if err := w.PutGrants(ctx, g); err != nil {
					return err
				}
				want[g.GetId()] = g
			}
		}
		return nil
	})
	return path, want
}

// `baton -o json grants` prints exactly what is stored for each grant,
// byte for byte the same on every run and with any number of cores.
func TestGrantsJSONIsExactAndDeterministic(t *testing.T) {
	path, want := grantsFile(t)
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	var first string
	for _, procs := range []int{1, 2, 3, 8} {
		runtime.GOMAXPROCS(procs)
		for range 3 {
			out, stderr, code := run(t, "-f", path, "-o", "json", "grants")
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			if first == "" {
				first = out
			} else if out != first {
				t.Fatalf("GOMAXPROCS %d: the output differs from the first run", procs)
			}
		}
	}
	var doc batonv1.GrantListOutput
	if err := protojson.Unmarshal([]byte(first), &doc); err != nil {
		t.Fatalf("parse: %v (%s)", err, strings.SplitN(first, "\n", 2)[0])
	}
	if len(doc.GetGrants()) != len(want) {
		t.Fatalf("%d grants printed, %d stored", len(doc.GetGrants()), len(want))
	}
	for _, g := range doc.GetGrants() {
		w := want[g.GetGrant().GetId()]
		if !proto.Equal(g.GetGrant().GetEntitlement(), w.GetEntitlement()) {
			t.Fatalf("grant %s printed entitlement %v, stored %v", w.GetId(), g.GetGrant().GetEntitlement(), w.GetEntitlement())
		}
	}
}
