package explorer

import (
	"errors"
	"slices"
	"strings"

	connectorv2 "github.com/batonkit/batonkit/pb/c1/connector/v2"
	"github.com/batonkit/batonkit/pkg/c1z"
)

const (
	listSize     = 50   // rows on a listing page
	holdersShown = 10   // holders under each entitlement of a resource page
	maxAccess    = 5000 // grants read for one principal's access page
	maxChanges   = 1000 // differences listed on the diff page
)

func overview(r *request) (any, error) {
	stats := r.run.Stats
	if stats == nil {
		s, err := r.st.Stats(r.ctx, r.run.ID)
		if err != nil {
			return nil, err
		}
		stats = &s
	}
	o := &Overview{File: r.file, Sync: syncInfo(r.run, r.run.ID), Total: TypeCount{Resources: stats.Resources, Entitlements: stats.Entitlements, Grants: stats.Grants}}
	for rt, err := range r.st.ResourceTypes(r.ctx, r.run.ID) {
		if err != nil {
			return nil, err
		}
		tc := TypeCount{ID: rt.GetId(), Name: rt.GetDisplayName(),
			Resources: stats.ResourcesByType[rt.GetId()], Entitlements: stats.EntitlementsByType[rt.GetId()], Grants: stats.GrantsByType[rt.GetId()]}
		for _, t := range rt.GetTraits() {
			tc.Traits = append(tc.Traits, strings.TrimPrefix(t.String(), "TRAIT_"))
		}
		o.Types = append(o.Types, tc)
	}
	return o, nil
}

func (r *request) resourceType(id string) error {
	_, err := r.st.ResourceType(r.ctx, r.run.ID, id)
	if errors.Is(err, c1z.ErrNotFound) {
		return notFound("no resource type %q in this sync", id)
	}
	return err
}

func resources(r *request) (any, error) {
	typ, err := r.need("type", "resources")
	if err != nil {
		return nil, err
	}
	if err := r.resourceType(typ); err != nil {
		return nil, err
	}
	l := &ResourceList{Type: typ, Query: strings.TrimSpace(r.q.Get("q")), Items: []Ref{}, SyncID: r.run.ID}
	rs, next, err := r.st.SearchResources(r.ctx, c1z.ResourceQuery{SyncID: r.run.ID, ResourceTypeID: typ}, l.Query, c1z.Page{Size: listSize, Token: r.q.Get("page")})
	if err != nil {
		return nil, err
	}
	for _, res := range rs {
		l.Items = append(l.Items, refOf(res, nil))
	}
	l.Next = next
	return l, nil
}

func (r *request) resourceArg() (*connectorv2.ResourceId, error) {
	typ, err := r.need("type", "resource")
	if err != nil {
		return nil, err
	}
	id, err := r.need("id", "resource")
	if err != nil {
		return nil, err
	}
	return resourceID(typ, id), nil
}

// holders lists up to n principals holding entID, reporting whether there
// are more.
func (r *request) holders(entID string, n int) ([]Holder, bool, error) {
	out := []Holder{}
	for v, err := range r.st.GrantViews(r.ctx, c1z.GrantQuery{SyncID: r.run.ID, EntitlementID: entID}) {
		if err != nil {
			return nil, false, err
		}
		if len(out) == n {
			return out, true, nil
		}
		out = append(out, Holder{Principal: refOf(v.Principal, v.Grant.GetPrincipal().GetId()), Via: ViaOf(v.Grant, entID)})
	}
	return out, false, nil
}

func resource(r *request) (any, error) {
	id, err := r.resourceArg()
	if err != nil {
		return nil, err
	}
	res, err := r.st.Resource(r.ctx, r.run.ID, id)
	if errors.Is(err, c1z.ErrNotFound) {
		return nil, notFound("no resource %s:%s in this sync", id.GetResourceType(), id.GetResource())
	}
	if err != nil {
		return nil, err
	}
	d := &ResourceDetail{Resource: refOf(res, nil), Description: res.GetDescription(), Children: []Ref{}, Entitlements: []EntitlementHolders{}, Raw: rawJSON(res)}
	if pid := res.GetParentResourceId(); pid != nil {
		parent, err := r.st.Resource(r.ctx, r.run.ID, pid)
		if err != nil && !errors.Is(err, c1z.ErrNotFound) {
			return nil, err
		}
		ref := refOf(parent, pid)
		d.Parent = &ref
	}
	kids, next, err := r.st.ResourcesPage(r.ctx, c1z.ResourceQuery{SyncID: r.run.ID, Parent: id}, c1z.Page{Size: listSize})
	if err != nil {
		return nil, err
	}
	for _, k := range kids {
		d.Children = append(d.Children, refOf(k, nil))
	}
	d.MoreChildren = next != ""
	for e, err := range r.st.Entitlements(r.ctx, c1z.EntitlementQuery{SyncID: r.run.ID, Resource: id}) {
		if err != nil {
			return nil, err
		}
		hs, more, err := r.holders(e.GetId(), holdersShown)
		if err != nil {
			return nil, err
		}
		d.Entitlements = append(d.Entitlements, EntitlementHolders{Entitlement: entRefOf(e, res), Holders: hs, More: more})
	}
	held, _, err := r.st.GrantsPage(r.ctx, c1z.GrantQuery{SyncID: r.run.ID, Principal: id}, c1z.Page{Size: 1})
	if err != nil {
		return nil, err
	}
	d.HoldsGrants = len(held) > 0
	return d, nil
}

func access(r *request) (any, error) {
	id, err := r.resourceArg()
	if err != nil {
		return nil, err
	}
	res, err := r.st.Resource(r.ctx, r.run.ID, id)
	if err != nil && !errors.Is(err, c1z.ErrNotFound) {
		return nil, err
	}
	a := &Access{Principal: refOf(res, id), Focus: r.q.Get("ent"), Grants: []AccessRow{}}
	for v, err := range r.st.GrantViews(r.ctx, c1z.GrantQuery{SyncID: r.run.ID, Principal: id}) {
		if err != nil {
			return nil, err
		}
		if len(a.Grants) == maxAccess {
			a.More = true
			break
		}
		e := v.Entitlement
		if e == nil {
			e = v.Grant.GetEntitlement()
		}
		a.Grants = append(a.Grants, AccessRow{Entitlement: entRefOf(e, v.Resource), Via: ViaOf(v.Grant, e.GetId())})
	}
	// A principal known only from grants (a deleted account) still has
	// access to show; one with neither is a wrong id.
	if res == nil && len(a.Grants) == 0 {
		return nil, notFound("no resource %s:%s in this sync, and no grants to it", id.GetResourceType(), id.GetResource())
	}
	slices.SortStableFunc(a.Grants, func(x, y AccessRow) int { return strings.Compare(x.Entitlement.ID, y.Entitlement.ID) })
	if a.Focus != "" && !slices.ContainsFunc(a.Grants, func(g AccessRow) bool { return g.Entitlement.ID == a.Focus }) {
		return nil, notFound("%s:%s does not hold %q", id.GetResourceType(), id.GetResource(), a.Focus)
	}
	a.Graph = buildGraph(a.Principal, a.Grants, a.Focus)
	for _, n := range a.Graph.Nodes {
		if n.ID != "principal" {
			n.Link = link(r.sync, "/access", "type", id.GetResourceType(), "id", id.GetResource(), "ent", n.ID)
		} else {
			n.Link = link(r.sync, "/resource", "type", id.GetResourceType(), "id", id.GetResource())
		}
	}
	return a, nil
}

func entitlements(r *request) (any, error) {
	typ := r.q.Get("type")
	if typ != "" {
		if err := r.resourceType(typ); err != nil {
			return nil, err
		}
	}
	l := &EntitlementList{Type: typ, Items: []EntRef{}}
	es, next, err := r.st.EntitlementsPage(r.ctx, c1z.EntitlementQuery{SyncID: r.run.ID, ResourceTypeID: typ}, c1z.Page{Size: listSize, Token: r.q.Get("page")})
	if err != nil {
		return nil, err
	}
	for _, e := range es {
		l.Items = append(l.Items, entRefOf(e, nil))
	}
	l.Next = next
	return l, nil
}

func entitlement(r *request) (any, error) {
	id, err := r.need("id", "entitlement")
	if err != nil {
		return nil, err
	}
	e, err := r.st.Entitlement(r.ctx, r.run.ID, id)
	if errors.Is(err, c1z.ErrNotFound) {
		return nil, notFound("no entitlement %q in this sync", id)
	}
	if err != nil {
		return nil, err
	}
	res, err := r.st.Resource(r.ctx, r.run.ID, e.GetResource().GetId())
	if err != nil && !errors.Is(err, c1z.ErrNotFound) {
		return nil, err
	}
	d := &EntitlementDetail{Entitlement: entRefOf(e, res), Description: e.GetDescription(), Holders: []Holder{}, Raw: rawJSON(e)}
	for _, rt := range e.GetGrantableTo() {
		d.GrantableTo = append(d.GrantableTo, rt.GetId())
	}
	gs, next, err := r.st.GrantsPage(r.ctx, c1z.GrantQuery{SyncID: r.run.ID, EntitlementID: id}, c1z.Page{Size: listSize, Token: r.q.Get("page")})
	if err != nil {
		return nil, err
	}
	for _, g := range gs {
		pid := g.GetPrincipal().GetId()
		p, err := r.st.Resource(r.ctx, r.run.ID, pid)
		if err != nil && !errors.Is(err, c1z.ErrNotFound) {
			return nil, err
		}
		d.Holders = append(d.Holders, Holder{Principal: refOf(p, pid), Via: ViaOf(g, id)})
	}
	d.Next = next
	return d, nil
}

func syncs(r *request) (any, error) {
	runs, err := r.st.Syncs(r.ctx)
	if err != nil {
		return nil, err
	}
	l := &SyncList{Items: []SyncInfo{}}
	for _, run := range runs {
		l.Items = append(l.Items, syncInfo(run, r.run.ID))
	}
	return l, nil
}

func diff(r *request) (any, error) {
	base, applied := r.q.Get("base"), r.q.Get("applied")
	if (base == "") != (applied == "") {
		return nil, badRequest("diff: give both ?base= and ?applied=, or neither for the two latest full syncs")
	}
	if base == "" {
		var err error
		if base, applied, err = r.st.LatestTwoFullSyncs(r.ctx); err != nil {
			return nil, notFound("diff: %v", err)
		}
	}
	for _, id := range []string{base, applied} {
		if _, err := pickSync(r.ctx, r.st, id); err != nil {
			return nil, err
		}
	}
	d := &DiffView{Base: base, Applied: applied, Changes: []Change{}}
	for c, err := range r.st.Compare(r.ctx, base, r.st, applied) {
		if err != nil {
			return nil, err
		}
		d.Total++
		if len(d.Changes) == maxChanges {
			d.Truncated = true
			continue
		}
		ch := Change{Change: c.Change.String(), Fields: c.Fields}
		sync := applied
		if c.Change == c1z.Deleted {
			sync = base
		}
		switch o := c.Object.(type) {
		case *connectorv2.Resource:
			ch.Kind, ch.ID, ch.Name = "resource", o.GetId().GetResourceType()+":"+o.GetId().GetResource(), o.GetDisplayName()
			ch.Link = link(sync, "/resource", "type", o.GetId().GetResourceType(), "id", o.GetId().GetResource())
		case *connectorv2.Entitlement:
			ch.Kind, ch.ID, ch.Name = "entitlement", o.GetId(), o.GetDisplayName()
			ch.Link = link(sync, "/entitlement", "id", o.GetId())
		case *connectorv2.Grant:
			ch.Kind, ch.ID = "grant", o.GetId()
			pid := o.GetPrincipal().GetId()
			ch.Link = link(sync, "/access", "type", pid.GetResourceType(), "id", pid.GetResource(), "ent", o.GetEntitlement().GetId())
		}
		d.Changes = append(d.Changes, ch)
	}
	runs, err := r.st.Syncs(r.ctx)
	if err != nil {
		return nil, err
	}
	for _, run := range runs {
		d.Syncs = append(d.Syncs, syncInfo(run, ""))
	}
	return d, nil
}
