package woocommerce_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/orderhub/orderhub"
	"github.com/orderhub/orderhub/connectors/apiclient"
	"github.com/orderhub/orderhub/connectors/woocommerce"
	"github.com/orderhub/orderhub/connectors/woocommerce/woocommercetest"
)

type testClock struct {
	mu     sync.Mutex
	now    time.Time
	sleeps []time.Duration
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) Sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sleeps = append(c.sleeps, d)
	c.now = c.now.Add(d)
	return ctx.Err()
}

func (c *testClock) Sleeps() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Duration(nil), c.sleeps...)
}

type bundle struct {
	fake   *woocommercetest.Server
	client *woocommerce.Client
	clock  *testClock
}

func setup(t *testing.T, o woocommercetest.Options) bundle {
	t.Helper()
	fake := woocommercetest.New(t, o)
	clock := &testClock{now: time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)}
	c, err := woocommerce.NewClient(woocommerce.ClientConfig{
		BaseURL:        fake.URL + "/",
		ConsumerKey:    woocommercetest.DefaultConsumerKey,
		ConsumerSecret: woocommercetest.DefaultConsumerSecret,
		HTTP: apiclient.Options{
			Shop: "acme-woo", Sleep: clock.Sleep, Now: clock.Now, MaxRetries: 2,
			Jitter: func(time.Duration) time.Duration { return 0 },
		},
	})
	require.NoError(t, err)
	return bundle{fake: fake, client: c, clock: clock}
}

func TestGetOrder(t *testing.T) {
	b := setup(t, woocommercetest.Options{})
	id, err := b.fake.AddOrder(woocommercetest.MustBuildOrder(woocommercetest.OrderSpec{
		ID: 1042,
		Lines: []woocommercetest.LineSpec{
			{SKU: "MUG-BLUE", Name: "Mug &ndash; Blue", Quantity: 3, Price: "10.00", Discount: "2.50", Tax: "1.43"},
			{SKU: "ESP-250", Name: "Espresso", Quantity: 1, Price: "10.00", Tax: "1.90"},
		},
		ShippingTotal: "4.90",
	}))
	require.NoError(t, err)
	raw, err := b.client.GetOrder(context.Background(), strconv.FormatInt(id, 10))
	require.NoError(t, err)
	require.Contains(t, string(raw), `https:\/\/shop.example.com`, "the body arrives as WordPress encodes it")
	o, err := woocommerce.NormalizeOrder(raw)
	require.NoError(t, err)
	require.Equal(t, "1042", o.ExternalID)
	require.Len(t, o.Lines, 2)
	require.Equal(t, "Mug – Blue", o.Lines[0].Name)
	require.Equal(t, int64(4573), o.Totals.Total.Amount, "27.50 + 10.00 + 4.90 shipping + 3.33 tax")

	req := b.fake.RequestsTo(http.MethodGet, "/wp-json/wc/v3/orders/1042")
	require.Len(t, req, 1)
	user, pass, ok := (&http.Request{Header: req[0].Header}).BasicAuth()
	require.True(t, ok)
	require.Equal(t, woocommercetest.DefaultConsumerKey, user)
	require.Equal(t, woocommercetest.DefaultConsumerSecret, pass)
}

func TestGetOrderErrors(t *testing.T) {
	b := setup(t, woocommercetest.Options{})
	_, err := b.client.GetOrder(context.Background(), "404")
	require.Equal(t, orderhub.ENotFound, orderhub.ErrorCode(err))
	require.Contains(t, err.Error(), "Invalid ID.")
	require.Len(t, b.fake.Requests(), 1, "404 is not retried")

	_, err = b.client.GetOrder(context.Background(), "1/notes")
	require.Equal(t, orderhub.EInvalid, orderhub.ErrorCode(err))
	require.Len(t, b.fake.Requests(), 1, "a bad id never leaves the process")
}

func TestWrongCredentialsAreUnauthorized(t *testing.T) {
	fake := woocommercetest.New(t, woocommercetest.Options{})
	for _, tc := range []struct{ key, secret, msg string }{
		{"ck_wrong", woocommercetest.DefaultConsumerSecret, "Consumer key is invalid."},
		{woocommercetest.DefaultConsumerKey, "cs_wrong_secret_value", "Consumer secret is invalid."},
	} {
		c, err := woocommerce.NewClient(woocommerce.ClientConfig{BaseURL: fake.URL, ConsumerKey: tc.key, ConsumerSecret: tc.secret})
		require.NoError(t, err)
		_, err = c.ListOrdersModifiedAfter(context.Background(), time.Now())
		require.Equal(t, orderhub.EUnauthorized, orderhub.ErrorCode(err))
		require.Contains(t, err.Error(), tc.msg)
		require.NotContains(t, err.Error(), "cs_wrong_secret_value")
	}
	require.Len(t, fake.Requests(), 2, "401 is not retried")

	_, err := woocommerce.NewClient(woocommerce.ClientConfig{BaseURL: fake.URL, ConsumerKey: "ck"})
	require.Equal(t, orderhub.EInvalid, orderhub.ErrorCode(err))
}

func TestListOrdersModifiedAfterPaginates(t *testing.T) {
	// The site runs on Berlin time: date_modified is local, the filter GMT.
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		berlin = time.FixedZone("CET", 3600)
	}
	b := setup(t, woocommercetest.Options{Location: berlin})
	base := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	since := base.Add(30 * time.Hour)
	var want []string
	for i := range 260 {
		mod := base.Add(time.Duration(i) * time.Hour)
		_, err := b.fake.AddOrder(woocommercetest.MustBuildOrder(woocommercetest.OrderSpec{
			ID: int64(5000 + i), CreatedAt: base, ModifiedAt: mod, Location: berlin,
			Status: []string{"processing", "completed", "on-hold", "cancelled"}[i%4],
		}))
		require.NoError(t, err)
		if mod.After(since) {
			want = append(want, strconv.Itoa(5000+i))
		}
	}
	orders, err := b.client.ListOrdersModifiedAfter(context.Background(), since)
	require.NoError(t, err)
	var got []string
	for _, raw := range orders {
		o, err := woocommerce.NormalizeOrder(raw)
		require.NoError(t, err)
		got = append(got, o.ExternalID)
	}
	require.Equal(t, want, got, "all 229, in id order, every status")

	reqs := b.fake.RequestsTo(http.MethodGet, "/wp-json/wc/v3/orders")
	require.Len(t, reqs, 3, "229 orders are 3 pages of 100")
	for i, r := range reqs {
		q, _ := url.ParseQuery(r.Query)
		require.Equal(t, strconv.Itoa(i+1), q.Get("page"))
		require.Equal(t, "100", q.Get("per_page"))
		require.Equal(t, "true", q.Get("dates_are_gmt"))
		require.Equal(t, "2026-11-02T06:00:00", q.Get("modified_after"))
	}
}

func TestListOrdersEmpty(t *testing.T) {
	b := setup(t, woocommercetest.Options{})
	orders, err := b.client.ListOrdersModifiedAfter(context.Background(), time.Now())
	require.NoError(t, err)
	require.Empty(t, orders)
	require.Len(t, b.fake.Requests(), 1)
}

func TestRateLimitedThenSucceeds(t *testing.T) {
	b := setup(t, woocommercetest.Options{})
	b.fake.RateLimitNext(1, "1")
	_, err := b.client.ListOrdersModifiedAfter(context.Background(), time.Now())
	require.NoError(t, err)
	require.Equal(t, []time.Duration{time.Second}, b.clock.Sleeps())
	require.Len(t, b.fake.Requests(), 2)
}

func TestServerErrorsRetriedThenUnavailable(t *testing.T) {
	b := setup(t, woocommercetest.Options{})
	b.fake.FailNext(3, http.StatusInternalServerError)
	_, err := b.client.ListWebhooks(context.Background())
	require.Equal(t, orderhub.EUnavailable, orderhub.ErrorCode(err))
	require.Len(t, b.fake.Requests(), 3, "first attempt plus 2 retries")
	require.Equal(t, 0, b.fake.PendingFailures())

	_, err = b.client.ListWebhooks(context.Background())
	require.NoError(t, err)
}

func TestRegisterWebhooksIsIdempotent(t *testing.T) {
	b := setup(t, woocommercetest.Options{})
	ctx := context.Background()
	const hub = "https://hub.example.com/webhooks/woocommerce/acme-woo"
	// order.updated exists but WooCommerce disabled it after failures.
	old := b.fake.AddSubscription("order.updated", hub, "s3cret&amp;x", "disabled")

	regs, err := b.client.RegisterWebhooks(ctx, hub, "s3cret&amp;x", woocommerce.WebhookTopics)
	require.NoError(t, err)
	require.Len(t, regs, 3)
	require.True(t, regs[0].Created)
	require.True(t, regs[1].Reactivated)
	require.Equal(t, old.ID, regs[1].ID)
	require.True(t, regs[2].Created)
	for i, r := range regs {
		require.Equal(t, woocommerce.WebhookTopics[i], r.Topic)
		require.Equal(t, "active", r.Status)
		require.Equal(t, hub, r.DeliveryURL)
	}

	b.fake.ResetRequests()
	regs, err = b.client.RegisterWebhooks(ctx, hub, "s3cret&amp;x", woocommerce.WebhookTopics)
	require.NoError(t, err)
	for _, r := range regs {
		require.False(t, r.Created || r.Reactivated, r.Topic)
	}
	require.Len(t, b.fake.Requests(), 1, "the second run only lists")

	subs := b.fake.Subscriptions()
	require.Len(t, subs, 3)
	for _, s := range subs {
		require.Equal(t, "active", s.Status)
		require.Equal(t, "s3cret&amp;x", s.Secret)
	}
	hooks, err := b.client.ListWebhooks(ctx)
	require.NoError(t, err)
	require.Len(t, hooks, 3)
}

func TestListWebhooksPages(t *testing.T) {
	b := setup(t, woocommercetest.Options{})
	for i := range 205 {
		b.fake.AddSubscription("order.created", "https://x.example.com/"+strconv.Itoa(i), "s", "")
	}
	hooks, err := b.client.ListWebhooks(context.Background())
	require.NoError(t, err)
	require.Len(t, hooks, 205)
	require.Len(t, b.fake.Requests(), 3)
}

func TestRegisterRejectedTopic(t *testing.T) {
	b := setup(t, woocommercetest.Options{})
	_, err := b.client.RegisterWebhooks(context.Background(), "https://hub.example.com/x", "s", []string{"order.exploded"})
	require.Equal(t, orderhub.EInvalid, orderhub.ErrorCode(err))
	require.Contains(t, err.Error(), "Webhook topic is required and must be valid.")
}

// hub is a stand-in for orderhub's intake: it records what arrives.
type hub struct {
	mu   sync.Mutex
	reqs []*http.Request
	body [][]byte
	srv  *httptest.Server
}

func newHub(t *testing.T) *hub {
	h := &hub{}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		h.mu.Lock()
		h.reqs = append(h.reqs, r)
		h.body = append(h.body, b)
		h.mu.Unlock()
	}))
	t.Cleanup(h.srv.Close)
	return h
}

func TestCreationPingAndTriggeredDeliveryVerify(t *testing.T) {
	h := newHub(t)
	b := setup(t, woocommercetest.Options{PingOnCreate: true})
	ctx := context.Background()
	url := h.srv.URL + "/webhooks/woocommerce/acme-woo"
	_, err := b.client.RegisterWebhooks(ctx, url, "wh-secret", []string{"order.created"})
	require.NoError(t, err)
	require.Len(t, h.reqs, 1)
	require.True(t, woocommerce.IsPing(h.reqs[0].Header, h.body[0]), "the creation ping")

	id, err := b.fake.AddOrder(woocommercetest.MustBuildOrder(woocommercetest.OrderSpec{ID: 88}))
	require.NoError(t, err)
	ds, err := b.fake.Trigger(ctx, "order.created", id)
	require.NoError(t, err)
	require.Len(t, ds, 1)
	require.Len(t, h.reqs, 2)
	require.NoError(t, woocommerce.VerifyWebhook(h.reqs[1].Header, h.body[1], "wh-secret"))
	key, topic, err := woocommerce.DedupeKey(h.reqs[1].Header, h.body[1])
	require.NoError(t, err)
	require.Equal(t, "order.created", topic)
	require.Contains(t, key, ":88:")
	_, err = woocommerce.NormalizeOrder(h.body[1])
	require.NoError(t, err)
}
