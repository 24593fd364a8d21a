package v3file

import (
	"testing"

	"google.golang.org/protobuf/encoding/prototext"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	connectorv2 "github.com/batonkit/batonkit/pb/c1/connector/v2"
	storagev3 "github.com/batonkit/batonkit/pb/c1/storage/v3"
)

func encode(t *testing.T, m proto.Message) []byte {
	t.Helper()
	b, err := proto.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func anyOf(t *testing.T, m proto.Message) *anypb.Any {
	t.Helper()
	a, err := anypb.New(m)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// Each record becomes the contract message Baton's reader gives for it:
// enums by name, references as ids, the expansion as an annotation.
func TestRecordsTranslate(t *testing.T) {
	user := anyOf(t, &connectorv2.UserTrait{Login: "ada"})
	profile, _ := structpb.NewStruct(map[string]any{"dept": "eng"})
	created := timestamppb.New(timestamppb.Now().AsTime().Truncate(1e9))
	rid := func(typ, id string) *connectorv2.ResourceId {
		return &connectorv2.ResourceId{ResourceType: typ, Resource: id}
	}
	tests := []struct {
		name   string
		record proto.Message
		decode func([]byte) (proto.Message, error)
		want   proto.Message
	}{
		{
			"resource type, an unknown trait kept as unspecified",
			&storagev3.ResourceTypeRecord{ExternalId: "user", DisplayName: "User", Traits: []string{"USER", "FUTURE"}, Description: "people", SourcedExternally: true},
			func(b []byte) (proto.Message, error) { return ResourceType(b) },
			&connectorv2.ResourceType{Id: "user", DisplayName: "User", Description: "people", SourcedExternally: true,
				Traits: []connectorv2.ResourceType_Trait{connectorv2.ResourceType_TRAIT_USER, connectorv2.ResourceType_TRAIT_UNSPECIFIED}},
		},
		{
			"resource with parent, status, profile and icon",
			&storagev3.ResourceRecord{ResourceTypeId: "user", ResourceId: "u1", DisplayName: "Ada", Description: "d",
				Parent: &storagev3.ResourceRef{ResourceTypeId: "org", ResourceId: "o1"}, Annotations: []*anypb.Any{user},
				Profile: profile, CreatedAt: created, IconAssetExternalId: "icon-1",
				Status: &storagev3.StatusRecord{Status: storagev3.StatusRecord_RESOURCE_STATUS_DISABLED, Details: "left"}},
			func(b []byte) (proto.Message, error) { return Resource(b) },
			&connectorv2.Resource{Id: rid("user", "u1"), DisplayName: "Ada", Description: "d", ParentResourceId: rid("org", "o1"),
				Annotations: []*anypb.Any{user}, Profile: profile, CreatedAt: created, Icon: &connectorv2.AssetRef{Id: "icon-1"},
				Status: &connectorv2.Status{Status: connectorv2.Status_RESOURCE_STATUS_DISABLED, Details: "left"}},
		},
		{
			"resource whose parent reference is empty has none",
			&storagev3.ResourceRecord{ResourceTypeId: "user", ResourceId: "u2", Parent: &storagev3.ResourceRef{ResourceTypeId: "org"}},
			func(b []byte) (proto.Message, error) { return Resource(b) },
			&connectorv2.Resource{Id: rid("user", "u2")},
		},
		{
			"entitlement: purpose by name, grantable types as stubs",
			&storagev3.EntitlementRecord{ExternalId: "group:g1:member", Resource: &storagev3.ResourceRef{ResourceTypeId: "group", ResourceId: "g1"},
				DisplayName: "Member", Slug: "member", Purpose: "ASSIGNMENT", GrantableToResourceTypeIds: []string{"user"}},
			func(b []byte) (proto.Message, error) { return Entitlement(b) },
			&connectorv2.Entitlement{Id: "group:g1:member", Resource: &connectorv2.Resource{Id: rid("group", "g1")}, DisplayName: "Member", Slug: "member",
				Purpose: connectorv2.Entitlement_PURPOSE_VALUE_ASSIGNMENT, GrantableTo: []*connectorv2.ResourceType{{Id: "user"}}},
		},
		{
			"grant: sources, principal's parent, the expansion as an annotation",
			&storagev3.GrantRecord{ExternalId: "g-1",
				Entitlement: &storagev3.EntitlementRef{ResourceTypeId: "group", ResourceId: "g1", EntitlementId: "group:g1:member"},
				Principal:   &storagev3.PrincipalRef{ResourceTypeId: "user", ResourceId: "u1", ParentResourceTypeId: "org", ParentResourceId: "o1"},
				Expansion:   &storagev3.GrantExpandableRecord{EntitlementIds: []string{"group:g2:member"}, Shallow: true},
				Sources:     map[string]*storagev3.GrantSourceRecord{"group:g2:member": {IsDirect: true}}},
			decodeGrant,
			&connectorv2.Grant{Id: "g-1",
				Entitlement: &connectorv2.Entitlement{Id: "group:g1:member", Resource: &connectorv2.Resource{Id: rid("group", "g1")}},
				Principal:   &connectorv2.Resource{Id: rid("user", "u1"), ParentResourceId: rid("org", "o1")},
				Sources:     &connectorv2.GrantSources{Sources: map[string]*connectorv2.GrantSources_GrantSource{"group:g2:member": {IsDirect: true}}},
				Annotations: []*anypb.Any{anyOf(t, &connectorv2.GrantExpandable{EntitlementIds: []string{"group:g2:member"}, Shallow: true})}},
		},
		{
			"grant without an id gets the SDK's",
			&storagev3.GrantRecord{Entitlement: &storagev3.EntitlementRef{ResourceTypeId: "group", ResourceId: "g1", EntitlementId: "group:g1:member"},
				Principal: &storagev3.PrincipalRef{ResourceTypeId: "user", ResourceId: "u1"}},
			decodeGrant,
			&connectorv2.Grant{Id: "group:g1:member:user:u1",
				Entitlement: &connectorv2.Entitlement{Id: "group:g1:member", Resource: &connectorv2.Resource{Id: rid("group", "g1")}},
				Principal:   &connectorv2.Resource{Id: rid("user", "u1")}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.decode(encode(t, tt.record))
			if err != nil {
				t.Fatal(err)
			}
			if !proto.Equal(got, tt.want) {
				t.Errorf("got\n%s\nwant\n%s", prototext.Format(got), prototext.Format(tt.want))
			}
		})
	}
}

// decodeGrant decodes a grant record as the v3 import does.
func decodeGrant(b []byte) (proto.Message, error) {
	var d GrantDecoder
	r, err := d.Decode(b)
	if err != nil {
		return nil, err
	}
	return GrantFrom(r, true, nil)
}

// Bytes that are not the record fail; they are never half-read.
func TestRecordsRejectGarbage(t *testing.T) {
	bad := []byte{0x12, 0x7f, 'x'} // field 2, length 127, one byte
	for name, decode := range map[string]func([]byte) error{
		"resource type": func(b []byte) error { _, err := ResourceType(b); return err },
		"resource":      func(b []byte) error { _, err := Resource(b); return err },
		"entitlement":   func(b []byte) error { _, err := Entitlement(b); return err },
		"grant":         func(b []byte) error { _, err := decodeGrant(b); return err },
		"sync run":      func(b []byte) error { _, err := SyncRun(b); return err },
	} {
		if decode(bad) == nil {
			t.Errorf("%s: a truncated record decoded", name)
		}
	}
}

// A run of grants of one entitlement shares its message; the next
// entitlement gets its own.
func TestGrantsShareTheirEntitlement(t *testing.T) {
	ref := func(id string) *storagev3.EntitlementRef {
		return &storagev3.EntitlementRef{ResourceTypeId: "group", ResourceId: "g", EntitlementId: id}
	}
	p := &storagev3.PrincipalRef{ResourceTypeId: "user", ResourceId: "u"}
	var last SharedEntitlement
	var ents []*connectorv2.Entitlement
	for _, id := range []string{"a", "a", "b"} {
		g, err := GrantFrom(&storagev3.GrantRecord{Entitlement: ref(id), Principal: p}, false, &last)
		if err != nil {
			t.Fatal(err)
		}
		ents = append(ents, g.GetEntitlement())
	}
	if ents[0] != ents[1] || ents[1] == ents[2] || ents[2].GetId() != "b" {
		t.Fatalf("entitlement messages %p %p %p (%v)", ents[0], ents[1], ents[2], ents[2])
	}
}

// A decoder reused across records carries nothing from one to the next:
// a reference or field the next record lacks reads as absent.
func TestGrantDecoderReuse(t *testing.T) {
	var d GrantDecoder
	full := encode(t, &storagev3.GrantRecord{ExternalId: "g1",
		Entitlement:  &storagev3.EntitlementRef{ResourceTypeId: "group", ResourceId: "a", EntitlementId: "group:a:member"},
		Principal:    &storagev3.PrincipalRef{ResourceTypeId: "user", ResourceId: "u1", ParentResourceTypeId: "org", ParentResourceId: "o"},
		Expansion:    &storagev3.GrantExpandableRecord{EntitlementIds: []string{"x"}},
		DiscoveredAt: timestamppb.Now()})
	bare := encode(t, &storagev3.GrantRecord{ExternalId: "g2", Principal: &storagev3.PrincipalRef{ResourceTypeId: "user", ResourceId: "u2"}})
	r, err := d.Decode(full)
	if err != nil || r.GetPrincipal().GetParentResourceId() != "o" || r.GetExpansion() == nil {
		t.Fatalf("first record: %v, %v", r, err)
	}
	first, _ := GrantFrom(r, true, nil)
	r, err = d.Decode(bare)
	if err != nil {
		t.Fatal(err)
	}
	if r.GetEntitlement() != nil || r.GetExpansion() != nil || r.GetPrincipal().GetParentResourceId() != "" || r.GetExternalId() != "g2" {
		t.Fatalf("second record kept the first's fields: %v", r)
	}
	if first.GetPrincipal().GetId().GetResource() != "u1" || first.GetPrincipal().GetParentResourceId().GetResource() != "o" {
		t.Fatalf("the first grant changed when the decoder was reused: %v", first)
	}
}

// Match selects on the references alone, as a full decode would.
func TestGrantDecoderMatch(t *testing.T) {
	var d GrantDecoder
	b := encode(t, &storagev3.GrantRecord{ExternalId: "g",
		Entitlement: &storagev3.EntitlementRef{ResourceTypeId: "group", ResourceId: "a", EntitlementId: "group:a:member"},
		Principal:   &storagev3.PrincipalRef{ResourceTypeId: "user", ResourceId: "u1"},
		Annotations: []*anypb.Any{anyOf(t, &connectorv2.GrantImmutable{})}})
	for _, tt := range []struct {
		f    RefFilter
		want bool
	}{
		{RefFilter{}, true},
		{RefFilter{EntitlementID: "group:a:member"}, true},
		{RefFilter{EntitlementID: "group:b:member"}, false},
		{RefFilter{ResourceTypeID: "group", ResourceID: "a"}, true},
		{RefFilter{ResourceTypeID: "group", ResourceID: "b"}, false},
		{RefFilter{ResourceTypeID: "role"}, false},
		{RefFilter{PrincipalTypeID: "user", PrincipalID: "u1"}, true},
		{RefFilter{PrincipalTypeID: "user", PrincipalID: "u2"}, false},
		{RefFilter{PrincipalTypeID: "group", PrincipalID: "u1"}, false},
	} {
		got, err := d.Match(b, tt.f)
		if err != nil || got != tt.want {
			t.Errorf("%+v: %v, %v; want %v", tt.f, got, err, tt.want)
		}
	}
	if _, err := d.Match(b[:len(b)-3], RefFilter{PrincipalID: "u1"}); err == nil {
		t.Error("a truncated record matched without an error")
	}
}
