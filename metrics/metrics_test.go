package metrics_test

import (
	"context"
	"errors"
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"

	"github.com/orderhub/orderhub/metrics"
)

func scrape(t *testing.T, m *metrics.Metrics) string {
	t.Helper()
	srv := httptest.NewServer(m.Handler(nil))
	t.Cleanup(srv.Close)
	resp, err := srv.Client().Get(srv.URL)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, 200, resp.StatusCode)
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return string(b)
}

func TestCountersAndHistograms(t *testing.T) {
	t.Parallel()
	m := metrics.New()
	m.WebhookReceived("shopify")
	m.WebhookReceived("shopify")
	m.WebhookReceived("woocommerce")
	m.WebhookRejected("shopify", "signature")
	m.WebhookDuplicate("bigcommerce")
	m.ObserveIngest(3 * time.Millisecond)
	m.ObserveRouting(40 * time.Millisecond)
	m.WriteBackFailed("shopify")
	m.SetStuckOrders(4)
	m.StuckCheckDone(nil)
	m.StuckCheckDone(errors.New("db down"))
	m.AlertSent()

	out := scrape(t, m)
	for _, want := range []string{
		`orderhub_webhooks_received_total{platform="shopify"} 2`,
		`orderhub_webhooks_received_total{platform="woocommerce"} 1`,
		`orderhub_webhooks_rejected_total{platform="shopify",reason="signature"} 1`,
		`orderhub_webhooks_duplicate_total{platform="bigcommerce"} 1`,
		`orderhub_ingest_duration_seconds_bucket{le="0.005"} 1`,
		`orderhub_ingest_duration_seconds_count 1`,
		`orderhub_routing_duration_seconds_bucket{le="0.025"} 0`,
		`orderhub_routing_duration_seconds_bucket{le="0.05"} 1`,
		`orderhub_writeback_failures_total{platform="shopify"} 1`,
		`orderhub_stuck_orders 4`,
		`orderhub_stuck_order_checks_total{result="error"} 1`,
		`orderhub_stuck_order_checks_total{result="ok"} 1`,
		`orderhub_stuck_order_alerts_sent_total 1`,
		`go_goroutines`,
	} {
		require.Contains(t, out, want)
	}
}

func TestRegistriesAreIndependent(t *testing.T) {
	t.Parallel()
	a, b := metrics.New(), metrics.New()
	a.WebhookReceived("shopify")
	require.Equal(t, 1, testutil.CollectAndCount(a.Registry(), "orderhub_webhooks_received_total"))
	require.Equal(t, 0, testutil.CollectAndCount(b.Registry(), "orderhub_webhooks_received_total"),
		"one app's counts never show in another's registry")
}

func TestNilMetricsDoNothing(t *testing.T) {
	t.Parallel()
	var m *metrics.Metrics
	require.NotPanics(t, func() {
		m.WebhookReceived("shopify")
		m.WebhookRejected("shopify", "signature")
		m.WebhookDuplicate("shopify")
		m.ObserveIngest(time.Second)
		m.ObserveRouting(time.Second)
		m.WriteBackFailed("shopify")
		m.SetStuckOrders(1)
		m.StuckCheckDone(nil)
		m.AlertSent()
		m.DeadLetters(nil)
		m.QueueDepth(nil)
	})
	require.Nil(t, m.Registry())
}

type fakeQueue struct{ err error }

func (q fakeQueue) JobCountsByState(context.Context) (map[string]int, error) {
	if q.err != nil {
		return nil, q.err
	}
	return map[string]int{"available": 3, "discarded": 1}, nil
}

func (q fakeQueue) QueueCounts(context.Context) ([]metrics.QueueCount, error) {
	return []metrics.QueueCount{{Queue: "fulfillment", Available: 2, Running: 1}}, nil
}

func TestScrapeTimeSources(t *testing.T) {
	t.Parallel()
	m := metrics.New()
	m.QueueDepth(fakeQueue{})
	calls := 0
	m.DeadLetters(map[string]metrics.DeadLetterCounter{
		"jobs":     func(context.Context) (int, error) { calls++; return 2, nil },
		"receipts": func(context.Context) (int, error) { return 0, errors.New("database is closed") },
	})
	out := scrape(t, m)
	require.Contains(t, out, `orderhub_jobs{state="available"} 3`)
	require.Contains(t, out, `orderhub_jobs{state="discarded"} 1`)
	require.Contains(t, out, `orderhub_queue_depth{queue="fulfillment",state="available"} 2`)
	require.Contains(t, out, `orderhub_queue_depth{queue="fulfillment",state="running"} 1`)
	require.Contains(t, out, `orderhub_dead_letters{source="jobs"} 2`)
	require.False(t, strings.Contains(out, `source="receipts"`), "a failing source is left out, not reported as zero")
	require.Equal(t, 1, calls, "sources are read at scrape time")
	scrape(t, m)
	require.Equal(t, 2, calls)
}
