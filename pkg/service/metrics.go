package service

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the worker's Prometheus series; with no registerer they
// are kept but not exported.
type metrics struct {
	tasks    *prometheus.CounterVec
	duration *prometheus.HistogramVec
	polls    *prometheus.CounterVec
	up       prometheus.Gauge
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		tasks: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "baton_service_tasks_total",
			Help: "Tasks run in service mode, by type and result (ok, error, left: stopped for a shutdown)."}, []string{"type", "result"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "baton_service_task_duration_seconds",
			Help: "How long tasks took, by type.", Buckets: prometheus.ExponentialBuckets(0.01, 4, 10)}, []string{"type"}),
		polls: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "baton_service_polls_total",
			Help: "Polls of the control plane for tasks, by result (ok, error)."}, []string{"result"}),
		up: prometheus.NewGauge(prometheus.GaugeOpts{Name: "baton_service_ready",
			Help: "1 while the worker is authenticated and polling."}),
	}
	if reg != nil {
		reg.MustRegister(m.tasks, m.duration, m.polls, m.up)
	}
	return m
}

func (m *metrics) task(typ, result string, d time.Duration) {
	m.tasks.WithLabelValues(typ, result).Inc()
	m.duration.WithLabelValues(typ).Observe(d.Seconds())
}

func (m *metrics) poll(err error) {
	if err != nil {
		m.polls.WithLabelValues("error").Inc()
		return
	}
	m.polls.WithLabelValues("ok").Inc()
}

func (m *metrics) ready(ok bool) {
	if ok {
		m.up.Set(1)
	} else {
		m.up.Set(0)
	}
}
