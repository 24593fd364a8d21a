package contract_test

import (
	"errors"
	"strings"
	"testing"

	connectorv2 "github.com/batonkit/batonkit/pb/c1/connector/v2"
	"github.com/batonkit/batonkit/pkg/contract"
)

func TestValidateRulesFire(t *testing.T) {
	tests := []struct {
		name    string
		msg     any
		wantErr string // substring naming the field; empty means valid
	}{
		{"resource id ok", &connectorv2.ResourceId{ResourceType: "user", Resource: "u1"}, ""},
		{"resource id empty type", &connectorv2.ResourceId{Resource: "u1"}, "ResourceType"},
		{"resource id empty id", &connectorv2.ResourceId{ResourceType: "user"}, "Resource"},
		{"page size at limit", &connectorv2.ResourcesServiceListResourcesRequest{ResourceTypeId: "user", PageSize: 250}, ""},
		{"page size over limit", &connectorv2.ResourcesServiceListResourcesRequest{ResourceTypeId: "user", PageSize: 251}, "PageSize"},
		{"page token over 1 MiB", &connectorv2.ResourcesServiceListResourcesRequest{ResourceTypeId: "user", PageToken: strings.Repeat("x", 1<<20+1)}, "PageToken"},
		{"grant without entitlement", &connectorv2.Grant{Id: "g", Principal: &connectorv2.Resource{}}, "Entitlement"},
		{"entitlement without resource", &connectorv2.Entitlement{Id: "e"}, "Resource"},
		{"asset response without payload", &connectorv2.AssetServiceGetAssetResponse{}, "Msg"},
		{"user trait bad email", &connectorv2.UserTrait{Emails: []*connectorv2.UserTrait_Email{{Address: "not-an-email"}}}, "Address"},
		{"external link must be https", &connectorv2.ExternalLink{Url: "http://example.com"}, "Url"},
		{"external link empty is fine", &connectorv2.ExternalLink{}, ""},
		{"message without rules", &connectorv2.SkipGrants{}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := contract.Validate(tt.msg)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("Validate: unexpected error %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Validate: no error, want one naming %s", tt.wantErr)
			}
			if !errors.Is(err, contract.ErrInvalid) {
				t.Errorf("error %v does not wrap ErrInvalid", err)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error %q does not name %s", err, tt.wantErr)
			}
		})
	}
}
