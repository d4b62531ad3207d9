package alerts_test

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/stretchr/testify/require"

	"github.com/orderhub/orderhub"
	"github.com/orderhub/orderhub/alerts"
	"github.com/orderhub/orderhub/metrics"
	"github.com/orderhub/orderhub/store"
	"github.com/orderhub/orderhub/store/sqlitestore"
)

// clock is a settable clock shared by the store and the checker.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

// receiver is a Slack-compatible webhook endpoint that records what it gets.
type receiver struct {
	mu     sync.Mutex
	bodies []alerts.SlackMessage
	fail   int // answer 500 to this many requests first
	srv    *httptest.Server
}

func newReceiver(t *testing.T) *receiver {
	r := &receiver{}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		defer r.mu.Unlock()
		if r.fail > 0 {
			r.fail--
			http.Error(w, "try later", http.StatusInternalServerError)
			return
		}
		if req.Header.Get("Content-Type") != "application/json" || req.Method != http.MethodPost {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		var m alerts.SlackMessage
		if err := json.Unmarshal(b, &m); err != nil || m.Text == "" {
			http.Error(w, "no text", http.StatusBadRequest)
			return
		}
		r.bodies = append(r.bodies, m)
		_, _ = w.Write([]byte("ok"))
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) got() []alerts.SlackMessage {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]alerts.SlackMessage(nil), r.bodies...)
}

type bundle struct {
	st    *sqlitestore.Store
	clock *clock
	t0    time.Time
}

func setup(t *testing.T, opts store.Options) bundle {
	t.Helper()
	t0 := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	c := &clock{t: t0}
	opts.Now = c.Now
	st, err := sqlitestore.Open(context.Background(), filepath.Join(t.TempDir(), "alerts.db"), opts)
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	require.NoError(t, st.Migrate(context.Background()))
	return bundle{st: st, clock: c, t0: t0}
}

func (b bundle) order(t *testing.T, ext string, status orderhub.Status) orderhub.Order {
	t.Helper()
	o, err := b.st.CreateOrder(context.Background(), store.CreateOrderParams{Order: orderhub.Order{
		ShopID: "acme", Platform: orderhub.PlatformShopify, ExternalID: ext, ExternalNumber: "#" + ext, Currency: "USD", Status: status,
		Lines: []orderhub.Line{{SKU: "MUG", Quantity: 1, RequiresShp: true}},
	}})
	require.NoError(t, err)
	return o
}

func alertEvents(t *testing.T, st store.Store, orderID string) []orderhub.OrderEvent {
	t.Helper()
	evs, err := st.ListEvents(context.Background(), orderID)
	require.NoError(t, err)
	var out []orderhub.OrderEvent
	for _, e := range evs {
		if e.Kind == alerts.EventKind {
			out = append(out, e)
		}
	}
	return out
}

func TestStuckAlertFiresExactlyOnce(t *testing.T) {
	t.Parallel()
	b := setup(t, store.Options{})
	ctx := context.Background()
	rcv := newReceiver(t)
	stuck := b.order(t, "1001", orderhub.StatusAwaitingFulfillment)
	b.order(t, "1002", orderhub.StatusPaid) // waiting for routing, not for fulfillment
	b.clock.Set(b.t0.Add(20 * time.Hour))
	later := b.order(t, "1003", orderhub.StatusAwaitingFulfillment)

	m := metrics.New()
	var flagged []string
	c := &alerts.Checker{Store: b.st, StuckAfter: 24 * time.Hour, WebhookURL: rcv.srv.URL, DashboardURL: "https://hub.example.com/ui",
		Now: b.clock.Now, Metrics: m, OnFlag: func(_ context.Context, o orderhub.Order) { flagged = append(flagged, o.ID) }}

	b.clock.Set(b.t0.Add(23 * time.Hour))
	res, err := c.Run(ctx)
	require.NoError(t, err)
	require.Zero(t, res.Stuck, "23 hours is not yet stuck")
	require.Empty(t, rcv.got())

	b.clock.Set(b.t0.Add(25 * time.Hour))
	res, err = c.Run(ctx)
	require.NoError(t, err)
	require.Equal(t, 1, res.Stuck)
	require.Equal(t, []string{stuck.ID}, res.Flagged)
	require.Equal(t, 1, res.Sent)
	got := rcv.got()
	require.Len(t, got, 1)
	require.Contains(t, got[0].Text, "Order #1001")
	require.Contains(t, got[0].Text, "awaiting fulfillment for 25h")
	require.Contains(t, got[0].Text, "<https://hub.example.com/ui/orders/"+stuck.ID+"|")
	require.Equal(t, float64(1), stuckGauge(t, m))

	// Later runs find it still stuck, and say nothing more about it.
	for _, h := range []time.Duration{26, 30, 40} {
		b.clock.Set(b.t0.Add(h * time.Hour))
		res, err = c.Run(ctx)
		require.NoError(t, err)
		require.Equal(t, 1, res.Stuck)
		require.Empty(t, res.Flagged)
		require.Zero(t, res.Sent)
	}
	require.Len(t, rcv.got(), 1, "the alert fires exactly once")
	require.Len(t, alertEvents(t, b.st, stuck.ID), 1, "one timeline note per alert")
	a, err := b.st.GetAlert(ctx, stuck.ID, alerts.KindStuck)
	require.NoError(t, err)
	require.Equal(t, store.AlertSent, a.Status)
	require.Equal(t, 1, a.Attempts)

	// The second order becomes stuck in its turn, and gets its own single alert.
	b.clock.Set(b.t0.Add(45 * time.Hour))
	res, err = c.Run(ctx)
	require.NoError(t, err)
	require.Equal(t, 2, res.Stuck)
	require.Equal(t, []string{later.ID}, res.Flagged)
	got = rcv.got()
	require.Len(t, got, 2)
	require.Contains(t, got[1].Text, "Order #1003")
	require.Equal(t, []string{stuck.ID, later.ID}, flagged)
	require.Equal(t, float64(2), stuckGauge(t, m))
}

// stuckGauge reads orderhub_stuck_orders from m's registry.
func stuckGauge(t *testing.T, m *metrics.Metrics) float64 {
	t.Helper()
	mfs, err := m.Registry().Gather()
	require.NoError(t, err)
	for _, mf := range mfs {
		if mf.GetName() == "orderhub_stuck_orders" {
			return mf.GetMetric()[0].GetGauge().GetValue()
		}
	}
	t.Fatal("orderhub_stuck_orders is not registered")
	return 0
}

func TestFailedDeliveryIsRetriedThenSentOnce(t *testing.T) {
	t.Parallel()
	b := setup(t, store.Options{})
	ctx := context.Background()
	rcv := newReceiver(t)
	rcv.fail = 1
	o := b.order(t, "2001", orderhub.StatusAwaitingFulfillment)
	b.clock.Set(b.t0.Add(30 * time.Hour))
	c := &alerts.Checker{Store: b.st, WebhookURL: rcv.srv.URL, Now: b.clock.Now}

	res, err := c.Run(ctx)
	require.NoError(t, err, "a failed delivery does not fail the check")
	require.Equal(t, 1, res.Failed)
	require.Empty(t, rcv.got())
	a, err := b.st.GetAlert(ctx, o.ID, alerts.KindStuck)
	require.NoError(t, err)
	require.Equal(t, store.AlertPending, a.Status)
	require.Equal(t, 1, a.Attempts)
	require.Contains(t, a.LastError, "500")

	res, err = c.Run(ctx)
	require.NoError(t, err)
	require.Equal(t, 1, res.Sent)
	require.Empty(t, res.Flagged, "the order was flagged by the first run")
	res, err = c.Run(ctx)
	require.NoError(t, err)
	require.Zero(t, res.Sent)
	require.Len(t, rcv.got(), 1)
	require.Len(t, alertEvents(t, b.st, o.ID), 1)
}

func TestUnreachableWebhookKeepsItsURLSecret(t *testing.T) {
	t.Parallel()
	b := setup(t, store.Options{})
	ctx := context.Background()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	url := "http://" + ln.Addr().String() + "/services/T000/B000/secret-path-token"
	require.NoError(t, ln.Close()) // nothing listens there now
	o := b.order(t, "3001", orderhub.StatusAwaitingFulfillment)
	b.clock.Set(b.t0.Add(48 * time.Hour))
	res, err := (&alerts.Checker{Store: b.st, WebhookURL: url, Now: b.clock.Now}).Run(ctx)
	require.NoError(t, err)
	require.Equal(t, 1, res.Failed)
	a, err := b.st.GetAlert(ctx, o.ID, alerts.KindStuck)
	require.NoError(t, err)
	require.NotEmpty(t, a.LastError)
	require.NotContains(t, a.LastError, "secret-path-token")
}

func TestAlertResolvedWhenOrderMovesOn(t *testing.T) {
	t.Parallel()
	b := setup(t, store.Options{})
	ctx := context.Background()
	rcv := newReceiver(t)
	o := b.order(t, "4001", orderhub.StatusAwaitingFulfillment)
	b.clock.Set(b.t0.Add(30 * time.Hour))
	// No webhook configured: the order is flagged, and the alert waits.
	res, err := (&alerts.Checker{Store: b.st, Now: b.clock.Now}).Run(ctx)
	require.NoError(t, err)
	require.Equal(t, []string{o.ID}, res.Flagged)
	_, _, err = b.st.TransitionOrder(ctx, store.TransitionParams{OrderID: o.ID, To: orderhub.StatusPartiallyFulfilled, Actor: "3pl"})
	require.NoError(t, err)

	// Once a webhook is configured the order is no longer stuck: nothing is sent.
	res, err = (&alerts.Checker{Store: b.st, WebhookURL: rcv.srv.URL, Now: b.clock.Now}).Run(ctx)
	require.NoError(t, err)
	require.Zero(t, res.Stuck)
	require.Zero(t, res.Sent)
	require.Empty(t, rcv.got())
	a, err := b.st.GetAlert(ctx, o.ID, alerts.KindStuck)
	require.NoError(t, err)
	require.Equal(t, store.AlertResolved, a.Status)
}

func TestIsStuck(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 3, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		status orderhub.Status
		age    time.Duration
		after  time.Duration
		want   bool
	}{
		{orderhub.StatusAwaitingFulfillment, 25 * time.Hour, 24 * time.Hour, true},
		{orderhub.StatusAwaitingFulfillment, 24 * time.Hour, 24 * time.Hour, true},
		{orderhub.StatusAwaitingFulfillment, 23 * time.Hour, 24 * time.Hour, false},
		{orderhub.StatusAwaitingFulfillment, 25 * time.Hour, 0, true}, // the default is 24h
		{orderhub.StatusAwaitingFulfillment, 2 * time.Hour, time.Hour, true},
		{orderhub.StatusPaid, 72 * time.Hour, 24 * time.Hour, false},
		{orderhub.StatusPartiallyFulfilled, 72 * time.Hour, 24 * time.Hour, false},
	} {
		o := orderhub.Order{Status: tc.status, StatusChanged: now.Add(-tc.age)}
		require.Equal(t, tc.want, alerts.IsStuck(o, now, tc.after), "%s for %s with threshold %s", tc.status, tc.age, tc.after)
	}
}

func TestMessageEscapesSlackMarkup(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 5, 12, 0, 0, 0, time.UTC)
	o := orderhub.Order{ID: "o1", ShopID: "a<b>&c", Platform: "shopify", ExternalNumber: "#<!channel>", StatusChanged: now.Add(-80 * time.Hour)}
	m := alerts.Message(o, now, "")
	require.Contains(t, m.Text, "#&lt;!channel&gt;")
	require.Contains(t, m.Text, "a&lt;b&gt;&amp;c")
	require.Contains(t, m.Text, "3d 8h")
	require.NotContains(t, m.Text, "Open it", "no link without a dashboard URL")
}

// TestPeriodicJobAlertsThroughRiver runs the check as River runs it: a
// periodic stuck_orders job, started with the queue.
func TestPeriodicJobAlertsThroughRiver(t *testing.T) {
	t.Parallel()
	rcv := newReceiver(t)
	workers := river.NewWorkers()
	w := &alerts.Worker{}
	river.AddWorker(workers, w)
	b := setup(t, store.Options{Workers: workers, PeriodicJobs: []*river.PeriodicJob{alerts.PeriodicJob(time.Hour)}})
	o := b.order(t, "5001", orderhub.StatusAwaitingFulfillment)
	b.clock.Set(b.t0.Add(50 * time.Hour))
	w.Checker = &alerts.Checker{Store: b.st, WebhookURL: rcv.srv.URL, Now: b.clock.Now}
	require.Equal(t, "stuck_orders", alerts.StuckOrdersArgs{}.Kind())

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	require.NoError(t, b.st.Queue().Start(ctx))
	t.Cleanup(func() { _ = b.st.Queue().Stop(context.Background()) })
	// The alert is recorded as sent just after the receiver answers.
	for {
		a, err := b.st.GetAlert(ctx, o.ID, alerts.KindStuck)
		if err == nil && a.Status == store.AlertSent {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatal("the periodic job never alerted")
		case <-time.After(50 * time.Millisecond):
		}
	}
	got := rcv.got()
	require.Len(t, got, 1)
	require.Contains(t, got[0].Text, "#5001")
}
