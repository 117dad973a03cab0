package server

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/sluicehq/sluice/flows"
	"github.com/sluicehq/sluice/flows/state"
)

// Metrics are the server's Prometheus metrics, on their own registry (no
// global state: tests and several servers in one process do not clash).
type Metrics struct {
	Registry *prometheus.Registry
	// Executions counts ended executions by final state.
	Executions *prometheus.CounterVec
	// StartDelay is the delay between a task run's creation and its start
	// by a worker.
	StartDelay prometheus.Histogram
	// FlowTriggerDelay is the delay between an execution's end and the
	// creation of the execution a Flow trigger starts from it.
	FlowTriggerDelay prometheus.Histogram
	// Triggered counts executions created by triggers, by trigger type.
	Triggered *prometheus.CounterVec
	// HTTPRequests counts API requests by route and status class.
	HTTPRequests *prometheus.CounterVec
}

// NewMetrics registers the metrics on a new registry, with the Go runtime
// and process collectors.
func NewMetrics() *Metrics {
	reg := prometheus.NewRegistry()
	m := &Metrics{
		Registry: reg,
		Executions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sluice_executions_ended_total", Help: "Executions ended, by final state.",
		}, []string{"state"}),
		StartDelay: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "sluice_task_start_delay_seconds", Help: "Delay between a task run's creation and its start by a worker.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 16),
		}),
		FlowTriggerDelay: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "sluice_flow_trigger_delay_seconds", Help: "Delay between an execution's end and the creation of the execution its Flow triggers start.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 16),
		}),
		Triggered: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sluice_triggered_executions_total", Help: "Executions created by triggers, by trigger type.",
		}, []string{"type"}),
		HTTPRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sluice_http_requests_total", Help: "API requests by status code class.",
		}, []string{"code"}),
	}
	reg.MustRegister(m.Executions, m.StartDelay, m.FlowTriggerDelay, m.Triggered, m.HTTPRequests,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// watchEngine exports the engine's queue depth and the rows and bytes its
// tasks moved (the progress hub's totals).
func (m *Metrics) watchEngine(e *flows.Engine) {
	if e.Queue != nil {
		q := e.Queue
		m.Registry.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "sluice_queue_depth", Help: "Task runs waiting in the queue for a worker, due or not.",
		}, func() float64 { return float64(q.Len()) }))
	}
	if e.Progress != nil {
		h := e.Progress
		m.Registry.MustRegister(
			prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "sluice_rows_moved_total", Help: "Rows read or written by tasks."},
				func() float64 { r, _ := h.Totals(); return float64(r) }),
			prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "sluice_bytes_moved_total", Help: "Bytes read or written by tasks."},
				func() float64 { _, b := h.Totals(); return float64(b) }),
		)
	}
}

// ObserveStartDelay records a task start delay (the engine's StartDelay
// callback).
func (m *Metrics) ObserveStartDelay(d time.Duration) { m.StartDelay.Observe(d.Seconds()) }

func (s *Server) metricsHandler() http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		promhttp.HandlerFor(s.Metrics.Registry, promhttp.HandlerOpts{}).ServeHTTP(w, r)
	}
}

func (s *Server) health(w http.ResponseWriter, r *http.Request) error {
	status := map[string]any{"status": "UP"}
	if s.Flows != nil {
		// A read that finds nothing proves the database answers.
		if _, err := s.Flows.GetFlow(r.Context(), "", "", 0); err != nil && !errors.Is(err, state.ErrNotFound) {
			writeJSON(w, http.StatusServiceUnavailable, map[string]any{"status": "DOWN", "details": map[string]any{"state": "unreachable"}})
			return nil
		}
	}
	writeJSON(w, http.StatusOK, status)
	return nil
}

// activeCollector exports the executions that have not ended, by state,
// read from the repository at each scrape (the unfinished ones only, found
// through the state index: the cost is the number of running executions).
type activeCollector struct {
	repo state.Repository
	desc *prometheus.Desc
}

var activeStates = []state.State{state.Created, state.Queued, state.Running, state.Paused, state.Restarted, state.Killing, state.Retrying}

func (c *activeCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c *activeCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	list, err := c.repo.ListExecutions(ctx, state.Filter{States: activeStates})
	if err != nil {
		ch <- prometheus.NewInvalidMetric(c.desc, err)
		return
	}
	counts := map[state.State]int{}
	for _, ex := range list {
		counts[ex.State]++
	}
	for _, st := range activeStates {
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(counts[st]), string(st))
	}
}

func (m *Metrics) watchRepo(repo state.Repository) {
	m.Registry.MustRegister(&activeCollector{repo: repo, desc: prometheus.NewDesc(
		"sluice_executions", "Executions that have not ended, by state.", []string{"state"}, nil)})
}
