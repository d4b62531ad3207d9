// Package metrics owns orderhub's Prometheus metrics: one Metrics value per
// running app, holding its own registry (never the global default one, so
// parallel tests and several apps in one process do not collide), with a
// typed method for every measurement the other packages report.
//
// Every method is safe on a nil *Metrics and then does nothing, so a part
// that was not given metrics needs no checks. The package must not decide
// anything: it counts what it is told, and at scrape time it asks the
// sources it was given (the job queue, the dead letters) for their
// current numbers.
package metrics

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Namespace prefixes every orderhub metric.
const Namespace = "orderhub"

// scrapeTimeout bounds how long a scrape waits for a source's numbers.
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
}

// New returns a Metrics with its own registry, holding orderhub's
// collectors plus the Go runtime and process collectors.
func New() *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry()}
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
	m.reg.MustRegister(m.webhooksReceived, m.webhooksRejected, m.webhooksDuplicate, m.ingestLatency,
		m.routingLatency, m.writeBackFailures, m.stuckOrders, m.stuckChecks, m.alertsSent,
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

// Handler serves the registry in the Prometheus exposition format.
func (m *Metrics) Handler(logger *slog.Logger) http.Handler {
	// A source that cannot answer (the database is down) must not hide
	// every other metric, so a scrape reports what it could gather.
	opts := promhttp.HandlerOpts{Registry: m.reg, Timeout: 2 * scrapeTimeout, ErrorHandling: promhttp.ContinueOnError}
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

// DeadLetters registers the orderhub_dead_letters gauge, read at scrape
// time from each source by name ("jobs" for discarded River jobs,
// "receipts" for dead webhook receipts). Call it once per app.
func (m *Metrics) DeadLetters(sources map[string]DeadLetterCounter) {
	if m == nil {
		return
	}
	m.reg.MustRegister(&deadLetterCollector{sources: sources, desc: prometheus.NewDesc(
		prometheus.BuildFQName(Namespace, "", "dead_letters"),
		"Dead letters waiting for an operator: discarded jobs and dead webhook receipts, by source.",
		[]string{"source"}, nil)})
}

type deadLetterCollector struct {
	sources map[string]DeadLetterCounter
	desc    *prometheus.Desc
}

func (c *deadLetterCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c *deadLetterCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), scrapeTimeout)
	defer cancel()
	for name, count := range c.sources {
		n, err := count(ctx)
		if err != nil {
			ch <- prometheus.NewInvalidMetric(c.desc, err)
			continue
		}
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(n), name)
	}
}

// QueueStats is what the queue-depth collector reads from the job queue at
// scrape time.
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

// QueueDepth registers collectors that read the job queue at scrape time:
// orderhub_jobs{state} and orderhub_queue_depth{queue,state}. Call it once
// per app.
func (m *Metrics) QueueDepth(src QueueStats) {
	if m == nil || src == nil {
		return
	}
	m.reg.MustRegister(&queueCollector{src: src,
		jobs: prometheus.NewDesc(prometheus.BuildFQName(Namespace, "", "jobs"),
			"Jobs in the River queue by state.", []string{"state"}, nil),
		depth: prometheus.NewDesc(prometheus.BuildFQName(Namespace, "", "queue_depth"),
			"Available and running jobs per River queue.", []string{"queue", "state"}, nil),
	})
}

type queueCollector struct {
	src         QueueStats
	jobs, depth *prometheus.Desc
}

func (c *queueCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.jobs
	ch <- c.depth
}

func (c *queueCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), scrapeTimeout)
	defer cancel()
	byState, err := c.src.JobCountsByState(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(c.jobs, err)
	} else {
		for state, n := range byState {
			ch <- prometheus.MustNewConstMetric(c.jobs, prometheus.GaugeValue, float64(n), state)
		}
	}
	queues, err := c.src.QueueCounts(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(c.depth, err)
		return
	}
	for _, q := range queues {
		ch <- prometheus.MustNewConstMetric(c.depth, prometheus.GaugeValue, float64(q.Available), q.Queue, "available")
		ch <- prometheus.MustNewConstMetric(c.depth, prometheus.GaugeValue, float64(q.Running), q.Queue, "running")
	}
}
