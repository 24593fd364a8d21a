package sync

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"

	connectorv2 "github.com/batonkit/batonkit/pb/c1/connector/v2"
	"github.com/batonkit/batonkit/pkg/annotations"
	"github.com/batonkit/batonkit/pkg/c1z"
	"github.com/batonkit/batonkit/pkg/entitlement"
	"github.com/batonkit/batonkit/pkg/grant"
)

// External names the sync file of another app (an identity provider,
// usually) whose principals this app's grants name by a trait: the
// ExternalResourceMatch, ExternalResourceMatchAll and ExternalResourceMatchID
// annotations. Baton's --external-resource-c1z and the flags beside it.
type External struct {
	// Path is the c1z; its default sync is read.
	Path string
	// EntitlementID, when set, takes only the principals holding this
	// entitlement of the external sync; otherwise every resource of a
	// matching type.
	EntitlementID string
	// Traits are the resource type traits whose resources are taken and
	// matched (default user and group, as Baton's).
	Traits []connectorv2.ResourceType_Trait
}

// ExternalStats counts what the external step did.
type ExternalStats struct {
	Principals int // resources copied from the external sync
	Grants     int // grants of this app naming principals by a trait
	Matched    int // grants made for the principals they matched
	Unmatched  int // grants that matched no principal (removed)
}

// WithExternalResources matches the grants that name principals by a
// trait against the principals of another sync file, as Baton's syncer
// does with --external-resource-c1z: after the grants are listed and
// before grant expansion, the matching principals (and their
// entitlements and grants in that file) are copied into this sync,
// marked BatonID; each annotated grant is replaced by one grant per
// matched principal, and one that matched none is removed and counted.
// Targeted syncs do not run the step.
func WithExternalResources(e External) Option {
	return func(o *options) { o.external = &e }
}

// opExternal is the external principals step.
const opExternal = "external-resources"

// stepExternal copies the external principals and matches the grants.
func (r *run) stepExternal(ctx context.Context, a action) error {
	e := r.s.opts.external
	ext, err := c1z.OpenReader(ctx, e.Path, c1z.WithLogger(r.s.log))
	if err != nil {
		return fmt.Errorf("external resource file: %w", err)
	}
	defer ext.Close(context.WithoutCancel(ctx))
	run, err := ext.DefaultSync(ctx)
	if err != nil {
		return fmt.Errorf("external resource file %s: %w", e.Path, err)
	}
	x := &externalCopy{r: r, ext: ext, extID: run.ID, traits: map[connectorv2.ResourceType_Trait]bool{}}
	for _, t := range e.Traits {
		x.traits[t] = true
	}
	if len(x.traits) == 0 {
		x.traits[connectorv2.ResourceType_TRAIT_USER], x.traits[connectorv2.ResourceType_TRAIT_GROUP] = true, true
	}
	principals, err := x.principals(ctx, e.EntitlementID)
	if err != nil {
		return err
	}
	if err := x.copyAccess(ctx, principals); err != nil {
		return err
	}
	st, err := r.matchExternal(ctx, principals, x.traits)
	if err != nil {
		return err
	}
	st.Principals = len(principals)
	r.external = st
	r.s.log.InfoContext(ctx, "external principals matched", "file", e.Path, "principals", st.Principals,
		"grants", st.Grants, "matched", st.Matched, "unmatched", st.Unmatched)
	_, err = r.st.advance(a.ID, "", false, nil)
	return err
}

// externalCopy reads the external sync.
type externalCopy struct {
	r      *run
	ext    *c1z.Reader
	extID  string
	traits map[connectorv2.ResourceType_Trait]bool
	types  map[string]*connectorv2.ResourceType // matching types by id
}

// principals are the external sync's resources of matching types (those
// holding entitlementID when it is set), marked BatonID.
func (x *externalCopy) principals(ctx context.Context, entitlementID string) ([]*connectorv2.Resource, error) {
	x.types = map[string]*connectorv2.ResourceType{}
	var types []*connectorv2.ResourceType
	for rt, err := range x.ext.ResourceTypes(ctx, x.extID) {
		if err != nil {
			return nil, err
		}
		for _, t := range rt.GetTraits() {
			if x.traits[t] {
				x.types[rt.GetId()] = rt
				types = append(types, rt)
				break
			}
		}
	}
	if err := x.r.w.PutResourceTypes(ctx, types...); err != nil {
		return nil, err
	}
	var out []*connectorv2.Resource
	mark := func(res *connectorv2.Resource) {
		res.Annotations = annotations.Annotations(res.GetAnnotations()).With(&connectorv2.BatonID{})
		out = append(out, res)
	}
	if entitlementID == "" {
		for _, rt := range types {
			for res, err := range x.ext.Resources(ctx, c1z.ResourceQuery{SyncID: x.extID, ResourceTypeID: rt.GetId()}) {
				if err != nil {
					return nil, err
				}
				mark(res)
			}
		}
		return out, nil
	}
	if _, err := x.ext.Entitlement(ctx, x.extID, entitlementID); err != nil {
		return nil, fmt.Errorf("--external-resource-entitlement-id-filter: %w", err)
	}
	seen := map[string]bool{}
	for g, err := range x.ext.Grants(ctx, c1z.GrantQuery{SyncID: x.extID, EntitlementID: entitlementID}) {
		if err != nil {
			return nil, err
		}
		id := g.GetPrincipal().GetId()
		if x.types[id.GetResourceType()] == nil || seen[c1z.ResourceExternalID(id)] {
			continue
		}
		seen[c1z.ResourceExternalID(id)] = true
		res, err := x.ext.Resource(ctx, x.extID, id)
		if errors.Is(err, c1z.ErrNotFound) {
			continue // a principal the external sync does not list
		}
		if err != nil {
			return nil, err
		}
		mark(res)
	}
	return out, nil
}

// copyAccess copies the principals, their entitlements (made immutable:
// they belong to the other app) and those entitlements' grants.
func (x *externalCopy) copyAccess(ctx context.Context, principals []*connectorv2.Resource) error {
	w := x.r.w
	if err := w.PutResources(ctx, principals...); err != nil {
		return err
	}
	skip := &connectorv2.SkipEntitlementsAndGrants{}
	for _, p := range principals {
		rt := x.types[p.GetId().GetResourceType()]
		if annotations.Annotations(rt.GetAnnotations()).Contains(skip) || annotations.Annotations(p.GetAnnotations()).Contains(skip) {
			continue
		}
		for ent, err := range x.ext.Entitlements(ctx, c1z.EntitlementQuery{SyncID: x.extID, Resource: p.GetId()}) {
			if err != nil {
				return err
			}
			ent.Annotations = annotations.Annotations(ent.GetAnnotations()).With(&connectorv2.EntitlementImmutable{})
			if err := w.PutEntitlements(ctx, ent); err != nil {
				return err
			}
			if annotations.Annotations(p.GetAnnotations()).Contains(&connectorv2.SkipGrants{}) {
				continue
			}
			var batch []*connectorv2.Grant
			for g, err := range x.ext.Grants(ctx, c1z.GrantQuery{SyncID: x.extID, EntitlementID: ent.GetId()}) {
				if err != nil {
					return err
				}
				if exp, err := x.ext.GrantExpansion(ctx, x.extID, g.GetId()); err != nil {
					return err
				} else if exp != nil {
					g.Annotations = annotations.Annotations(g.GetAnnotations()).With(exp)
				}
				if batch = append(batch, g); len(batch) == writeBatch {
					if err := w.PutGrants(ctx, batch...); err != nil {
						return err
					}
					batch = batch[:0]
				}
			}
			if err := w.PutGrants(ctx, batch...); err != nil {
				return err
			}
		}
	}
	return nil
}

// writeBatch is how many grants the external step writes at a time.
const writeBatch = 1000

// matchExternal replaces each grant naming principals by a trait with a
// grant per principal it matches.
func (r *run) matchExternal(ctx context.Context, principals []*connectorv2.Resource, traits map[connectorv2.ResourceType_Trait]bool) (ExternalStats, error) {
	var st ExternalStats
	ix := newPrincipalIndex(principals, traits)
	var made []*connectorv2.Grant
	var remove []string
	for g, err := range r.s.store.Grants(ctx, c1z.GrantQuery{SyncID: r.w.ID}) {
		if err != nil {
			return st, err
		}
		annos := annotations.Annotations(g.GetAnnotations())
		all, byKey, byID := &connectorv2.ExternalResourceMatchAll{}, &connectorv2.ExternalResourceMatch{}, &connectorv2.ExternalResourceMatchID{}
		hasAll, _ := annos.Pick(all)
		hasKey, _ := annos.Pick(byKey)
		hasID, _ := annos.Pick(byID)
		if !hasAll && !hasKey && !hasID {
			continue
		}
		st.Grants++
		var matched []*connectorv2.Resource
		switch {
		case hasAll:
			matched = ix.byTrait[all.GetResourceType()]
		case hasID:
			if p := ix.byID[byID.GetId()]; p != nil {
				matched = []*connectorv2.Resource{p}
			}
		default:
			if traits[byKey.GetResourceType()] || byKey.GetResourceType() == connectorv2.ResourceType_TRAIT_USER {
				matched = ix.match(byKey.GetResourceType(), byKey.GetKey(), byKey.GetValue())
			}
		}
		var exp *connectorv2.GrantExpandable
		if !hasAll && len(matched) > 0 {
			if exp, err = r.s.store.GrantExpansion(ctx, r.w.ID, g.GetId()); err != nil {
				return st, err
			}
		}
		keep := false
		for _, p := range matched {
			ng := &connectorv2.Grant{Id: grant.ID(g.GetEntitlement().GetId(), p.GetId()), Entitlement: g.GetEntitlement(), Principal: p,
				Sources: g.GetSources(), Annotations: g.GetAnnotations()}
			if exp != nil {
				ng.Annotations = annotations.Annotations(ng.GetAnnotations()).With(r.remapExpansion(ctx, exp, g.GetPrincipal().GetId(), p.GetId()))
			}
			keep = keep || ng.GetId() == g.GetId()
			made = append(made, ng)
		}
		if len(matched) == 0 {
			st.Unmatched++
			r.s.log.DebugContext(ctx, "a grant naming an external principal matched none; removed", "grant", g.GetId())
		} else {
			st.Matched += len(matched)
		}
		if !keep {
			remove = append(remove, g.GetId())
		}
	}
	if err := r.w.PutGrants(ctx, made...); err != nil {
		return st, err
	}
	return st, r.w.DeleteGrants(ctx, remove...)
}

// remapExpansion points an expandable grant's entitlements of the
// placeholder principal at the same entitlements of the matched one, where
// the sync holds them.
func (r *run) remapExpansion(ctx context.Context, exp *connectorv2.GrantExpandable, from, to *connectorv2.ResourceId) *connectorv2.GrantExpandable {
	out := proto.Clone(exp).(*connectorv2.GrantExpandable)
	out.EntitlementIds = nil
	prefix := from.GetResourceType() + ":" + from.GetResource() + ":"
	for _, id := range exp.GetEntitlementIds() {
		slug, ok := strings.CutPrefix(id, prefix)
		if !ok {
			continue
		}
		nid := entitlement.ID(to, slug)
		if _, err := r.s.store.Entitlement(ctx, r.w.ID, nid); err == nil {
			out.EntitlementIds = append(out.EntitlementIds, nid)
		}
	}
	return out
}

// principalIndex finds external principals by trait, id and attribute.
type principalIndex struct {
	byTrait map[connectorv2.ResourceType_Trait][]*connectorv2.Resource
	byID    map[string]*connectorv2.Resource // by resource id alone, as Baton's
	// values: trait -> key -> folded value -> principals, built per key
	// on first use.
	values map[connectorv2.ResourceType_Trait]map[string]map[string][]*connectorv2.Resource
}

func newPrincipalIndex(principals []*connectorv2.Resource, traits map[connectorv2.ResourceType_Trait]bool) *principalIndex {
	ix := &principalIndex{byTrait: map[connectorv2.ResourceType_Trait][]*connectorv2.Resource{}, byID: map[string]*connectorv2.Resource{},
		values: map[connectorv2.ResourceType_Trait]map[string]map[string][]*connectorv2.Resource{}}
	for _, p := range principals {
		annos := annotations.Annotations(p.GetAnnotations())
		for t := range traits {
			if m := traitMessage(t); m != nil && annos.Contains(m) {
				ix.byTrait[t] = append(ix.byTrait[t], p)
			}
		}
		ix.byID[p.GetId().GetResource()] = p
	}
	return ix
}

// match is the principals of trait whose profile value for key equals
// value, ignoring case; for users, key "email" also matches any of their
// addresses.
func (ix *principalIndex) match(trait connectorv2.ResourceType_Trait, key, value string) []*connectorv2.Resource {
	byKey := ix.values[trait]
	if byKey == nil {
		byKey = map[string]map[string][]*connectorv2.Resource{}
		ix.values[trait] = byKey
	}
	vals := byKey[key]
	if vals == nil {
		vals = map[string][]*connectorv2.Resource{}
		for _, p := range ix.byTrait[trait] {
			seen := map[string]bool{}
			add := func(v string) {
				if f := fold(v); !seen[f] {
					seen[f] = true
					vals[f] = append(vals[f], p)
				}
			}
			if v, ok := profile(p).GetFields()[key].GetKind().(*structpb.Value_StringValue); ok {
				add(v.StringValue)
			}
			if trait == connectorv2.ResourceType_TRAIT_USER && key == "email" {
				ut := &connectorv2.UserTrait{}
				if ok, _ := annotations.Annotations(p.GetAnnotations()).Pick(ut); ok {
					for _, e := range ut.GetEmails() {
						add(e.GetAddress())
					}
				}
			}
		}
		byKey[key] = vals
	}
	return vals[fold(value)]
}

// profile is a resource's attributes: its own, else its trait's (where
// older connectors kept them).
func profile(p *connectorv2.Resource) *structpb.Struct {
	if p.GetProfile() != nil {
		return p.GetProfile()
	}
	annos := annotations.Annotations(p.GetAnnotations())
	for _, m := range []interface {
		proto.Message
		GetProfile() *structpb.Struct
	}{&connectorv2.UserTrait{}, &connectorv2.GroupTrait{}, &connectorv2.RoleTrait{}, &connectorv2.AppTrait{}, &connectorv2.SecretTrait{}} {
		if ok, _ := annos.Pick(m); ok && m.GetProfile() != nil {
			return m.GetProfile()
		}
	}
	return nil
}

func traitMessage(t connectorv2.ResourceType_Trait) proto.Message {
	switch t {
	case connectorv2.ResourceType_TRAIT_USER:
		return &connectorv2.UserTrait{}
	case connectorv2.ResourceType_TRAIT_GROUP:
		return &connectorv2.GroupTrait{}
	case connectorv2.ResourceType_TRAIT_ROLE:
		return &connectorv2.RoleTrait{}
	case connectorv2.ResourceType_TRAIT_APP:
		return &connectorv2.AppTrait{}
	case connectorv2.ResourceType_TRAIT_SECRET:
		return &connectorv2.SecretTrait{}
	}
	return nil
}

// fold maps a string to one form per case-insensitive class (Unicode
// simple folding), so "Ada@X.test" and "ada@x.test" match.
func fold(s string) string {
	return strings.Map(func(r rune) rune {
		low := r
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			low = min(low, f)
		}
		return low
	}, s)
}
