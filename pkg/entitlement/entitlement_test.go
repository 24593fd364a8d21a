package entitlement_test

import (
	"fmt"
	"testing"

	"github.com/batonkit/batonkit/pkg/entitlement"
)

func TestParseID(t *testing.T) {
	for _, tc := range []struct {
		id, typ, res, slug string
		ok                 bool
	}{
		{"group:g1:member", "group", "g1", "member", true},
		{"group:cn=eng,ou=groups:dc=x:member", "group", "cn=eng,ou=groups:dc=x", "member", true},
		{"role:16388:assigned", "role", "16388", "assigned", true},
		{"group:g1", "", "", "", false},
		{":g1:member", "", "", "", false},
		{"group::member", "", "", "", false},
		{"group:g1:", "", "", "", false},
		{"nocolon", "", "", "", false},
	} {
		rid, slug, err := entitlement.ParseID(tc.id)
		if (err == nil) != tc.ok {
			t.Fatalf("%q: err = %v", tc.id, err)
		}
		if tc.ok && (rid.GetResourceType() != tc.typ || rid.GetResource() != tc.res || slug != tc.slug) {
			t.Fatalf("%q: %v %q", tc.id, rid, slug)
		}
		if tc.ok && entitlement.ID(rid, slug) != tc.id {
			t.Fatalf("%q does not round-trip", tc.id)
		}
	}
}

func ExampleParseID() {
	rid, slug, _ := entitlement.ParseID("group:cn=eng,ou=groups,dc=example,dc=com:member")
	fmt.Println(rid.GetResourceType(), rid.GetResource(), slug)
	// Output: group cn=eng,ou=groups,dc=example,dc=com member
}
