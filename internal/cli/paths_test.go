package cli_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	connectorv2 "github.com/batonkit/batonkit/pb/c1/connector/v2"
	"github.com/batonkit/batonkit/pkg/c1z"
)

// A principal that holds an entitlement directly and through a team is
// shown both paths by access and principals: revoking the direct grant
// would not take the access away.
func TestAccessShowsEveryPath(t *testing.T) {
	project := &connectorv2.Resource{Id: &connectorv2.ResourceId{ResourceType: "project", Resource: "p2"}, DisplayName: "P2"}
	user := &connectorv2.Resource{Id: &connectorv2.ResourceId{ResourceType: "user", Resource: "u1"}, DisplayName: "Ada"}
	editor := &connectorv2.Entitlement{Id: "project:p2:editor", Resource: project, Slug: "editor", DisplayName: "Editor"}
	g := &connectorv2.Grant{Id: "project:p2:editor:user:u1", Entitlement: editor, Principal: user,
		Sources: &connectorv2.GrantSources{Sources: map[string]*connectorv2.GrantSources_GrantSource{
			"project:p2:editor": {IsDirect: true}, "team:t3:member": {}}}}
	path := syncFile(t, func(ctx context.Context, w *c1z.SyncWriter) error {
		return errors.Join(
			w.PutResourceTypes(ctx, &connectorv2.ResourceType{Id: "project", DisplayName: "Project"}, &connectorv2.ResourceType{Id: "user", DisplayName: "User"}),
			w.PutResources(ctx, project, user), w.PutEntitlements(ctx, editor), w.PutGrants(ctx, g))
	})
	for _, args := range [][]string{{"access", "-t", "user", "-r", "u1"}, {"principals", "-e", "project:p2:editor"}} {
		out, stderr, code := run(t, append([]string{"-f", path}, args...)...)
		if code != 0 || !strings.Contains(out, "granted by the connector; through team:t3:member") {
			t.Fatalf("%v: exit %d, %s%s; want both paths", args, code, out, stderr)
		}
	}
}

// Nested groups: Ada is in Platform, Platform's members are in
// Engineering, Engineering's in Everyone, and Everyone edits the project
// (which the connector also granted her). A grant records only its last
// hop; --path prints each whole chain, in the table and as JSON.
func TestPathPrintsWholeChains(t *testing.T) {
	user := &connectorv2.Resource{Id: &connectorv2.ResourceId{ResourceType: "user", Resource: "u1"}, DisplayName: "Ada"}
	project := &connectorv2.Resource{Id: &connectorv2.ResourceId{ResourceType: "project", Resource: "p1"}, DisplayName: "Website"}
	editor := &connectorv2.Entitlement{Id: "project:p1:editor", Resource: project, Slug: "editor"}
	var resources = []*connectorv2.Resource{user, project}
	var ents = []*connectorv2.Entitlement{editor}
	member := map[string]*connectorv2.Entitlement{}
	for _, id := range []string{"platform", "engineering", "everyone", "loop"} {
		r := &connectorv2.Resource{Id: &connectorv2.ResourceId{ResourceType: "group", Resource: id}, DisplayName: id}
		member[id] = &connectorv2.Entitlement{Id: "group:" + id + ":member", Resource: r, Slug: "member"}
		resources, ents = append(resources, r), append(ents, member[id])
	}
	grantOf := func(e *connectorv2.Entitlement, direct bool, through ...string) *connectorv2.Grant {
		g := &connectorv2.Grant{Id: e.GetId() + ":user:u1", Entitlement: e, Principal: user}
		if len(through) > 0 {
			g.Sources = &connectorv2.GrantSources{Sources: map[string]*connectorv2.GrantSources_GrantSource{}}
			if direct {
				g.Sources.Sources[e.GetId()] = &connectorv2.GrantSources_GrantSource{IsDirect: true}
			}
			for _, s := range through {
				g.Sources.Sources[s] = &connectorv2.GrantSources_GrantSource{}
			}
		}
		return g
	}
	grants := []*connectorv2.Grant{
		grantOf(member["platform"], true),
		grantOf(member["engineering"], false, "group:platform:member", "group:loop:member"),
		grantOf(member["everyone"], false, "group:engineering:member"),
		grantOf(member["loop"], false, "group:engineering:member"), // a cycle the walk must leave
		grantOf(editor, true, "group:everyone:member"),
	}
	path := syncFile(t, func(ctx context.Context, w *c1z.SyncWriter) error {
		return errors.Join(
			w.PutResourceTypes(ctx, &connectorv2.ResourceType{Id: "project"}, &connectorv2.ResourceType{Id: "user"}, &connectorv2.ResourceType{Id: "group"}),
			w.PutResources(ctx, resources...), w.PutEntitlements(ctx, ents...), w.PutGrants(ctx, grants...))
	})
	const chain = "group:platform:member > group:engineering:member > group:everyone:member > project:p1:editor"
	for _, args := range [][]string{
		{"access", "-t", "user", "-r", "u1", "--path"},
		{"principals", "-e", "project:p1:editor", "--path"},
		{"grants", "-e", "project:p1:editor", "--path"},
	} {
		out, stderr, code := run(t, append([]string{"-f", path}, args...)...)
		if code != 0 || !strings.Contains(out, "PATH") || !strings.Contains(out, "granted by the connector; "+chain) {
			t.Errorf("%v: exit %d, %s%s; want the whole chain", args, code, out, stderr)
		}
		// Without --path, one hop.
		out, _, _ = run(t, append([]string{"-f", path}, args[:len(args)-1]...)...)
		if strings.Contains(out, chain) || !strings.Contains(out, "through group:everyone:member") {
			t.Errorf("%v without --path: %s", args, out)
		}
		out, stderr, code = run(t, append([]string{"-f", path, "-o", "json"}, args...)...)
		var doc struct {
			Paths []struct {
				Principal, Entitlement string
				Paths                  [][]string
			}
		}
		if err := json.Unmarshal([]byte(out), &doc); code != 0 || err != nil {
			t.Fatalf("%v -o json: exit %d, %v: %s%s", args, code, err, out, stderr)
		}
		var found bool
		for _, p := range doc.Paths {
			if p.Entitlement == "project:p1:editor" && p.Principal == "user:u1" {
				found = len(p.Paths) == 2 && strings.Join(p.Paths[1], " > ") == chain
			}
		}
		if !found {
			t.Errorf("%v -o json: paths %+v, want the direct grant and %s", args, doc.Paths, chain)
		}
	}
	// The cycle loop <-> engineering is walked once: loop's chain is
	// platform > engineering > loop, and nothing repeats.
	out, _, _ := run(t, "-f", path, "access", "-t", "user", "-r", "u1", "--path")
	if !strings.Contains(out, "group:platform:member > group:engineering:member > group:loop:member") {
		t.Errorf("the cycle: %s", out)
	}
}
