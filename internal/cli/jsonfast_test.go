package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	connectorv2 "github.com/batonkit/batonkit/pb/c1/connector/v2"
)

// awkward holds every byte class the two string escapers treat differently.
const awkward = "a\"b\\c\b\f\n\r\t\x01\x1f'</>&é☃\u2028"

// fill sets every field of m, recursing into messages, so a field added to
// the contract is covered without editing the test.
func fill(t *testing.T, m protoreflect.Message, depth int) {
	t.Helper()
	fields := m.Descriptor().Fields()
	for i := 0; i < fields.Len(); i++ {
		fd := fields.Get(i)
		if fd.ContainingOneof() != nil && m.WhichOneof(fd.ContainingOneof()) != nil {
			continue
		}
		switch {
		case fd.IsList():
			l := m.Mutable(fd).List()
			for range 2 {
				l.Append(value(t, m, fd, l.NewElement(), depth))
			}
		case fd.IsMap():
			m.Mutable(fd).Map().Set(protoreflect.ValueOfString("k").MapKey(), value(t, m, fd.MapValue(), m.Mutable(fd).Map().NewValue(), depth))
		default:
			if fd.Kind() == protoreflect.MessageKind && depth > 3 {
				continue
			}
			m.Set(fd, value(t, m, fd, m.NewField(fd), depth))
		}
	}
}

func value(t *testing.T, m protoreflect.Message, fd protoreflect.FieldDescriptor, v protoreflect.Value, depth int) protoreflect.Value {
	switch fd.Kind() {
	case protoreflect.StringKind:
		return protoreflect.ValueOfString(awkward)
	case protoreflect.BoolKind:
		return protoreflect.ValueOfBool(true)
	case protoreflect.EnumKind:
		return protoreflect.ValueOfEnum(1)
	case protoreflect.BytesKind:
		return protoreflect.ValueOfBytes([]byte("xyz"))
	case protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Sfixed32Kind:
		return protoreflect.ValueOfInt32(7)
	case protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind:
		return protoreflect.ValueOfInt64(7)
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind:
		return protoreflect.ValueOfUint32(7)
	case protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		return protoreflect.ValueOfUint64(7)
	case protoreflect.DoubleKind:
		return protoreflect.ValueOfFloat64(1.5)
	case protoreflect.FloatKind:
		return protoreflect.ValueOfFloat32(1.5)
	case protoreflect.MessageKind:
		sub := v.Message()
		switch sub.Interface().(type) {
		case *anypb.Any:
			a, err := anypb.New(&connectorv2.GroupTrait{Profile: &structpb.Struct{Fields: map[string]*structpb.Value{"k": structpb.NewStringValue(awkward)}}})
			if err != nil {
				t.Fatal(err)
			}
			return protoreflect.ValueOfMessage(a.ProtoReflect())
		case *structpb.Struct:
			s, _ := structpb.NewStruct(map[string]any{"name": awkward, "n": 3.5, "list": []any{"x", true}})
			return protoreflect.ValueOfMessage(s.ProtoReflect())
		case *timestamppb.Timestamp:
			return protoreflect.ValueOfMessage(timestamppb.New(timestamppb.Now().AsTime()).ProtoReflect())
		}
		fill(t, sub, depth+1)
		return v
	}
	t.Fatalf("fill: no value for %s (%s)", fd.FullName(), fd.Kind())
	return v
}

func TestFastJSONMatchesProtojson(t *testing.T) {
	full := &connectorv2.Resource{}
	fill(t, full.ProtoReflect(), 0)
	grant := &connectorv2.Grant{}
	fill(t, grant.ProtoReflect(), 0)
	skip, _ := anypb.New(&connectorv2.SkipEntitlementsAndGrants{})
	cases := map[string]proto.Message{
		"empty resource":    &connectorv2.Resource{},
		"id only":           &connectorv2.Resource{Id: &connectorv2.ResourceId{ResourceType: "user", Resource: "u1"}},
		"every field":       full,
		"empty id":          &connectorv2.ResourceId{},
		"full id":           &connectorv2.ResourceId{ResourceType: awkward, Resource: "x", BatonResource: true},
		"repeated skip":     &connectorv2.Resource{DisplayName: "x", Annotations: []*anypb.Any{skip, skip}},
		"unknown enum":      &connectorv2.Resource{CreationSource: 99},
		"every grant field": grant,
		"sparse grant":      &connectorv2.Grant{Principal: full, Id: awkward},
	}
	for name, m := range cases {
		t.Run(name, func(t *testing.T) {
			want, err := protojson.Marshal(m)
			if err != nil {
				t.Fatal(err)
			}
			g, isGrant := m.(*connectorv2.Grant)
			if isGrant { // the grant encoder writes the row's "grant" field
				want = append(append([]byte(`{"grant":`), want...), '}')
			}
			e := newEncoder()
			for round := range 2 { // the second round reads the annotation cache
				var got bytes.Buffer
				e.buf = &got
				if isGrant {
					_, err = e.grant("{", g)
					got.WriteByte('}')
				} else {
					err = e.marshal(m)
				}
				if err != nil {
					t.Fatal(err)
				}
				if compactJSON(t, got.Bytes()) != compactJSON(t, want) {
					t.Fatalf("round %d:\n got %s\nwant %s", round, compactJSON(t, got.Bytes()), compactJSON(t, want))
				}
			}
		})
	}
}

func TestFastJSONRefusesInvalidUTF8(t *testing.T) {
	m := &connectorv2.Resource{DisplayName: "bad\xff"}
	if _, err := protojson.Marshal(m); err == nil {
		t.Fatal("protojson accepted invalid UTF-8; the fast path must follow")
	}
	e := newEncoder()
	e.buf = &bytes.Buffer{}
	if err := e.marshal(m); !errors.Is(err, errInvalidUTF8) {
		t.Fatalf("err = %v, want errInvalidUTF8", err)
	}
}

// compactJSON drops protojson's deliberately unstable whitespace; key order and
// escapes stay as written.
func compactJSON(t *testing.T, b []byte) string {
	t.Helper()
	var out bytes.Buffer
	if err := json.Compact(&out, b); err != nil {
		t.Fatalf("invalid JSON %q: %v", b, err)
	}
	return out.String()
}
