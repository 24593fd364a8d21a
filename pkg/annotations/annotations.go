package annotations

import (
	"fmt"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/anypb"
)

// Annotations is a list of Any-packed messages, as found in the annotations
// field of connector messages. The zero value is an empty list.
type Annotations []*anypb.Any

// New packs msgs into a list.
func New(msgs ...proto.Message) Annotations {
	var a Annotations
	for _, m := range msgs {
		a.Append(m)
	}
	return a
}

// Append packs m and adds it to the end, even if one of its type exists.
func (a *Annotations) Append(m proto.Message) {
	anyv, err := anypb.New(m)
	if err != nil {
		// anypb.New only fails when m cannot be marshalled, which for
		// generated messages means a programming error.
		panic(fmt.Sprintf("annotations: pack %T: %v", m, err))
	}
	*a = append(*a, anyv)
}

// Update replaces the first annotation of m's type with m, or appends m.
func (a *Annotations) Update(m proto.Message) {
	name := m.ProtoReflect().Descriptor().FullName()
	for i, x := range *a {
		if x.MessageName() == name {
			anyv, err := anypb.New(m)
			if err != nil {
				panic(fmt.Sprintf("annotations: pack %T: %v", m, err))
			}
			(*a)[i] = anyv
			return
		}
	}
	a.Append(m)
}

// With returns a copy of the list with m appended; handy in struct literals.
func (a Annotations) With(msgs ...proto.Message) Annotations {
	out := make(Annotations, len(a), len(a)+len(msgs))
	copy(out, a)
	for _, m := range msgs {
		out.Append(m)
	}
	return out
}

// Contains reports whether an annotation of m's type is present. Only the
// type matters; m's contents are ignored.
func (a Annotations) Contains(m proto.Message) bool {
	return a.ContainsName(m.ProtoReflect().Descriptor().FullName())
}

// ContainsName reports whether an annotation of the named type is present.
func (a Annotations) ContainsName(name protoreflect.FullName) bool {
	for _, x := range a {
		if x.MessageName() == name {
			return true
		}
	}
	return false
}

// Pick unpacks the first annotation of m's type into m. It reports false
// when there is none, and an error when one exists but cannot be decoded.
func (a Annotations) Pick(m proto.Message) (bool, error) {
	name := m.ProtoReflect().Descriptor().FullName()
	for _, x := range a {
		if x.MessageName() == name {
			if err := x.UnmarshalTo(m); err != nil {
				return true, fmt.Errorf("annotations: unpack %s: %w", name, err)
			}
			return true, nil
		}
	}
	return false, nil
}

// Without returns the list minus every annotation of m's type, and the
// first one removed (nil if none). The receiver is not modified.
func (a Annotations) Without(m proto.Message) (Annotations, *anypb.Any) {
	name := m.ProtoReflect().Descriptor().FullName()
	var removed *anypb.Any
	out := make(Annotations, 0, len(a))
	for _, x := range a {
		if x.MessageName() == name {
			if removed == nil {
				removed = x
			}
			continue
		}
		out = append(out, x)
	}
	return out, removed
}
