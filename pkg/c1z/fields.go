package c1z

import (
	"slices"
	"strings"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/anypb"
)

// ChangedFields names the fields that differ between two versions of one
// object, by JSON name, in field order. Annotations are compared by type:
// one added or removed is named by its type ("annotations.UserTrait"),
// one changed also by the fields that changed in it
// ("annotations.UserTrait.status"), since an auditor asks what changed
// about an account, not that an opaque list did.
func ChangedFields(base, applied proto.Message) []string {
	return changed("", base.ProtoReflect(), applied.ProtoReflect())
}

func changed(prefix string, a, b protoreflect.Message) []string {
	var out []string
	fields := a.Descriptor().Fields()
	for i := 0; i < fields.Len(); i++ {
		f := fields.Get(i)
		if a.Has(f) == b.Has(f) && (!a.Has(f) || equalValue(f, a, b)) {
			continue
		}
		name := prefix + f.JSONName()
		if f.IsList() && f.Message() != nil && f.Message().FullName() == "google.protobuf.Any" {
			out = append(out, changedAnys(name, a.Get(f).List(), b.Get(f).List())...)
			continue
		}
		out = append(out, name)
	}
	return out
}

// equalValue compares one set field of a and b by putting each into an
// otherwise empty message, so proto.Equal handles lists, maps and
// messages alike.
func equalValue(f protoreflect.FieldDescriptor, a, b protoreflect.Message) bool {
	ma, mb := a.New(), b.New()
	ma.Set(f, a.Get(f))
	mb.Set(f, b.Get(f))
	return proto.Equal(ma.Interface(), mb.Interface())
}

// changedAnys compares two lists of Any by type URL.
func changedAnys(name string, a, b protoreflect.List) []string {
	byType := func(l protoreflect.List) map[string][]*anypb.Any {
		out := map[string][]*anypb.Any{}
		for i := 0; i < l.Len(); i++ {
			any, ok := l.Get(i).Message().Interface().(*anypb.Any)
			if !ok {
				continue
			}
			out[any.GetTypeUrl()] = append(out[any.GetTypeUrl()], any)
		}
		return out
	}
	ta, tb := byType(a), byType(b)
	var urls []string
	for u := range ta {
		urls = append(urls, u)
	}
	for u := range tb {
		if _, ok := ta[u]; !ok {
			urls = append(urls, u)
		}
	}
	slices.Sort(urls)
	var out []string
	for _, u := range urls {
		short := name + "." + u[strings.LastIndexByte(u, '.')+1:]
		la, lb := ta[u], tb[u]
		if len(la) == len(lb) && slices.EqualFunc(la, lb, func(x, y *anypb.Any) bool { return proto.Equal(x, y) }) {
			continue
		}
		if len(la) != 1 || len(lb) != 1 {
			out = append(out, short)
			continue
		}
		ma, errA := la[0].UnmarshalNew()
		mb, errB := lb[0].UnmarshalNew()
		if errA != nil || errB != nil {
			out = append(out, short)
			continue
		}
		if inner := changed(short+".", ma.ProtoReflect(), mb.ProtoReflect()); len(inner) > 0 {
			out = append(out, inner...)
		} else {
			out = append(out, short) // same fields, different encoding
		}
	}
	return out
}
