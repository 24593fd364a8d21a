package contract_test

import (
	"strings"
	"testing"

	connectorv2 "github.com/batonkit/batonkit/pb/c1/connector/v2"
	"github.com/batonkit/batonkit/pkg/contract"
)

// Every rule a connector's objects commonly break gets a fix that names
// the field and the constructor that sets it.
func TestHints(t *testing.T) {
	for _, tc := range []struct {
		name string
		msg  any
		want []string
	}{
		{"resource without id", &connectorv2.Resource{Id: &connectorv2.ResourceId{ResourceType: "user"}}, []string{"ResourceId.Resource", "resource.New(type, id, name)"}},
		{"resource without type", &connectorv2.Resource{Id: &connectorv2.ResourceId{Resource: "u1"}}, []string{"ResourceId.ResourceType"}},
		{"type without id", &connectorv2.ResourceType{DisplayName: "User"}, []string{"ResourceType.Id", "resource.NewType"}},
		{"entitlement without resource", &connectorv2.Entitlement{Id: "x"}, []string{"Entitlement.Resource", "entitlement.NewAssignment"}},
		{"grant without entitlement and principal", &connectorv2.Grant{Id: "g"}, []string{"Grant.Entitlement", "Grant.Principal", "grant.New"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := contract.Validate(tc.msg)
			if err == nil {
				t.Fatal("valid")
			}
			hint := contract.Hint(err)
			for _, w := range tc.want {
				if !strings.Contains(hint, w) {
					t.Errorf("hint %q lacks %q (error: %v)", hint, w, err)
				}
			}
		})
	}
	if contract.Hint(nil) != "" {
		t.Error("a hint for no error")
	}
}
