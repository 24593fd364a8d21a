package ldap

import (
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	goldap "github.com/go-ldap/ldap/v3"

	connectorv2 "github.com/batonkit/batonkit/pb/c1/connector/v2"
	"github.com/batonkit/batonkit/pkg/annotations"
	"github.com/batonkit/batonkit/pkg/connector"
	"github.com/batonkit/batonkit/pkg/entitlement"
	"github.com/batonkit/batonkit/pkg/grant"
	"github.com/batonkit/batonkit/pkg/resource"
	"github.com/batonkit/batonkit/pkg/session"
)

// Connector reads one directory. Each paged listing (people, groups) has
// a connection of its own and every other search shares a third: a paged
// search's cookie is valid only on its connection and only until another
// search runs there, so listings that a syncer runs side by side (more
// than one worker) never touch each other's cursor.
type Connector struct {
	cfg Config

	links map[string]*link // "user", "group", "lookup"

	mu sync.Mutex // guards the caches
	// kinds caches, for this process, whether a member DN is a group.
	kinds map[string]bool
	// uids caches memberUid -> DN.
	uids map[string]string
}

// link is one connection, one operation at a time.
type link struct {
	mu   sync.Mutex
	conn *goldap.Conn
}

// New connects and binds.
func New(ctx context.Context, cfg Config) (*Connector, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	c := &Connector{cfg: cfg, kinds: map[string]bool{}, uids: map[string]string{},
		links: map[string]*link{"user": {}, "group": {}, "ou": {}, "lookup": {}}}
	// Fail now, not at the first listing, when the directory is out of
	// reach or refuses the bind.
	l := c.links["lookup"]
	conn, err := c.dial()
	if err != nil {
		return nil, err
	}
	l.conn = conn
	return c, nil
}

func (c *Connector) dial() (*goldap.Conn, error) {
	tlsCfg := &tls.Config{InsecureSkipVerify: c.cfg.InsecureSkipVerify} //nolint:gosec // an explicit, documented test-only setting
	conn, err := goldap.DialURL(c.cfg.URL, goldap.DialWithTLSConfig(tlsCfg))
	if err != nil {
		return nil, ldapStatus(fmt.Errorf("connect to %s: %w", c.cfg.URL, err))
	}
	if c.cfg.StartTLS {
		if err := conn.StartTLS(tlsCfg); err != nil {
			conn.Close()
			return nil, fmt.Errorf("StartTLS with %s: %w", c.cfg.URL, err)
		}
	}
	if c.cfg.BindDN != "" {
		if err := conn.Bind(c.cfg.BindDN, c.cfg.BindPassword); err != nil {
			conn.Close()
			return nil, ldapStatus(fmt.Errorf("bind as %s: %w", c.cfg.BindDN, err))
		}
	}
	return conn, nil
}

// Close drops the connections.
func (c *Connector) Close() error {
	var errs []error
	for _, l := range c.links {
		l.mu.Lock()
		if l.conn != nil {
			errs = append(errs, l.conn.Close())
			l.conn = nil
		}
		l.mu.Unlock()
	}
	return errors.Join(errs...)
}

// Cleanup implements connector.Cleaner: a sync ended, the connections go.
func (c *Connector) Cleanup(context.Context) error { return c.Close() }

var (
	userType = resource.NewType("user", "User", resource.WithTraits(connectorv2.ResourceType_TRAIT_USER),
		resource.WithTypeDescription("A person in the directory"),
		resource.WithTypeAnnotations(&connectorv2.SkipEntitlementsAndGrants{}))
	groupType = resource.NewType("group", "Group", resource.WithTraits(connectorv2.ResourceType_TRAIT_GROUP),
		resource.WithTypeDescription("A group of people and other groups"))
	ouType = resource.NewType("ou", "Organizational unit", resource.WithTypeDescription("A branch of the directory tree"),
		resource.WithTypeAnnotations(&connectorv2.SkipEntitlementsAndGrants{}))
)

// Metadata implements connector.Connector.
func (c *Connector) Metadata(context.Context) (*connectorv2.ConnectorMetadata, error) {
	return &connectorv2.ConnectorMetadata{DisplayName: "LDAP", Description: "People and groups of an LDAP directory"}, nil
}

// Validate implements connector.Connector: the base DN must be readable.
func (c *Connector) Validate(ctx context.Context) (annotations.Annotations, error) {
	_, err := c.search(ctx, "lookup", goldap.NewSearchRequest(c.cfg.BaseDN, goldap.ScopeBaseObject, goldap.NeverDerefAliases, 1, 0, false, "(objectClass=*)", []string{"dn"}, nil))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", c.cfg.BaseDN, err)
	}
	return nil, nil
}

// ResourceSyncers implements connector.Connector.
func (c *Connector) ResourceSyncers(context.Context) []connector.ResourceSyncer {
	return []connector.ResourceSyncer{&users{c: c}, &groups{c}, &ous{c: c}}
}

// search runs one request on the named connection, dialing it first if
// needed, and again once if it was lost between calls (never in the middle
// of a paged search: its cookie would be invalid anyway, and the error
// says so).
func (c *Connector) search(ctx context.Context, on string, req *goldap.SearchRequest) (*goldap.SearchResult, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	l := c.links[on]
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.conn == nil || l.conn.IsClosing() {
		if isPaged(req) && pagingCookie(req) {
			return nil, connector.Unsupported("the connection that held this paged search is gone; the listing must start again")
		}
		conn, err := c.dial()
		if err != nil {
			return nil, err
		}
		l.conn = conn
	}
	res, err := l.conn.Search(req)
	if err != nil && goldap.IsErrorWithCode(err, goldap.ErrorNetwork) && !isPaged(req) {
		l.conn.Close()
		conn, derr := c.dial()
		if derr != nil {
			return nil, errors.Join(err, derr)
		}
		l.conn = conn
		res, err = l.conn.Search(req)
	}
	return res, ldapStatus(err)
}

// pagingCookie reports whether a paged request continues a search.
func pagingCookie(req *goldap.SearchRequest) bool {
	p, ok := goldap.FindControl(req.Controls, goldap.ControlTypePaging).(*goldap.ControlPaging)
	return ok && len(p.Cookie) > 0
}

func isPaged(req *goldap.SearchRequest) bool {
	return goldap.FindControl(req.Controls, goldap.ControlTypePaging) != nil
}

// ldapStatus maps directory errors to the codes a syncer acts on.
func ldapStatus(err error) error {
	switch {
	case err == nil:
		return nil
	case goldap.IsErrorWithCode(err, goldap.LDAPResultNoSuchObject):
		return connector.NotFound("%w", err)
	case goldap.IsErrorWithCode(err, goldap.ErrorNetwork), goldap.IsErrorWithCode(err, goldap.LDAPResultBusy),
		goldap.IsErrorWithCode(err, goldap.LDAPResultUnavailable):
		return connector.Unavailable("%w", err)
	case goldap.IsErrorWithCode(err, goldap.LDAPResultInvalidCredentials), goldap.IsErrorWithCode(err, goldap.LDAPResultInsufficientAccessRights):
		return connector.PermissionDenied("%w", err)
	}
	return err
}

// page runs one page of a paged subtree search: the token is the
// directory's cookie, valid on this connection until another search.
func (c *Connector) page(ctx context.Context, on, base, filter string, attrs []string, token string) ([]*goldap.Entry, string, error) {
	paging := goldap.NewControlPaging(uint32(c.cfg.PageSize))
	if token != "" {
		cookie, err := base64.RawURLEncoding.DecodeString(token)
		if err != nil || len(cookie) == 0 {
			return nil, "", connector.BadPageToken(token)
		}
		paging.SetCookie(cookie)
	}
	req := goldap.NewSearchRequest(base, goldap.ScopeWholeSubtree, goldap.NeverDerefAliases, 0, 0, false, filter, attrs, []goldap.Control{paging})
	res, err := c.search(ctx, on, req)
	if err != nil {
		return nil, "", fmt.Errorf("paged search of %s: %w", base, err)
	}
	next := ""
	if ctrl, ok := goldap.FindControl(res.Controls, goldap.ControlTypePaging).(*goldap.ControlPaging); ok && len(ctrl.Cookie) > 0 {
		next = base64.RawURLEncoding.EncodeToString(ctrl.Cookie)
	}
	return res.Entries, next, nil
}

type users struct {
	connector.NoAccess // nothing is granted on a person
	c                  *Connector
}

func (u *users) ResourceType(context.Context) *connectorv2.ResourceType { return userType }

func (u *users) List(ctx context.Context, _ *connectorv2.ResourceId, req connector.PageRequest) (connector.Page[*connectorv2.Resource], error) {
	var p connector.Page[*connectorv2.Resource]
	entries, next, err := u.c.page(ctx, "user", u.c.cfg.UserSearchDN, u.c.cfg.UserFilter,
		[]string{"uid", "cn", "displayName", "mail", "sn", "givenName", "pwdAccountLockedTime", "shadowExpire"}, req.Token)
	if err != nil {
		return p, err
	}
	for _, e := range entries {
		r, err := userResource(e.DN, e.GetAttributeValue("uid"), firstOf(e, "displayName", "cn", "uid"), e.GetAttributeValues("mail"), accountStatus(e, time.Now()))
		if err != nil {
			return p, err
		}
		p.Items = append(p.Items, r)
	}
	p.NextToken = next
	return p, nil
}

// accountStatus reads whether a person can sign in: a password policy
// lock (pwdAccountLockedTime) or a shadow expiry (shadowExpire, days since
// 1970) in the past disables them.
func accountStatus(e *goldap.Entry, now time.Time) connectorv2.UserTrait_Status_Status {
	if e.GetAttributeValue("pwdAccountLockedTime") != "" {
		return connectorv2.UserTrait_Status_STATUS_DISABLED
	}
	if days, err := strconv.ParseInt(e.GetAttributeValue("shadowExpire"), 10, 64); err == nil && days >= 0 && time.Unix(days*86400, 0).Before(now) {
		return connectorv2.UserTrait_Status_STATUS_DISABLED
	}
	return connectorv2.UserTrait_Status_STATUS_ENABLED
}

func userResource(dn, login, name string, mails []string, st connectorv2.UserTrait_Status_Status) (*connectorv2.Resource, error) {
	opts := []resource.UserOption{resource.UserStatus(st)}
	if login != "" {
		opts = append(opts, resource.Login(login))
	}
	for i, m := range mails {
		opts = append(opts, resource.Email(m, i == 0))
	}
	return resource.New("user", dn, name, resource.User(opts...))
}

func firstOf(e *goldap.Entry, attrs ...string) string {
	for _, a := range attrs {
		if v := e.GetAttributeValue(a); v != "" {
			return v
		}
	}
	return e.DN
}

// ous lists the organizational units under the base DN, for where
// people and groups sit; nothing is granted on them.
type ous struct {
	connector.NoAccess
	c *Connector
}

func (o *ous) ResourceType(context.Context) *connectorv2.ResourceType { return ouType }

func (o *ous) List(ctx context.Context, _ *connectorv2.ResourceId, req connector.PageRequest) (connector.Page[*connectorv2.Resource], error) {
	var p connector.Page[*connectorv2.Resource]
	entries, next, err := o.c.page(ctx, "ou", o.c.cfg.BaseDN, "(objectClass=organizationalUnit)", []string{"ou", "description"}, req.Token)
	if err != nil {
		return p, err
	}
	for _, e := range entries {
		r, err := resource.New("ou", e.DN, firstOf(e, "ou"), resource.WithDescription(e.GetAttributeValue("description")))
		if err != nil {
			return p, err
		}
		p.Items = append(p.Items, r)
	}
	p.NextToken = next
	return p, nil
}

type groups struct{ c *Connector }

func (g *groups) ResourceType(context.Context) *connectorv2.ResourceType { return groupType }

// groupKey is how group DNs are recorded in the session store.
func groupKey(dn string) string { return strings.ToLower(dn) }

func (g *groups) List(ctx context.Context, _ *connectorv2.ResourceId, req connector.PageRequest) (connector.Page[*connectorv2.Resource], error) {
	var p connector.Page[*connectorv2.Resource]
	entries, next, err := g.c.page(ctx, "group", g.c.cfg.GroupSearchDN, g.c.cfg.GroupFilter, []string{"cn", "description", "gidNumber"}, req.Token)
	if err != nil {
		return p, err
	}
	seen := map[string][]byte{}
	for _, e := range entries {
		profile := map[string]any{}
		if gid := e.GetAttributeValue("gidNumber"); gid != "" {
			profile["gid_number"] = gid
		}
		r, err := resource.New("group", e.DN, firstOf(e, "cn"), resource.Group(profile), resource.WithDescription(e.GetAttributeValue("description")))
		if err != nil {
			return p, err
		}
		p.Items = append(p.Items, r)
		seen[groupKey(e.DN)] = []byte{1}
	}
	// Remember which DNs are groups, for the grants phase: in the sync's
	// session store (it survives a resume in a new process) when the
	// syncer offers one, else in this process.
	store := session.FromContext(ctx).WithPrefix("group/")
	if err := store.SetMany(ctx, seen); errors.Is(err, session.ErrNoStore) {
		g.c.mu.Lock()
		for k := range seen {
			g.c.kinds[k] = true
		}
		g.c.mu.Unlock()
	} else if err != nil {
		return p, fmt.Errorf("record groups in the session store: %w", err)
	}
	p.NextToken = next
	return p, nil
}

func memberEntitlement(r *connectorv2.Resource) *connectorv2.Entitlement {
	return entitlement.NewAssignment(r, "member", entitlement.GrantableTo(userType, groupType))
}

// StaticEntitlements implements connector.StaticEntitlementLister: every
// group has one entitlement, membership.
func (g *groups) StaticEntitlements(context.Context, connector.PageRequest) (connector.Page[*connectorv2.Entitlement], error) {
	e := memberEntitlement(&connectorv2.Resource{Id: resource.ID("group", "group")})
	e.DisplayName = "Member"
	return connector.Page[*connectorv2.Entitlement]{Items: []*connectorv2.Entitlement{e}}, nil
}

func (g *groups) Entitlements(context.Context, *connectorv2.Resource, connector.PageRequest) (connector.Page[*connectorv2.Entitlement], error) {
	return connector.Page[*connectorv2.Entitlement]{}, nil
}

// Grants lists a group's members, a page at a time (the token is an
// offset into the sorted member list, read anew on each page).
func (g *groups) Grants(ctx context.Context, r *connectorv2.Resource, req connector.PageRequest) (connector.Page[*connectorv2.Grant], error) {
	var p connector.Page[*connectorv2.Grant]
	res, err := g.c.search(ctx, "lookup", goldap.NewSearchRequest(r.GetId().GetResource(), goldap.ScopeBaseObject, goldap.NeverDerefAliases, 1, 0, false,
		"(objectClass=*)", []string{"member", "uniqueMember", "memberUid"}, nil))
	if err != nil {
		return p, fmt.Errorf("read group %s: %w", r.GetId().GetResource(), err)
	}
	if len(res.Entries) == 0 {
		return p, connector.NotFound("group %s is gone", r.GetId().GetResource())
	}
	e := res.Entries[0]
	type member struct{ dn, uid string }
	var all []member
	for _, dn := range append(e.GetAttributeValues("member"), e.GetAttributeValues("uniqueMember")...) {
		all = append(all, member{dn: dn})
	}
	for _, uid := range e.GetAttributeValues("memberUid") {
		all = append(all, member{uid: uid})
	}
	slices.SortFunc(all, func(a, b member) int { return strings.Compare(a.dn+"\x00"+a.uid, b.dn+"\x00"+b.uid) })
	off := 0
	if req.Token != "" {
		if off, err = strconv.Atoi(req.Token); err != nil || off < 0 || off > len(all) {
			return p, connector.BadPageToken(req.Token)
		}
	}
	size := cmpOr(req.Size, 100)
	end := min(off+size, len(all))
	var dns []string
	for _, m := range all[off:end] {
		dn := m.dn
		if m.uid != "" {
			if dn, err = g.c.resolveUID(ctx, m.uid); err != nil {
				return p, err
			}
			if dn == "" {
				continue // a memberUid with no person behind it
			}
		}
		dns = append(dns, dn)
	}
	isGroup, err := g.c.groupsAmong(ctx, dns)
	if err != nil {
		return p, err
	}
	seen := map[string]bool{}
	for _, dn := range dns {
		if seen[strings.ToLower(dn)] {
			continue
		}
		seen[strings.ToLower(dn)] = true
		if isGroup[groupKey(dn)] {
			p.Items = append(p.Items, grant.New(r, "member", resource.ID("group", dn), grant.Expandable(entitlement.ID(resource.ID("group", dn), "member"))))
		} else {
			p.Items = append(p.Items, grant.New(r, "member", resource.ID("user", dn)))
		}
	}
	if end < len(all) {
		p.NextToken = strconv.Itoa(end)
	}
	return p, nil
}

func cmpOr(v, def int) int {
	if v <= 0 {
		return def
	}
	return v
}

// groupsAmong says which of dns are groups: from the session store the
// groups listing filled, or from this process's memory.
func (c *Connector) groupsAmong(ctx context.Context, dns []string) (map[string]bool, error) {
	keys := make([]string, len(dns))
	for i, dn := range dns {
		keys[i] = groupKey(dn)
	}
	out := map[string]bool{}
	found, err := session.FromContext(ctx).WithPrefix("group/").GetMany(ctx, keys)
	switch {
	case errors.Is(err, session.ErrNoStore):
		c.mu.Lock()
		for _, k := range keys {
			out[k] = c.kinds[k]
		}
		c.mu.Unlock()
	case err != nil:
		return nil, fmt.Errorf("read the session store: %w", err)
	default:
		for k := range found {
			out[k] = true
		}
	}
	return out, nil
}

// resolveUID finds the person a posixGroup's memberUid names.
func (c *Connector) resolveUID(ctx context.Context, uid string) (string, error) {
	c.mu.Lock()
	dn, ok := c.uids[uid]
	c.mu.Unlock()
	if ok {
		return dn, nil
	}
	filter := fmt.Sprintf("(&%s(uid=%s))", c.cfg.UserFilter, goldap.EscapeFilter(uid))
	res, err := c.search(ctx, "lookup", goldap.NewSearchRequest(c.cfg.UserSearchDN, goldap.ScopeWholeSubtree, goldap.NeverDerefAliases, 2, 0, false, filter, []string{"dn"}, nil))
	if err != nil {
		return "", fmt.Errorf("resolve memberUid %q: %w", uid, err)
	}
	if len(res.Entries) == 1 {
		dn = res.Entries[0].DN
	}
	c.mu.Lock()
	c.uids[uid] = dn
	c.mu.Unlock()
	return dn, nil
}
