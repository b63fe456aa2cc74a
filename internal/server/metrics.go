package server

import (
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/steleaudit/stele/internal/ledger"
)

// Metrics are what /metrics serves: ingest, the sequencer's batches and
// queue, and HTTP latencies by route.
type Metrics struct {
	reg       *prometheus.Registry
	events    prometheus.Counter
	batches   *prometheus.CounterVec
	batchSize prometheus.Histogram
	commit    prometheus.Histogram
	http      *prometheus.HistogramVec
	queueOnce sync.Once
}

// NewMetrics returns an empty set of metrics.
func NewMetrics() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		events: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "stele_events_appended_total",
			Help: "Events appended to logs (duplicates not counted).",
		}),
		batches: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "stele_batches_total",
			Help: "Batch transactions of the sequencer, by result.",
		}, []string{"result"}),
		batchSize: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "stele_batch_events",
			Help:    "Events appended per batch transaction.",
			Buckets: prometheus.ExponentialBuckets(1, 4, 8), // 1 .. 16384
		}),
		commit: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "stele_commit_seconds",
			Help:    "Time from the start of a batch transaction to its durable commit.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14), // 0.5 ms .. 4 s
		}),
		http: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "stele_http_request_seconds",
			Help:    "HTTP request latency, by route and status code.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14),
		}, []string{"route", "code"}),
	}
	m.reg.MustRegister(m.events, m.batches, m.batchSize, m.commit, m.http,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// ObserveCommit records one batch transaction; it is the ledger's
// Config.OnCommit.
func (m *Metrics) ObserveCommit(c ledger.CommitStats) {
	if c.Err != nil {
		m.batches.WithLabelValues("failed").Inc()
		return
	}
	m.batches.WithLabelValues("committed").Inc()
	m.events.Add(float64(c.Events))
	if c.Requests > 0 {
		m.batchSize.Observe(float64(c.Events))
	}
	m.commit.Observe(c.Duration.Seconds())
}

// watchQueue exports l's queue depth.
func (m *Metrics) watchQueue(l *ledger.Ledger) {
	m.queueOnce.Do(func() {
		m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "stele_sequencer_queue_depth",
			Help: "Appends waiting for the sequencer.",
		}, func() float64 { return float64(l.QueueDepth()) }))
	})
}

func (m *Metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// observe records one HTTP request to route.
func (m *Metrics) observe(route string, code int, d time.Duration) {
	m.http.WithLabelValues(route, strconv.Itoa(code)).Observe(d.Seconds())
}
