package service

import (
	"cmp"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/oauth2"
	"google.golang.org/grpc"
	"google.golang.org/grpc/backoff"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/status"

	"github.com/batonkit/batonkit/internal/safefs"
	batonv1 "github.com/batonkit/batonkit/pb/c1/connectorapi/baton/v1"
	"github.com/batonkit/batonkit/pkg/contract"
	bsync "github.com/batonkit/batonkit/pkg/sync"
)

// Limits the control plane's hints are held to, as Baton's service mode
// holds them.
const (
	maxPoll            = 5 * time.Minute
	minHeartbeat       = time.Second
	maxHeartbeat       = 5 * time.Minute
	defaultHeartbeat   = 30 * time.Second
	idlePoll           = 100 * time.Millisecond // the least wait after an empty poll
	maxHeartbeatMisses = 10
)

// Options configure a Worker.
type Options struct {
	// ClientID and ClientSecret are the service-mode client ConductorOne
	// issued (BATON_CLIENT_ID, BATON_CLIENT_SECRET).
	ClientID, ClientSecret string
	// APIHost is host[:port] of the control plane's API and token
	// endpoint; default the tenant host the client id names, port 443.
	APIHost string
	// HostID names this host to the control plane; default the hostname.
	HostID string
	// TLS is the client TLS configuration; nil trusts the system's roots.
	// TLS 1.2 is the least version either way.
	TLS *tls.Config
	// Dir holds the files of sync tasks while they run (a sync stopped by
	// a shutdown resumes from its file when the task comes back).
	Dir string
	// Concurrency is how many tasks run at once (default 1). Sync tasks
	// still run one at a time.
	Concurrency int
	// Version is the connector's version, sent in the hello and the
	// user agent.
	Version string
	// SyncOptions apply to every sync task (workers, sessions, logger).
	SyncOptions []bsync.Option
	// Logger receives the worker's log lines (default: discarded).
	Logger *slog.Logger
	// Registerer, when set, receives the worker's Prometheus metrics.
	Registerer prometheus.Registerer
	// MinBackoff and MaxBackoff bound the waits between retries of a
	// failing call (default 1s and 1m).
	MinBackoff, MaxBackoff time.Duration
	// Provisioning lets tasks change the application (grant, revoke,
	// accounts, resources, credentials), as the operator's --provisioning
	// flag says. Without it such a task finishes, not retried, with
	// FailedPrecondition "provisioning is not enabled", as Baton's does:
	// a control plane changes only an app the operator opened to it.
	Provisioning bool
	// KeepSyncs is how many synced files stay in Dir after their upload
	// (sync-<task id>.c1z, compacted-<sync id>.c1z), newest first, for
	// the compact_syncs and create_sync_diff tasks to work on. With 0,
	// the default, files are removed once uploaded and those tasks
	// finish FailedPrecondition, not retried.
	KeepSyncs int
}

// Worker takes tasks from a control plane and runs them against one
// connector.
type Worker struct {
	opts   Options
	creds  *Credentials
	client contract.Client
	api    batonv1.BatonServiceClient
	conn   *grpc.ClientConn
	addr   string
	hostID string
	log    *slog.Logger
	m      *metrics

	syncSlot chan struct{} // held by the running sync task
	ready    atomic.Bool

	mu        sync.Mutex
	pending   []*batonv1.Task
	running   map[string]bool
	nextPoll  time.Time
	heartbeat time.Duration
	single    bool // the control plane has no GetTasks: poll with GetTask
}

// New checks the credentials and prepares the connection (it does not
// connect yet: Run does, and retries while the control plane is away).
func New(client contract.Client, opts Options) (*Worker, error) {
	creds, err := ParseCredentials(opts.ClientID, opts.ClientSecret)
	if err != nil {
		return nil, err
	}
	if opts.Dir == "" {
		return nil, errors.New("service mode needs a directory for sync files")
	}
	if err := safefs.EnsurePrivateDir(opts.Dir); err != nil {
		return nil, fmt.Errorf("service mode directory: %w", err)
	}
	opts.Concurrency = max(1, opts.Concurrency)
	opts.MinBackoff = cmp.Or(opts.MinBackoff, time.Second)
	opts.MaxBackoff = cmp.Or(opts.MaxBackoff, time.Minute)
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	hostID := opts.HostID
	if hostID == "" {
		hostID, _ = os.Hostname()
	}
	hostID = cmp.Or(truncate(hostID), "batonkit")
	apiHost := cmp.Or(opts.APIHost, creds.TenantHost)
	addr := apiHost
	if _, _, err := net.SplitHostPort(apiHost); err != nil {
		addr = net.JoinHostPort(apiHost, "443")
	}
	tlsConfig := &tls.Config{MinVersion: tls.VersionTLS12}
	if opts.TLS != nil {
		tlsConfig = opts.TLS.Clone()
		tlsConfig.MinVersion = max(tlsConfig.MinVersion, tls.VersionTLS12)
	}
	agent := fmt.Sprintf("%s batonkit/%s", creds.Name, cmp.Or(opts.Version, "dev"))
	tokens := bearer{oauth2.ReuseTokenSource(nil, newTokenSource(creds, addr, tlsConfig, agent))}
	conn, err := grpc.NewClient(addr,
		grpc.WithTransportCredentials(credentials.NewTLS(tlsConfig)),
		grpc.WithPerRPCCredentials(tokens),
		grpc.WithUserAgent(agent),
		// Reconnect at the pace of our own retries, so a control plane
		// back from a restart is found within MaxBackoff, not gRPC's 2m.
		grpc.WithConnectParams(grpc.ConnectParams{MinConnectTimeout: 20 * time.Second,
			Backoff: backoff.Config{BaseDelay: opts.MinBackoff, Multiplier: 1.6, Jitter: 0.2, MaxDelay: opts.MaxBackoff}}))
	if err != nil {
		return nil, fmt.Errorf("control plane %s: %w", addr, err)
	}
	w := &Worker{opts: opts, creds: creds, client: client, api: batonv1.NewBatonServiceClient(conn), conn: conn, addr: addr,
		hostID: hostID, log: opts.Logger.With("control_plane", addr), syncSlot: make(chan struct{}, 1),
		running: map[string]bool{}, heartbeat: defaultHeartbeat}
	w.m = newMetrics(opts.Registerer)
	return w, nil
}

// Ready reports whether the worker is authenticated and polling: its
// hello went through and its last poll did.
func (w *Worker) Ready() bool { return w.ready.Load() }

// Run says hello, then polls for tasks and runs them until ctx ends. It
// returns an error only when it cannot start (the control plane refused
// the credentials or the hello); a control plane that goes away is
// waited for. When ctx ends, running tasks get to finish (a sync stops at
// its next checkpoint and is left to resume) and Run returns nil.
func (w *Worker) Run(ctx context.Context) error {
	defer w.conn.Close()
	w.log.Info("service mode: starting", "client", w.creds, "host_id", w.hostID, "concurrency", w.opts.Concurrency)
	if err := w.retry(ctx, "hello", func() error { return w.hello(ctx, "") }); err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return fmt.Errorf("service mode: hello to %s: %w", w.addr, explain(err))
	}
	w.setReady(true)
	w.log.Info("service mode: polling for tasks")

	slots := make(chan struct{}, w.opts.Concurrency)
	var tasks sync.WaitGroup
	defer tasks.Wait()
	failures := 0
	for {
		select {
		case slots <- struct{}{}:
		case <-ctx.Done():
			w.log.Info("service mode: stopping; waiting for running tasks")
			return nil
		}
		task, wait, err := w.next(ctx)
		switch {
		case err != nil && ctx.Err() == nil:
			<-slots
			failures++
			w.setReady(false)
			wait = w.backoff(failures)
			w.log.Warn("service mode: poll failed; retrying", "error", err, "failures", failures, "retry_in", wait)
		case task != nil:
			failures = 0
			w.setReady(true)
			tasks.Add(1)
			go func() {
				defer tasks.Done()
				defer func() { <-slots }()
				w.process(ctx, task)
			}()
			continue
		default:
			<-slots
			if err == nil {
				failures = 0
				w.setReady(true)
			}
		}
		if !sleep(ctx, wait) {
			w.log.Info("service mode: stopping; waiting for running tasks")
			return nil
		}
	}
}

func (w *Worker) setReady(ok bool) {
	w.ready.Store(ok)
	w.m.ready(ok)
}

// next returns a queued task, or polls for more when the control plane
// said it may be asked again; with nothing to do it says how long to wait.
func (w *Worker) next(ctx context.Context) (*batonv1.Task, time.Duration, error) {
	if t := w.take(); t != nil {
		return t, 0, nil
	}
	w.mu.Lock()
	wait := time.Until(w.nextPoll)
	known := w.knownLocked()
	single := w.single
	w.mu.Unlock()
	if wait > 0 {
		return nil, wait, nil
	}
	tasks, poll, heartbeat, err := w.poll(ctx, known, single)
	w.m.poll(err)
	if err != nil {
		return nil, 0, err
	}
	w.mu.Lock()
	w.nextPoll = time.Now().Add(min(max(poll, 0), maxPoll))
	w.heartbeat = clampHeartbeat(heartbeat)
	for _, t := range tasks {
		id := t.GetId()
		if t.GetNone() != nil || w.running[id] || w.queuedLocked(id) {
			continue
		}
		w.pending = append(w.pending, t)
	}
	w.mu.Unlock()
	if t := w.take(); t != nil {
		return t, 0, nil
	}
	return nil, max(poll, idlePoll), nil
}

// poll asks for tasks: GetTasks, skipping those held, or GetTask against
// a control plane without GetTasks.
func (w *Worker) poll(ctx context.Context, known []string, single bool) ([]*batonv1.Task, time.Duration, time.Duration, error) {
	if !single {
		size := min(100, max(1, 2*w.opts.Concurrency-len(known)))
		resp, err := w.api.GetTasks(ctx, &batonv1.BatonServiceGetTasksRequest{HostId: w.hostID, PageSize: uint32(size), KnownTaskIds: known})
		if status.Code(err) != codes.Unimplemented {
			if err != nil {
				return nil, 0, 0, err
			}
			return resp.GetTasks(), resp.GetNextPoll().AsDuration(), resp.GetNextHeartbeat().AsDuration(), nil
		}
		w.log.Info("service mode: the control plane has no GetTasks; polling one task at a time")
		w.mu.Lock()
		w.single = true
		w.mu.Unlock()
	}
	resp, err := w.api.GetTask(ctx, &batonv1.BatonServiceGetTaskRequest{HostId: w.hostID})
	if err != nil {
		return nil, 0, 0, err
	}
	var tasks []*batonv1.Task
	if resp.GetTask() != nil {
		tasks = append(tasks, resp.GetTask())
	}
	return tasks, resp.GetNextPoll().AsDuration(), resp.GetNextHeartbeat().AsDuration(), nil
}

// take moves the first queued task to running.
func (w *Worker) take() *batonv1.Task {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.pending) == 0 {
		return nil
	}
	t := w.pending[0]
	w.pending = w.pending[1:]
	w.running[t.GetId()] = true
	return t
}

func (w *Worker) done(t *batonv1.Task) {
	w.mu.Lock()
	delete(w.running, t.GetId())
	w.mu.Unlock()
}

// knownLocked lists the tasks held, queued or running, in the id form the
// contract accepts (others would fail the request's validation).
func (w *Worker) knownLocked() []string {
	ids := make([]string, 0, len(w.pending)+len(w.running))
	for _, t := range w.pending {
		if isKSUID(t.GetId()) {
			ids = append(ids, t.GetId())
		}
	}
	for id := range w.running {
		if isKSUID(id) {
			ids = append(ids, id)
		}
	}
	return ids
}

func (w *Worker) queuedLocked(id string) bool {
	for _, t := range w.pending {
		if t.GetId() == id {
			return true
		}
	}
	return false
}

func (w *Worker) heartbeatEvery() time.Duration {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.heartbeat
}

func clampHeartbeat(d time.Duration) time.Duration {
	if d == 0 {
		return defaultHeartbeat
	}
	return min(max(d, minHeartbeat), maxHeartbeat)
}

// retry calls fn until it succeeds, ctx ends, or it fails in a way a retry
// cannot fix.
func (w *Worker) retry(ctx context.Context, what string, fn func() error) error {
	for attempt := 1; ; attempt++ {
		err := fn()
		if err == nil && attempt > 1 {
			w.setReady(true)
		}
		if err == nil || !transient(err) || ctx.Err() != nil {
			return err
		}
		w.setReady(false)
		wait := w.backoff(attempt)
		w.log.Warn("service mode: "+what+" failed; retrying", "error", err, "attempt", attempt, "retry_in", wait)
		if !sleep(ctx, wait) {
			return err
		}
	}
}

// backoff doubles from MinBackoff to MaxBackoff.
func (w *Worker) backoff(attempt int) time.Duration {
	d := w.opts.MinBackoff
	for i := 1; i < attempt && d < w.opts.MaxBackoff; i++ {
		d *= 2
	}
	return min(d, w.opts.MaxBackoff)
}

// transient says whether a call that failed with err may work later:
// the control plane was unreachable, overloaded or timed out. Refusals
// (credentials, a malformed request, a missing method) are final.
func transient(err error) bool {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	switch status.Code(err) {
	case codes.Unauthenticated, codes.PermissionDenied, codes.InvalidArgument, codes.Unimplemented,
		codes.FailedPrecondition, codes.NotFound, codes.AlreadyExists, codes.OutOfRange:
		return false
	}
	return true
}

// explain adds ErrUnauthenticated to a refusal of the credentials, for
// callers to test with errors.Is.
func explain(err error) error {
	if status.Code(err) == codes.Unauthenticated {
		return fmt.Errorf("%w (%s)", ErrUnauthenticated, status.Convert(err).Message())
	}
	return err
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

func isKSUID(id string) bool {
	if len(id) != 27 {
		return false
	}
	for _, c := range id {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z') {
			return false
		}
	}
	return true
}
