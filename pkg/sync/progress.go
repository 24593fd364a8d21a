package sync

import (
	"log/slog"
	"time"
)

// Progress is a snapshot of a running sync, delivered after every step,
// one call at a time (never concurrently).
// Counts are of objects written by this run (a resumed run starts at 0).
type Progress struct {
	SyncID        string
	Phase         string
	Steps         int
	ResourceTypes int
	Resources     int
	Entitlements  int
	Grants        int
	// Expanded counts the grants grant expansion created (a principal that
	// holds an entitlement only through a group), once it has run: the
	// file's grant count is Grants plus Expanded.
	Expanded int
	// Estimated adds up what connectors announced, with their fan-out
	// tokens (EnqueuePageTokens.estimated_total), is still to come.
	Estimated int
	// Unhandled counts uses of protocol features this syncer does not act
	// on (see Result.Unhandled).
	Unhandled int
	Elapsed   time.Duration
	Done      bool
}

// Rate is objects written per second so far.
func (p Progress) Rate() float64 {
	if p.Elapsed <= 0 {
		return 0
	}
	return float64(p.Resources+p.Entitlements+p.Grants) / p.Elapsed.Seconds()
}

// count adds n to a counter that workers update concurrently.
func (r *run) count(field *int, n int) {
	r.pmu.Lock()
	*field += n
	r.pmu.Unlock()
}

func (r *run) steps() int {
	r.st.mu.Lock()
	defer r.st.mu.Unlock()
	return r.st.Steps
}

func (r *run) report() {
	if r.s.opts.progress == nil {
		return
	}
	r.pmu.Lock()
	p := r.progress
	r.pmu.Unlock()
	p.SyncID, p.Steps = r.w.ID, r.steps()
	for _, n := range r.proto.counts() {
		p.Unhandled += n
	}
	p.Elapsed = time.Since(r.begun)
	// Workers report too; the callback sees one report at a time.
	r.reportMu.Lock()
	defer r.reportMu.Unlock()
	r.s.opts.progress(p)
}

// LogProgress returns a WithProgress callback that logs a line at most
// every interval, and always the last one: progress for runs whose output
// is not a terminal (cron, containers, CI).
func LogProgress(log *slog.Logger, every time.Duration) func(Progress) {
	var last time.Time
	return func(p Progress) {
		if !p.Done && time.Since(last) < every {
			return
		}
		last = time.Now()
		log.Info("sync progress", "phase", p.Phase, "steps", p.Steps, "resources", p.Resources,
			"entitlements", p.Entitlements, "grants", p.Grants, "expanded_grants", p.Expanded, "objects_per_second", int(p.Rate()), "elapsed", p.Elapsed.Round(time.Millisecond))
	}
}
