package protoconn

import (
	"context"
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"
	"sync"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	connectorv2 "github.com/batonkit/batonkit/pb/c1/connector/v2"
	batonv1 "github.com/batonkit/batonkit/pb/c1/connectorapi/baton/v1"
	"github.com/batonkit/batonkit/pkg/annotations"
	"github.com/batonkit/batonkit/pkg/contract"
)

// Strictness says when a next-page token stops being valid.
type Strictness int

const (
	// Lenient tokens stay valid forever.
	Lenient Strictness = iota
	// StrictConnector: a token is valid only if no other call reached the
	// connector since the page that returned it (one connection, one
	// search at a time). Only a syncer with one worker can satisfy it.
	StrictConnector
	// StrictPhase: a token dies when a call of another phase (resource
	// types, resources, static entitlements, entitlements, grants) reaches
	// the connector before it is used: listings of one phase may run side
	// by side, listings of different phases never interleave.
	StrictPhase
)

// Options shape a Connector.
type Options struct {
	Seed   uint64
	Strict Strictness
	// Cache makes ListEntitlements and ListGrants fail for a resource
	// this process has not returned from ListResources.
	Cache bool
	// Flaky fails the first attempt of about one call in five with
	// Unavailable (a retryable error).
	Flaky bool
	// Scale multiplies the number of resources (default 1).
	Scale int
	// Chaos makes the connector misbehave the way real apps do, at
	// seed-chosen places: slow pages, a page served twice under two
	// tokens, objects repeated within a page, invalid resources, grants to
	// principals no listing returns, resources that vanish (NotFound)
	// when their grants are listed. A complete sync holds exactly the
	// valid objects Reference finds.
	Chaos bool
	// Endless makes the first type's resource listing hand out a new page
	// token on every page, forever.
	Endless bool
	// Sessions, when set, keeps the connector's state in the session
	// store of the sync (Baton's BatonSessionService) instead of its
	// memory: every chain token must be the one recorded for its listing,
	// and with Cache, the resources ListResources returned are recorded
	// there, so the state survives the process.
	Sessions batonv1.BatonSessionServiceClient
}

// Connector serves a generated world over the raw contract.
type Connector struct {
	contract.UnimplementedServer
	opts Options
	w    *world

	mu       sync.Mutex
	calls    int64
	phase    string
	epoch    int64            // bumps whenever the phase of successive calls changes
	issued   map[string]int64 // strict chain token -> call number or epoch at issue
	listed   map[string]bool  // resources returned by ListResources here
	attempts map[string]int
	// Calls counts calls per method.
	Calls map[string]int
}

// Features counts what the world exercises: type-scoped types (of
// entitlements, of grants), types with static entitlements, child types.
func (c *Connector) Features() (typeScopedE, typeScopedG, static, child int) {
	for _, ts := range c.w.types {
		annos := annotations.Annotations(ts.rt.GetAnnotations())
		if annos.Contains(&connectorv2.TypeScopedEntitlements{}) {
			typeScopedE++
		}
		if annos.Contains(&connectorv2.TypeScopedGrants{}) {
			typeScopedG++
		}
		if len(ts.static) > 0 {
			static++
		}
		if ts.parent >= 0 {
			child++
		}
	}
	return
}

// New generates the world of o.Seed.
func New(o Options) *Connector {
	w := newWorld(o.Seed, o.Scale)
	if o.Chaos {
		addGhostGrants(w)
	}
	return &Connector{opts: o, w: w, issued: map[string]int64{}, listed: map[string]bool{}, attempts: map[string]int{}, Calls: map[string]int{}}
}

// enter records a call and applies the faults; token is the request's.
func (c *Connector) enter(method, phase, listing, token string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.Calls[method]++
	if c.opts.Flaky {
		// A refused attempt does not reach the app, so it costs no cursor.
		k := method + "|" + listing + "|" + token
		c.attempts[k]++
		h := fnv.New32a()
		h.Write([]byte(k))
		if h.Sum32()%5 == 0 && c.attempts[k] == 1 {
			return status.Errorf(codes.Unavailable, "flaky: %s briefly unavailable", method)
		}
	}
	c.calls++
	if phase != c.phase {
		c.phase = phase
		c.epoch++
	}
	if strings.HasPrefix(token, "n:") && c.opts.Strict != Lenient {
		at, ok := c.issued[listing+"|"+token]
		now := c.calls - 1 // the call that returned the token must be the previous one
		if c.opts.Strict == StrictPhase {
			now = c.epoch
		}
		if !ok || at != now {
			return status.Errorf(codes.FailedPrecondition, "page token %q of %s is no longer valid: another call ran on this connection since it was issued", token, listing)
		}
	}
	return nil
}

// issue remembers a chain token for the strict modes.
func (c *Connector) issue(listing, token string) {
	if token == "" || c.opts.Strict == Lenient {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	at := c.calls
	if c.opts.Strict == StrictPhase {
		at = c.epoch
	}
	c.issued[listing+"|"+token] = at
}

// sessionCheck verifies, for a store-backed connector, that token is the
// cursor recorded for its segment of the listing, then records next.
// (Sibling cursors of one listing run side by side: each segment, named by
// where it ends, has its own cursor.)
func (c *Connector) sessionCheck(ctx context.Context, syncID, listing, token, next string) error {
	if c.opts.Sessions == nil {
		return nil
	}
	segment := func(tok string) string { return tok[strings.LastIndexByte(tok, ':')+1:] }
	if strings.HasPrefix(token, "n:") {
		got, err := c.opts.Sessions.Get(ctx, &batonv1.GetRequest{SyncId: syncID, Prefix: "cursor/", Key: listing + "|" + segment(token)})
		if err != nil {
			return err
		}
		if string(got.GetValue()) != token {
			return status.Errorf(codes.FailedPrecondition, "session store: cursor of %s is %q, the request says %q", listing, got.GetValue(), token)
		}
	}
	switch {
	case next != "":
		_, err := c.opts.Sessions.Set(ctx, &batonv1.SetRequest{SyncId: syncID, Prefix: "cursor/", Key: listing + "|" + segment(next), Value: []byte(next)})
		return err
	case token != "":
		_, err := c.opts.Sessions.Delete(ctx, &batonv1.DeleteRequest{SyncId: syncID, Prefix: "cursor/", Key: listing + "|" + segment(token)})
		return err
	}
	return nil
}

// page cuts one page of items for token, as the listing's style says.
func page[T any](c *Connector, listing string, items []T, token string, fanoutOK bool) (out []T, next string, fanout fan, err error) {
	c.mu.Lock()
	s := c.w.styleOf(c.opts.Seed, listing, fanoutOK)
	c.mu.Unlock()
	n := len(items)
	off, end := 0, n
	if strings.HasPrefix(token, "e:") {
		k, _ := strconv.Atoi(token[2:])
		return nil, fmt.Sprintf("e:%d", k+1), fan{}, nil
	}
	replayed := strings.HasSuffix(token, ":r")
	token = strings.TrimSuffix(token, ":r")
	if token != "" {
		parts := strings.Split(token, ":")
		if len(parts) != 3 || (parts[0] != "n" && parts[0] != "f") {
			return nil, "", fan{}, status.Errorf(codes.InvalidArgument, "bad page token %q", token)
		}
		off, _ = strconv.Atoi(parts[1])
		end, _ = strconv.Atoi(parts[2])
		if off < 0 || end > n || off > end {
			return nil, "", fan{}, status.Errorf(codes.InvalidArgument, "page token %q out of range", token)
		}
	} else if s.fanout {
		seg := 2 * s.size
		start := 0
		if !s.empty {
			end = min(seg, n)
			start = seg
		} else {
			end = 0
		}
		for o := start; o < n; o += seg {
			fanout.tokens = append(fanout.tokens, fmt.Sprintf("f:%d:%d", o, min(o+seg, n)))
			fanout.estimate += int64(min(o+seg, n) - o)
		}
	}
	if len(fanout.tokens) > 0 {
		c.mu.Lock()
		c.Calls["(fan-out tokens)"] += len(fanout.tokens)
		c.mu.Unlock()
	}
	stop := min(off+s.size, end)
	out = items[off:stop]
	if stop < end {
		next = fmt.Sprintf("n:%d:%d", stop, end)
	}
	if c.opts.Chaos {
		out, next = chaosPage(c, listing, token, replayed, out, next, off, end)
	}
	c.issue(listing, next)
	return out, next, fanout, nil
}

// fan is a first page's sibling cursors and how many items they hold.
type fan struct {
	tokens   []string
	estimate int64
}

func fanoutAnnos(f fan) annotations.Annotations {
	if len(f.tokens) == 0 {
		return nil
	}
	return annotations.New(&connectorv2.EnqueuePageTokens{PageTokens: f.tokens, EstimatedTotal: f.estimate})
}

// GetMetadata implements ConnectorService.
func (c *Connector) GetMetadata(context.Context, *connectorv2.ConnectorServiceGetMetadataRequest) (*connectorv2.ConnectorServiceGetMetadataResponse, error) {
	return &connectorv2.ConnectorServiceGetMetadataResponse{Metadata: &connectorv2.ConnectorMetadata{DisplayName: fmt.Sprintf("protocol world %d", c.opts.Seed)}}, nil
}

// Validate implements ConnectorService.
func (c *Connector) Validate(context.Context, *connectorv2.ConnectorServiceValidateRequest) (*connectorv2.ConnectorServiceValidateResponse, error) {
	return &connectorv2.ConnectorServiceValidateResponse{SdkVersion: "0.25.0"}, nil
}

// Cleanup implements ConnectorService.
func (c *Connector) Cleanup(context.Context, *connectorv2.ConnectorServiceCleanupRequest) (*connectorv2.ConnectorServiceCleanupResponse, error) {
	return &connectorv2.ConnectorServiceCleanupResponse{}, nil
}

// ListResourceTypes implements ResourceTypesService.
func (c *Connector) ListResourceTypes(_ context.Context, req *connectorv2.ResourceTypesServiceListResourceTypesRequest) (*connectorv2.ResourceTypesServiceListResourceTypesResponse, error) {
	if err := c.enter("ListResourceTypes", "types", "types", req.GetPageToken()); err != nil {
		return nil, err
	}
	var all []*connectorv2.ResourceType
	for _, ts := range c.w.types {
		all = append(all, ts.rt)
	}
	items, next, _, err := page(c, "types", all, req.GetPageToken(), false)
	return &connectorv2.ResourceTypesServiceListResourceTypesResponse{List: items, NextPageToken: next}, err
}

func (c *Connector) typeSpec(id string) (*typeSpec, error) {
	for _, ts := range c.w.types {
		if ts.rt.GetId() == id {
			return ts, nil
		}
	}
	return nil, status.Errorf(codes.NotFound, "unknown resource type %q", id)
}

// ListResources implements ResourcesService.
func (c *Connector) ListResources(ctx context.Context, req *connectorv2.ResourcesServiceListResourcesRequest) (*connectorv2.ResourcesServiceListResourcesResponse, error) {
	listing := "resources:" + req.GetResourceTypeId() + "@" + key(req.GetParentResourceId())
	if err := c.enter("ListResources", "resources", listing, req.GetPageToken()); err != nil {
		return nil, err
	}
	ts, err := c.typeSpec(req.GetResourceTypeId())
	if err != nil {
		return nil, err
	}
	var of []*connectorv2.Resource
	for _, r := range ts.resources {
		if proto.Equal(r.GetParentResourceId(), req.GetParentResourceId()) {
			of = append(of, r)
		}
	}
	items, next, _, err := page(c, listing, of, req.GetPageToken(), false)
	if err != nil {
		return nil, err
	}
	if err := c.sessionCheck(ctx, req.GetActiveSyncId(), listing, req.GetPageToken(), next); err != nil {
		return nil, err
	}
	if c.opts.Endless && ts == c.w.types[0] && req.GetParentResourceId() == nil && next == "" {
		next = "e:0"
	}
	if c.opts.Chaos && chaosHit(listing+"|invalid|"+req.GetPageToken(), 8) {
		items = append(items[:len(items):len(items)], &connectorv2.Resource{Id: &connectorv2.ResourceId{ResourceType: ts.rt.GetId()}, DisplayName: "no id"})
	}
	c.mu.Lock()
	for _, r := range items {
		c.listed[key(r.GetId())] = true
	}
	c.mu.Unlock()
	if c.opts.Sessions != nil && c.opts.Cache && len(items) > 0 {
		seen := map[string][]byte{}
		for _, r := range items {
			seen[key(r.GetId())] = []byte{1}
		}
		if _, err := c.opts.Sessions.SetMany(ctx, &batonv1.SetManyRequest{SyncId: req.GetActiveSyncId(), Prefix: "listed/", Values: seen}); err != nil {
			return nil, err
		}
	}
	return &connectorv2.ResourcesServiceListResourcesResponse{List: items, NextPageToken: next}, nil
}

// ListStaticEntitlements implements EntitlementsService.
func (c *Connector) ListStaticEntitlements(_ context.Context, req *connectorv2.EntitlementsServiceListStaticEntitlementsRequest) (*connectorv2.EntitlementsServiceListStaticEntitlementsResponse, error) {
	listing := "static:" + req.GetResourceTypeId()
	if err := c.enter("ListStaticEntitlements", "static", listing, req.GetPageToken()); err != nil {
		return nil, err
	}
	ts, err := c.typeSpec(req.GetResourceTypeId())
	if err != nil {
		return nil, err
	}
	items, next, _, err := page(c, listing, ts.static, req.GetPageToken(), false)
	return &connectorv2.EntitlementsServiceListStaticEntitlementsResponse{List: items, NextPageToken: next}, err
}

// scope resolves a listing request: the type-scoped marker on the request
// means the whole type, else the one resource.
func (c *Connector) scope(ctx context.Context, syncID string, res *connectorv2.Resource, reqAnnos annotations.Annotations, marker proto.Message) (ts *typeSpec, typeScoped bool, err error) {
	ts, err = c.typeSpec(res.GetId().GetResourceType())
	if err != nil {
		return nil, false, err
	}
	typeScoped = reqAnnos.Contains(marker)
	if typeScoped && !annotations.Annotations(ts.rt.GetAnnotations()).Contains(marker) {
		return nil, false, status.Errorf(codes.InvalidArgument, "%s: a type-scoped request for a type that does not announce it", key(res.GetId()))
	}
	if !typeScoped && c.opts.Cache {
		c.mu.Lock()
		ok := c.listed[key(res.GetId())]
		c.mu.Unlock()
		if c.opts.Sessions != nil {
			got, err := c.opts.Sessions.Get(ctx, &batonv1.GetRequest{SyncId: syncID, Prefix: "listed/", Key: key(res.GetId())})
			if err != nil {
				return nil, false, err
			}
			ok = got.GetFound()
		}
		if !ok {
			return nil, false, status.Errorf(codes.FailedPrecondition, "cache miss: %s was not returned by ListResources in this process", key(res.GetId()))
		}
	}
	return ts, typeScoped, nil
}

// ListEntitlements implements EntitlementsService.
func (c *Connector) ListEntitlements(ctx context.Context, req *connectorv2.EntitlementsServiceListEntitlementsRequest) (*connectorv2.EntitlementsServiceListEntitlementsResponse, error) {
	listing := "entitlements:" + key(req.GetResource().GetId())
	if err := c.enter("ListEntitlements", "entitlements", listing, req.GetPageToken()); err != nil {
		return nil, err
	}
	ts, typeScoped, err := c.scope(ctx, req.GetActiveSyncId(), req.GetResource(), req.GetAnnotations(), &connectorv2.TypeScopedEntitlements{})
	if err != nil {
		return nil, err
	}
	var all []*connectorv2.Entitlement
	switch {
	case typeScoped:
		for _, r := range ts.resources {
			all = append(all, c.w.entitlements[key(r.GetId())]...)
		}
	case annotations.Annotations(ts.rt.GetAnnotations()).Contains(&connectorv2.TypeScopedEntitlements{}):
		// As connectors built with Baton's SDK do: the per-resource
		// listing of a type-scoped type is empty.
	default:
		all = c.w.entitlements[key(req.GetResource().GetId())]
	}
	items, next, fan, err := page(c, listing, all, req.GetPageToken(), true)
	if err == nil {
		err = c.sessionCheck(ctx, req.GetActiveSyncId(), listing, req.GetPageToken(), next)
	}
	return &connectorv2.EntitlementsServiceListEntitlementsResponse{List: items, NextPageToken: next, Annotations: fanoutAnnos(fan)}, err
}

// ListGrants implements GrantsService.
func (c *Connector) ListGrants(ctx context.Context, req *connectorv2.GrantsServiceListGrantsRequest) (*connectorv2.GrantsServiceListGrantsResponse, error) {
	listing := "grants:" + key(req.GetResource().GetId())
	if err := c.enter("ListGrants", "grants", listing, req.GetPageToken()); err != nil {
		return nil, err
	}
	ts, typeScoped, err := c.scope(ctx, req.GetActiveSyncId(), req.GetResource(), req.GetAnnotations(), &connectorv2.TypeScopedGrants{})
	if err != nil {
		return nil, err
	}
	if c.opts.Chaos && !typeScoped && chaosHit("vanished|"+key(req.GetResource().GetId()), 11) {
		return nil, status.Errorf(codes.NotFound, "%s was deleted during the sync", key(req.GetResource().GetId()))
	}
	var all []*connectorv2.Grant
	switch {
	case typeScoped:
		for _, r := range ts.resources {
			all = append(all, c.w.grants[key(r.GetId())]...)
		}
	case annotations.Annotations(ts.rt.GetAnnotations()).Contains(&connectorv2.TypeScopedGrants{}):
	default:
		all = c.w.grants[key(req.GetResource().GetId())]
	}
	items, next, fan, err := page(c, listing, all, req.GetPageToken(), true)
	if err == nil {
		err = c.sessionCheck(ctx, req.GetActiveSyncId(), listing, req.GetPageToken(), next)
	}
	return &connectorv2.GrantsServiceListGrantsResponse{List: items, NextPageToken: next, Annotations: fanoutAnnos(fan)}, err
}
