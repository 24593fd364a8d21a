package v3file

import (
	"bytes"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/timestamppb"

	connectorv2 "github.com/batonkit/batonkit/pb/c1/connector/v2"
	storagev3 "github.com/batonkit/batonkit/pb/c1/storage/v3"
)

// The records of a v3 Pebble database are c1.storage.v3 messages, kept
// apart from the connector contract's: references flattened into ids,
// enums as names. They are translated here into the contract's messages
// as Baton's own reader translates them, so every reader above sees one
// shape for v1 and v3.

func resourceID(typ, id string) *connectorv2.ResourceId {
	return &connectorv2.ResourceId{ResourceType: typ, Resource: id}
}

// ResourceType decodes a ResourceTypeRecord.
func ResourceType(b []byte) (*connectorv2.ResourceType, error) {
	r := &storagev3.ResourceTypeRecord{}
	if err := r.UnmarshalVT(b); err != nil {
		return nil, err
	}
	rt := &connectorv2.ResourceType{
		Id: r.GetExternalId(), DisplayName: r.GetDisplayName(), Annotations: r.GetAnnotations(),
		Description: r.GetDescription(), SourcedExternally: r.GetSourcedExternally(),
	}
	for _, name := range r.GetTraits() {
		// An unknown trait keeps its place as TRAIT_UNSPECIFIED.
		rt.Traits = append(rt.Traits, connectorv2.ResourceType_Trait(connectorv2.ResourceType_Trait_value["TRAIT_"+name]))
	}
	return rt, nil
}

// Resource decodes a ResourceRecord.
func Resource(b []byte) (*connectorv2.Resource, error) {
	r := &storagev3.ResourceRecord{}
	if err := r.UnmarshalVT(b); err != nil {
		return nil, err
	}
	return ResourceFrom(r), nil
}

// ResourceFrom translates a decoded ResourceRecord. The resource keeps
// the record's annotations, profile and creation time.
func ResourceFrom(r *storagev3.ResourceRecord) *connectorv2.Resource {
	res := &connectorv2.Resource{
		Id:          resourceID(r.GetResourceTypeId(), r.GetResourceId()),
		DisplayName: r.GetDisplayName(), Description: r.GetDescription(),
		Annotations: r.GetAnnotations(), Profile: r.GetProfile(), CreatedAt: r.GetCreatedAt(),
	}
	if p := r.GetParent(); p.GetResourceId() != "" {
		res.ParentResourceId = resourceID(p.GetResourceTypeId(), p.GetResourceId())
	}
	if st := r.GetStatus(); st != nil {
		res.Status = &connectorv2.Status{Status: connectorv2.Status_ResourceStatus(st.GetStatus()), Details: st.GetDetails()}
	}
	if icon := r.GetIconAssetExternalId(); icon != "" {
		res.Icon = &connectorv2.AssetRef{Id: icon}
	}
	return res
}

// ResourceDecoder is GrantDecoder for resource records: it reuses the
// record, its parent reference, status and discovery time, none of which
// ResourceFrom hands on.
type ResourceDecoder struct {
	r      storagev3.ResourceRecord
	parent storagev3.ResourceRef
	status storagev3.StatusRecord
	seen   timestamppb.Timestamp

	statusNum protowire.Number // read from the descriptor once
}

// Decode decodes one ResourceRecord, valid until the next call.
func (d *ResourceDecoder) Decode(b []byte) (*storagev3.ResourceRecord, error) {
	if d.statusNum == 0 {
		d.statusNum = d.r.ProtoReflect().Descriptor().Fields().ByName("status").Number()
	}
	// A status present but empty still says "unspecified": whether the
	// record has one is read from its bytes, not from the merged result.
	_, _, hasStatus, err := fieldSpan(b, d.statusNum)
	if err != nil {
		return nil, err
	}
	d.r.Reset()
	d.parent.Reset()
	d.status.Reset()
	d.seen.Reset()
	// An absent parent stays empty, which ResourceFrom reads as none.
	d.r.Parent, d.r.DiscoveredAt = &d.parent, &d.seen
	if hasStatus > 0 {
		d.r.Status = &d.status
	}
	if err := d.r.UnmarshalVT(b); err != nil {
		return nil, err
	}
	return &d.r, nil
}

// Entitlement decodes an EntitlementRecord. Its resource is the id only,
// as Baton's reader gives it.
func Entitlement(b []byte) (*connectorv2.Entitlement, error) {
	r := &storagev3.EntitlementRecord{}
	if err := r.UnmarshalVT(b); err != nil {
		return nil, err
	}
	e := &connectorv2.Entitlement{
		Id: r.GetExternalId(), DisplayName: r.GetDisplayName(), Description: r.GetDescription(),
		Annotations: r.GetAnnotations(), Slug: r.GetSlug(),
	}
	if ref := r.GetResource(); ref != nil {
		e.Resource = &connectorv2.Resource{Id: resourceID(ref.GetResourceTypeId(), ref.GetResourceId())}
	}
	if p := r.GetPurpose(); p != "" {
		e.Purpose = connectorv2.Entitlement_PurposeValue(connectorv2.Entitlement_PurposeValue_value["PURPOSE_VALUE_"+p])
	}
	for _, id := range r.GetGrantableToResourceTypeIds() {
		e.GrantableTo = append(e.GrantableTo, &connectorv2.ResourceType{Id: id})
	}
	return e, nil
}

// SharedEntitlement is the entitlement a run of grants share: listings
// come in entitlement order, and one message per run lets an encoder that
// caches by message marshal it once.
type SharedEntitlement struct {
	typ, id, ent string // the reference, copied: a decoder reuses its record
	msg          *connectorv2.Entitlement
}

// GrantFrom translates a decoded GrantRecord (see GrantDecoder). Its
// entitlement and principal are ids only; an expansion becomes the
// GrantExpandable annotation, as Baton's reader gives it; a record
// without an id gets the id the SDK would have made. Without expandable, the
// expansion is left out (v1 keeps it in a column of its own, not in the
// grant readers get). With last, a grant whose entitlement reference is
// the one before's shares its message.
func GrantFrom(r *storagev3.GrantRecord, expandable bool, last *SharedEntitlement) (*connectorv2.Grant, error) {
	g := &connectorv2.Grant{Id: r.GetExternalId(), Annotations: r.GetAnnotations()}
	if ref := r.GetEntitlement(); ref != nil {
		if last != nil && last.msg != nil && last.ent == ref.GetEntitlementId() && last.id == ref.GetResourceId() && last.typ == ref.GetResourceTypeId() {
			g.Entitlement = last.msg
		} else {
			g.Entitlement = &connectorv2.Entitlement{Id: ref.GetEntitlementId(), Resource: &connectorv2.Resource{Id: resourceID(ref.GetResourceTypeId(), ref.GetResourceId())}}
			if last != nil {
				*last = SharedEntitlement{typ: ref.GetResourceTypeId(), id: ref.GetResourceId(), ent: ref.GetEntitlementId(), msg: g.Entitlement}
			}
		}
	}
	if p := r.GetPrincipal(); p != nil {
		g.Principal = &connectorv2.Resource{Id: resourceID(p.GetResourceTypeId(), p.GetResourceId())}
		if p.GetParentResourceId() != "" {
			g.Principal.ParentResourceId = resourceID(p.GetParentResourceTypeId(), p.GetParentResourceId())
		}
	}
	if len(r.GetSources()) > 0 {
		g.Sources = &connectorv2.GrantSources{Sources: make(map[string]*connectorv2.GrantSources_GrantSource, len(r.GetSources()))}
		for k, src := range r.GetSources() {
			g.Sources.Sources[k] = &connectorv2.GrantSources_GrantSource{IsDirect: src.GetIsDirect()}
		}
	}
	if exp := r.GetExpansion(); exp != nil && expandable {
		a, err := anypb.New(&connectorv2.GrantExpandable{EntitlementIds: exp.GetEntitlementIds(), Shallow: exp.GetShallow(), ResourceTypeIds: exp.GetResourceTypeIds()})
		if err != nil {
			return nil, err
		}
		g.Annotations = append(g.Annotations, a)
	}
	if g.Id == "" && g.Entitlement != nil && g.Principal != nil {
		p := g.Principal.GetId()
		g.Id = g.Entitlement.GetId() + ":" + p.GetResourceType() + ":" + p.GetResource()
	}
	return g, nil
}

// Asset decodes an AssetRecord.
func Asset(b []byte) (*storagev3.AssetRecord, error) {
	r := &storagev3.AssetRecord{}
	return r, r.UnmarshalVT(b)
}

// SyncRun decodes a SyncRunRecord.
func SyncRun(b []byte) (*storagev3.SyncRunRecord, error) {
	r := &storagev3.SyncRunRecord{}
	return r, r.UnmarshalVT(b)
}

// GrantDecoder decodes the grant records of one listing into one record
// it reuses, references and discovery time included, and skips an
// entitlement reference equal to the one before: a listing decodes every
// grant of a sync, and with these its allocations are those of the grants
// it returns. Decode's record is valid until the next call; what
// GrantFrom makes of it shares only immutable strings and the
// annotations, which are never reused. Not safe for concurrent use.
type GrantDecoder struct {
	r     storagev3.GrantRecord
	ent   storagev3.EntitlementRef
	princ storagev3.PrincipalRef
	seen  timestamppb.Timestamp

	nums *refNumbers // read from the descriptors once

	// entRaw is the last entitlement reference decoded, as stored. A
	// listing comes in entitlement order: a record whose reference is
	// the same bytes is decoded without it (from scratch), and keeps ent.
	entRaw, scratch []byte
}

// Decode decodes one GrantRecord.
func (d *GrantDecoder) Decode(b []byte) (*storagev3.GrantRecord, error) {
	start, end, n, err := fieldSpan(b, d.numbers().entitlement)
	if err != nil {
		return nil, err
	}
	if n == 1 && d.entRaw != nil && bytes.Equal(b[start:end], d.entRaw) {
		d.scratch = append(append(d.scratch[:0], b[:start]...), b[end:]...)
		b = d.scratch
	} else {
		d.ent.Reset()
		d.entRaw = nil
		if n == 1 {
			d.entRaw = append(d.entRaw, b[start:end]...)
		}
	}
	d.r.Reset()
	d.princ.Reset()
	d.seen.Reset()
	// Merging into these keeps them; a reference the record lacks stays
	// empty, and is dropped below so it reads as absent.
	d.r.Entitlement, d.r.Principal, d.r.DiscoveredAt = &d.ent, &d.princ, &d.seen
	if err := d.r.UnmarshalVT(b); err != nil {
		return nil, err
	}
	if d.ent.GetEntitlementId() == "" && d.ent.GetResourceId() == "" && d.ent.GetResourceTypeId() == "" {
		d.r.Entitlement = nil
	}
	if d.princ.GetResourceId() == "" && d.princ.GetResourceTypeId() == "" && d.princ.GetParentResourceId() == "" && d.princ.GetParentResourceTypeId() == "" {
		d.r.Principal = nil
	}
	return &d.r, nil
}

// RefFilter selects grants by their references; an empty field selects
// any value.
type RefFilter struct {
	EntitlementID, ResourceTypeID, ResourceID string // the entitlement's, and its resource's
	PrincipalTypeID, PrincipalID              string
}

// Match reports whether grant record b's references hold what f asks,
// reading only them and allocating nothing: a listing that selects a few
// grants of many skips the rest without decoding them. The field numbers
// come from the generated descriptors.
func (d *GrantDecoder) Match(b []byte, f RefFilter) (bool, error) {
	n := d.numbers()
	ent, err := lastField(b, n.entitlement)
	if err != nil {
		return false, err
	}
	princ, err := lastField(b, n.principal)
	if err != nil {
		return false, err
	}
	for _, c := range []struct {
		ref  []byte
		num  protowire.Number
		want string
	}{
		{ent, n.entID, f.EntitlementID}, {ent, n.entType, f.ResourceTypeID}, {ent, n.entRes, f.ResourceID},
		{princ, n.princType, f.PrincipalTypeID}, {princ, n.princRes, f.PrincipalID},
	} {
		if c.want == "" {
			continue
		}
		v, err := lastField(c.ref, c.num)
		if err != nil || string(v) != c.want {
			return false, err
		}
	}
	return true, nil
}

// refNumbers are the field numbers Match reads, from the descriptors.
type refNumbers struct {
	entitlement, principal protowire.Number // of GrantRecord
	entType, entRes, entID protowire.Number // of EntitlementRef
	princType, princRes    protowire.Number // of PrincipalRef
}

func (d *GrantDecoder) numbers() *refNumbers {
	if d.nums == nil {
		d.nums = newRefNumbers(d.r.ProtoReflect().Descriptor())
	}
	return d.nums
}

func newRefNumbers(grant protoreflect.MessageDescriptor) *refNumbers {
	f := grant.Fields()
	ent, princ := f.ByName("entitlement"), f.ByName("principal")
	num := func(fd protoreflect.FieldDescriptor, name protoreflect.Name) protowire.Number {
		return fd.Message().Fields().ByName(name).Number()
	}
	return &refNumbers{
		entitlement: ent.Number(), principal: princ.Number(),
		entType: num(ent, "resource_type_id"), entRes: num(ent, "resource_id"), entID: num(ent, "entitlement_id"),
		princType: num(princ, "resource_type_id"), princRes: num(princ, "resource_id"),
	}
}

// fieldSpan is where field num of message b is, tag included, and how
// many times it occurs (a field that repeats is merged by a decoder, so
// only one that occurs once may stand for its bytes).
func fieldSpan(b []byte, num protowire.Number) (start, end, count int, err error) {
	for off := 0; off < len(b); {
		n, typ, k := protowire.ConsumeTag(b[off:])
		if k < 0 {
			return 0, 0, 0, protowire.ParseError(k)
		}
		v := protowire.ConsumeFieldValue(n, typ, b[off+k:])
		if v < 0 {
			return 0, 0, 0, protowire.ParseError(v)
		}
		if n == num {
			start, end, count = off, off+k+v, count+1
		}
		off += k + v
	}
	return start, end, count, nil
}

// lastField is the payload of the last occurrence of length-delimited
// field num of the message b, as a decoder would keep it; nil when it has
// none.
func lastField(b []byte, num protowire.Number) ([]byte, error) {
	start, end, n, err := fieldSpan(b, num)
	if err != nil || n == 0 {
		return nil, err
	}
	_, typ, k := protowire.ConsumeTag(b[start:end])
	if typ != protowire.BytesType {
		return nil, nil
	}
	v, _ := protowire.ConsumeBytes(b[start+k : end])
	return v, nil
}
