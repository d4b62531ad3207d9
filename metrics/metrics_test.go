package metrics_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"

	"github.com/orderhub/orderhub/admin"
	"github.com/orderhub/orderhub/metrics"
	"github.com/orderhub/orderhub/store"
	"github.com/orderhub/orderhub/store/sqlcore"
	"github.com/orderhub/orderhub/store/sqlitestore"
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
		require.NoError(t, m.Refresh(context.Background()))
		m.RunRefresh(context.Background(), nil, nil)
	})
	require.Nil(t, m.Registry())
}

// deadStore is a real SQLite store and the metrics sources over it, as
// the app wires them: dead receipts, discarded jobs and the job queue.
type deadStore struct {
	st *sqlitestore.Store
	m  *metrics.Metrics
	n  int
}

func newDeadStore(t *testing.T) *deadStore {
	t.Helper()
	ctx := context.Background()
	st, err := sqlitestore.Open(ctx, filepath.Join(t.TempDir(), "metrics.db"), store.Options{})
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	require.NoError(t, st.Migrate(ctx))
	jobs := admin.RiverJobs[*sql.Tx]{Client: st.Queue().(sqlcore.RiverQueue[*sql.Tx]).Client}
	m := metrics.New()
	m.QueueDepth(jobs)
	m.DeadLetters(map[string]metrics.DeadLetterCounter{
		"jobs": jobs.CountDiscarded,
		"receipts": func(ctx context.Context) (int, error) {
			page, err := st.ListDeadReceipts(ctx, store.ListReceiptsParams{Limit: 500})
			return len(page.Receipts), err
		},
	})
	return &deadStore{st: st, m: m}
}

// addDeadReceipt stores a webhook receipt that gave up.
func (d *deadStore) addDeadReceipt(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	d.n++
	r, err := d.st.InsertReceipt(ctx, store.InsertReceiptParams{Platform: "shopify", ShopID: "shop-a", DedupeKey: fmt.Sprint("k-", d.n), Topic: "orders/create", Body: []byte(`{"id":1}`)})
	require.NoError(t, err)
	_, err = d.st.FailReceipt(ctx, store.FailReceiptParams{ID: r.ID, Error: "payload has no line items", Dead: true})
	require.NoError(t, err)
}

// TestScrapeNeverReadsTheDatabase: a scrape reports what the last refresh
// read, and answers the same with the database closed; only a refresh
// reads it, and a refresh that fails keeps the last numbers and says so.
func TestScrapeNeverReadsTheDatabase(t *testing.T) {
	t.Parallel()
	d := newDeadStore(t)
	d.addDeadReceipt(t)
	require.NotContains(t, scrape(t, d.m), "orderhub_dead_letters{", "nothing is read before the first refresh")

	require.NoError(t, d.m.Refresh(context.Background()))
	out := scrape(t, d.m)
	for _, want := range []string{
		`orderhub_dead_letters{source="receipts"} 1`,
		`orderhub_dead_letters{source="jobs"} 0`,
		`orderhub_jobs{state="discarded"} 0`,
		`orderhub_metrics_refreshed_timestamp_seconds{source="dead_letters_receipts"}`,
		`orderhub_metrics_refreshed_timestamp_seconds{source="jobs"}`,
	} {
		require.Contains(t, out, want)
	}

	d.addDeadReceipt(t)
	require.Contains(t, scrape(t, d.m), `orderhub_dead_letters{source="receipts"} 1`, "a new dead letter shows after the next refresh, not at a scrape")

	require.NoError(t, d.st.Close())
	for range 3 {
		out = scrape(t, d.m)
		require.Contains(t, out, `orderhub_dead_letters{source="receipts"} 1`, "a scrape with the database closed answers from memory")
		require.Contains(t, out, `orderhub_jobs{state="discarded"} 0`)
	}

	err := d.m.Refresh(context.Background())
	require.Error(t, err)
	require.Contains(t, err.Error(), "refresh dead_letters_receipts")
	out = scrape(t, d.m)
	require.Contains(t, out, `orderhub_dead_letters{source="receipts"} 1`, "a failed refresh keeps the last numbers")
	require.Contains(t, out, `orderhub_metrics_refresh_failures_total{source="dead_letters_receipts"} 1`)
	require.Contains(t, out, `orderhub_metrics_refresh_failures_total{source="jobs"} 1`)
}

// TestRefreshRunsOnEveryTick: the loop refreshes once when it starts and
// then at each tick of the channel it is given, and at no other time.
func TestRefreshRunsOnEveryTick(t *testing.T) {
	t.Parallel()
	d := newDeadStore(t)
	d.addDeadReceipt(t)
	ctx, cancel := context.WithCancel(context.Background())
	ticks := make(chan time.Time)
	done := make(chan struct{})
	go func() {
		defer close(done)
		d.m.RunRefresh(ctx, ticks, nil)
	}()
	t.Cleanup(func() { cancel(); <-done })

	// The first refresh runs as the loop starts; nothing ticks after it.
	waitFor(t, d.m, `orderhub_dead_letters{source="receipts"} 1`)
	d.addDeadReceipt(t)
	d.addDeadReceipt(t)
	for range 3 {
		require.Contains(t, scrape(t, d.m), `orderhub_dead_letters{source="receipts"} 1`, "no tick, no refresh")
	}
	// The loop takes the second tick only once the first tick's refresh
	// is done, and the database does not change in between.
	ticks <- time.Time{}
	ticks <- time.Time{}
	require.Contains(t, scrape(t, d.m), `orderhub_dead_letters{source="receipts"} 3`)

	cancel()
	<-done
}

// waitFor scrapes until the output holds want: the loop's first refresh
// runs on its own goroutine.
func waitFor(t *testing.T, m *metrics.Metrics, want string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(scrape(t, m), want) {
		require.True(t, time.Now().Before(deadline), "the first refresh never came: %s", want)
		time.Sleep(10 * time.Millisecond)
	}
}

func TestRequireToken(t *testing.T) {
	t.Parallel()
	m := metrics.New()
	m.WebhookReceived("shopify")
	const token = "metrics-token-0123456789"
	srv := httptest.NewServer(metrics.RequireToken(token, m.Handler(nil)))
	t.Cleanup(srv.Close)
	get := func(auth string) (int, string, http.Header) {
		req, err := http.NewRequest("GET", srv.URL, nil)
		require.NoError(t, err)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := srv.Client().Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return resp.StatusCode, string(b), resp.Header
	}
	for _, auth := range []string{"", "Bearer ", "Bearer wrong-token-0123456789", "Bearer " + token + "x", "Basic " + token, token} {
		code, body, h := get(auth)
		require.Equal(t, http.StatusUnauthorized, code, "%q", auth)
		require.Equal(t, "application/json; charset=utf-8", h.Get("Content-Type"))
		require.Contains(t, h.Get("WWW-Authenticate"), "Bearer")
		var e struct {
			Error struct{ Code, Message string }
		}
		require.NoError(t, json.Unmarshal([]byte(body), &e), body)
		require.Equal(t, "unauthorized", e.Error.Code)
		require.NotContains(t, body, "orderhub_webhooks_received_total")
	}
	code, body, _ := get("Bearer " + token)
	require.Equal(t, 200, code)
	require.Contains(t, body, `orderhub_webhooks_received_total{platform="shopify"} 1`)

	open := httptest.NewServer(metrics.RequireToken("", m.Handler(nil)))
	t.Cleanup(open.Close)
	resp, err := open.Client().Get(open.URL)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, 200, resp.StatusCode, "no token configured: open, as before")
}
