package runner

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/robfig/cron/v3"

	"github.com/batonkit/batonkit/internal/safetext"
	bsync "github.com/batonkit/batonkit/pkg/sync"
)

// Scheduled mode: with --interval or --schedule the process stays up and
// syncs on schedule, one sync at a time (a run that overruns its slot
// delays the next, never overlaps it). --health-addr serves /healthz
// (the process is alive), /readyz (the last sync's outcome as JSON; 503
// after --unready-after consecutive failures) and /metrics (Prometheus).
// SIGTERM interrupts a running sync at its next checkpoint, saves it and
// exits 0; the next start resumes it.

// schedule says when the next sync starts after one that started at t.
type schedule func(t time.Time) time.Time

func (e *environment) schedule() (schedule, error) {
	every, spec := e.cfg.Duration("interval"), e.cfg.String("schedule")
	switch {
	case every > 0 && spec != "":
		return nil, usageErr{errors.New("--interval and --schedule do not go together")}
	case every > 0:
		return func(t time.Time) time.Time { return t.Add(every) }, nil
	case spec != "":
		s, err := cron.ParseStandard(spec)
		if err != nil {
			return nil, usageErr{fmt.Errorf("--schedule %q: %w (five fields: minute hour day-of-month month day-of-week, or @hourly, @every 30m)", spec, err)}
		}
		return s.Next, nil
	}
	return nil, nil
}

// status is what /readyz reports.
type status struct {
	mu                  sync.Mutex
	State               string    `json:"state"` // starting, syncing, ok, failed
	LastStart           time.Time `json:"last_start,omitzero"`
	LastEnd             time.Time `json:"last_end,omitzero"`
	LastDurationSeconds float64   `json:"last_duration_seconds,omitempty"`
	LastError           string    `json:"last_error,omitempty"`
	LastSuccess         time.Time `json:"last_success,omitzero"`
	ConsecutiveFailures int       `json:"consecutive_failures"`
	NextSync            time.Time `json:"next_sync,omitzero"`
}

// metrics are the Prometheus series of scheduled mode, in a registry of
// their own (no global state).
type metrics struct {
	reg         *prometheus.Registry
	duration    prometheus.Histogram
	syncs       *prometheus.CounterVec
	objects     *prometheus.GaugeVec
	lastSuccess prometheus.Gauge
}

func newMetrics() *metrics {
	m := &metrics{reg: prometheus.NewRegistry(),
		duration: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "baton_sync_duration_seconds", Help: "How long each sync took.",
			Buckets: prometheus.ExponentialBuckets(1, 2, 14)}),
		syncs:       prometheus.NewCounterVec(prometheus.CounterOpts{Name: "baton_syncs_total", Help: "Syncs run, by result (ok, error)."}, []string{"result"}),
		objects:     prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "baton_sync_objects", Help: "Objects in the last successful sync, by kind."}, []string{"kind"}),
		lastSuccess: prometheus.NewGauge(prometheus.GaugeOpts{Name: "baton_sync_last_success_timestamp_seconds", Help: "When the last successful sync ended (Unix time)."}),
	}
	m.reg.MustRegister(m.duration, m.syncs, m.objects, m.lastSuccess)
	return m
}

// serveHealth starts the health server; it stops when ctx ends. ready
// answers /readyz: a JSON body and whether the process is ready.
func (e *environment) serveHealth(ctx context.Context, addr string, ready func() ([]byte, bool), reg *prometheus.Registry) error {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("--health-addr %s: %w", addr, err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("ok\n")) })
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		b, ok := ready()
		w.Header().Set("Content-Type", "application/json")
		if !ok {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
		w.Write(append(b, '\n'))
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(l)
	go func() {
		<-ctx.Done()
		shut, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		srv.Shutdown(shut)
	}()
	e.log.Info("health server listening", "addr", l.Addr().String())
	return nil
}

// scheduled runs sync on schedule until ctx ends.
func (e *environment) scheduled(ctx context.Context, next schedule, sync func(context.Context) (bsync.Result, error)) error {
	st := &status{State: "starting"}
	m := newMetrics()
	if addr := e.cfg.String("health-addr"); addr != "" {
		unreadyAfter := max(1, e.cfg.Int("unready-after"))
		ready := func() ([]byte, bool) {
			st.mu.Lock()
			defer st.mu.Unlock()
			b, _ := json.Marshal(st)
			return b, st.ConsecutiveFailures < unreadyAfter
		}
		if err := e.serveHealth(ctx, addr, ready, m.reg); err != nil {
			return err
		}
	}
	for {
		start := time.Now()
		st.mu.Lock()
		st.State, st.LastStart = "syncing", start
		st.mu.Unlock()
		res, err := sync(ctx)
		end := time.Now()
		if errors.Is(err, bsync.ErrInterrupted) && ctx.Err() != nil {
			e.log.Info("stopped; the interrupted sync resumes on the next start")
			return nil
		}
		st.mu.Lock()
		st.LastEnd, st.LastDurationSeconds = end, end.Sub(start).Seconds()
		m.duration.Observe(end.Sub(start).Seconds())
		if err != nil {
			st.State, st.LastError = "failed", safetext.Error(err)
			st.ConsecutiveFailures++
			m.syncs.WithLabelValues("error").Inc()
			e.log.Error("sync failed", "error", err, "consecutive_failures", st.ConsecutiveFailures)
		} else {
			st.State, st.LastError, st.ConsecutiveFailures, st.LastSuccess = "ok", "", 0, end
			m.syncs.WithLabelValues("ok").Inc()
			m.lastSuccess.Set(float64(end.Unix()))
			m.objects.WithLabelValues("resources").Set(float64(res.Stats.Resources))
			m.objects.WithLabelValues("entitlements").Set(float64(res.Stats.Entitlements))
			m.objects.WithLabelValues("grants").Set(float64(res.Stats.Grants))
		}
		at := next(start)
		if at.Before(end) {
			at = end // a sync that overran its slot: the next starts now, never alongside
		}
		st.NextSync = at
		st.mu.Unlock()
		e.log.Info("next sync", "at", at.Format(time.RFC3339), "in", time.Until(at).Round(time.Second))
		select {
		case <-ctx.Done():
			e.log.Info("stopped")
			return nil
		case <-time.After(time.Until(at)):
		}
	}
}
