package sanitize

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/batonkit/batonkit/internal/atomicfile"
	connectorv2 "github.com/batonkit/batonkit/pb/c1/connector/v2"
	"github.com/batonkit/batonkit/pkg/c1z"
)

// Options configure Copy.
type Options struct {
	// Map, when set, is a new file (0600) that receives the pseudonyms'
	// originals as JSON: {"pseudonym": "original", ...}.
	Map string
}

// pseudonyms replaces each distinct original of one kind with the same
// made-up value every time.
type pseudonyms struct {
	byKind   map[string]map[string]string
	counts   map[string]int
	original map[string]string // pseudonym -> original, for the map file
}

func newPseudonyms() *pseudonyms {
	return &pseudonyms{byKind: map[string]map[string]string{}, counts: map[string]int{}, original: map[string]string{}}
}

// of is the pseudonym of v as a kind ("user id", "email"...), made with
// format from the kind's counter.
func (p *pseudonyms) of(kind, v, format string) string {
	if v == "" {
		return ""
	}
	m := p.byKind[kind]
	if m == nil {
		m = map[string]string{}
		p.byKind[kind] = m
	}
	if s, ok := m[v]; ok {
		return s
	}
	p.counts[kind]++
	s := fmt.Sprintf(format, p.counts[kind])
	m[v] = s
	p.original[s] = v
	return s
}

func (p *pseudonyms) resourceID(id *connectorv2.ResourceId) *connectorv2.ResourceId {
	if id == nil {
		return nil
	}
	t := id.GetResourceType()
	return &connectorv2.ResourceId{ResourceType: t, Resource: p.of("id of "+t, id.GetResource(), t+"-%d")}
}

func (p *pseudonyms) entitlementID(id string) string {
	return p.of("entitlement id", id, "entitlement-%d")
}

// Copy writes a sanitized copy of sync syncID (empty: the default sync)
// of the file at src into dst, a new v1 file.
func Copy(ctx context.Context, src, syncID, dst string, o Options) (err error) {
	for _, p := range []string{dst, o.Map} {
		if _, err := os.Lstat(p); p != "" && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("%s exists: sanitize writes new files only", p)
		}
	}
	in, err := c1z.OpenReader(ctx, src)
	if err != nil {
		return err
	}
	defer in.Close(ctx)
	if syncID == "" {
		run, err := in.DefaultSync(ctx)
		if err != nil {
			return err
		}
		syncID = run.ID
	}
	out, err := c1z.Open(ctx, dst)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := out.Close(ctx); err == nil {
			err = cerr
		}
	}()
	run, err := out.StartSync(ctx, c1z.SyncFull, "")
	if err != nil {
		return err
	}
	p := newPseudonyms()
	for rt, err := range in.ResourceTypes(ctx, syncID) {
		if err != nil {
			return err
		}
		// Types are the app's structure, not anyone's identity.
		clean := &connectorv2.ResourceType{Id: rt.GetId(), DisplayName: rt.GetDisplayName(), Traits: rt.GetTraits()}
		if err := run.PutResourceTypes(ctx, clean); err != nil {
			return err
		}
	}
	for r, err := range in.Resources(ctx, c1z.ResourceQuery{SyncID: syncID}) {
		if err != nil {
			return err
		}
		id := p.resourceID(r.GetId())
		clean := &connectorv2.Resource{Id: id, ParentResourceId: p.resourceID(r.GetParentResourceId()),
			DisplayName: strings.ReplaceAll(id.GetResource(), "-", " "), Annotations: p.annotations(r.GetAnnotations()), Status: r.GetStatus()}
		if err := run.PutResources(ctx, clean); err != nil {
			return err
		}
	}
	for e, err := range in.Entitlements(ctx, c1z.EntitlementQuery{SyncID: syncID}) {
		if err != nil {
			return err
		}
		clean := &connectorv2.Entitlement{Id: p.entitlementID(e.GetId()), Resource: &connectorv2.Resource{Id: p.resourceID(e.GetResource().GetId())},
			DisplayName: p.of("slug", e.GetSlug(), "slug-%d"), Slug: p.of("slug", e.GetSlug(), "slug-%d"), Purpose: e.GetPurpose(),
			GrantableTo: e.GetGrantableTo()}
		if err := run.PutEntitlements(ctx, clean); err != nil {
			return err
		}
	}
	for g, err := range in.Grants(ctx, c1z.GrantQuery{SyncID: syncID}) {
		if err != nil {
			return err
		}
		ent := g.GetEntitlement()
		clean := &connectorv2.Grant{
			Entitlement: &connectorv2.Entitlement{Id: p.entitlementID(ent.GetId()), Resource: &connectorv2.Resource{Id: p.resourceID(ent.GetResource().GetId())}},
			Principal:   &connectorv2.Resource{Id: p.resourceID(g.GetPrincipal().GetId())},
			Annotations: p.annotations(g.GetAnnotations()),
		}
		// Baton's convention, from the pseudonyms: nothing of the original.
		pid := clean.Principal.GetId()
		clean.Id = clean.Entitlement.GetId() + ":" + pid.GetResourceType() + ":" + pid.GetResource()
		if srcs := g.GetSources().GetSources(); len(srcs) > 0 {
			clean.Sources = &connectorv2.GrantSources{Sources: map[string]*connectorv2.GrantSources_GrantSource{}}
			for k, v := range srcs {
				clean.Sources.Sources[p.entitlementID(k)] = v
			}
		}
		if err := run.PutGrants(ctx, clean); err != nil {
			return err
		}
	}
	if _, err := run.End(ctx); err != nil {
		return err
	}
	if o.Map != "" {
		b, err := json.MarshalIndent(p.original, "", "  ")
		if err != nil {
			return err
		}
		if err := atomicfile.Write(o.Map, func(w io.Writer) error { _, err := w.Write(append(b, '\n')); return err }); err != nil {
			return fmt.Errorf("write the map: %w", err)
		}
	}
	return nil
}

// annotations keeps the traits (their identifying fields replaced) and
// the expansion markers (their ids mapped); anything else may carry
// what the copy must not, and is left out.
func (p *pseudonyms) annotations(in []*anypb.Any) []*anypb.Any {
	var out []*anypb.Any
	keep := func(m proto.Message) {
		if a, err := anypb.New(m); err == nil {
			out = append(out, a)
		}
	}
	for _, a := range in {
		switch {
		case a.MessageIs(&connectorv2.UserTrait{}):
			var ut connectorv2.UserTrait
			if a.UnmarshalTo(&ut) != nil {
				continue
			}
			clean := &connectorv2.UserTrait{Status: ut.GetStatus(), AccountType: ut.GetAccountType(), Login: p.of("login", ut.GetLogin(), "login-%d")}
			if clean.Status != nil {
				clean.Status = &connectorv2.UserTrait_Status{Status: ut.GetStatus().GetStatus()}
			}
			for _, e := range ut.GetEmails() {
				clean.Emails = append(clean.Emails, &connectorv2.UserTrait_Email{Address: p.of("email", strings.ToLower(e.GetAddress()), "user-%d@example.invalid"), IsPrimary: e.GetIsPrimary()})
			}
			keep(clean)
		case a.MessageIs(&connectorv2.GroupTrait{}):
			keep(&connectorv2.GroupTrait{})
		case a.MessageIs(&connectorv2.RoleTrait{}):
			keep(&connectorv2.RoleTrait{})
		case a.MessageIs(&connectorv2.AppTrait{}):
			keep(&connectorv2.AppTrait{})
		case a.MessageIs(&connectorv2.GrantExpandable{}):
			var ge connectorv2.GrantExpandable
			if a.UnmarshalTo(&ge) != nil {
				continue
			}
			clean := &connectorv2.GrantExpandable{Shallow: ge.GetShallow(), ResourceTypeIds: ge.GetResourceTypeIds()}
			for _, id := range ge.GetEntitlementIds() {
				clean.EntitlementIds = append(clean.EntitlementIds, p.entitlementID(id))
			}
			keep(clean)
		case a.MessageIs(&connectorv2.ChildResourceType{}):
			var c connectorv2.ChildResourceType
			if a.UnmarshalTo(&c) == nil {
				keep(&connectorv2.ChildResourceType{ResourceTypeId: c.GetResourceTypeId()})
			}
		}
	}
	return out
}
