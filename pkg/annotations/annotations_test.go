package annotations_test

import (
	"testing"

	connectorv2 "github.com/batonkit/batonkit/pb/c1/connector/v2"
	"github.com/batonkit/batonkit/pkg/annotations"
)

func TestPickContainsUpdateWithout(t *testing.T) {
	a := annotations.New(&connectorv2.SkipGrants{}, &connectorv2.ChildResourceType{ResourceTypeId: "repo"})
	if !a.Contains(&connectorv2.SkipGrants{}) {
		t.Fatal("SkipGrants not found")
	}
	if a.Contains(&connectorv2.SkipEntitlements{}) {
		t.Fatal("SkipEntitlements found but never added")
	}
	var crt connectorv2.ChildResourceType
	if ok, err := a.Pick(&crt); !ok || err != nil || crt.GetResourceTypeId() != "repo" {
		t.Fatalf("Pick = %v, %v, %v", ok, err, &crt)
	}
	a.Update(&connectorv2.ChildResourceType{ResourceTypeId: "team"})
	if ok, _ := a.Pick(&crt); !ok || crt.GetResourceTypeId() != "team" || len(a) != 2 {
		t.Fatalf("Update did not replace: %v (len %d)", &crt, len(a))
	}
	rest, removed := a.Without(&connectorv2.SkipGrants{})
	if removed == nil || len(rest) != 1 || rest.Contains(&connectorv2.SkipGrants{}) || len(a) != 2 {
		t.Fatalf("Without: rest=%v removed=%v a=%v", rest, removed, a)
	}
}

func TestPickCorruptPayload(t *testing.T) {
	a := annotations.New(&connectorv2.ChildResourceType{ResourceTypeId: "repo"})
	a[0].Value = []byte{0xff, 0xff}
	var crt connectorv2.ChildResourceType
	if ok, err := a.Pick(&crt); !ok || err == nil {
		t.Fatalf("Pick on garbage = %v, %v; want true and an error", ok, err)
	}
}
