// Package synthetic is a deterministic connector of any size, for
// benchmarks and tests. Everything is computed from indexes, so it costs
// no memory and every run returns the same objects:
//
//   - users u0000000..: carry SkipEntitlementsAndGrants (they hold access,
//     nothing is granted on them);
//   - groups g00000..: each has a "member" entitlement granted to Members
//     users, picked round-robin; the first Nesting groups form a chain
//     (g0 contains g1 contains g2 ...), as expandable grants; or, with
//     Depth, chains of that many levels, closed into cycles with Cycles.
package synthetic

import (
	"context"
	"fmt"
	"strconv"
	"time"

	connectorv2 "github.com/batonkit/batonkit/pb/c1/connector/v2"
	"github.com/batonkit/batonkit/pkg/annotations"
	"github.com/batonkit/batonkit/pkg/connector"
	"github.com/batonkit/batonkit/pkg/entitlement"
	"github.com/batonkit/batonkit/pkg/grant"
	"github.com/batonkit/batonkit/pkg/resource"
)

// Shape is the size of the synthetic tenant.
type Shape struct {
	Users            int
	Groups           int
	Members          int           // user grants per group
	ResourcePageSize int           // default 50
	GrantPageSize    int           // default 10
	Latency          time.Duration // added to every listing call
	Nesting          int           // length of the nested group chain
	// Depth, when above 1, arranges the groups in Groups/Depth chains of
	// Depth levels: group i contains group i+Groups/Depth. With Cycles the
	// last level contains the first again, so every chain is a cycle.
	Depth  int
	Cycles bool
	// People, when set, makes users accounts of people, for fleets: user i
	// of app App gets the address person-NNNNNN@example.com of person
	// (i + App*Users/2) mod People, so neighbouring apps share half their
	// people.
	People, App int
}

// Connector serves a Shape.
type Connector struct{ s Shape }

// New returns a connector for s.
func New(s Shape) *Connector {
	if s.ResourcePageSize <= 0 {
		s.ResourcePageSize = 50
	}
	if s.GrantPageSize <= 0 {
		s.GrantPageSize = 10
	}
	return &Connector{s: s}
}

var (
	userType  = resource.NewType("user", "User", resource.WithTraits(connectorv2.ResourceType_TRAIT_USER))
	groupType = resource.NewType("group", "Group", resource.WithTraits(connectorv2.ResourceType_TRAIT_GROUP))
	skipAll   = annotations.New(&connectorv2.SkipEntitlementsAndGrants{})
)

// Metadata implements connector.Connector.
func (c *Connector) Metadata(context.Context) (*connectorv2.ConnectorMetadata, error) {
	return &connectorv2.ConnectorMetadata{DisplayName: "Synthetic", Description: fmt.Sprintf("%d users, %d groups", c.s.Users, c.s.Groups)}, nil
}

// Validate implements connector.Connector.
func (c *Connector) Validate(context.Context) (annotations.Annotations, error) { return nil, nil }

// ResourceSyncers implements connector.Connector.
func (c *Connector) ResourceSyncers(context.Context) []connector.ResourceSyncer {
	return []connector.ResourceSyncer{users{c}, groups{c}}
}

func (c *Connector) wait(ctx context.Context) error {
	if c.s.Latency <= 0 {
		return nil
	}
	t := time.NewTimer(c.s.Latency)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// window turns a page token into [from, to) over n items.
func window(tok string, size, n int) (int, int, string, error) {
	from := 0
	if tok != "" {
		var err error
		if from, err = strconv.Atoi(tok); err != nil || from < 0 {
			return 0, 0, "", connector.BadPageToken(tok)
		}
	}
	to := min(from+size, n)
	next := ""
	if to < n {
		next = strconv.Itoa(to)
	}
	return from, to, next, nil
}

// UserID and GroupID name the i-th user and group.
func UserID(i int) string  { return fmt.Sprintf("u%07d", i) }
func GroupID(i int) string { return fmt.Sprintf("g%05d", i) }

type users struct{ c *Connector }

func (users) ResourceType(context.Context) *connectorv2.ResourceType { return userType }

func (u users) List(ctx context.Context, _ *connectorv2.ResourceId, req connector.PageRequest) (connector.Page[*connectorv2.Resource], error) {
	var p connector.Page[*connectorv2.Resource]
	if err := u.c.wait(ctx); err != nil {
		return p, err
	}
	from, to, next, err := window(req.Token, u.c.s.ResourcePageSize, u.c.s.Users)
	if err != nil {
		return p, err
	}
	p.Items = make([]*connectorv2.Resource, 0, to-from)
	for i := from; i < to; i++ {
		id := UserID(i)
		r := &connectorv2.Resource{
			Id:          &connectorv2.ResourceId{ResourceType: "user", Resource: id},
			DisplayName: "User " + id,
			Annotations: skipAll,
		}
		if s := u.c.s; s.People > 0 {
			person := (i + s.App*s.Users/2) % s.People
			r.DisplayName = fmt.Sprintf("Person %06d", person)
			r.Annotations = annotations.New(&connectorv2.SkipEntitlementsAndGrants{}, &connectorv2.UserTrait{
				Emails: []*connectorv2.UserTrait_Email{{Address: fmt.Sprintf("person-%06d@example.com", person), IsPrimary: true}},
				Status: &connectorv2.UserTrait_Status{Status: connectorv2.UserTrait_Status_STATUS_ENABLED}, AccountType: connectorv2.UserTrait_ACCOUNT_TYPE_HUMAN})
		}
		p.Items = append(p.Items, r)
	}
	p.NextToken = next
	return p, nil
}

func (users) Entitlements(context.Context, *connectorv2.Resource, connector.PageRequest) (connector.Page[*connectorv2.Entitlement], error) {
	return connector.Page[*connectorv2.Entitlement]{}, nil
}

func (users) Grants(context.Context, *connectorv2.Resource, connector.PageRequest) (connector.Page[*connectorv2.Grant], error) {
	return connector.Page[*connectorv2.Grant]{}, nil
}

type groups struct{ c *Connector }

func (groups) ResourceType(context.Context) *connectorv2.ResourceType { return groupType }

func groupRes(i int) *connectorv2.Resource {
	id := GroupID(i)
	return &connectorv2.Resource{Id: &connectorv2.ResourceId{ResourceType: "group", Resource: id}, DisplayName: "Group " + id}
}

func (g groups) List(ctx context.Context, _ *connectorv2.ResourceId, req connector.PageRequest) (connector.Page[*connectorv2.Resource], error) {
	var p connector.Page[*connectorv2.Resource]
	if err := g.c.wait(ctx); err != nil {
		return p, err
	}
	from, to, next, err := window(req.Token, g.c.s.ResourcePageSize, g.c.s.Groups)
	if err != nil {
		return p, err
	}
	for i := from; i < to; i++ {
		p.Items = append(p.Items, groupRes(i))
	}
	p.NextToken = next
	return p, nil
}

func (g groups) Entitlements(ctx context.Context, r *connectorv2.Resource, _ connector.PageRequest) (connector.Page[*connectorv2.Entitlement], error) {
	if err := g.c.wait(ctx); err != nil {
		return connector.Page[*connectorv2.Entitlement]{}, err
	}
	return connector.Page[*connectorv2.Entitlement]{Items: []*connectorv2.Entitlement{
		entitlement.NewAssignment(r, "member", entitlement.GrantableTo(userType, groupType))}}, nil
}

// child is the group that group gi contains, or -1.
func (s Shape) child(gi int) int {
	if s.Depth > 1 {
		stride := s.Groups / s.Depth
		switch {
		case stride == 0 || gi >= stride*s.Depth:
			return -1
		case gi+stride < stride*s.Depth:
			return gi + stride
		case s.Cycles:
			return gi % stride
		}
		return -1
	}
	if gi+1 < s.Nesting && gi+1 < s.Groups {
		return gi + 1
	}
	return -1
}

func (g groups) Grants(ctx context.Context, r *connectorv2.Resource, req connector.PageRequest) (connector.Page[*connectorv2.Grant], error) {
	var p connector.Page[*connectorv2.Grant]
	if err := g.c.wait(ctx); err != nil {
		return p, err
	}
	gi, err := strconv.Atoi(r.GetId().GetResource()[1:])
	if err != nil {
		return p, connector.NotFound("no group %q", r.GetId().GetResource())
	}
	s := g.c.s
	n := 0
	if s.Users > 0 {
		n = min(s.Members, s.Users)
	}
	child := s.child(gi)
	nested := child >= 0
	total := n
	if nested {
		total++
	}
	from, to, next, err := window(req.Token, s.GrantPageSize, total)
	if err != nil {
		return p, err
	}
	ent := &connectorv2.Entitlement{Resource: r, Id: entitlement.ID(r.GetId(), "member")}
	for k := from; k < to; k++ {
		if k == n { // the nested group comes last
			cid := resource.ID("group", GroupID(child))
			p.Items = append(p.Items, grant.Of(ent, &connectorv2.Resource{Id: cid}, grant.Expandable(entitlement.ID(cid, "member"))))
			continue
		}
		uid := &connectorv2.ResourceId{ResourceType: "user", Resource: UserID((gi*n + k) % s.Users)}
		p.Items = append(p.Items, grant.Of(ent, &connectorv2.Resource{Id: uid}))
	}
	p.NextToken = next
	return p, nil
}
