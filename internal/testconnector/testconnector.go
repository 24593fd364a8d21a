// Package testconnector is a small, deterministic, in-memory connector
// that implements every capability of pkg/connector. Tests across the
// module drive it through real servers; fault knobs make it misbehave in
// the ways real apps do.
package testconnector

import (
	"bytes"
	"context"
	"fmt"
	"google.golang.org/protobuf/types/known/anypb"
	"io"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	connectorv2 "github.com/batonkit/batonkit/pb/c1/connector/v2"
	"github.com/batonkit/batonkit/pkg/annotations"
	"github.com/batonkit/batonkit/pkg/connector"
	"github.com/batonkit/batonkit/pkg/entitlement"
	"github.com/batonkit/batonkit/pkg/grant"
	"github.com/batonkit/batonkit/pkg/resource"
)

// Faults make the connector misbehave.
type Faults struct {
	// Unavailable answers this many calls with codes.Unavailable first.
	Unavailable atomic.Int64
	// RepeatTokenOn makes List of this resource type return its input token.
	RepeatTokenOn string
	// InvalidUser adds a user with an empty id to the first page of users.
	InvalidUser bool
	// VanishedGroups answer NotFound when their grants are listed.
	VanishedGroups map[string]bool
	// PanicOnValidate makes Validate panic.
	PanicOnValidate bool
	// FailValidate makes Validate answer that the app refuses the
	// credentials.
	FailValidate bool
	// ArchivedRepo adds, to every repo's grants, a grant on an archived
	// repo that ListResources never returns, with the InsertResourceGrants
	// annotation so the syncer stores the repo from the grant.
	ArchivedRepo bool
	// HugeAnnotations gives every user listed an extra annotation of
	// 3.5 MB: a connector that would fill the syncer's memory and file.
	HugeAnnotations bool
}

// Connector is the test app. Create it with New.
type Connector struct {
	PageSize int
	Faults   Faults
	Latency  time.Duration // added to every listing call
	// RevokeInherited makes group Revoke take an inherited membership away
	// by removing the principal from the groups it came through
	// (connector.InheritedRevoker).
	RevokeInherited bool
	// ExternalAdmins are email addresses of people of an identity
	// provider who hold the admin role too: each is a grant whose
	// principal is named by ExternalResourceMatch, for the syncer to
	// match against the provider's sync file.
	ExternalAdmins []string

	mu      sync.Mutex
	users   []string
	groups  []string
	members map[string][]string // group -> principals ("user:u1", "group:g2")
	roles   map[string][]string // role -> users
	repos   map[string][]string // org -> repos
	tickets map[string]*connectorv2.Ticket
	nextID  atomic.Int64
	Calls   atomic.Int64
}

// New builds an org of nUsers users and nGroups groups; group g(i) nests
// g(i+1) for the first `nesting` groups, every user is in group
// g(user mod nGroups), two roles, and two orgs with two repos each.
func New(nUsers, nGroups, nesting int) *Connector {
	c := &Connector{PageSize: 7, members: map[string][]string{}, roles: map[string][]string{}, repos: map[string][]string{}, tickets: map[string]*connectorv2.Ticket{}}
	for i := 0; i < nUsers; i++ {
		c.users = append(c.users, fmt.Sprintf("u%03d", i))
	}
	for i := 0; i < nGroups; i++ {
		c.groups = append(c.groups, fmt.Sprintf("g%03d", i))
	}
	for i, u := range c.users {
		g := c.groups[i%nGroups]
		c.members[g] = append(c.members[g], "user:"+u)
	}
	for i := 0; i < nesting && i+1 < nGroups; i++ {
		c.members[c.groups[i]] = append(c.members[c.groups[i]], "group:"+c.groups[i+1])
	}
	c.roles["admin"] = []string{"user:" + c.users[0]}
	c.roles["viewer"] = []string{"user:" + c.users[len(c.users)-1], "group:" + c.groups[0]}
	c.repos["acme"] = []string{"web", "api"}
	c.repos["globex"] = []string{"infra", "docs"}
	return c
}

var (
	userType  = resource.NewType("user", "User", resource.WithTraits(connectorv2.ResourceType_TRAIT_USER), resource.WithTypeAnnotations(&connectorv2.SkipEntitlementsAndGrants{}))
	groupType = resource.NewType("group", "Group", resource.WithTraits(connectorv2.ResourceType_TRAIT_GROUP))
	roleType  = resource.NewType("role", "Role", resource.WithTraits(connectorv2.ResourceType_TRAIT_ROLE))
	orgType   = resource.NewType("org", "Organisation")
	repoType  = resource.NewType("repo", "Repository")
)

func (c *Connector) Metadata(context.Context) (*connectorv2.ConnectorMetadata, error) {
	c.Calls.Add(1)
	return &connectorv2.ConnectorMetadata{DisplayName: "Test App", Description: "An in-memory app for tests"}, nil
}

func (c *Connector) Validate(context.Context) (annotations.Annotations, error) {
	c.Calls.Add(1)
	if c.Faults.PanicOnValidate {
		panic("validate exploded")
	}
	if c.Faults.FailValidate {
		return nil, status.Error(codes.Unauthenticated, "the app refused the API key")
	}
	return nil, nil
}

func (c *Connector) ResourceSyncers(context.Context) []connector.ResourceSyncer {
	return []connector.ResourceSyncer{&users{c}, &groups{c}, &roles{c}, &orgs{c}, &repos{c}}
}

// fault applies the call-level faults.
func (c *Connector) fault() error {
	c.Calls.Add(1)
	if c.Latency > 0 {
		time.Sleep(c.Latency)
	}
	for {
		n := c.Faults.Unavailable.Load()
		if n <= 0 {
			return nil
		}
		if c.Faults.Unavailable.CompareAndSwap(n, n-1) {
			return status.Error(codes.Unavailable, "the app is briefly unavailable")
		}
	}
}

// paginate pages over items with a numeric offset token.
func paginate[T any](c *Connector, items []T, req connector.PageRequest) ([]T, string, error) {
	off := 0
	if req.Token != "" {
		var err error
		if off, err = strconv.Atoi(strings.TrimPrefix(req.Token, "o")); err != nil {
			return nil, "", status.Errorf(codes.InvalidArgument, "bad page token %q", req.Token)
		}
	}
	size := c.PageSize
	if req.Size > 0 {
		size = req.Size
	}
	end := min(off+size, len(items))
	if off > len(items) {
		return nil, "", nil
	}
	next := ""
	if end < len(items) {
		next = "o" + strconv.Itoa(end)
	}
	return items[off:end], next, nil
}

func principalID(p string) *connectorv2.ResourceId {
	typ, id, _ := strings.Cut(p, ":")
	return resource.ID(typ, id)
}

type users struct{ c *Connector }

func (u *users) ResourceType(context.Context) *connectorv2.ResourceType { return userType }

func (u *users) user(id string) *connectorv2.Resource {
	r, _ := resource.New("user", id, "User "+strings.ToUpper(id),
		resource.User(resource.Email(id+"@example.com", true), resource.Login(id),
			resource.UserStatus(connectorv2.UserTrait_Status_STATUS_ENABLED), resource.AccountType(connectorv2.UserTrait_ACCOUNT_TYPE_HUMAN)))
	return r
}

func (u *users) List(ctx context.Context, _ *connectorv2.ResourceId, req connector.PageRequest) (connector.Page[*connectorv2.Resource], error) {
	if err := u.c.fault(); err != nil {
		return connector.Page[*connectorv2.Resource]{}, err
	}
	u.c.mu.Lock()
	ids := slices.Clone(u.c.users)
	u.c.mu.Unlock()
	page, next, err := paginate(u.c, ids, req)
	var out connector.Page[*connectorv2.Resource]
	for _, id := range page {
		r := u.user(id)
		if u.c.Faults.HugeAnnotations {
			r.Annotations = append(r.Annotations, &anypb.Any{TypeUrl: "type.googleapis.com/google.protobuf.BytesValue", Value: make([]byte, 3500<<10)})
		}
		out.Items = append(out.Items, r)
	}
	if u.c.Faults.InvalidUser && req.Token == "" {
		out.Items = append(out.Items, &connectorv2.Resource{Id: &connectorv2.ResourceId{ResourceType: "user"}})
	}
	if u.c.Faults.RepeatTokenOn == "user" && next != "" {
		next = req.Token
		if next == "" {
			next = "o0"
		}
	}
	out.NextToken = next
	return out, err
}

func (u *users) Entitlements(context.Context, *connectorv2.Resource, connector.PageRequest) (connector.Page[*connectorv2.Entitlement], error) {
	return connector.Page[*connectorv2.Entitlement]{}, nil
}

func (u *users) Grants(context.Context, *connectorv2.Resource, connector.PageRequest) (connector.Page[*connectorv2.Grant], error) {
	return connector.Page[*connectorv2.Grant]{}, nil
}

func (u *users) Get(_ context.Context, id, _ *connectorv2.ResourceId) (*connectorv2.Resource, annotations.Annotations, error) {
	u.c.mu.Lock()
	defer u.c.mu.Unlock()
	if !slices.Contains(u.c.users, id.GetResource()) {
		return nil, nil, connector.ErrNotFound
	}
	return u.user(id.GetResource()), nil, nil
}

func (u *users) CreateAccount(_ context.Context, info *connectorv2.AccountInfo, creds *connectorv2.LocalCredentialOptions) (connector.AccountResult, []*connectorv2.PlaintextData, annotations.Annotations, error) {
	login := info.GetLogin()
	if login == "" {
		return connector.AccountResult{}, nil, nil, status.Error(codes.InvalidArgument, "login is required")
	}
	u.c.mu.Lock()
	exists := slices.Contains(u.c.users, login)
	if !exists {
		u.c.users = append(u.c.users, login)
	}
	u.c.mu.Unlock()
	if exists {
		return connector.AccountResult{Resource: u.user(login), Status: connector.AccountAlreadyExists}, nil, nil, nil
	}
	var secrets []*connectorv2.PlaintextData
	if creds.GetRandomPassword() != nil {
		secrets = append(secrets, &connectorv2.PlaintextData{Name: "password", Bytes: []byte("pw-" + login)})
	}
	return connector.AccountResult{Resource: u.user(login)}, secrets, nil, nil
}

func (u *users) AccountCreationOptions(context.Context) *connectorv2.CredentialDetailsAccountProvisioning {
	return &connectorv2.CredentialDetailsAccountProvisioning{
		SupportedCredentialOptions: []connectorv2.CapabilityDetailCredentialOption{connectorv2.CapabilityDetailCredentialOption_CAPABILITY_DETAIL_CREDENTIAL_OPTION_RANDOM_PASSWORD, connectorv2.CapabilityDetailCredentialOption_CAPABILITY_DETAIL_CREDENTIAL_OPTION_NO_PASSWORD},
		PreferredCredentialOption:  connectorv2.CapabilityDetailCredentialOption_CAPABILITY_DETAIL_CREDENTIAL_OPTION_RANDOM_PASSWORD,
	}
}

func (u *users) RotateCredential(_ context.Context, id *connectorv2.ResourceId, _ *connectorv2.LocalCredentialOptions) ([]*connectorv2.PlaintextData, annotations.Annotations, error) {
	return []*connectorv2.PlaintextData{{Name: "password", Bytes: []byte("rotated-" + id.GetResource())}}, nil, nil
}

func (u *users) RotationOptions(context.Context) *connectorv2.CredentialDetailsCredentialRotation {
	return &connectorv2.CredentialDetailsCredentialRotation{
		SupportedCredentialOptions: []connectorv2.CapabilityDetailCredentialOption{connectorv2.CapabilityDetailCredentialOption_CAPABILITY_DETAIL_CREDENTIAL_OPTION_RANDOM_PASSWORD},
		PreferredCredentialOption:  connectorv2.CapabilityDetailCredentialOption_CAPABILITY_DETAIL_CREDENTIAL_OPTION_RANDOM_PASSWORD,
	}
}

type groups struct{ c *Connector }

func (g *groups) ResourceType(context.Context) *connectorv2.ResourceType { return groupType }

func (g *groups) group(id string) *connectorv2.Resource {
	r, _ := resource.New("group", id, "Group "+strings.ToUpper(id), resource.Group(map[string]any{"size": "small"}))
	return r
}

func (g *groups) List(_ context.Context, _ *connectorv2.ResourceId, req connector.PageRequest) (connector.Page[*connectorv2.Resource], error) {
	if err := g.c.fault(); err != nil {
		return connector.Page[*connectorv2.Resource]{}, err
	}
	g.c.mu.Lock()
	ids := slices.Clone(g.c.groups)
	g.c.mu.Unlock()
	page, next, err := paginate(g.c, ids, req)
	out := connector.Page[*connectorv2.Resource]{NextToken: next}
	for _, id := range page {
		out.Items = append(out.Items, g.group(id))
	}
	return out, err
}

func (g *groups) member(r *connectorv2.Resource) *connectorv2.Entitlement {
	return entitlement.NewAssignment(r, "member", entitlement.GrantableTo(userType, groupType),
		entitlement.WithDescription("Member of "+r.GetDisplayName()))
}

func (g *groups) Entitlements(_ context.Context, r *connectorv2.Resource, _ connector.PageRequest) (connector.Page[*connectorv2.Entitlement], error) {
	if err := g.c.fault(); err != nil {
		return connector.Page[*connectorv2.Entitlement]{}, err
	}
	return connector.Page[*connectorv2.Entitlement]{Items: []*connectorv2.Entitlement{g.member(r)}}, nil
}

func (g *groups) Grants(_ context.Context, r *connectorv2.Resource, req connector.PageRequest) (connector.Page[*connectorv2.Grant], error) {
	if err := g.c.fault(); err != nil {
		return connector.Page[*connectorv2.Grant]{}, err
	}
	if g.c.Faults.VanishedGroups[r.GetId().GetResource()] {
		return connector.Page[*connectorv2.Grant]{}, connector.ErrNotFound
	}
	g.c.mu.Lock()
	ms := slices.Clone(g.c.members[r.GetId().GetResource()])
	g.c.mu.Unlock()
	page, next, err := paginate(g.c, ms, req)
	out := connector.Page[*connectorv2.Grant]{NextToken: next}
	for _, p := range page {
		pid := principalID(p)
		var opts []grant.Option
		if pid.GetResourceType() == "group" {
			opts = append(opts, grant.Expandable(entitlement.ID(pid, "member")))
		}
		out.Items = append(out.Items, grant.New(r, "member", pid, opts...))
	}
	return out, err
}

func (g *groups) Get(_ context.Context, id, _ *connectorv2.ResourceId) (*connectorv2.Resource, annotations.Annotations, error) {
	g.c.mu.Lock()
	defer g.c.mu.Unlock()
	if !slices.Contains(g.c.groups, id.GetResource()) {
		return nil, nil, connector.ErrNotFound
	}
	return g.group(id.GetResource()), nil, nil
}

func (g *groups) Grant(_ context.Context, principal *connectorv2.Resource, e *connectorv2.Entitlement) ([]*connectorv2.Grant, annotations.Annotations, error) {
	gid := e.GetResource().GetId().GetResource()
	p := principal.GetId().GetResourceType() + ":" + principal.GetId().GetResource()
	g.c.mu.Lock()
	defer g.c.mu.Unlock()
	if !slices.Contains(g.c.groups, gid) {
		return nil, nil, connector.ErrNotFound
	}
	if p == "group:"+gid { // as most apps: a group is not its own member
		return nil, nil, status.Error(codes.InvalidArgument, "a group cannot be a member of itself")
	}
	if slices.Contains(g.c.members[gid], p) {
		return nil, annotations.New(&connectorv2.GrantAlreadyExists{}), nil
	}
	g.c.members[gid] = append(g.c.members[gid], p)
	return []*connectorv2.Grant{grant.Of(e, principal)}, nil, nil
}

func (g *groups) Revoke(_ context.Context, gr *connectorv2.Grant) (annotations.Annotations, error) {
	// As a real app's API would, the call needs the entitlement's slug,
	// and this one checks the caller sent the entitlement as stored.
	if gr.GetEntitlement().GetSlug() == "" || gr.GetEntitlement().GetDisplayName() == "" {
		return nil, status.Errorf(codes.InvalidArgument, "revoke %s: the grant's entitlement has no slug or display name", gr.GetId())
	}
	gid := gr.GetEntitlement().GetResource().GetId().GetResource()
	p := gr.GetPrincipal().GetId().GetResourceType() + ":" + gr.GetPrincipal().GetId().GetResource()
	g.c.mu.Lock()
	defer g.c.mu.Unlock()
	i := slices.Index(g.c.members[gid], p)
	if i >= 0 {
		g.c.members[gid] = slices.Delete(g.c.members[gid], i, i+1)
		return nil, nil
	}
	if !g.c.RevokeInherited || len(gr.GetSources().GetSources()) == 0 {
		return annotations.New(&connectorv2.GrantAlreadyRevoked{}), nil
	}
	for src := range gr.GetSources().GetSources() {
		via, _, err := entitlement.ParseID(src)
		if err != nil || via.GetResourceType() != "group" || via.GetResource() == gid {
			continue
		}
		g.c.members[via.GetResource()] = slices.DeleteFunc(g.c.members[via.GetResource()], func(m string) bool { return m == p })
	}
	return nil, nil
}

// RevokesInherited implements connector.InheritedRevoker.
func (g *groups) RevokesInherited() bool { return g.c.RevokeInherited }

func (g *groups) Create(_ context.Context, r *connectorv2.Resource) (*connectorv2.Resource, annotations.Annotations, error) {
	id := r.GetId().GetResource()
	if id == "" {
		id = fmt.Sprintf("new%03d", g.c.nextID.Add(1))
	}
	g.c.mu.Lock()
	g.c.groups = append(g.c.groups, id)
	g.c.mu.Unlock()
	return g.group(id), nil, nil
}

func (g *groups) Delete(_ context.Context, id, _ *connectorv2.ResourceId) (annotations.Annotations, error) {
	g.c.mu.Lock()
	defer g.c.mu.Unlock()
	i := slices.Index(g.c.groups, id.GetResource())
	if i < 0 {
		return nil, connector.ErrNotFound
	}
	g.c.groups = slices.Delete(g.c.groups, i, i+1)
	delete(g.c.members, id.GetResource())
	return nil, nil
}

type roles struct{ c *Connector }

func (r *roles) ResourceType(context.Context) *connectorv2.ResourceType { return roleType }

func (r *roles) List(_ context.Context, _ *connectorv2.ResourceId, req connector.PageRequest) (connector.Page[*connectorv2.Resource], error) {
	var out connector.Page[*connectorv2.Resource]
	for _, id := range []string{"admin", "viewer"} {
		res, _ := resource.New("role", id, strings.ToUpper(id[:1])+id[1:], resource.Role(nil))
		out.Items = append(out.Items, res)
	}
	return out, r.c.fault()
}

func (r *roles) Entitlements(context.Context, *connectorv2.Resource, connector.PageRequest) (connector.Page[*connectorv2.Entitlement], error) {
	return connector.Page[*connectorv2.Entitlement]{}, nil
}

// StaticEntitlements: every role has the same "assigned" entitlement.
func (r *roles) StaticEntitlements(context.Context, connector.PageRequest) (connector.Page[*connectorv2.Entitlement], error) {
	tmpl := &connectorv2.Entitlement{
		Resource: &connectorv2.Resource{Id: resource.ID("role", "role")}, Id: "role:role:assigned", Slug: "assigned",
		DisplayName: "assigned", Purpose: connectorv2.Entitlement_PURPOSE_VALUE_ASSIGNMENT, GrantableTo: []*connectorv2.ResourceType{userType, groupType},
	}
	return connector.Page[*connectorv2.Entitlement]{Items: []*connectorv2.Entitlement{tmpl}}, nil
}

func (r *roles) Grants(_ context.Context, res *connectorv2.Resource, _ connector.PageRequest) (connector.Page[*connectorv2.Grant], error) {
	r.c.mu.Lock()
	ps := slices.Clone(r.c.roles[res.GetId().GetResource()])
	r.c.mu.Unlock()
	var out connector.Page[*connectorv2.Grant]
	for _, p := range ps {
		pid := principalID(p)
		var opts []grant.Option
		if pid.GetResourceType() == "group" {
			opts = append(opts, grant.ExpandableShallow(entitlement.ID(pid, "member")))
		}
		out.Items = append(out.Items, grant.New(res, "assigned", pid, opts...))
	}
	if res.GetId().GetResource() == "admin" {
		for _, email := range r.c.ExternalAdmins {
			out.Items = append(out.Items, grant.New(res, "assigned", resource.ID("user", "external:"+email),
				grant.WithAnnotations(&connectorv2.ExternalResourceMatch{ResourceType: connectorv2.ResourceType_TRAIT_USER, Key: "email", Value: email})))
		}
	}
	return out, r.c.fault()
}

type orgs struct{ c *Connector }

func (o *orgs) ResourceType(context.Context) *connectorv2.ResourceType { return orgType }

func (o *orgs) List(_ context.Context, _ *connectorv2.ResourceId, _ connector.PageRequest) (connector.Page[*connectorv2.Resource], error) {
	var out connector.Page[*connectorv2.Resource]
	for _, id := range []string{"acme", "globex"} {
		res, _ := resource.New("org", id, id, resource.WithChildTypes("repo"))
		out.Items = append(out.Items, res)
	}
	return out, o.c.fault()
}

func (o *orgs) Entitlements(context.Context, *connectorv2.Resource, connector.PageRequest) (connector.Page[*connectorv2.Entitlement], error) {
	return connector.Page[*connectorv2.Entitlement]{}, nil
}

func (o *orgs) Grants(context.Context, *connectorv2.Resource, connector.PageRequest) (connector.Page[*connectorv2.Grant], error) {
	return connector.Page[*connectorv2.Grant]{}, nil
}

type repos struct{ c *Connector }

func (r *repos) ResourceType(context.Context) *connectorv2.ResourceType { return repoType }

func (r *repos) List(_ context.Context, parent *connectorv2.ResourceId, req connector.PageRequest) (connector.Page[*connectorv2.Resource], error) {
	if parent == nil {
		return connector.Page[*connectorv2.Resource]{}, nil // repos exist only under an org
	}
	var out connector.Page[*connectorv2.Resource]
	for _, id := range r.c.repos[parent.GetResource()] {
		res, _ := resource.New("repo", parent.GetResource()+"/"+id, id, resource.WithParent(parent))
		out.Items = append(out.Items, res)
	}
	return out, r.c.fault()
}

func (r *repos) Entitlements(_ context.Context, res *connectorv2.Resource, _ connector.PageRequest) (connector.Page[*connectorv2.Entitlement], error) {
	return connector.Page[*connectorv2.Entitlement]{Items: []*connectorv2.Entitlement{entitlement.NewPermission(res, "admin")}}, r.c.fault()
}

func (r *repos) Grants(_ context.Context, res *connectorv2.Resource, _ connector.PageRequest) (connector.Page[*connectorv2.Grant], error) {
	// The first group administers every repo; its members inherit it.
	g := grant.New(res, "admin", resource.ID("group", r.c.groups[0]), grant.Expandable("group:"+r.c.groups[0]+":member"))
	page := connector.Page[*connectorv2.Grant]{Items: []*connectorv2.Grant{g}}
	if r.c.Faults.ArchivedRepo {
		org := res.GetParentResourceId()
		archived, _ := resource.New("repo", org.GetResource()+"/archived", "archived", resource.WithParent(org))
		page.Items = append(page.Items, grant.New(archived, "admin", resource.ID("group", r.c.groups[0])))
		page.Annotations = annotations.New(&connectorv2.InsertResourceGrants{})
	}
	return page, r.c.fault()
}

// --- connector-level capabilities ---

var schema = &connectorv2.TicketSchema{Id: "it", DisplayName: "IT request",
	Types:    []*connectorv2.TicketType{{Id: "access", DisplayName: "Access"}},
	Statuses: []*connectorv2.TicketStatus{{Id: "open", DisplayName: "Open"}, {Id: "done", DisplayName: "Done"}}}

func (c *Connector) ListTicketSchemas(context.Context, connector.PageRequest) (connector.Page[*connectorv2.TicketSchema], error) {
	return connector.Page[*connectorv2.TicketSchema]{Items: []*connectorv2.TicketSchema{schema}}, nil
}

func (c *Connector) GetTicketSchema(_ context.Context, id string) (*connectorv2.TicketSchema, annotations.Annotations, error) {
	if id != schema.GetId() {
		return nil, nil, connector.ErrNotFound
	}
	return schema, nil, nil
}

func (c *Connector) CreateTicket(_ context.Context, t *connectorv2.TicketRequest, _ *connectorv2.TicketSchema) (*connectorv2.Ticket, annotations.Annotations, error) {
	if t.GetDisplayName() == "" {
		return nil, nil, status.Error(codes.InvalidArgument, "a ticket needs a title")
	}
	id := fmt.Sprintf("T-%d", c.nextID.Add(1))
	tk := &connectorv2.Ticket{Id: id, DisplayName: t.GetDisplayName(), Description: t.GetDescription(),
		Status: &connectorv2.TicketStatus{Id: "open", DisplayName: "Open"}, CreatedAt: timestamppb.New(time.Unix(1700000000, 0))}
	c.mu.Lock()
	c.tickets[id] = tk
	c.mu.Unlock()
	return tk, nil, nil
}

func (c *Connector) GetTicket(_ context.Context, id string) (*connectorv2.Ticket, annotations.Annotations, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	tk, ok := c.tickets[id]
	if !ok {
		return nil, nil, connector.ErrNotFound
	}
	return tk, nil, nil
}

type feed struct{ c *Connector }

func (f feed) EventFeedMetadata(context.Context) *connectorv2.EventFeedMetadata {
	return &connectorv2.EventFeedMetadata{Id: "audit", SupportedEventTypes: []connectorv2.EventType{connectorv2.EventType_EVENT_TYPE_USAGE}}
}

// ListEvents serves 5 usage events, two per call, with a numeric cursor.
func (f feed) ListEvents(_ context.Context, req connector.EventRequest) (connector.EventPage, error) {
	start, _ := strconv.Atoi(req.Cursor)
	var p connector.EventPage
	for i := start; i < min(start+2, 5); i++ {
		p.Events = append(p.Events, &connectorv2.Event{Id: fmt.Sprintf("e%d", i), OccurredAt: timestamppb.New(time.Unix(int64(1700000000+i), 0)),
			Event: &connectorv2.Event_UsageEvent{UsageEvent: &connectorv2.UsageEvent{
				TargetResource: &connectorv2.Resource{Id: resource.ID("repo", "acme/web")},
				ActorResource:  &connectorv2.Resource{Id: resource.ID("user", f.c.users[0])}}}})
	}
	next := min(start+2, 5)
	p.Cursor, p.HasMore = strconv.Itoa(next), next < 5
	return p, nil
}

func (c *Connector) EventFeeds(context.Context) []connector.EventFeed {
	return []connector.EventFeed{feed{c}}
}

func (c *Connector) ActionSchemas(_ context.Context, rt string) ([]*connectorv2.BatonActionSchema, error) {
	s := &connectorv2.BatonActionSchema{Name: "lock_user", DisplayName: "Lock user", ResourceTypeId: "user",
		ActionType: []connectorv2.ActionType{connectorv2.ActionType_ACTION_TYPE_ACCOUNT_DISABLE}}
	if rt != "" && rt != "user" {
		return nil, nil
	}
	return []*connectorv2.BatonActionSchema{s}, nil
}

func (c *Connector) InvokeAction(_ context.Context, name, _ string, args *structpb.Struct) (connector.ActionStatus, error) {
	if name != "lock_user" {
		return connector.ActionStatus{}, connector.ErrNotFound
	}
	resp, _ := structpb.NewStruct(map[string]any{"locked": args.GetFields()["user_id"].GetStringValue()})
	return connector.ActionStatus{ID: "act-1", Status: connectorv2.BatonActionStatus_BATON_ACTION_STATUS_COMPLETE, Response: resp}, nil
}

func (c *Connector) ActionStatus(_ context.Context, id string) (connector.ActionStatus, error) {
	if id != "act-1" {
		return connector.ActionStatus{}, connector.ErrNotFound
	}
	return connector.ActionStatus{ID: id, Status: connectorv2.BatonActionStatus_BATON_ACTION_STATUS_COMPLETE}, nil
}

// Logo is the asset served for any id: 2.5 MiB, so it arrives in 3 chunks.
var Logo = bytes.Repeat([]byte("PNG!"), 2.5*1024*1024/4)

func (c *Connector) GetAsset(_ context.Context, ref *connectorv2.AssetRef) (string, io.ReadCloser, error) {
	if ref.GetId() != "logo" {
		return "", nil, connector.ErrNotFound
	}
	return "image/png", io.NopCloser(bytes.NewReader(Logo)), nil
}

// Cleaned counts Cleanup calls.
var _ connector.Cleaner = (*Connector)(nil)

func (c *Connector) Cleanup(context.Context) error { return nil }

var (
	_ connector.TicketManager           = (*Connector)(nil)
	_ connector.EventFeedProvider       = (*Connector)(nil)
	_ connector.ActionManager           = (*Connector)(nil)
	_ connector.AssetGetter             = (*Connector)(nil)
	_ connector.Provisioner             = (*groups)(nil)
	_ connector.ResourceCreator         = (*groups)(nil)
	_ connector.ResourceDeleter         = (*groups)(nil)
	_ connector.AccountCreator          = (*users)(nil)
	_ connector.CredentialRotator       = (*users)(nil)
	_ connector.ResourceGetter          = (*users)(nil)
	_ connector.StaticEntitlementLister = (*roles)(nil)
)
