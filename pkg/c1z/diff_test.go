package c1z_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	c1zv1 "github.com/batonkit/batonkit/pb/c1/c1z/v1"
)

func TestDiffMatchesUpstream(t *testing.T) {
	ctx := context.Background()
	s := openFixture(t, "demo-v1-two-syncs")
	base, applied, err := s.LatestTwoFullSyncs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.Diff(ctx, base, applied)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(fixtureDir(t), "expected", "demo-v1-two-syncs.diff.json"))
	if err != nil {
		t.Fatal(err)
	}
	want := &c1zv1.C1ZDiffOutput{}
	if err := protojson.Unmarshal(raw, want); err != nil {
		t.Fatal(err)
	}
	// Upstream omits empty lists; compare as multisets per list.
	pairs := []struct {
		name      string
		got, want []proto.Message
	}{
		{"resources created", msgs(got.GetResources().GetCreated()), msgs(want.GetResources().GetCreated())},
		{"resources deleted", msgs(got.GetResources().GetDeleted()), msgs(want.GetResources().GetDeleted())},
		{"resources modified", msgs(got.GetResources().GetModified()), msgs(want.GetResources().GetModified())},
		{"entitlements created", msgs(got.GetEntitlements().GetCreated()), msgs(want.GetEntitlements().GetCreated())},
		{"entitlements deleted", msgs(got.GetEntitlements().GetDeleted()), msgs(want.GetEntitlements().GetDeleted())},
		{"entitlements modified", msgs(got.GetEntitlements().GetModified()), msgs(want.GetEntitlements().GetModified())},
		{"grants created", msgs(got.GetGrants().GetCreated()), msgs(want.GetGrants().GetCreated())},
		{"grants deleted", msgs(got.GetGrants().GetDeleted()), msgs(want.GetGrants().GetDeleted())},
		{"grants modified", msgs(got.GetGrants().GetModified()), msgs(want.GetGrants().GetModified())},
	}
	for _, p := range pairs {
		if len(p.got) != len(p.want) {
			t.Errorf("%s: %d, upstream %d", p.name, len(p.got), len(p.want))
			continue
		}
		left := map[string]int{}
		for _, m := range p.want {
			left[canonical(t, m)]++
		}
		for _, m := range p.got {
			k := canonical(t, m)
			if left[k] == 0 {
				t.Errorf("%s: unexpected %v", p.name, m)
			}
			left[k]--
		}
	}
}

func msgs[T proto.Message](in []T) []proto.Message {
	out := make([]proto.Message, len(in))
	for i, m := range in {
		out[i] = m
	}
	return out
}
