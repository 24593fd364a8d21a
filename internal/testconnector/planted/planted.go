// Package planted is a small connector with one conformance defect planted
// on request, to prove that each check of the conformance kit catches its
// defect and no other check does. Without a defect it passes every check.
package planted

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	connectorv2 "github.com/batonkit/batonkit/pb/c1/connector/v2"
	"github.com/batonkit/batonkit/pkg/annotations"
	"github.com/batonkit/batonkit/pkg/connector"
	"github.com/batonkit/batonkit/pkg/entitlement"
	"github.com/batonkit/batonkit/pkg/grant"
	"github.com/batonkit/batonkit/pkg/resource"
)

// Defects, each with the check that must catch it.
var Defects = map[string]string{
	"skipped-page":             "page-sizes",   // the user listing's next token skips an item
	"repeated-page":            "pagination",   // the user listing serves its first page twice
	"duplicate-object":         "unique-ids",   // the group listing returns one group twice
	"dangling-grant":           "references",   // a group grants membership to a user nobody lists
	"wrong-id":                 "ids",          // grant ids that do not follow <entitlement>:<type>:<id>
	"unimplemented-capability": "capabilities", // targeted sync advertised, GetResource unimplemented
}

const (
	nUsers      = 12
	nGroups     = 3
	defaultSize = 50 // every listing fits one page unless a smaller size is asked for
)

// SilentRepeat is a behaviour that passes every check with a note: a
// repeated grant or revoke succeeds without saying it changed nothing.
const SilentRepeat = "silent-repeat"

// New returns the connector with defect planted ("" for none).
func New(defect string) (connector.Connector, error) {
	if _, ok := Defects[defect]; !ok && defect != "" && defect != SilentRepeat {
		return nil, fmt.Errorf("no defect %q", defect)
	}
	return &app{defect: defect, granted: map[string]bool{}}, nil
}

type app struct {
	defect  string
	mu      sync.Mutex
	granted map[string]bool // grant ids added by Grant
}

func (a *app) Metadata(context.Context) (*connectorv2.ConnectorMetadata, error) {
	return &connectorv2.ConnectorMetadata{DisplayName: "Planted (" + name(a.defect) + ")", Description: "a connector with a planted conformance defect"}, nil
}

func name(d string) string {
	if d == "" {
		return "no defect"
	}
	return d
}

func (a *app) Validate(context.Context) (annotations.Annotations, error) { return nil, nil }

func (a *app) ResourceSyncers(context.Context) []connector.ResourceSyncer {
	u := &users{a}
	if a.defect == "unimplemented-capability" {
		return []connector.ResourceSyncer{&unimplementedGetter{u}, &groups{a}}
	}
	return []connector.ResourceSyncer{u, &groups{a}}
}

var (
	userType  = resource.NewType("user", "User", resource.WithTraits(connectorv2.ResourceType_TRAIT_USER), resource.WithTypeAnnotations(&connectorv2.SkipEntitlementsAndGrants{}))
	groupType = resource.NewType("group", "Group", resource.WithTraits(connectorv2.ResourceType_TRAIT_GROUP))
)

func userOf(i int) *connectorv2.Resource {
	r, _ := resource.New("user", fmt.Sprintf("u%02d", i), fmt.Sprintf("User %d", i))
	return r
}

func groupOf(i int) *connectorv2.Resource {
	r, _ := resource.New("group", fmt.Sprintf("g%d", i), fmt.Sprintf("Group %d", i))
	return r
}

// offsets pages 0..n by offset tokens.
func offsets(req connector.PageRequest, n int) (from, to int, next string, err error) {
	size := req.Size
	if size <= 0 {
		size = defaultSize
	}
	if req.Token != "" {
		if from, err = strconv.Atoi(strings.TrimPrefix(req.Token, "again-")); err != nil || from < 0 || from > n {
			return 0, 0, "", status.Errorf(codes.InvalidArgument, "bad page token %q", req.Token)
		}
	}
	to = min(from+size, n)
	if to < n {
		next = strconv.Itoa(to)
	}
	return from, to, next, nil
}

type users struct{ a *app }

func (u *users) ResourceType(context.Context) *connectorv2.ResourceType { return userType }

func (u *users) List(_ context.Context, _ *connectorv2.ResourceId, req connector.PageRequest) (connector.Page[*connectorv2.Resource], error) {
	var p connector.Page[*connectorv2.Resource]
	from, to, next, err := offsets(req, nUsers)
	if err != nil {
		return p, err
	}
	for i := from; i < to; i++ {
		p.Items = append(p.Items, userOf(i))
	}
	switch {
	case next == "":
	case u.a.defect == "skipped-page":
		n, _ := strconv.Atoi(next)
		if n+1 < nUsers {
			next = strconv.Itoa(n + 1)
		} else {
			next = ""
		}
	case u.a.defect == "repeated-page" && req.Token == "":
		next = "again-0" // the first page once more, then on as usual
	}
	p.NextToken = next
	return p, nil
}

func (u *users) Entitlements(context.Context, *connectorv2.Resource, connector.PageRequest) (connector.Page[*connectorv2.Entitlement], error) {
	return connector.Page[*connectorv2.Entitlement]{}, nil
}

func (u *users) Grants(context.Context, *connectorv2.Resource, connector.PageRequest) (connector.Page[*connectorv2.Grant], error) {
	return connector.Page[*connectorv2.Grant]{}, nil
}

// unimplementedGetter claims GetResource (so the metadata advertises
// targeted sync) and answers it as unimplemented.
type unimplementedGetter struct{ *users }

func (unimplementedGetter) Get(context.Context, *connectorv2.ResourceId, *connectorv2.ResourceId) (*connectorv2.Resource, annotations.Annotations, error) {
	return nil, nil, status.Error(codes.Unimplemented, "GetResource is not implemented")
}

type groups struct{ a *app }

func (g *groups) ResourceType(context.Context) *connectorv2.ResourceType { return groupType }

func (g *groups) List(_ context.Context, _ *connectorv2.ResourceId, req connector.PageRequest) (connector.Page[*connectorv2.Resource], error) {
	var p connector.Page[*connectorv2.Resource]
	from, to, next, err := offsets(req, nGroups)
	if err != nil {
		return p, err
	}
	for i := from; i < to; i++ {
		p.Items = append(p.Items, groupOf(i))
	}
	if g.a.defect == "duplicate-object" && from == 0 {
		p.Items = append(p.Items, groupOf(0))
	}
	p.NextToken = next
	return p, nil
}

func (g *groups) Entitlements(_ context.Context, r *connectorv2.Resource, _ connector.PageRequest) (connector.Page[*connectorv2.Entitlement], error) {
	return connector.Page[*connectorv2.Entitlement]{Items: []*connectorv2.Entitlement{
		entitlement.NewAssignment(r, "member", entitlement.GrantableTo(userType)),
	}}, nil
}

// Grant adds a member (in memory, for the provisioning check).
func (g *groups) Grant(_ context.Context, principal *connectorv2.Resource, e *connectorv2.Entitlement) ([]*connectorv2.Grant, annotations.Annotations, error) {
	gr := grant.Of(e, principal)
	g.a.mu.Lock()
	defer g.a.mu.Unlock()
	if g.a.granted[gr.GetId()] || g.member(e.GetResource(), principal.GetId()) {
		if g.a.defect == SilentRepeat {
			return []*connectorv2.Grant{gr}, nil, nil
		}
		return []*connectorv2.Grant{gr}, annotations.New(&connectorv2.GrantAlreadyExists{}), nil
	}
	g.a.granted[gr.GetId()] = true
	return []*connectorv2.Grant{gr}, nil, nil
}

// Revoke takes a member Grant added away; the seeded members stay.
func (g *groups) Revoke(_ context.Context, gr *connectorv2.Grant) (annotations.Annotations, error) {
	g.a.mu.Lock()
	defer g.a.mu.Unlock()
	if !g.a.granted[gr.GetId()] {
		if g.member(gr.GetEntitlement().GetResource(), gr.GetPrincipal().GetId()) {
			return nil, status.Error(codes.FailedPrecondition, "seeded members cannot be revoked")
		}
		if g.a.defect == SilentRepeat {
			return nil, nil
		}
		return annotations.New(&connectorv2.GrantAlreadyRevoked{}), nil
	}
	delete(g.a.granted, gr.GetId())
	return nil, nil
}

func (g *groups) member(group *connectorv2.Resource, p *connectorv2.ResourceId) bool {
	for _, m := range g.seeded(group) {
		if m.GetId().GetResource() == p.GetResource() && m.GetId().GetResourceType() == p.GetResourceType() {
			return true
		}
	}
	return false
}

// seeded members of group i: every user whose number is i modulo nGroups.
func (g *groups) seeded(r *connectorv2.Resource) []*connectorv2.Resource {
	gi, _ := strconv.Atoi(strings.TrimPrefix(r.GetId().GetResource(), "g"))
	var members []*connectorv2.Resource
	for i := gi; i < nUsers; i += nGroups {
		members = append(members, userOf(i))
	}
	return members
}

// Grants lists the seeded members and those Grant added.
func (g *groups) Grants(_ context.Context, r *connectorv2.Resource, req connector.PageRequest) (connector.Page[*connectorv2.Grant], error) {
	var p connector.Page[*connectorv2.Grant]
	members := g.seeded(r)
	e := entitlement.NewAssignment(r, "member", entitlement.GrantableTo(userType))
	g.a.mu.Lock()
	for i := range nUsers {
		if u := userOf(i); g.a.granted[grant.ID(e.GetId(), u.GetId())] {
			members = append(members, u)
		}
	}
	g.a.mu.Unlock()
	if g.a.defect == "dangling-grant" && r.GetId().GetResource() == "g0" {
		ghost, _ := resource.New("user", "ghost", "Nobody lists me")
		members = append(members, ghost)
	}
	from, to, next, err := offsets(req, len(members))
	if err != nil {
		return p, err
	}
	for i := from; i < to; i++ {
		gr := grant.Of(e, members[i])
		if g.a.defect == "wrong-id" {
			gr.Id = fmt.Sprintf("grant-%s-%d", r.GetId().GetResource(), i)
		}
		p.Items = append(p.Items, gr)
	}
	p.NextToken = next
	return p, nil
}
