package c1z_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/batonkit/batonkit/internal/testkit"
	connectorv2 "github.com/batonkit/batonkit/pb/c1/connector/v2"
	"github.com/batonkit/batonkit/pkg/c1z"
)

func TestSearchResources(t *testing.T) {
	ctx := context.Background()
	s, run := newSync(t)
	for i := range 1500 {
		testkit.Must(t, run.PutResources(ctx, user(fmt.Sprintf("u%04d", i))))
	}
	odd := []*connectorv2.Resource{
		{Id: &connectorv2.ResourceId{ResourceType: "user", Resource: "x\x00nul"}, DisplayName: "Zoë Ångström"},
		{Id: &connectorv2.ResourceId{ResourceType: "user", Resource: "plain"}, DisplayName: "Ken ADMIN"},
		// The text sits in an annotation, not in the id or the name: no match.
		user("trait-only"),
		group("u0007-is-a-group"),
	}
	testkit.Must(t, run.PutResources(ctx, odd...))
	users := c1z.ResourceQuery{SyncID: run.ID, ResourceTypeID: "user"}

	all := func(text string, size int) []string {
		var ids []string
		p := c1z.Page{Size: size}
		for range 100 {
			rs, next, err := s.SearchResources(ctx, users, text, p)
			testkit.Must(t, err)
			if len(rs) > size {
				t.Fatalf("page of %d holds %d", size, len(rs))
			}
			for _, r := range rs {
				ids = append(ids, r.GetId().GetResource())
			}
			if next == "" {
				return ids
			}
			p.Token = next
		}
		t.Fatalf("search %q does not end", text)
		return nil
	}
	for _, tc := range []struct {
		text string
		want []string
	}{
		{"U0007", []string{"u0007"}},
		{"user u114", []string{"u1140", "u1141", "u1142", "u1143", "u1144", "u1145", "u1146", "u1147", "u1148", "u1149"}},
		{"admin", []string{"plain"}},
		{"ÅNGSTRÖM", []string{"x\x00nul"}}, // non-ASCII: decoded and folded in Go
		{"nul", []string{"x\x00nul"}},      // after a NUL byte in the id
		{"login", nil},                     // a JSON field name: not in the stored bytes
		{"nothing like it", nil},
	} {
		for _, size := range []int{1, 3, 100} {
			if got := all(tc.text, size); !slices.Equal(got, tc.want) {
				t.Errorf("search %q (pages of %d) = %q, want %q", tc.text, size, got, tc.want)
			}
		}
	}
	if got := all("", 1000); len(got) != 1503 {
		t.Errorf("empty search found %d users, want 1503", len(got))
	}
}
