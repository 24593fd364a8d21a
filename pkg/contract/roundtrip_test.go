package contract_test

import (
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/structpb"

	_ "github.com/batonkit/batonkit/pb/baton/v1"
	_ "github.com/batonkit/batonkit/pb/c1/c1z/v1"
	_ "github.com/batonkit/batonkit/pb/c1/config/v1"
	connectorv2 "github.com/batonkit/batonkit/pb/c1/connector/v2"
	_ "github.com/batonkit/batonkit/pb/c1/connector_wrapper/v1"
	_ "github.com/batonkit/batonkit/pb/c1/ratelimit/v1"
	_ "github.com/batonkit/batonkit/pb/c1/utls/v1"
)

// ourPackages are the proto packages this module defines.
var ourPackages = []string{"c1.connector.v2.", "c1.connector_wrapper.v1.", "c1.utls.v1.", "c1.ratelimit.v1.", "c1.c1z.v1.", "c1.config.v1.", "baton.v1."}

func ours(name protoreflect.FullName) bool {
	for _, p := range ourPackages {
		if strings.HasPrefix(string(name), p) {
			return true
		}
	}
	return false
}

// TestEveryMessageRoundTrips fills every field of every message we define
// (one member per oneof, nested messages a few levels deep) and checks that
// binary and protojson encodings both give back an equal message.
func TestEveryMessageRoundTrips(t *testing.T) {
	var count int
	protoregistry.GlobalTypes.RangeMessages(func(mt protoreflect.MessageType) bool {
		d := mt.Descriptor()
		if !ours(d.FullName()) || d.IsMapEntry() {
			return true
		}
		count++
		t.Run(string(d.FullName()), func(t *testing.T) {
			m := mt.New()
			fill(t, m, 0)
			orig := m.Interface()

			b, err := proto.MarshalOptions{Deterministic: true}.Marshal(orig)
			if err != nil {
				t.Fatalf("binary marshal: %v", err)
			}
			back := mt.New().Interface()
			if err := proto.Unmarshal(b, back); err != nil {
				t.Fatalf("binary unmarshal: %v", err)
			}
			if !proto.Equal(orig, back) {
				t.Fatalf("binary round trip changed the message:\n got %v\nwant %v", back, orig)
			}

			j, err := protojson.Marshal(orig)
			if err != nil {
				t.Fatalf("json marshal: %v", err)
			}
			back = mt.New().Interface()
			if err := protojson.Unmarshal(j, back); err != nil {
				t.Fatalf("json unmarshal of %s: %v", j, err)
			}
			if !proto.Equal(orig, back) {
				t.Fatalf("json round trip changed the message:\n got %v\nwant %v", back, orig)
			}
		})
		return true
	})
	// 293 messages in the required packages, minus map entries.
	if count < 280 {
		t.Fatalf("only %d messages registered; are all pb packages imported?", count)
	}
}

const maxDepth = 3

func fill(t *testing.T, m protoreflect.Message, depth int) {
	t.Helper()
	d := m.Descriptor()
	switch d.FullName() {
	case "google.protobuf.Any":
		a, err := anypb.New(&connectorv2.ResourceId{ResourceType: "user", Resource: "u1"})
		if err != nil {
			t.Fatal(err)
		}
		proto.Merge(m.Interface(), a)
		return
	case "google.protobuf.Struct":
		s, err := structpb.NewStruct(map[string]any{"k": "v", "n": 2.5, "b": true})
		if err != nil {
			t.Fatal(err)
		}
		proto.Merge(m.Interface(), s)
		return
	case "google.protobuf.Value":
		proto.Merge(m.Interface(), structpb.NewStringValue("v"))
		return
	case "google.protobuf.Timestamp", "google.protobuf.Duration":
		m.Set(d.Fields().ByName("seconds"), protoreflect.ValueOfInt64(1_700_000_000%86400))
		m.Set(d.Fields().ByName("nanos"), protoreflect.ValueOfInt32(5000))
		return
	}
	seenOneof := map[protoreflect.FullName]bool{}
	fields := d.Fields()
	for i := 0; i < fields.Len(); i++ {
		f := fields.Get(i)
		if o := f.ContainingOneof(); o != nil && !o.IsSynthetic() {
			if seenOneof[o.FullName()] {
				continue
			}
			seenOneof[o.FullName()] = true
		}
		if f.Message() != nil && depth >= maxDepth {
			continue
		}
		switch {
		case f.IsMap():
			mp := m.Mutable(f).Map()
			mp.Set(scalar(f.MapKey()).MapKey(), value(t, mp.NewValue(), f.MapValue(), depth))
		case f.IsList():
			l := m.Mutable(f).List()
			l.Append(value(t, l.NewElement(), f, depth))
		case f.Message() != nil:
			fill(t, m.Mutable(f).Message(), depth+1)
		default:
			m.Set(f, scalar(f))
		}
	}
}

func value(t *testing.T, fresh protoreflect.Value, f protoreflect.FieldDescriptor, depth int) protoreflect.Value {
	if f.Message() != nil {
		fill(t, fresh.Message(), depth+1)
		return fresh
	}
	return scalar(f)
}

func scalar(f protoreflect.FieldDescriptor) protoreflect.Value {
	switch f.Kind() {
	case protoreflect.BoolKind:
		return protoreflect.ValueOfBool(true)
	case protoreflect.StringKind:
		return protoreflect.ValueOfString("s-" + string(f.Name()))
	case protoreflect.BytesKind:
		return protoreflect.ValueOfBytes([]byte{0, 1, 2, 0xff})
	case protoreflect.EnumKind:
		vals := f.Enum().Values()
		return protoreflect.ValueOfEnum(vals.Get(vals.Len() - 1).Number())
	case protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Sfixed32Kind:
		return protoreflect.ValueOfInt32(-7)
	case protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind:
		return protoreflect.ValueOfInt64(-1 << 40)
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind:
		return protoreflect.ValueOfUint32(7)
	case protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		return protoreflect.ValueOfUint64(1 << 40)
	case protoreflect.FloatKind:
		return protoreflect.ValueOfFloat32(1.5)
	case protoreflect.DoubleKind:
		return protoreflect.ValueOfFloat64(2.25)
	}
	panic("unhandled kind " + f.Kind().String())
}
