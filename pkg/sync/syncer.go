package sync

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	stdsync "sync"
	"sync/atomic"
	"time"

	connectorv2 "github.com/batonkit/batonkit/pb/c1/connector/v2"
	"github.com/batonkit/batonkit/pkg/c1z"
	"github.com/batonkit/batonkit/pkg/contract"
	"github.com/batonkit/batonkit/pkg/internal/syncwrite"
	"github.com/batonkit/batonkit/pkg/session"
	"github.com/batonkit/batonkit/pkg/sync/expand"
)

// Syncer runs syncs of one connector into one store.
type Syncer struct {
	client contract.Client
	store  *c1z.Store
	opts   options
	log    *slog.Logger
}

type options struct {
	workers         int
	checkpointEvery time.Duration
	types           map[string]bool
	skipGrants      bool
	resourcesOnly   bool
	targets         []*connectorv2.ResourceId
	retry           RetryPolicy
	notFoundBudget  int
	maxDepth        int
	noExpansion     bool
	stopAfter       int
	progress        func(Progress)
	logger          *slog.Logger
	pageSize        int
	allowPartial    bool
	maxFanout       int
	maxPages        int
	maxPageItems    int
	sessions        *session.Server
	external        *External
}

// Option configures a Syncer.
type Option func(*options)

// WithWorkers sets how many listings of one phase run at once (default 1):
// the resource listings of different types, the entitlement or grant
// listings of different resources. The pages of one listing always run in
// sequence, and listings of different phases never overlap. The resulting
// file is the same for any value.
func WithWorkers(n int) Option { return func(o *options) { o.workers = max(1, n) } }

// WithCheckpointInterval sets how often the resume token is saved while a
// phase runs (default 10s); it is always saved at phase boundaries.
func WithCheckpointInterval(d time.Duration) Option {
	return func(o *options) { o.checkpointEvery = d }
}

// WithResourceTypes limits the sync to these resource types.
func WithResourceTypes(ids ...string) Option {
	return func(o *options) {
		if len(ids) == 0 {
			return
		}
		o.types = map[string]bool{}
		for _, id := range ids {
			o.types[id] = true
		}
	}
}

// WithSkipGrants syncs resources and entitlements but no grants.
func WithSkipGrants() Option { return func(o *options) { o.skipGrants = true } }

// WithResourcesOnly syncs resource types and resources only (a
// "resources_only" sync).
func WithResourcesOnly() Option { return func(o *options) { o.resourcesOnly = true } }

// WithTargets makes a targeted sync: only these resources are fetched
// (with GetResource), with their entitlements and grants, into a
// "partial" sync whose parent is the latest full sync.
func WithTargets(ids ...*connectorv2.ResourceId) Option {
	return func(o *options) { o.targets = append(o.targets, ids...) }
}

// WithRetry sets the retry policy for transient connector errors.
func WithRetry(p RetryPolicy) Option { return func(o *options) { o.retry = p } }

// WithNotFoundBudget sets how many per-resource calls may answer NotFound
// (a resource deleted mid-sync) before the sync fails (default 100).
func WithNotFoundBudget(n int) Option { return func(o *options) { o.notFoundBudget = n } }

// WithoutExpansion leaves nested entitlements unexpanded: the file holds
// the grants the connector listed and nothing derived from them (what a
// control plane asks for when it expands grants itself).
func WithoutExpansion() Option { return func(o *options) { o.noExpansion = true } }

// WithMaxExpansionDepth bounds entitlement nesting (default 20).
func WithMaxExpansionDepth(n int) Option { return func(o *options) { o.maxDepth = n } }

// StopAfter interrupts the sync after n steps, as if cancelled: for tests
// and for time-boxed runs that continue later.
func StopAfter(n int) Option { return func(o *options) { o.stopAfter = n } }

// WithProgress receives a snapshot after every step.
func WithProgress(fn func(Progress)) Option { return func(o *options) { o.progress = fn } }

// WithLogger sets the logger (default: discard).
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.logger = l } }

// WithPageSize sets the page size asked of the connector (default 0: the
// connector's choice; at most 250).
func WithPageSize(n int) Option { return func(o *options) { o.pageSize = min(n, 250) } }

// WithAllowPartial lets a sync finish when the connector used a protocol
// feature this syncer does not act on and ignoring it may leave data out;
// without it such a sync fails. Either way the feature is logged and
// counted in Result.Unhandled and the sync's stats.
func WithAllowPartial() Option { return func(o *options) { o.allowPartial = true } }

// WithSessions binds h, the session store a parent serves its connector,
// to the file and the id of the running sync while Run runs: the
// connector's values land in the sync's v1_connector_sessions and survive
// a resume.
func WithSessions(h *session.Server) Option { return func(o *options) { o.sessions = h } }

// WithMaxFanout bounds how many sibling cursors (EnqueuePageTokens) one
// listing may enqueue over a run (default 100,000).
func WithMaxFanout(n int) Option { return func(o *options) { o.maxFanout = n } }

// WithMaxPages bounds the pages of one listing (default 1,000,000): a
// connector whose page tokens never end fails the sync with
// ErrListingTooLong instead of running forever.
func WithMaxPages(n int) Option { return func(o *options) { o.maxPages = n } }

// WithMaxPageItems bounds the objects one page may hold (default 100,000,
// or 100 times the page size asked for): a connector that answers with a
// page of millions fails with ErrPageTooLarge instead of exhausting memory.
func WithMaxPageItems(n int) Option { return func(o *options) { o.maxPageItems = n } }

// checkPage refuses a page larger than the bound.
func (r *run) checkPage(a action, n int) error {
	limit := r.s.opts.maxPageItems
	if r.s.opts.pageSize > 0 {
		limit = min(limit, 100*r.s.opts.pageSize)
	}
	if n > limit {
		return fmt.Errorf("%w: %s returned %d on one page, at most %d", ErrPageTooLarge, a.what(), n, limit)
	}
	return nil
}

// batchSize is how many consecutive leaf actions of one op run as one
// batch, and how many resources a planner schedules per page.
const batchSize = 250

// New returns a Syncer.
func New(client contract.Client, store *c1z.Store, opts ...Option) *Syncer {
	o := options{workers: 1, checkpointEvery: 10 * time.Second, notFoundBudget: 100, maxFanout: 100_000, maxPages: 1_000_000, maxPageItems: 100_000}
	for _, opt := range opts {
		opt(&o)
	}
	o.retry = o.retry.withDefaults()
	if o.logger == nil {
		o.logger = slog.New(slog.DiscardHandler)
	}
	return &Syncer{client: client, store: store, opts: o, log: o.logger}
}

// Result describes a finished sync.
type Result struct {
	SyncID   string
	Type     c1z.SyncType
	Resumed  bool
	Stats    c1z.Stats
	Dropped  map[string]int // objects that failed validation, per kind
	NotFound int            // per-resource calls that answered NotFound
	// Unhandled counts protocol features the connector used that this
	// syncer does not act on, by name (see the package documentation).
	Unhandled map[string]int
	Expand    expand.Stats
	// External is what matching grants against an external sync file did
	// (WithExternalResources).
	External ExternalStats
	Duration time.Duration
}

func (s *Syncer) kind() c1z.SyncType {
	switch {
	case len(s.opts.targets) > 0:
		return c1z.SyncPartial
	case s.opts.resourcesOnly:
		return c1z.SyncResourcesOnly
	}
	return c1z.SyncFull
}

// initialState is the plan of a new sync, in Baton's order of execution:
// resource types, every resource, static entitlements, the entitlements of
// every resource, the grants of every resource, grant expansion. It is a
// stack, so it is pushed in reverse.
func (s *Syncer) initialState() *state {
	st := &state{Version: tokenVersion, Kind: string(s.kind())}
	if len(s.opts.targets) > 0 {
		var ts []action
		for _, t := range s.opts.targets {
			ts = append(ts, action{Op: opTarget, TypeID: t.GetResourceType(), ResourceID: t.GetResource()})
		}
		st.push(ts...)
		st.push(action{Op: opResourceTypes})
		return st
	}
	if !s.opts.resourcesOnly {
		if !s.opts.skipGrants {
			if !s.opts.noExpansion {
				st.push(action{Op: opExpand})
			}
			if s.opts.external != nil {
				st.push(action{Op: opExternal})
			}
			st.push(action{Op: opGrants})
		}
		st.push(action{Op: opEntitlements}, action{Op: opStatic})
	}
	st.push(action{Op: opResources}, action{Op: opResourceTypes})
	return st
}

// run is the state of one Run.
type run struct {
	s        *Syncer
	w        *c1z.SyncWriter // the sync this run writes
	st       *state
	typesMu  stdsync.RWMutex
	types    map[string]*connectorv2.ResourceType
	resCache stdsync.Map // leaf action id -> *connectorv2.Resource read by its planner
	children stdsync.Map // "child type|parent type|parent id" -> true: scheduled once per run
	dropped  stdsync.Map // kind -> *atomic.Int64
	notFound atomic.Int64
	proto    protocolLog
	fanout   fanoutGuard
	started  atomic.Int64 // steps started by this run, for StopAfter
	progress Progress
	pmu      stdsync.Mutex // guards progress counts updated by workers
	reportMu stdsync.Mutex // one progress callback at a time
	begun    time.Time
	ckMu     stdsync.Mutex
	lastCk   time.Time
	expand   expand.Stats
	external ExternalStats
}

// Run performs a sync, resuming an unfinished one of the same kind if the
// store has it.
func (s *Syncer) Run(ctx context.Context) (Result, error) {
	start := time.Now()
	kind := s.kind()
	r := &run{s: s, types: map[string]*connectorv2.ResourceType{}, begun: start}
	r.proto.log = s.log
	res := Result{Type: kind}

	// A connector that cannot reach its app gets no sync in the file (and
	// nothing to "resume" next time).
	if _, err := s.client.Validate(ctx, &connectorv2.ConnectorServiceValidateRequest{}); err != nil {
		return res, fmt.Errorf("connector failed validation: %w", err)
	}
	prev, err := s.store.UnfinishedSync(ctx, kind)
	switch {
	case err == nil:
		if r.w, err = s.store.ResumeSync(ctx, prev.ID); err != nil {
			return res, err
		}
		res.Resumed = true
		if prev.Token == "" {
			r.st = s.initialState()
		} else if r.st, err = parseState(prev.Token); err != nil {
			s.log.WarnContext(ctx, "cannot resume from the saved token; restarting this sync from the beginning", "sync_id", prev.ID, "error", err)
			r.st = s.initialState()
		}
		s.log.InfoContext(ctx, "resuming sync", "sync_id", prev.ID, "steps_done", r.st.Steps)
		if err := r.loadTypes(ctx); err != nil {
			return res, err
		}
	case errors.Is(err, c1z.ErrNoSync):
		parent := ""
		if kind == c1z.SyncPartial {
			if full, err := s.store.LatestFinishedSync(ctx, c1z.SyncFull); err == nil {
				parent = full.ID
			}
		}
		if r.w, err = s.store.StartSync(ctx, kind, parent); err != nil {
			return res, err
		}
		r.st = s.initialState()
		s.log.InfoContext(ctx, "sync started", "sync_id", r.w.ID, "type", kind)
	default:
		return res, err
	}
	res.SyncID = r.w.ID
	if h := s.opts.sessions; h != nil {
		h.Bind(s.store, r.w.ID)
		defer h.Unbind()
	}

	if err := r.checkpoint(ctx); err != nil {
		return res, err
	}
	// Every batch of rows the store commits carries the token too, so a
	// kill re-does at most one batch, not a checkpoint interval.
	ops := r.w.Syncer(syncwrite.Key{})
	ops.TrackToken(r.st.marshal)
	defer ops.TrackToken(nil)

	if err := r.loop(ctx); err != nil {
		if errors.Is(err, errStopped) || ctx.Err() != nil {
			return res, r.interrupt(err)
		}
		return res, fmt.Errorf("sync %s: %w", r.w.ID, err)
	}

	if _, err := s.client.Cleanup(ctx, &connectorv2.ConnectorServiceCleanupRequest{ActiveSyncId: r.w.ID}); err != nil && !isUnimplemented(err) {
		s.log.WarnContext(ctx, "connector cleanup failed", "error", err)
	}
	res.Unhandled = r.proto.counts()
	res.Dropped = map[string]int{}
	r.dropped.Range(func(k, v any) bool {
		res.Dropped[k.(string)] = int(v.(*atomic.Int64).Load())
		return true
	})
	res.External = r.external
	stats, err := r.w.End(ctx, c1z.WithUnhandled(res.Unhandled), c1z.WithDropped(res.Dropped), c1z.WithExternal(map[string]int{
		"principals": res.External.Principals, "grants": res.External.Grants, "matched": res.External.Matched, "unmatched": res.External.Unmatched}))
	if err != nil {
		return res, err
	}
	res.Stats, res.Expand, res.Duration = stats, r.expand, time.Since(start)
	res.NotFound = int(r.notFound.Load())
	for kind, n := range res.Dropped {
		s.log.WarnContext(ctx, "objects failed validation and were not stored", "kind", kind, "count", n)
	}
	r.progress.Phase, r.progress.Done = "done", true
	r.report()
	s.log.InfoContext(ctx, "sync finished", "sync_id", r.w.ID, "resources", stats.Resources, "entitlements", stats.Entitlements,
		"grants", stats.Grants, "of_which_expanded", res.Expand.Created, "duration", res.Duration)
	return res, nil
}

// loop runs the stack until it is empty. Planners, the resource type
// listing and expansion run alone; leaf listings run in batches of up to
// batchSize consecutive actions of one op, on the workers.
func (r *run) loop(ctx context.Context) error {
	current := ""
	for {
		top := r.st.top()
		if top == nil {
			return nil
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if top.Op != current {
			if current != "" {
				if err := r.checkpoint(ctx); err != nil {
					return err
				}
			}
			current = top.Op
			r.setPhase(phase(current))
			r.s.log.DebugContext(ctx, "sync phase", "phase", phase(current))
		}
		var err error
		switch {
		case top.Op == opExpand:
			if err = r.reserve(); err == nil {
				err = r.stepExpand(ctx, *top)
			}
		case top.Op == opExternal:
			if err = r.reserve(); err == nil {
				err = r.stepExternal(ctx, *top)
			}
		case top.planner():
			err = r.drain(ctx, *top, r.plan, nil)
		case top.Op == opResourceTypes:
			err = r.drain(ctx, *top, r.pageResourceTypes, nil)
		default:
			err = r.runBatch(ctx, top.Op, r.st.peek(top.Op, batchSize))
		}
		if err != nil {
			return fmt.Errorf("%s phase: %w", phase(current), err)
		}
		if err := r.maybeCheckpoint(ctx); err != nil {
			return err
		}
		r.report()
	}
}

// reserve counts a step about to start; StopAfter ends the run at its
// bound.
func (r *run) reserve() error {
	if n := r.s.opts.stopAfter; n > 0 && r.started.Add(1) > int64(n) {
		return fmt.Errorf("%w after %d steps", errStopped, n)
	}
	return nil
}

// errStopped ends a run that reached StopAfter.
var errStopped = errors.New("stopped")

func (r *run) setPhase(p string) {
	r.pmu.Lock()
	r.progress.Phase = p
	r.pmu.Unlock()
}

// checkpoint saves the resume token with every row written so far. Rows
// are put before the action that produced them advances, and the store
// commits buffered rows in the token's transaction, so a saved token is
// never ahead of the rows: workers may keep running while it is taken.
func (r *run) checkpoint(ctx context.Context) error {
	r.ckMu.Lock()
	defer r.ckMu.Unlock()
	tok, err := r.st.marshal()
	if err != nil {
		return err
	}
	if err := r.w.Checkpoint(ctx, tok); err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	r.lastCk = time.Now()
	return nil
}

// maybeCheckpoint saves the token when the interval has passed.
func (r *run) maybeCheckpoint(ctx context.Context) error {
	r.ckMu.Lock()
	due := time.Since(r.lastCk) >= r.s.opts.checkpointEvery
	r.ckMu.Unlock()
	if !due {
		return nil
	}
	return r.checkpoint(ctx)
}

// interrupt saves the state (the caller's context may be dead, so a short
// fresh one is used) and returns a resumable error.
func (r *run) interrupt(cause error) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := r.checkpoint(ctx); err != nil {
		return errors.Join(fmt.Errorf("%w: %w", ErrInterrupted, cause), err)
	}
	return fmt.Errorf("%w (sync %s): %w", ErrInterrupted, r.w.ID, cause)
}

// loadTypes restores resource types a resumed sync already stored.
func (r *run) loadTypes(ctx context.Context) error {
	_, err := r.storedTypes(ctx)
	return err
}

// storedTypes lists the sync's resource types in the order stored, and
// remembers them.
func (r *run) storedTypes(ctx context.Context) ([]*connectorv2.ResourceType, error) {
	var out []*connectorv2.ResourceType
	for rt, err := range r.s.store.ResourceTypes(ctx, r.w.ID) {
		if err != nil {
			return nil, err
		}
		out = append(out, rt)
	}
	r.typesMu.Lock()
	for _, rt := range out {
		r.types[rt.GetId()] = rt
	}
	r.typesMu.Unlock()
	return out, nil
}

func (r *run) resourceType(id string) *connectorv2.ResourceType {
	r.typesMu.RLock()
	defer r.typesMu.RUnlock()
	return r.types[id]
}

func (r *run) drop(kind string, obj string, err error) {
	v, loaded := r.dropped.LoadOrStore(kind, new(atomic.Int64))
	if v.(*atomic.Int64).Add(1) == 1 || !loaded {
		r.s.log.Warn("dropping an object that fails validation (further ones of this kind are only counted)", "kind", kind, "object", obj, "error", err)
	}
}
