package metrics

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// DefaultRefreshEvery is how often the app refreshes the gauges read from
// the database when metrics.refresh_every is not set.
const DefaultRefreshEvery = 15 * time.Second

// Refresh source names, the source label of
// orderhub_metrics_refresh_failures_total and
// orderhub_metrics_refreshed_timestamp_seconds.
const (
	sourceJobs       = "jobs"
	sourceQueueDepth = "queue_depth"
	sourceDeadPrefix = "dead_letters_"
)

// snapshot is what the last refresh read: a scrape reports it as it is,
// so that a scrape never reaches the database however often it comes.
type snapshot struct {
	mu    sync.RWMutex
	dead  map[string]int // by source name; absent until read once
	jobs  map[string]int // by state; nil until read once
	depth []QueueCount   // nil until read once

	deadDesc, jobsDesc, depthDesc *prometheus.Desc
}

func newSnapshot() *snapshot {
	return &snapshot{
		dead: map[string]int{},
		deadDesc: prometheus.NewDesc(prometheus.BuildFQName(Namespace, "", "dead_letters"),
			"Dead letters waiting for an operator: discarded jobs and dead webhook receipts, by source, as of the last refresh.",
			[]string{"source"}, nil),
		jobsDesc: prometheus.NewDesc(prometheus.BuildFQName(Namespace, "", "jobs"),
			"Jobs in the River queue by state, as of the last refresh.", []string{"state"}, nil),
		depthDesc: prometheus.NewDesc(prometheus.BuildFQName(Namespace, "", "queue_depth"),
			"Available and running jobs per River queue, as of the last refresh.", []string{"queue", "state"}, nil),
	}
}

func (s *snapshot) Describe(ch chan<- *prometheus.Desc) {
	ch <- s.deadDesc
	ch <- s.jobsDesc
	ch <- s.depthDesc
}

func (s *snapshot) Collect(ch chan<- prometheus.Metric) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	for name, n := range s.dead {
		ch <- prometheus.MustNewConstMetric(s.deadDesc, prometheus.GaugeValue, float64(n), name)
	}
	for state, n := range s.jobs {
		ch <- prometheus.MustNewConstMetric(s.jobsDesc, prometheus.GaugeValue, float64(n), state)
	}
	for _, q := range s.depth {
		ch <- prometheus.MustNewConstMetric(s.depthDesc, prometheus.GaugeValue, float64(q.Available), q.Queue, "available")
		ch <- prometheus.MustNewConstMetric(s.depthDesc, prometheus.GaugeValue, float64(q.Running), q.Queue, "running")
	}
}

// Refresh reads every source (the dead letters, the job queue) now and
// keeps what it read for the scrapes until the next refresh. A source
// that fails keeps its last numbers, counts a failure in
// orderhub_metrics_refresh_failures_total and does not move its
// orderhub_metrics_refreshed_timestamp_seconds; the error names it.
// Refreshes run one at a time; each source gets refreshTimeout.
func (m *Metrics) Refresh(ctx context.Context) error {
	if m == nil {
		return nil
	}
	m.refreshing.Lock()
	defer m.refreshing.Unlock()
	m.mu.Lock()
	dead := make(map[string]DeadLetterCounter, len(m.deadSources))
	for name, count := range m.deadSources {
		dead[name] = count
	}
	queue := m.queue
	m.mu.Unlock()

	var errs []error
	read := func(source string, f func(ctx context.Context) error) {
		ctx, cancel := context.WithTimeout(ctx, refreshTimeout)
		defer cancel()
		if err := f(ctx); err != nil {
			m.refreshFailures.WithLabelValues(source).Inc()
			errs = append(errs, fmt.Errorf("refresh %s: %w", source, err))
			return
		}
		m.refreshed.WithLabelValues(source).SetToCurrentTime()
	}
	names := make([]string, 0, len(dead))
	for name := range dead {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		read(sourceDeadPrefix+name, func(ctx context.Context) error {
			n, err := dead[name](ctx)
			if err != nil {
				return err
			}
			m.snap.mu.Lock()
			m.snap.dead[name] = n
			m.snap.mu.Unlock()
			return nil
		})
	}
	if queue != nil {
		read(sourceJobs, func(ctx context.Context) error {
			byState, err := queue.JobCountsByState(ctx)
			if err != nil {
				return err
			}
			jobs := make(map[string]int, len(byState))
			for state, n := range byState {
				jobs[state] = n
			}
			m.snap.mu.Lock()
			m.snap.jobs = jobs
			m.snap.mu.Unlock()
			return nil
		})
		read(sourceQueueDepth, func(ctx context.Context) error {
			depth, err := queue.QueueCounts(ctx)
			if err != nil {
				return err
			}
			if depth == nil {
				depth = []QueueCount{}
			}
			m.snap.mu.Lock()
			m.snap.depth = append([]QueueCount(nil), depth...)
			m.snap.mu.Unlock()
			return nil
		})
	}
	return errors.Join(errs...)
}

// RunRefresh refreshes once now and then at every tick until ctx ends,
// logging what fails. The app passes a time.Ticker's channel; a test
// passes its own channel and ticks it.
func (m *Metrics) RunRefresh(ctx context.Context, ticks <-chan time.Time, logger *slog.Logger) {
	if m == nil {
		return
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	refresh := func() {
		if err := m.Refresh(ctx); err != nil && ctx.Err() == nil {
			logger.WarnContext(ctx, "metrics refresh failed; scrapes keep the last numbers", "err", err)
		}
	}
	refresh()
	for {
		select {
		case <-ctx.Done():
			return
		case <-ticks:
			refresh()
		}
	}
}
