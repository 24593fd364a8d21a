// Package c1ztest has helpers for tests that compare sync files.
package c1ztest

import (
	"context"
	"slices"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/batonkit/batonkit/pkg/c1z"
)

// Dump returns every object of a file's default sync, canonically encoded
// and sorted: two files with equal dumps hold the same data whatever their
// sync ids, timestamps or row order.
func Dump(t testing.TB, path string) []string {
	t.Helper()
	ctx := context.Background()
	st, err := c1z.OpenReader(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close(ctx)
	var out []string
	add := func(kind string, m proto.Message, err error) {
		if err != nil {
			t.Fatal(err)
		}
		b, err := proto.MarshalOptions{Deterministic: true}.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
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
