// Package metrics owns orderhub's Prometheus metrics: one Metrics value per
// running app, holding its own registry (never the global default one, so
// parallel tests and several apps in one process do not collide), with a
// typed method for every measurement the other packages report.
//
// Every method is safe on a nil *Metrics and then does nothing, so a part
// that was not given metrics needs no checks. The package must not decide
// anything: it counts what it is told, and a background refresh (Refresh,
// RunRefresh) asks the sources it was given (the job queue, the dead
// letters) for their current numbers. A scrape only reads memory: it never
// reaches the database, so scraping often, or by anyone, costs the
// database nothing.
package metrics

import (
	"context"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Namespace prefixes every orderhub metric.
const Namespace = "orderhub"

// refreshTimeout bounds how long a refresh waits for one source's numbers.
const refreshTimeout = 5 * time.Second

// scrapeTimeout bounds a scrape, which reads only memory.
const scrapeTimeout = 5 * time.Second

// Metrics is one app's collectors and their registry.
type Metrics struct {
	reg *prometheus.Registry

	webhooksReceived  *prometheus.CounterVec
	webhooksRejected  *prometheus.CounterVec
	webhooksDuplicate *prometheus.CounterVec
	ingestLatency     prometheus.Histogram
	routingLatency    prometheus.Histogram
	writeBackFailures *prometheus.CounterVec
	stuckOrders       prometheus.Gauge
	stuckChecks       *prometheus.CounterVec
	alertsSent        prometheus.Counter
	refreshFailures   *prometheus.CounterVec
	refreshed         *prometheus.GaugeVec

	mu          sync.Mutex // guards the sources
	deadSources map[string]DeadLetterCounter
	queue       QueueStats
	refreshing  sync.Mutex // one refresh at a time
	snap        *snapshot
}

// New returns a Metrics with its own registry, holding orderhub's
// collectors plus the Go runtime and process collectors.
func New() *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry(), deadSources: map[string]DeadLetterCounter{}, snap: newSnapshot()}
	m.webhooksReceived = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: Namespace, Name: "webhooks_received_total",
		Help: "Webhook deliveries received, per platform, before verification.",
	}, []string{"platform"})
	m.webhooksRejected = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: Namespace, Name: "webhooks_rejected_total",
		Help: "Webhook deliveries rejected, per platform and reason (signature, too_large, malformed, unknown_id, internal).",
	}, []string{"platform", "reason"})
	m.webhooksDuplicate = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: Namespace, Name: "webhooks_duplicate_total",
		Help: "Webhook deliveries acknowledged as duplicates of one already stored, per platform.",
	}, []string{"platform"})
	m.ingestLatency = prometheus.NewHistogram(prometheus.HistogramOpts{
		Namespace: Namespace, Name: "ingest_duration_seconds",
		Help:    "Time from a webhook's arrival to its acknowledgement: verify, dedupe, durable store, enqueue.",
		Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
	})
	m.routingLatency = prometheus.NewHistogram(prometheus.HistogramOpts{
		Namespace: Namespace, Name: "routing_duration_seconds",
		Help:    "Time to route one order: plan, reserve and store fulfillments and backorders.",
		Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
	})
	m.writeBackFailures = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: Namespace, Name: "writeback_failures_total",
		Help: "Write-backs of fulfillments, tracking or notes that failed for good (after their last retry), per platform.",
	}, []string{"platform"})
	m.stuckOrders = prometheus.NewGauge(prometheus.GaugeOpts{
		Namespace: Namespace, Name: "stuck_orders",
		Help: "Orders in awaiting_fulfillment for longer than alerts.stuck_after, as of the last check.",
	})
	m.stuckChecks = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: Namespace, Name: "stuck_order_checks_total",
		Help: "Runs of the stuck-order check, by result (ok, error).",
	}, []string{"result"})
	m.alertsSent = prometheus.NewCounter(prometheus.CounterOpts{
		Namespace: Namespace, Name: "stuck_order_alerts_sent_total",
		Help: "Stuck-order alerts delivered to alerts.webhook_url.",
	})
	m.refreshFailures = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: Namespace, Name: "metrics_refresh_failures_total",
		Help: "Refreshes of the gauges read from the database (dead letters, jobs, queue depth) that failed, per source; the gauge keeps its last numbers.",
	}, []string{"source"})
	m.refreshed = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Namespace: Namespace, Name: "metrics_refreshed_timestamp_seconds",
		Help: "When each source of the gauges read from the database was last read successfully, in Unix seconds.",
	}, []string{"source"})
	m.reg.MustRegister(m.webhooksReceived, m.webhooksRejected, m.webhooksDuplicate, m.ingestLatency,
		m.routingLatency, m.writeBackFailures, m.stuckOrders, m.stuckChecks, m.alertsSent,
		m.refreshFailures, m.refreshed, m.snap,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Registry returns the registry, for registering more collectors and for
// tests that gather it.
func (m *Metrics) Registry() *prometheus.Registry {
	if m == nil {
		return nil
	}
	return m.reg
}

// Handler serves the registry in the Prometheus exposition format. It
// reads only memory; wrap it in RequireToken to ask for a bearer token.
func (m *Metrics) Handler(logger *slog.Logger) http.Handler {
	// A collector that cannot answer must not hide every other metric, so
	// a scrape reports what it could gather.
	opts := promhttp.HandlerOpts{Registry: m.reg, Timeout: scrapeTimeout, ErrorHandling: promhttp.ContinueOnError}
	if logger != nil {
		opts.ErrorLog = slogPrinter{logger}
	}
	return promhttp.HandlerFor(m.reg, opts)
}

type slogPrinter struct{ l *slog.Logger }

func (p slogPrinter) Println(v ...any) { p.l.Warn("metrics", "err", v) }

// WebhookReceived counts a webhook delivery from platform.
func (m *Metrics) WebhookReceived(platform string) {
	if m != nil {
		m.webhooksReceived.WithLabelValues(platform).Inc()
	}
}

// WebhookRejected counts a rejected delivery and why, e.g. "signature",
// "too_large", "malformed", "unknown_id".
func (m *Metrics) WebhookRejected(platform, reason string) {
	if m != nil {
		m.webhooksRejected.WithLabelValues(platform, reason).Inc()
	}
}

// WebhookDuplicate counts a delivery acknowledged as a duplicate.
func (m *Metrics) WebhookDuplicate(platform string) {
	if m != nil {
		m.webhooksDuplicate.WithLabelValues(platform).Inc()
	}
}

// ObserveIngest records how long a webhook took from arrival to its 2xx.
func (m *Metrics) ObserveIngest(d time.Duration) {
	if m != nil {
		m.ingestLatency.Observe(d.Seconds())
	}
}

// ObserveRouting records how long routing one order took.
func (m *Metrics) ObserveRouting(d time.Duration) {
	if m != nil {
		m.routingLatency.Observe(d.Seconds())
	}
}

// WriteBackFailed counts a write-back to platform that failed for good,
// after its last retry.
func (m *Metrics) WriteBackFailed(platform string) {
	if m != nil {
		m.writeBackFailures.WithLabelValues(platform).Inc()
	}
}

// SetStuckOrders sets how many orders the last check found stuck.
func (m *Metrics) SetStuckOrders(n int) {
	if m != nil {
		m.stuckOrders.Set(float64(n))
	}
}

// StuckCheckDone counts one run of the stuck-order check.
func (m *Metrics) StuckCheckDone(err error) {
	if m == nil {
		return
	}
	if err != nil {
		m.stuckChecks.WithLabelValues("error").Inc()
		return
	}
	m.stuckChecks.WithLabelValues("ok").Inc()
}

// AlertSent counts a delivered stuck-order alert.
func (m *Metrics) AlertSent() {
	if m != nil {
		m.alertsSent.Inc()
	}
}

// DeadLetterCounter reports how many dead letters a source holds now.
type DeadLetterCounter func(ctx context.Context) (int, error)

// DeadLetters adds the sources of the orderhub_dead_letters gauge, by name
// ("jobs" for discarded River jobs, "receipts" for dead webhook receipts).
// They are read by Refresh, never by a scrape. Call it once per app,
// before the refresh loop starts.
func (m *Metrics) DeadLetters(sources map[string]DeadLetterCounter) {
	if m == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for name, count := range sources {
		m.deadSources[name] = count
	}
}

// QueueStats is what Refresh reads from the job queue.
type QueueStats interface {
	// JobCountsByState counts every job by state (available, running,
	// retryable, scheduled, discarded, …).
	JobCountsByState(ctx context.Context) (map[string]int, error)
	// QueueCounts counts the available and running jobs of each queue.
	QueueCounts(ctx context.Context) ([]QueueCount, error)
}

// QueueCount is one queue's backlog.
type QueueCount struct {
	Queue     string
	Available int64
	Running   int64
}

// QueueDepth sets the source of orderhub_jobs{state} and
// orderhub_queue_depth{queue,state}, read by Refresh, never by a scrape.
// Call it once per app, before the refresh loop starts.
func (m *Metrics) QueueDepth(src QueueStats) {
	if m == nil || src == nil {
		return
	}
	m.mu.Lock()
	m.queue = src
	m.mu.Unlock()
}
