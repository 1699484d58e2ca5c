package bot

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tsunagu/tsunagu/storage"
)

// Metrics counts what the bot does, for Prometheus. A nil *Metrics counts
// nothing, so tests and CLI commands can leave it out.
type Metrics struct {
	events     *prometheus.CounterVec
	dispatched *prometheus.CounterVec
	timers     *prometheus.CounterVec
	ended      *prometheus.CounterVec
	delivered  *prometheus.CounterVec
	alerts     *prometheus.CounterVec
}

// NewMetrics registers the bot's metrics with reg, and gauges of the
// queues in store that are read when scraped.
func NewMetrics(reg prometheus.Registerer, store *storage.Store) *Metrics {
	m := &Metrics{
		events: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tsunagu_events_total", Help: "LINE events handled, by kind and outcome.",
		}, []string{"kind", "outcome"}),
		dispatched: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tsunagu_dispatch_members_total", Help: "Members considered by dispatches, by outcome (started, over quota, paused, ...).",
		}, []string{"outcome"}),
		timers: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tsunagu_timers_total", Help: "Reminders and expiries that came due, by kind and outcome.",
		}, []string{"kind", "outcome"}),
		ended: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tsunagu_sessions_ended_total", Help: "Sessions ended, by status (completed, missed).",
		}, []string{"status"}),
		delivered: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tsunagu_deliveries_total", Help: "LINE deliveries, by how (reply, push) and result (ok, failed).",
		}, []string{"by", "result"}),
		alerts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tsunagu_alerts_total", Help: "Alerts raised, by severity.",
		}, []string{"severity"}),
	}
	reg.MustRegister(m.events, m.dispatched, m.timers, m.ended, m.delivered, m.alerts)
	queue := func(name, help string, n func(context.Context) (int64, error)) {
		reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, func() float64 {
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			defer cancel()
			v, err := n(ctx)
			if err != nil {
				return -1
			}
			return float64(v)
		}))
	}
	queue("tsunagu_line_outbox_pending", "LINE deliveries not yet done.", store.LineOutbox().Len)
	queue("tsunagu_slack_outbox_pending", "Slack posts not yet done.", store.SlackOutbox().Len)
	queue("tsunagu_timers_pending", "Reminders, expiries and dispatches not yet forwarded to the workers.", store.PendingTimers)
	queue("tsunagu_timers_held", "Pushes (reminders, dispatches) that are due but held back by quiet hours.", func(ctx context.Context) (int64, error) {
		return store.HeldTimers(ctx, time.Now())
	})
	return m
}

func (m *Metrics) event(kind, outcome string) {
	if m != nil {
		m.events.WithLabelValues(kind, outcome).Inc()
	}
}

func (m *Metrics) dispatch(counts map[string]int) {
	if m != nil {
		for o, n := range counts {
			m.dispatched.WithLabelValues(o).Add(float64(n))
		}
	}
}

// Job counts a job done, by kind and what it did.
func (m *Metrics) Job(kind, outcome string) {
	if m != nil {
		m.timers.WithLabelValues(kind, outcome).Inc()
	}
}

func (m *Metrics) sessionEnded(status string) {
	if m != nil {
		m.ended.WithLabelValues(status).Inc()
	}
}

// Delivery counts a message delivered by "reply" or "push": delivery.Metrics.
func (m *Metrics) Delivery(by, result string) {
	if m != nil {
		m.delivered.WithLabelValues(by, result).Inc()
	}
}

func (m *Metrics) alert(severity string) {
	if m != nil {
		m.alerts.WithLabelValues(severity).Inc()
	}
}
