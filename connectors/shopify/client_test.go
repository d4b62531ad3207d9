package shopify_test

import (
	"context"
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
	"github.com/orderhub/orderhub/connectors/shopify"
	"github.com/orderhub/orderhub/connectors/shopify/shopifytest"
)

// testClock makes every wait instant and records it.
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
	fake   *shopifytest.Server
	client *shopify.Client
	clock  *testClock
}

func setup(t *testing.T) bundle {
	t.Helper()
	fake := shopifytest.New(t, shopifytest.Options{})
	clock := &testClock{now: time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)}
	c, err := shopify.NewClient(shopify.ClientConfig{
		BaseURL:     fake.URL,
		APIVersion:  "2025-07",
		AccessToken: shopifytest.DefaultAccessToken,
		HTTP: apiclient.Options{
			Shop: "acme-shopify", Sleep: clock.Sleep, Now: clock.Now, MaxRetries: 3,
			Jitter: func(time.Duration) time.Duration { return 0 },
		},
	})
	require.NoError(t, err)
	return bundle{fake: fake, client: c, clock: clock}
}

func TestNewClientChecksConfig(t *testing.T) {
	for _, cfg := range []shopify.ClientConfig{
		{BaseURL: "acme.myshopify.com", APIVersion: "2025-07", AccessToken: "t"},
		{BaseURL: "https://u:p@acme.myshopify.com", APIVersion: "2025-07", AccessToken: "t"},
		{BaseURL: "https://acme.myshopify.com", APIVersion: "latest", AccessToken: "t"},
		{BaseURL: "https://acme.myshopify.com", APIVersion: "2025-07"},
	} {
		_, err := shopify.NewClient(cfg)
		require.Equal(t, orderhub.EInvalid, orderhub.ErrorCode(err), "%+v", cfg)
	}
}

func TestListOrdersUpdatedSincePaginates(t *testing.T) {
	b := setup(t)
	base := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	since := base.Add(100 * time.Hour)
	want := map[string]bool{}
	for i := range 600 {
		upd := base.Add(time.Duration(i) * time.Hour)
		raw := shopifytest.MustBuildOrder(shopifytest.OrderSpec{
			Number: int64(1001 + i), CreatedAt: base, UpdatedAt: upd,
			Cancelled: i%50 == 0,
			Lines:     []shopifytest.LineSpec{{SKU: "SKU-1", Quantity: 2, Price: "12.50", Tax: "2.22"}},
		})
		_, err := b.fake.AddOrder(raw)
		require.NoError(t, err)
		if !upd.Before(since) {
			want["#"+strconv.Itoa(1001+i)] = true
		}
	}
	b.fake.ResetRequests()

	orders, err := b.client.ListOrdersUpdatedSince(context.Background(), since)
	require.NoError(t, err)
	require.Len(t, orders, len(want), "every order updated since, cancelled ones too (status=any)")
	got := map[string]bool{}
	for _, raw := range orders {
		o, err := shopify.NormalizeOrder(raw)
		require.NoError(t, err, "the REST shape is the webhook shape")
		got[o.ExternalNumber] = true
		require.Equal(t, "USD", o.Currency)
	}
	require.Equal(t, want, got)

	reqs := b.fake.RequestsTo(http.MethodGet, "/admin/api/2025-07/orders.json")
	require.Len(t, reqs, 2, "500 orders are two pages of 250")
	q0, _ := url.ParseQuery(reqs[0].Query)
	require.Equal(t, "any", q0.Get("status"))
	require.Equal(t, "250", q0.Get("limit"))
	require.Equal(t, since.Format(time.RFC3339), q0.Get("updated_at_min"))
	q1, _ := url.ParseQuery(reqs[1].Query)
	require.NotEmpty(t, q1.Get("page_info"))
	require.Empty(t, q1.Get("updated_at_min"), "the cursor carries the filters")
	for _, r := range reqs {
		require.Equal(t, shopifytest.DefaultAccessToken, r.Header.Get("X-Shopify-Access-Token"))
		require.Equal(t, 200, r.Status)
	}
}

func TestListOrdersEmpty(t *testing.T) {
	b := setup(t)
	orders, err := b.client.ListOrdersUpdatedSince(context.Background(), time.Now())
	require.NoError(t, err)
	require.Empty(t, orders)
	require.Len(t, b.fake.Requests(), 1)
}

func TestGetOrder(t *testing.T) {
	b := setup(t)
	id, err := b.fake.AddOrder(shopifytest.MustBuildOrder(shopifytest.OrderSpec{Number: 1042}))
	require.NoError(t, err)
	raw, err := b.client.GetOrder(context.Background(), strconv.FormatInt(id, 10))
	require.NoError(t, err)
	o, err := shopify.NormalizeOrder(raw)
	require.NoError(t, err)
	require.Equal(t, "#1042", o.ExternalNumber)

	_, err = b.client.GetOrder(context.Background(), "999")
	require.Equal(t, orderhub.ENotFound, orderhub.ErrorCode(err))
	require.Contains(t, err.Error(), "Not Found")
	require.Len(t, b.fake.RequestsTo(http.MethodGet, "/admin/api/2025-07/orders/999.json"), 1, "404 is never retried")

	_, err = b.client.GetOrder(context.Background(), "../shop")
	require.Equal(t, orderhub.EInvalid, orderhub.ErrorCode(err))
}

func TestWrongTokenIsUnauthorized(t *testing.T) {
	fake := shopifytest.New(t, shopifytest.Options{})
	c, err := shopify.NewClient(shopify.ClientConfig{BaseURL: fake.URL, APIVersion: "2025-07", AccessToken: "shpat_wrong_token"})
	require.NoError(t, err)
	_, err = c.ListOrdersUpdatedSince(context.Background(), time.Now())
	require.Equal(t, orderhub.EUnauthorized, orderhub.ErrorCode(err))
	require.Contains(t, err.Error(), "Invalid API key or access token")
	require.NotContains(t, err.Error(), "shpat_wrong_token")
	_, err = c.ListWebhooks(context.Background())
	require.Equal(t, orderhub.EUnauthorized, orderhub.ErrorCode(err))
	require.Len(t, fake.Requests(), 2, "no retries on 401")
}

func TestRateLimitedThenSucceeds(t *testing.T) {
	b := setup(t)
	b.fake.RateLimitNext(2, "2.0")
	_, err := b.client.ListOrdersUpdatedSince(context.Background(), time.Now())
	require.NoError(t, err)
	require.Equal(t, []time.Duration{2 * time.Second, 2 * time.Second}, b.clock.Sleeps())
	reqs := b.fake.Requests()
	require.Len(t, reqs, 3)
	require.Equal(t, []int{429, 429, 200}, []int{reqs[0].Status, reqs[1].Status, reqs[2].Status})
}

func TestOutageRetriedThenUnavailable(t *testing.T) {
	b := setup(t)
	b.fake.FailNext(-1, http.StatusServiceUnavailable)
	_, err := b.client.ListWebhooks(context.Background())
	require.Equal(t, orderhub.EUnavailable, orderhub.ErrorCode(err))
	require.Len(t, b.fake.Requests(), 4, "first attempt plus 3 retries")
	require.Len(t, b.clock.Sleeps(), 3)

	b.fake.ClearFailures()
	_, err = b.client.ListWebhooks(context.Background())
	require.NoError(t, err, "the outage is over")
}

func TestServerErrorThenSuccess(t *testing.T) {
	b := setup(t)
	b.fake.FailNext(1, http.StatusInternalServerError)
	_, err := b.client.ListOrdersUpdatedSince(context.Background(), time.Now())
	require.NoError(t, err)
	require.Len(t, b.fake.Requests(), 2)
}

func TestCallLimitNearTheMaxSlowsDown(t *testing.T) {
	b := setup(t)
	b.fake.SetCallLimit(38)
	_, err := b.client.ListOrdersUpdatedSince(context.Background(), time.Now())
	require.NoError(t, err)
	require.Empty(t, b.clock.Sleeps())
	_, err = b.client.ListOrdersUpdatedSince(context.Background(), time.Now())
	require.NoError(t, err)
	sleeps := b.clock.Sleeps()
	require.Len(t, sleeps, 1, "the call after 39/40 waits for the bucket to drain")
	require.GreaterOrEqual(t, sleeps[0], 3*time.Second)
}

func TestBucketOverflowIs429(t *testing.T) {
	fake := shopifytest.New(t, shopifytest.Options{BucketSize: 3, LeakRate: 0.001})
	c, err := shopify.NewClient(shopify.ClientConfig{
		BaseURL: fake.URL, APIVersion: "2025-07", AccessToken: shopifytest.DefaultAccessToken,
		HTTP: apiclient.Options{MaxRetries: -1, ShopifyLeakRate: 1000, Sleep: func(context.Context, time.Duration) error { return nil }},
	})
	require.NoError(t, err)
	for range 3 {
		_, err := c.ListOrdersUpdatedSince(context.Background(), time.Now())
		require.NoError(t, err)
	}
	_, err = c.ListOrdersUpdatedSince(context.Background(), time.Now())
	require.Equal(t, orderhub.ERateLimited, orderhub.ErrorCode(err))
	var se *apiclient.StatusError
	require.ErrorAs(t, err, &se)
	require.Equal(t, 429, se.StatusCode)
}

func TestRegisterWebhooksIsIdempotent(t *testing.T) {
	b := setup(t)
	ctx := context.Background()
	const cb = "https://hub.example.com/webhooks/shopify/acme-shopify"
	// One topic is already there; another points elsewhere and must stay.
	b.fake.AddSubscription("orders/paid", cb)
	b.fake.AddSubscription("orders/create", "https://old.example.com/hook")

	regs, err := b.client.RegisterWebhooks(ctx, cb, shopify.WebhookTopics)
	require.NoError(t, err)
	require.Len(t, regs, len(shopify.WebhookTopics))
	for i, r := range regs {
		require.Equal(t, shopify.WebhookTopics[i], r.Topic)
		require.Equal(t, cb, r.CallbackURL)
		require.Equal(t, r.Topic != "orders/paid", r.Created, r.Topic)
		require.NotEmpty(t, r.ID)
	}

	b.fake.ResetRequests()
	regs, err = b.client.RegisterWebhooks(ctx, cb, shopify.WebhookTopics)
	require.NoError(t, err)
	for _, r := range regs {
		require.False(t, r.Created, r.Topic)
	}
	require.Len(t, b.fake.Requests(), 1, "the second run only lists")

	perTopic := map[string]int{}
	for _, s := range b.fake.Subscriptions() {
		if s.CallbackURL == cb {
			perTopic[s.Topic]++
			require.Equal(t, "JSON", s.Format)
		}
	}
	require.Len(t, perTopic, len(shopify.WebhookTopics))
	for topic, n := range perTopic {
		require.Equal(t, 1, n, topic)
	}
	require.Len(t, b.fake.Subscriptions(), len(shopify.WebhookTopics)+1)

	hooks, err := b.client.ListWebhooks(ctx)
	require.NoError(t, err)
	require.Len(t, hooks, len(shopify.WebhookTopics)+1)
	require.Equal(t, "orders/paid", hooks[0].Topic)
	require.Equal(t, "https://old.example.com/hook", hooks[1].CallbackURL)
}

func TestListWebhooksPages(t *testing.T) {
	b := setup(t)
	for i := range 230 {
		b.fake.AddSubscription("orders/updated", "https://hub.example.com/"+strconv.Itoa(i))
	}
	hooks, err := b.client.ListWebhooks(context.Background())
	require.NoError(t, err)
	require.Len(t, hooks, 230)
	require.Equal(t, "https://hub.example.com/229", hooks[229].CallbackURL)
	require.Len(t, b.fake.Requests(), 3, "100 per page")
}

func TestGraphQLThrottledIsRetried(t *testing.T) {
	b := setup(t)
	b.fake.ThrottleNext(1)
	_, err := b.client.ListWebhooks(context.Background())
	require.NoError(t, err)
	require.Equal(t, []time.Duration{100 * time.Millisecond}, b.clock.Sleeps(), "10 points missing at 100/s")
	require.Len(t, b.fake.Requests(), 2)
}

func TestRegisterUnknownTopicIsInvalid(t *testing.T) {
	b := setup(t)
	_, err := b.client.RegisterWebhooks(context.Background(), "https://hub.example.com/x", []string{"orders/exploded"})
	require.Equal(t, orderhub.EInvalid, orderhub.ErrorCode(err))
	require.Contains(t, err.Error(), "ORDERS_EXPLODED")
	require.Empty(t, b.fake.Subscriptions())
}

func TestRegisterHTTPCallbackRefusedWhenShopifyWouldRefuse(t *testing.T) {
	fake := shopifytest.New(t, shopifytest.Options{RequireHTTPS: true})
	c, err := shopify.NewClient(shopify.ClientConfig{BaseURL: fake.URL, APIVersion: "2025-07", AccessToken: shopifytest.DefaultAccessToken})
	require.NoError(t, err)
	_, err = c.RegisterWebhooks(context.Background(), "http://hub.example.com/x", []string{"orders/create"})
	require.Equal(t, orderhub.EInvalid, orderhub.ErrorCode(err))
	require.Contains(t, err.Error(), "Address protocol http:// is not supported")
}

func TestForeignLinkIsRefused(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Link", `<https://evil.example.com/admin/api/2025-07/orders.json?page_info=x>; rel="next"`)
		w.Write([]byte(`{"orders":[]}`))
	}))
	defer srv.Close()
	c, err := shopify.NewClient(shopify.ClientConfig{BaseURL: srv.URL, APIVersion: "2025-07", AccessToken: "tok"})
	require.NoError(t, err)
	_, err = c.ListOrdersUpdatedSince(context.Background(), time.Now())
	require.Error(t, err)
	require.Contains(t, err.Error(), "another host")
}

func TestNextLink(t *testing.T) {
	h := http.Header{}
	require.Equal(t, "", shopify.NextLink(h))
	h.Add("Link", `<https://a.myshopify.com/admin/api/2025-07/orders.json?limit=250&page_info=prev>; rel="previous", <https://a.myshopify.com/admin/api/2025-07/orders.json?limit=250&page_info=nxt>; rel="next"`)
	require.Equal(t, "https://a.myshopify.com/admin/api/2025-07/orders.json?limit=250&page_info=nxt", shopify.NextLink(h))
	h2 := http.Header{}
	h2.Add("Link", `<https://x/y?page_info=p>; rel="previous"`)
	require.Equal(t, "", shopify.NextLink(h2))
}

func TestTopics(t *testing.T) {
	for rest, enum := range map[string]string{
		"orders/create":              "ORDERS_CREATE",
		"orders/cancelled":           "ORDERS_CANCELLED",
		"refunds/create":             "REFUNDS_CREATE",
		"orders/partially_fulfilled": "ORDERS_PARTIALLY_FULFILLED",
		"fulfillment_orders/cancellation_request_accepted": "FULFILLMENT_ORDERS_CANCELLATION_REQUEST_ACCEPTED",
		"app/uninstalled": "APP_UNINSTALLED",
	} {
		require.Equal(t, enum, shopify.GraphQLTopic(rest))
		require.Equal(t, rest, shopify.RESTTopic(enum))
	}
}
