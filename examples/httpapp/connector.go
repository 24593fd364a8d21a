package httpapp

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	connectorv2 "github.com/batonkit/batonkit/pb/c1/connector/v2"
	"github.com/batonkit/batonkit/pkg/annotations"
	"github.com/batonkit/batonkit/pkg/config"
	"github.com/batonkit/batonkit/pkg/connector"
	"github.com/batonkit/batonkit/pkg/entitlement"
	"github.com/batonkit/batonkit/pkg/grant"
	"github.com/batonkit/batonkit/pkg/pagination"
	"github.com/batonkit/batonkit/pkg/resource"
	"github.com/batonkit/batonkit/pkg/uhttp"
)

// Fields are the connector's settings. The token is a secret: pass it as
// BATON_TOKEN or in the config file, never on the command line.
var Fields = []config.Field{
	config.String("base-url", "where the app is", config.Default("http://127.0.0.1:8080")),
	config.String("token", "the app's API token", config.Secret(), config.Required()),
}

// Connector reads and changes one app over its JSON API.
type Connector struct{ c *uhttp.Client }

// New returns a connector for the app at baseURL.
func New(baseURL, token string) (*Connector, error) {
	c, err := uhttp.New(uhttp.WithBaseURL(baseURL+"/api"), uhttp.WithBearerToken(token))
	if err != nil {
		return nil, err
	}
	return &Connector{c: c}, nil
}

var (
	userType = resource.NewType("user", "User", resource.WithTraits(connectorv2.ResourceType_TRAIT_USER),
		resource.WithTypeAnnotations(&connectorv2.SkipEntitlementsAndGrants{}))
	teamType    = resource.NewType("team", "Team", resource.WithTraits(connectorv2.ResourceType_TRAIT_GROUP))
	projectType = resource.NewType("project", "Project")
)

// Metadata implements connector.Connector.
func (c *Connector) Metadata(context.Context) (*connectorv2.ConnectorMetadata, error) {
	return &connectorv2.ConnectorMetadata{DisplayName: "HTTP App", Description: "Users, teams and project roles of the example web app"}, nil
}

// Validate implements connector.Connector: the token must be accepted.
func (c *Connector) Validate(ctx context.Context) (annotations.Annotations, error) {
	var out map[string]any
	if _, err := c.c.GetJSON(ctx, "users", &out); err != nil {
		return nil, fmt.Errorf("the app refused the token or is unreachable: %w", err)
	}
	return nil, nil
}

// ResourceSyncers implements connector.Connector.
func (c *Connector) ResourceSyncers(context.Context) []connector.ResourceSyncer {
	return []connector.ResourceSyncer{&users{c: c.c}, &teams{c.c}, &projects{c.c}}
}

// list reads one numbered page of a collection (the API answers
// {"<key>": [...], "has_more": bool}) and returns its items, the next page
// token and the rate-limit annotations of the response.
func list[T any](ctx context.Context, c *uhttp.Client, path, key, token string) ([]T, string, annotations.Annotations, error) {
	pg, err := pagination.ParsePageNumber(token)
	if err != nil {
		return nil, "", nil, err
	}
	var out map[string]json.RawMessage
	resp, err := c.GetJSON(ctx, path+"?page="+strconv.Itoa(pg.Page), &out)
	if err != nil {
		return nil, "", nil, err
	}
	var items []T
	var more bool
	if err := json.Unmarshal(out[key], &items); err != nil {
		return nil, "", nil, fmt.Errorf("the app's %s page: %w", key, err)
	}
	_ = json.Unmarshal(out["has_more"], &more)
	return items, pg.Next(more && len(items) > 0), resp.Annotations, nil
}

type users struct {
	connector.NoAccess
	c *uhttp.Client
}

func (u *users) ResourceType(context.Context) *connectorv2.ResourceType { return userType }

func (u *users) List(ctx context.Context, _ *connectorv2.ResourceId, req connector.PageRequest) (connector.Page[*connectorv2.Resource], error) {
	var p connector.Page[*connectorv2.Resource]
	items, next, annos, err := list[User](ctx, u.c, "users", "users", req.Token)
	if err != nil {
		return p, err
	}
	for _, it := range items {
		r, err := resource.New("user", it.ID, it.Name, resource.User(resource.Email(it.Email, true), resource.Login(it.Email),
			resource.UserStatus(connectorv2.UserTrait_Status_STATUS_ENABLED)))
		if err != nil {
			return p, err
		}
		p.Items = append(p.Items, r)
	}
	p.NextToken, p.Annotations = next, annos
	return p, nil
}

type teams struct{ c *uhttp.Client }

func (t *teams) ResourceType(context.Context) *connectorv2.ResourceType { return teamType }

func (t *teams) List(ctx context.Context, _ *connectorv2.ResourceId, req connector.PageRequest) (connector.Page[*connectorv2.Resource], error) {
	var p connector.Page[*connectorv2.Resource]
	items, next, annos, err := list[Team](ctx, t.c, "teams", "teams", req.Token)
	if err != nil {
		return p, err
	}
	for _, it := range items {
		r, err := resource.New("team", it.ID, it.Name, resource.Group(nil))
		if err != nil {
			return p, err
		}
		p.Items = append(p.Items, r)
	}
	p.NextToken, p.Annotations = next, annos
	return p, nil
}

func (t *teams) Entitlements(_ context.Context, r *connectorv2.Resource, _ connector.PageRequest) (connector.Page[*connectorv2.Entitlement], error) {
	return connector.Page[*connectorv2.Entitlement]{Items: []*connectorv2.Entitlement{
		entitlement.NewAssignment(r, "member", entitlement.GrantableTo(userType))}}, nil
}

func (t *teams) Grants(ctx context.Context, r *connectorv2.Resource, req connector.PageRequest) (connector.Page[*connectorv2.Grant], error) {
	var p connector.Page[*connectorv2.Grant]
	ids, next, annos, err := list[string](ctx, t.c, "teams/"+url.PathEscape(r.GetId().GetResource())+"/members", "members", req.Token)
	if err != nil {
		return p, err
	}
	for _, id := range ids {
		p.Items = append(p.Items, grant.New(r, "member", resource.ID("user", id)))
	}
	p.NextToken, p.Annotations = next, annos
	return p, nil
}

type projects struct{ c *uhttp.Client }

func (pr *projects) ResourceType(context.Context) *connectorv2.ResourceType { return projectType }

func (pr *projects) List(ctx context.Context, _ *connectorv2.ResourceId, req connector.PageRequest) (connector.Page[*connectorv2.Resource], error) {
	var p connector.Page[*connectorv2.Resource]
	items, next, annos, err := list[Project](ctx, pr.c, "projects", "projects", req.Token)
	if err != nil {
		return p, err
	}
	for _, it := range items {
		r, err := resource.New("project", it.ID, it.Name)
		if err != nil {
			return p, err
		}
		p.Items = append(p.Items, r)
	}
	p.NextToken, p.Annotations = next, annos
	return p, nil
}

func (pr *projects) Entitlements(_ context.Context, r *connectorv2.Resource, _ connector.PageRequest) (connector.Page[*connectorv2.Entitlement], error) {
	var p connector.Page[*connectorv2.Entitlement]
	for _, role := range Roles {
		p.Items = append(p.Items, entitlement.NewPermission(r, role, entitlement.GrantableTo(userType, teamType)))
	}
	return p, nil
}

// Grants lists a project's role assignments. A role given to a team is an
// expandable grant: every member of the team holds the role through it.
func (pr *projects) Grants(ctx context.Context, r *connectorv2.Resource, req connector.PageRequest) (connector.Page[*connectorv2.Grant], error) {
	var p connector.Page[*connectorv2.Grant]
	items, next, annos, err := list[Assignment](ctx, pr.c, "projects/"+url.PathEscape(r.GetId().GetResource())+"/roles", "assignments", req.Token)
	if err != nil {
		return p, err
	}
	for _, a := range items {
		principal := resource.ID(a.PrincipalType, a.PrincipalID)
		var opts []grant.Option
		if a.PrincipalType == "team" {
			opts = append(opts, grant.Expandable(entitlement.ID(principal, "member")))
		}
		p.Items = append(p.Items, grant.New(r, a.Role, principal, opts...))
	}
	p.NextToken, p.Annotations = next, annos
	return p, nil
}

func rolePath(e *connectorv2.Entitlement, principal *connectorv2.ResourceId) string {
	return "projects/" + url.PathEscape(e.GetResource().GetId().GetResource()) + "/roles/" + url.PathEscape(e.GetSlug()) +
		"/" + url.PathEscape(principal.GetResourceType()) + "/" + url.PathEscape(principal.GetResource())
}

// Grant implements connector.Provisioner: PUT the assignment (409: it was
// already there).
func (pr *projects) Grant(ctx context.Context, principal *connectorv2.Resource, e *connectorv2.Entitlement) ([]*connectorv2.Grant, annotations.Annotations, error) {
	_, err := pr.c.DoJSON(ctx, http.MethodPut, rolePath(e, principal.GetId()), nil, nil)
	annos, err := uhttp.AlreadyGranted(err)
	if err != nil {
		return nil, nil, err
	}
	return []*connectorv2.Grant{grant.Of(e, principal)}, annos, nil
}

// Revoke implements connector.Provisioner: DELETE the assignment (404:
// it was already gone).
func (pr *projects) Revoke(ctx context.Context, g *connectorv2.Grant) (annotations.Annotations, error) {
	_, err := pr.c.DoJSON(ctx, http.MethodDelete, rolePath(g.GetEntitlement(), g.GetPrincipal().GetId()), nil, nil)
	return uhttp.AlreadyRevoked(err)
}
