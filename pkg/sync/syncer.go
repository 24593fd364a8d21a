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
	"github.com/batonkit/batonkit/pkg/sync/expand"
)

// ErrInterrupted is returned when a sync stops before the end (its context
// was cancelled, or StopAfter was reached). Its state was checkpointed:
// running the same kind of sync on the same file resumes it.
var ErrInterrupted = errors.New("sync interrupted; run it again to resume")

// ErrPageTokenRepeated is returned when a connector answers a page with
// the token it was given, which would loop forever.
var ErrPageTokenRepeated = errors.New("connector returned the page token it was given")

// ErrTooManyNotFound is returned when more per-resource calls answered
// NotFound than the budget allows.
var ErrTooManyNotFound = errors.New("too many resources vanished during the sync")

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
	stopAfter       int
	progress        func(Progress)
	logger          *slog.Logger
	pageSize        int
}

// Option configures a Syncer.
type Option func(*options)

// WithWorkers sets how many resources have their entitlements and grants
// listed at once (default 1). The resulting file is the same for any value.
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

// New returns a Syncer.
func New(client contract.Client, store *c1z.Store, opts ...Option) *Syncer {
	o := options{workers: 1, checkpointEvery: 10 * time.Second, notFoundBudget: 100}
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
	Expand   expand.Stats
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

func (s *Syncer) initialState() *state {
	st := &state{Version: tokenVersion, Kind: string(s.kind())}
	switch {
	case len(s.opts.targets) > 0:
		a := action{Op: opTargets}
		for _, t := range s.opts.targets {
			a.Targets = append(a.Targets, *toRID(t))
		}
		st.push(a)
	default:
		if !s.opts.resourcesOnly && !s.opts.skipGrants {
			st.push(action{Op: opExpand})
		}
		st.push(action{Op: opResourceTypes})
	}
	return st
}

// run is the state of one Run.
type run struct {
	s        *Syncer
	syncID   string
	st       *state
	types    map[string]*connectorv2.ResourceType
	statics  stdsync.Map // type id -> []*connectorv2.Entitlement
	dropped  stdsync.Map // kind -> *atomic.Int64
	notFound atomic.Int64
	progress Progress
	pmu      stdsync.Mutex // guards progress counts updated by workers
	started  time.Time
	lastCk   time.Time
	expand   expand.Stats
}

// Run performs a sync, resuming an unfinished one of the same kind if the
// store has it.
func (s *Syncer) Run(ctx context.Context) (Result, error) {
	start := time.Now()
	kind := s.kind()
	r := &run{s: s, types: map[string]*connectorv2.ResourceType{}, started: start}
	res := Result{Type: kind}

	prev, err := s.store.UnfinishedSync(ctx, kind)
	switch {
	case err == nil:
		r.syncID = prev.ID
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
		sr, err := s.store.StartSync(ctx, kind, parent)
		if err != nil {
			return res, err
		}
		r.syncID = sr.ID
		r.st = s.initialState()
		s.log.InfoContext(ctx, "sync started", "sync_id", sr.ID, "type", kind)
	default:
		return res, err
	}
	res.SyncID = r.syncID

	if _, err := s.client.Validate(ctx, &connectorv2.ConnectorServiceValidateRequest{}); err != nil {
		return res, fmt.Errorf("connector failed validation: %w", err)
	}
	if err := r.checkpoint(ctx); err != nil {
		return res, err
	}

	steps := 0
	for r.st.top() != nil {
		if err := ctx.Err(); err != nil {
			return res, r.interrupt(err)
		}
		if s.opts.stopAfter > 0 && steps >= s.opts.stopAfter {
			return res, r.interrupt(fmt.Errorf("stopped after %d steps", steps))
		}
		op := r.st.top().Op
		if err := r.step(ctx); err != nil {
			if ctx.Err() != nil {
				return res, r.interrupt(ctx.Err())
			}
			return res, fmt.Errorf("sync %s: %w", r.syncID, err)
		}
		steps++
		r.st.Steps++
		next := r.st.top()
		if next == nil || next.Op != op || time.Since(r.lastCk) >= s.opts.checkpointEvery {
			if err := r.checkpoint(ctx); err != nil {
				return res, err
			}
		}
		r.report()
	}

	if _, err := s.client.Cleanup(ctx, &connectorv2.ConnectorServiceCleanupRequest{ActiveSyncId: r.syncID}); err != nil && !isUnimplemented(err) {
		s.log.WarnContext(ctx, "connector cleanup failed", "error", err)
	}
	stats, err := s.store.EndSync(ctx, r.syncID)
	if err != nil {
		return res, err
	}
	res.Stats, res.Expand, res.Duration = stats, r.expand, time.Since(start)
	res.NotFound = int(r.notFound.Load())
	res.Dropped = map[string]int{}
	r.dropped.Range(func(k, v any) bool {
		res.Dropped[k.(string)] = int(v.(*atomic.Int64).Load())
		return true
	})
	for kind, n := range res.Dropped {
		s.log.WarnContext(ctx, "objects failed validation and were not stored", "kind", kind, "count", n)
	}
	r.progress.Phase, r.progress.Done = "done", true
	r.report()
	s.log.InfoContext(ctx, "sync finished", "sync_id", r.syncID, "resources", stats.Resources, "entitlements", stats.Entitlements,
		"grants", stats.Grants, "duration", res.Duration)
	return res, nil
}

// checkpoint saves the resume token with every row written so far.
func (r *run) checkpoint(ctx context.Context) error {
	tok, err := r.st.marshal()
	if err != nil {
		return err
	}
	if err := r.s.store.Checkpoint(ctx, r.syncID, tok); err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	r.lastCk = time.Now()
	return nil
}

// interrupt saves the state (the caller's context may be dead, so a short
// fresh one is used) and returns a resumable error.
func (r *run) interrupt(cause error) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := r.checkpoint(ctx); err != nil {
		return errors.Join(fmt.Errorf("%w: %w", ErrInterrupted, cause), err)
	}
	return fmt.Errorf("%w (sync %s): %w", ErrInterrupted, r.syncID, cause)
}

// loadTypes restores resource types a resumed sync already stored.
func (r *run) loadTypes(ctx context.Context) error {
	for rt, err := range r.s.store.ResourceTypes(ctx, r.syncID) {
		if err != nil {
			return err
		}
		r.types[rt.GetId()] = rt
	}
	return nil
}

func (r *run) drop(kind string, obj string, err error) {
	v, loaded := r.dropped.LoadOrStore(kind, new(atomic.Int64))
	if v.(*atomic.Int64).Add(1) == 1 || !loaded {
		r.s.log.Warn("dropping an object that fails validation (further ones of this kind are only counted)", "kind", kind, "object", obj, "error", err)
	}
}
