package cli

import (
	"bytes"
	"errors"
	"strconv"
	"unicode/utf8"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"

	connectorv2 "github.com/batonkit/batonkit/pb/c1/connector/v2"
)

// The listings print the same few message shapes hundreds of thousands of
// times, and protojson walks each one by reflection. The encoders here write
// Resource and ResourceId directly, field by field in protojson's order and
// with its escaping, and hand every other message (and every sub-message they
// do not know) to protojson. TestFastJSONMatchesProtojson fills every field of
// both messages by reflection and holds the output to protojson's, so a field
// added to the contract fails the test until it is handled here.

// marshal writes m as protojson would.
func (e *encoder) marshal(m proto.Message) error {
	switch m := m.(type) {
	case *connectorv2.Resource:
		return e.resource(m)
	case *connectorv2.ResourceId:
		return e.resourceID(m)
	}
	b, err := e.mo.Marshal(m)
	if err == nil {
		e.buf.Write(b)
	}
	return err
}

// object writes the fields of one JSON object; each call to next opens the
// object or separates a field.
type object struct {
	buf  *bytes.Buffer
	open bool
}

func (o *object) key(name string) {
	if o.open {
		o.buf.WriteByte(',')
	} else {
		o.buf.WriteByte('{')
		o.open = true
	}
	o.buf.WriteByte('"')
	o.buf.WriteString(name)
	o.buf.WriteString(`":`)
}

func (o *object) str(name, v string) error {
	if v == "" {
		return nil
	}
	o.key(name)
	return appendJSONString(o.buf, v)
}

func (o *object) boolean(name string, v bool) {
	if v {
		o.key(name)
		o.buf.WriteString("true")
	}
}

func (o *object) end() {
	if !o.open {
		o.buf.WriteByte('{')
	}
	o.buf.WriteByte('}')
}

func (e *encoder) resourceID(id *connectorv2.ResourceId) error {
	o := object{buf: e.buf}
	if err := o.str("resourceType", id.GetResourceType()); err != nil {
		return err
	}
	if err := o.str("resource", id.GetResource()); err != nil {
		return err
	}
	o.boolean("batonResource", id.GetBatonResource())
	o.end()
	return nil
}

// sub writes a set sub-message field.
func (e *encoder) sub(o *object, name string, m proto.Message) error {
	if m == nil || !m.ProtoReflect().IsValid() {
		return nil
	}
	o.key(name)
	return e.marshal(m)
}

func (e *encoder) resource(r *connectorv2.Resource) error {
	o := object{buf: e.buf}
	if err := e.sub(&o, "id", r.GetId()); err != nil {
		return err
	}
	if err := e.sub(&o, "parentResourceId", r.GetParentResourceId()); err != nil {
		return err
	}
	if err := o.str("displayName", r.GetDisplayName()); err != nil {
		return err
	}
	if err := e.annotations(&o, r.GetAnnotations()); err != nil {
		return err
	}
	if err := o.str("description", r.GetDescription()); err != nil {
		return err
	}
	o.boolean("batonResource", r.GetBatonResource())
	if err := e.sub(&o, "externalId", r.GetExternalId()); err != nil {
		return err
	}
	if cs := r.GetCreationSource(); cs != 0 {
		o.key("creationSource")
		if name, ok := connectorv2.Resource_CreationSource_name[int32(cs)]; ok {
			e.buf.WriteString(`"` + name + `"`)
		} else {
			e.buf.WriteString(strconv.Itoa(int(cs)))
		}
	}
	for _, f := range []struct {
		name string
		m    proto.Message
	}{{"profile", r.GetProfile()}, {"icon", r.GetIcon()}, {"status", r.GetStatus()}, {"createdAt", r.GetCreatedAt()}} {
		if err := e.sub(&o, f.name, f.m); err != nil {
			return err
		}
	}
	o.end()
	return nil
}

// annotations writes a repeated Any field. The same annotation (a trait, a
// skip hint) repeats on many objects, so each encoding is kept by content.
func (e *encoder) annotations(o *object, as []*anypb.Any) error {
	if len(as) == 0 {
		return nil
	}
	o.key("annotations")
	e.buf.WriteByte('[')
	for i, a := range as {
		if i > 0 {
			e.buf.WriteByte(',')
		}
		key := cacheKey{"a", a.GetTypeUrl() + "\x00" + string(a.GetValue())}
		b, ok := e.cache[key]
		if !ok {
			var err error
			if b, err = e.mo.Marshal(a); err != nil {
				return err
			}
			e.remember(key, b)
		}
		e.buf.Write(b)
	}
	e.buf.WriteByte(']')
	return nil
}

var errInvalidUTF8 = errors.New("string field contains invalid UTF-8")

// appendJSONString writes s as a JSON string literal with protojson's
// escapes, and refuses invalid UTF-8 as protojson does.
func appendJSONString(buf *bytes.Buffer, s string) error {
	const hex = "0123456789abcdef"
	buf.WriteByte('"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= utf8.RuneSelf {
			r, n := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && n == 1 {
				return errInvalidUTF8
			}
			i += n
			continue
		}
		if c >= 0x20 && c != '"' && c != '\\' {
			i++
			continue
		}
		buf.WriteString(s[start:i])
		switch c {
		case '"', '\\':
			buf.WriteByte('\\')
			buf.WriteByte(c)
		case '\b':
			buf.WriteString(`\b`)
		case '\f':
			buf.WriteString(`\f`)
		case '\n':
			buf.WriteString(`\n`)
		case '\r':
			buf.WriteString(`\r`)
		case '\t':
			buf.WriteString(`\t`)
		default:
			buf.WriteString(`\u00`)
			buf.WriteByte(hex[c>>4])
			buf.WriteByte(hex[c&0xf])
		}
		i++
		start = i
	}
	buf.WriteString(s[start:])
	buf.WriteByte('"')
	return nil
}
