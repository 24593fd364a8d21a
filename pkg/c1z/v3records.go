package c1z

import (
	"bytes"
	"fmt"
	"time"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	connectorv2 "github.com/batonkit/batonkit/pb/c1/connector/v2"
)

// The records of a v3 Pebble database are c1.storage.v3 messages, kept
// apart from the connector contract's: ids flattened into strings, enums
// as names. They are decoded here field by field (numbers from Baton's
// records.proto) into the contract's messages, as Baton's own reader
// translates them, so every reader above sees one shape for v1 and v3.

// fieldFunc receives one field of a record; v is the payload of a
// length-delimited field, n the value of a varint or fixed one.
type fieldFunc func(num protowire.Number, v []byte, n uint64) error

// eachField walks the fields of a record.
func eachField(b []byte, fn fieldFunc) error {
	for len(b) > 0 {
		num, typ, k := protowire.ConsumeTag(b)
		if k < 0 {
			return protowire.ParseError(k)
		}
		b = b[k:]
		var v []byte
		var n uint64
		switch typ {
		case protowire.BytesType:
			v, k = protowire.ConsumeBytes(b)
		case protowire.VarintType:
			n, k = protowire.ConsumeVarint(b)
		case protowire.Fixed64Type:
			n, k = protowire.ConsumeFixed64(b)
		case protowire.Fixed32Type:
			var n32 uint32
			n32, k = protowire.ConsumeFixed32(b)
			n = uint64(n32)
		default:
			k = protowire.ConsumeFieldValue(num, typ, b)
			if k < 0 {
				return protowire.ParseError(k)
			}
			b = b[k:]
			continue
		}
		if k < 0 {
			return protowire.ParseError(k)
		}
		b = b[k:]
		if err := fn(num, v, n); err != nil {
			return fmt.Errorf("field %d: %w", num, err)
		}
	}
	return nil
}

// mapEntry decodes one entry of a map field: key 1 (a string), value 2
// (a message's bytes in v, or a number in n).
func mapEntry(b []byte) (key string, v []byte, n uint64, err error) {
	err = eachField(b, func(num protowire.Number, val []byte, u uint64) error {
		switch num {
		case 1:
			key = string(val)
		case 2:
			v, n = val, u
		}
		return nil
	})
	return key, v, n, err
}

func unmarshalInto[T proto.Message](v []byte, m T) (T, error) {
	return m, proto.Unmarshal(v, m)
}

// refIDs decodes a ResourceRef, PrincipalRef or EntitlementRef: string
// fields 1..4 in order.
func refIDs(v []byte) ([4]string, error) {
	var out [4]string
	err := eachField(v, func(num protowire.Number, v []byte, _ uint64) error {
		if num >= 1 && num <= 4 {
			out[num-1] = string(v)
		}
		return nil
	})
	return out, err
}

func resourceID(typ, id string) *connectorv2.ResourceId {
	return &connectorv2.ResourceId{ResourceType: typ, Resource: id}
}

// v3ResourceType decodes a ResourceTypeRecord.
func v3ResourceType(b []byte) (*connectorv2.ResourceType, error) {
	rt := &connectorv2.ResourceType{}
	err := eachField(b, func(num protowire.Number, v []byte, n uint64) error {
		switch num {
		case 2:
			rt.Id = string(v)
		case 3:
			rt.DisplayName = string(v)
		case 4:
			t, ok := connectorv2.ResourceType_Trait_value["TRAIT_"+string(v)]
			if !ok {
				t = int32(connectorv2.ResourceType_TRAIT_UNSPECIFIED)
			}
			rt.Traits = append(rt.Traits, connectorv2.ResourceType_Trait(t))
		case 5:
			a, err := unmarshalInto(v, &anypb.Any{})
			if err != nil {
				return err
			}
			rt.Annotations = append(rt.Annotations, a)
		case 7:
			rt.Description = string(v)
		case 8:
			rt.SourcedExternally = n != 0
		}
		return nil
	})
	return rt, err
}

// v3Resource decodes a ResourceRecord.
func v3Resource(b []byte) (*connectorv2.Resource, error) {
	r := &connectorv2.Resource{Id: &connectorv2.ResourceId{}}
	err := eachField(b, func(num protowire.Number, v []byte, _ uint64) error {
		var err error
		switch num {
		case 2:
			r.Id.ResourceType = string(v)
		case 3:
			r.Id.Resource = string(v)
		case 4:
			r.DisplayName = string(v)
		case 5:
			r.Description = string(v)
		case 6:
			var ids [4]string
			if ids, err = refIDs(v); err == nil && ids[1] != "" {
				r.ParentResourceId = resourceID(ids[0], ids[1])
			}
		case 7:
			var a *anypb.Any
			if a, err = unmarshalInto(v, &anypb.Any{}); err == nil {
				r.Annotations = append(r.Annotations, a)
			}
		case 9:
			r.Profile, err = unmarshalInto(v, &structpb.Struct{})
		case 10:
			st := &connectorv2.Status{}
			err = eachField(v, func(num protowire.Number, v []byte, n uint64) error {
				switch num {
				case 1:
					st.Status = connectorv2.Status_ResourceStatus(n)
				case 2:
					st.Details = string(v)
				}
				return nil
			})
			r.Status = st
		case 11:
			r.CreatedAt, err = unmarshalInto(v, &timestamppb.Timestamp{})
		case 13:
			if len(v) > 0 {
				r.Icon = &connectorv2.AssetRef{Id: string(v)}
			}
		}
		return err
	})
	return r, err
}

// v3Entitlement decodes an EntitlementRecord. Its resource is the id
// only, as Baton's reader gives it.
func v3Entitlement(b []byte) (*connectorv2.Entitlement, error) {
	e := &connectorv2.Entitlement{}
	err := eachField(b, func(num protowire.Number, v []byte, _ uint64) error {
		var err error
		switch num {
		case 2:
			e.Id = string(v)
		case 3:
			var ids [4]string
			if ids, err = refIDs(v); err == nil {
				e.Resource = &connectorv2.Resource{Id: resourceID(ids[0], ids[1])}
			}
		case 4:
			e.DisplayName = string(v)
		case 5:
			e.Description = string(v)
		case 6:
			if len(v) > 0 {
				e.Purpose = connectorv2.Entitlement_PurposeValue(connectorv2.Entitlement_PurposeValue_value["PURPOSE_VALUE_"+string(v)])
			}
		case 7:
			var a *anypb.Any
			if a, err = unmarshalInto(v, &anypb.Any{}); err == nil {
				e.Annotations = append(e.Annotations, a)
			}
		case 9:
			e.Slug = string(v)
		case 10:
			e.GrantableTo = append(e.GrantableTo, &connectorv2.ResourceType{Id: string(v)})
		}
		return err
	})
	return e, err
}

// v3Grant decodes a GrantRecord. Its entitlement and principal are ids
// only; an expansion becomes the GrantExpandable annotation, as Baton's
// reader gives it; a record without an id gets the id the SDK would
// have made.
func v3Grant(b []byte) (*connectorv2.Grant, error) { return v3GrantRecord(b, true, nil) }

// entRef is the entitlement reference a run of grant records share: the
// record's encoded reference and the message made from it.
type entRef struct {
	raw []byte
	msg *connectorv2.Entitlement
}

// v3GrantRecord is v3Grant, leaving out the expansion (v1 keeps it in a
// column of its own, not in the grant readers get) unless expandable.
// With last, grants whose entitlement reference is the one before's
// share its message (listings come in entitlement order).
func v3GrantRecord(b []byte, expandable bool, last *entRef) (*connectorv2.Grant, error) {
	g := &connectorv2.Grant{}
	var exp *connectorv2.GrantExpandable
	err := eachField(b, func(num protowire.Number, v []byte, _ uint64) error {
		var err error
		switch num {
		case 2:
			g.Id = string(v)
		case 3:
			if last != nil && last.msg != nil && bytes.Equal(v, last.raw) {
				g.Entitlement = last.msg
				break
			}
			var ids [4]string
			if ids, err = refIDs(v); err == nil {
				g.Entitlement = &connectorv2.Entitlement{Id: ids[2], Resource: &connectorv2.Resource{Id: resourceID(ids[0], ids[1])}}
				if last != nil {
					last.raw, last.msg = append(last.raw[:0], v...), g.Entitlement
				}
			}
		case 4:
			var ids [4]string
			if ids, err = refIDs(v); err == nil {
				g.Principal = &connectorv2.Resource{Id: resourceID(ids[0], ids[1])}
				if ids[3] != "" {
					g.Principal.ParentResourceId = resourceID(ids[2], ids[3])
				}
			}
		case 6:
			exp = &connectorv2.GrantExpandable{}
			err = eachField(v, func(num protowire.Number, v []byte, n uint64) error {
				switch num {
				case 1:
					exp.EntitlementIds = append(exp.EntitlementIds, string(v))
				case 2:
					exp.Shallow = n != 0
				case 3:
					exp.ResourceTypeIds = append(exp.ResourceTypeIds, string(v))
				}
				return nil
			})
		case 8:
			var a *anypb.Any
			if a, err = unmarshalInto(v, &anypb.Any{}); err == nil {
				g.Annotations = append(g.Annotations, a)
			}
		case 9:
			var key string
			var val []byte
			src := &connectorv2.GrantSources_GrantSource{}
			if key, val, _, err = mapEntry(v); err == nil {
				err = eachField(val, func(num protowire.Number, _ []byte, n uint64) error {
					if num == 4 {
						src.IsDirect = n != 0
					}
					return nil
				})
			}
			if g.Sources == nil {
				g.Sources = &connectorv2.GrantSources{Sources: map[string]*connectorv2.GrantSources_GrantSource{}}
			}
			g.Sources.Sources[key] = src
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	if exp != nil && expandable {
		a, err := anypb.New(exp)
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

// v3Types maps c1.storage.v3.SyncType values to v1's names.
var v3Types = map[uint64]SyncType{1: SyncFull, 2: SyncPartial, 3: SyncResourcesOnly, 4: SyncPartialUpserts, 5: SyncPartialDeletions}

// v3SyncRun decodes a SyncRunRecord.
func v3SyncRun(b []byte) (SyncRun, error) {
	var r SyncRun
	err := eachField(b, func(num protowire.Number, v []byte, n uint64) error {
		switch num {
		case 1:
			r.ID = string(v)
		case 2:
			r.Type = v3Types[n]
		case 3:
			r.ParentID = string(v)
		case 4, 5:
			ts, err := unmarshalInto(v, &timestamppb.Timestamp{})
			if err != nil {
				return err
			}
			if num == 4 {
				r.StartedAt = ts.AsTime()
			} else if ts.GetSeconds() != 0 || ts.GetNanos() != 0 {
				r.EndedAt = ts.AsTime()
			}
		case 6:
			r.Token = string(v)
		case 8:
			r.LinkedID = string(v)
		}
		return nil
	})
	if r.Type == "" {
		r.Type = SyncFull
	}
	return r, err
}

// v3SyncStats decodes the SyncStatsRecord of a manifest's sync-run
// summary: the counts, and the step timings and connector call
// statistics Baton's v3 syncer records.
func v3SyncStats(b []byte) (*Stats, error) {
	st := &Stats{}
	counts := func(m *map[string]int64, v []byte) error {
		k, _, n, err := mapEntry(v)
		if *m == nil {
			*m = map[string]int64{}
		}
		(*m)[k] = int64(n)
		return err
	}
	err := eachField(b, func(num protowire.Number, v []byte, n uint64) error {
		switch num {
		case 2:
			st.ResourceTypes = int64(n)
		case 3:
			st.Resources = int64(n)
		case 4:
			st.Entitlements = int64(n)
		case 5:
			st.Grants = int64(n)
		case 6:
			st.Assets = int64(n)
		case 7:
			return counts(&st.ResourcesByType, v)
		case 8:
			return counts(&st.GrantsByType, v)
		case 9:
			return counts(&st.EntitlementsByType, v)
		case 10:
			return counts(&st.StepDurationsMs, v)
		case 11:
			k, val, _, err := mapEntry(v)
			if err != nil {
				return err
			}
			var cs CallStat
			err = eachField(val, func(num protowire.Number, _ []byte, u uint64) error {
				switch num {
				case 1:
					cs.Count = int64(u)
				case 2:
					cs.TotalMs = int64(u)
				case 3:
					cs.MaxMs = int64(u)
				case 4:
					cs.Errors = int64(u)
				case 5:
					cs.Timeouts = int64(u)
				}
				return nil
			})
			if st.ConnectorCallStats == nil {
				st.ConnectorCallStats = map[string]CallStat{}
			}
			st.ConnectorCallStats[k] = cs
			return err
		}
		return nil
	})
	return st, err
}

// v3ManifestStats reads the sync-run summaries (field 40) of a manifest:
// sync id -> stats.
func v3ManifestStats(raw []byte) (map[string]*Stats, error) {
	out := map[string]*Stats{}
	err := eachField(raw, func(num protowire.Number, v []byte, _ uint64) error {
		if num != 40 {
			return nil
		}
		var id string
		var st *Stats
		err := eachField(v, func(num protowire.Number, v []byte, _ uint64) error {
			switch num {
			case 1:
				id = string(v)
			case 6:
				var err error
				st, err = v3SyncStats(v)
				return err
			}
			return nil
		})
		if err == nil && id != "" && st != nil {
			out[id] = st
		}
		return err
	})
	return out, err
}

// v3Time formats a time for v1_sync_runs; the zero time is NULL.
func v3Time(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return formatTime(t)
}
