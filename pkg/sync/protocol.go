package sync

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	stdsync "sync"

	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/known/anypb"

	connectorv2 "github.com/batonkit/batonkit/pb/c1/connector/v2"
)

// How the syncer treats an annotation on a list response.
type effect int

const (
	acted    effect = iota // the syncer does what Baton's does with it
	inert                  // carries nothing a sync must act on
	ignored                // not implemented; harmless to a sync's result
	lossy                  // not implemented; ignoring it would lose data
	misplace               // not valid on this call; treated as lossy
)

// responseEffect classifies annotation name (a full message name) on the
// response to call. The table in doc.go mirrors it.
func responseEffect(call, name string) effect {
	switch strings.TrimPrefix(name, "c1.connector.v2.") {
	case "RateLimitDescription":
		return acted // waited out before the next call (and in retries)
	case "RateLimitWaitReport", "SessionStoreUsage", "RequestId":
		return inert // statistics and tracing only
	case "EnqueuePageTokens":
		if call == "ListEntitlements" || call == "ListGrants" {
			return acted
		}
		return misplace // Baton honours it on these two calls only
	case "InsertResourceGrants":
		if call == "ListGrants" {
			return acted
		}
		return ignored
	case "SourceCacheRecord", "SourceCacheLookupAsk", "ETag":
		return ignored // a cache hint for the next sync; this one is complete
	case "SourceCacheReplay", "ETagMatch":
		return lossy // "reuse the rows of the previous sync": they are not in the response
	}
	return ignored
}

// protocolLog counts features the connector used that this syncer does
// not act on, and warns once per feature and sync.
type protocolLog struct {
	log *slog.Logger
	mu  stdsync.Mutex
	n   map[string]int
}

func (p *protocolLog) note(ctx context.Context, feature, what string) {
	p.mu.Lock()
	if p.n == nil {
		p.n = map[string]int{}
	}
	p.n[feature]++
	first := p.n[feature] == 1
	p.mu.Unlock()
	if first && p.log != nil {
		p.log.WarnContext(ctx, "connector used a protocol feature this syncer does not act on (further uses are only counted)", "feature", feature, "detail", what)
	}
}

func (p *protocolLog) counts() map[string]int {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make(map[string]int, len(p.n))
	for k, v := range p.n {
		out[k] = v
	}
	return out
}

// knownMessage reports whether the annotation's type is one this build
// knows (the c1.* contract).
func knownMessage(a *anypb.Any) (string, bool) {
	mt, err := protoregistry.GlobalTypes.FindMessageByURL(a.GetTypeUrl())
	if err != nil {
		return strings.TrimPrefix(a.GetTypeUrl(), "type.googleapis.com/"), false
	}
	return string(mt.Descriptor().FullName()), true
}

// checkResponse audits a list response's annotations for a: features this
// syncer does not implement are logged and counted, and fail the sync
// where they would lose data.
func (r *run) checkResponse(ctx context.Context, call string, a action, annos []*anypb.Any) error {
	for _, anno := range annos {
		name, known := knownMessage(anno)
		if !known {
			r.proto.note(ctx, "unknown annotation "+name, call+" for "+a.what())
			continue
		}
		switch responseEffect(call, name) {
		case acted, inert:
		case ignored:
			r.proto.note(ctx, name+" on "+call, a.what())
		case lossy, misplace:
			r.proto.note(ctx, name+" on "+call, a.what())
			if !r.s.opts.allowPartial {
				return fmt.Errorf("%s: %w: %s on %s", a.what(), ErrUnhandledProtocol, name, call)
			}
		}
	}
	return nil
}

// checkType audits a resource type's annotations once per run.
func (r *run) checkType(ctx context.Context, rt *connectorv2.ResourceType) {
	for _, anno := range rt.GetAnnotations() {
		name, known := knownMessage(anno)
		switch {
		case !known:
			r.proto.note(ctx, "unknown annotation "+name, "on resource type "+rt.GetId())
		case name == "c1.connector.v2.SkipGrants":
			// Baton's syncer honours SkipGrants on resources only; on a
			// type it lists the grants anyway, and so do we.
			r.proto.note(ctx, name+" on a resource type", "grants of type "+rt.GetId()+" are listed, as Baton's syncer does")
		}
	}
}

// enqueued returns the sibling cursors a response enqueues for a.
func enqueued(a action, annos []*anypb.Any) ([]action, int64, error) {
	var tokens *connectorv2.EnqueuePageTokens
	for _, anno := range annos {
		var e connectorv2.EnqueuePageTokens
		if !anno.MessageIs(&e) {
			continue
		}
		if tokens != nil {
			return nil, 0, fmt.Errorf("%w: %s: more than one EnqueuePageTokens on one response", ErrFanout, a.what())
		}
		if err := anno.UnmarshalTo(&e); err != nil {
			return nil, 0, fmt.Errorf("%w: %s: %v", ErrFanout, a.what(), err)
		}
		tokens = &e
	}
	if tokens == nil {
		return nil, 0, nil
	}
	if n := len(tokens.GetPageTokens()); n > maxTokensPerResponse {
		return nil, 0, fmt.Errorf("%w: %s: %d page tokens on one response, at most %d", ErrFanout, a.what(), n, maxTokensPerResponse)
	}
	out := make([]action, 0, len(tokens.GetPageTokens()))
	for _, t := range tokens.GetPageTokens() {
		if t == "" || len(t) > maxPageTokenBytes {
			return nil, 0, fmt.Errorf("%w: %s: a page token of %d bytes (1 to %d allowed)", ErrFanout, a.what(), len(t), maxPageTokenBytes)
		}
		out = append(out, action{Op: a.Op, TypeID: a.TypeID, ResourceID: a.ResourceID, TypeScoped: a.TypeScoped, PageToken: t, Spawned: true})
	}
	return out, tokens.GetEstimatedTotal(), nil
}

// Bounds of the contract's EnqueuePageTokens rules.
const (
	maxTokensPerResponse = 1024
	maxPageTokenBytes    = 1 << 20
)

// fanoutGuard remembers the tokens of every listing that fans out, so a
// token seen twice (a cycle) or a fan-out past the bound fails loudly
// instead of running forever. Listings that never fan out cost nothing.
type fanoutGuard struct {
	mu   stdsync.Mutex
	seen map[string]map[string]bool
}

func (g *fanoutGuard) check(a action, res pageResult, bound int) error {
	key := fmt.Sprintf("%s|%s|%s|%t", a.Op, a.TypeID, a.ResourceID, a.TypeScoped)
	g.mu.Lock()
	defer g.mu.Unlock()
	set := g.seen[key]
	if set == nil {
		if len(res.spawned) == 0 {
			return nil
		}
		if g.seen == nil {
			g.seen = map[string]map[string]bool{}
		}
		set = map[string]bool{}
		g.seen[key] = set
		if a.PageToken != "" {
			set[a.PageToken] = true
		}
	}
	toks := make([]string, 0, len(res.spawned)+1)
	for _, sp := range res.spawned {
		toks = append(toks, sp.PageToken)
	}
	if res.next != "" {
		toks = append(toks, res.next)
	}
	for _, t := range toks {
		if set[t] {
			return fmt.Errorf("%w: %s: page token %q was already fetched or enqueued in this listing (a cycle)", ErrFanout, a.what(), t)
		}
		set[t] = true
	}
	if len(set) > bound {
		return fmt.Errorf("%w: %s: more than %d page tokens in one listing", ErrFanout, a.what(), bound)
	}
	return nil
}
