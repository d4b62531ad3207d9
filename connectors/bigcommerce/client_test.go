package bigcommerce_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/orderhub/orderhub"
	"github.com/orderhub/orderhub/connectors/apiclient"
	"github.com/orderhub/orderhub/connectors/bigcommerce"
	"github.com/orderhub/orderhub/connectors/bigcommerce/bigcommercetest"
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
	fake   *bigcommercetest.Server
	client *bigcommerce.Client
	clock  *testClock
}

// setup shares one clock between the fake and the client, so that a
// client's wait moves the fake's rate-limit window too.
func setup(t *testing.T, o bigcommercetest.Options) bundle {
	t.Helper()
	clock := &testClock{now: time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)}
	o.Now = clock.Now
	fake := bigcommercetest.New(t, o)
	c, err := bigcommerce.NewClient(bigcommerce.ClientConfig{
		BaseURL:     fake.URL,
		StoreHash:   fake.Options().StoreHash,
		AccessToken: fake.Options().AccessToken,
		HTTP: apiclient.Options{
			Shop: "acme-bc", Sleep: clock.Sleep, Now: clock.Now, MaxRetries: 2,
			Jitter: func(time.Duration) time.Duration { return 0 },
		},
	})
	require.NoError(t, err)
	return bundle{fake: fake, client: c, clock: clock}
}

func TestNewClientChecksConfig(t *testing.T) {
	for _, cfg := range []bigcommerce.ClientConfig{
		{StoreHash: "abc/123", AccessToken: "t"},
		{StoreHash: "abc123"},
		{BaseURL: "api.bigcommerce.com", StoreHash: "abc123", AccessToken: "t"},
	} {
		_, err := bigcommerce.NewClient(cfg)
		require.Equal(t, orderhub.EInvalid, orderhub.ErrorCode(err), "%+v", cfg)
	}
	_, err := bigcommerce.NewClient(bigcommerce.ClientConfig{StoreHash: "abc123", AccessToken: "t"})
	require.NoError(t, err, "the base URL defaults to api.bigcommerce.com")
}

func TestFetchOrder(t *testing.T) {
	b := setup(t, bigcommercetest.Options{})
	lines := make([]bigcommercetest.LineSpec, 260) // more than one page of products
	for i := range lines {
		lines[i] = bigcommercetest.LineSpec{SKU: "SKU-" + strconv.Itoa(i), Quantity: 1, Price: "1.25"}
	}
	id, err := b.fake.AddBuiltOrder(bigcommercetest.OrderSpec{ID: 5001, Lines: lines, ShippingCost: "4.99"})
	require.NoError(t, err)

	order, products, addrs, err := b.client.FetchOrder(context.Background(), strconv.FormatInt(id, 10))
	require.NoError(t, err)
	o, err := bigcommerce.NormalizeOrder(order, products, addrs)
	require.NoError(t, err)
	require.Equal(t, "5001", o.ExternalID)
	require.Len(t, o.Lines, 260, "both pages of products")
	require.Equal(t, "US", o.ShippingAddr.Country)
	require.Equal(t, int64(32500+499), o.Totals.Total.Amount)

	paths := []string{}
	for _, r := range b.fake.Requests() {
		paths = append(paths, r.Method+" "+r.Path)
		require.Equal(t, bigcommercetest.DefaultAccessToken, r.Header.Get("X-Auth-Token"))
		require.Equal(t, "application/json", r.Header.Get("Accept"))
	}
	require.Equal(t, []string{
		"GET /stores/abc123/v2/orders/5001",
		"GET /stores/abc123/v2/orders/5001/products",
		"GET /stores/abc123/v2/orders/5001/products",
		"GET /stores/abc123/v2/orders/5001/shipping_addresses",
	}, paths)
}

func TestFetchDigitalOrderHasEmptyShippingAddresses(t *testing.T) {
	b := setup(t, bigcommercetest.Options{})
	_, err := b.fake.AddBuiltOrder(bigcommercetest.OrderSpec{ID: 77, Digital: true})
	require.NoError(t, err)
	order, products, addrs, err := b.client.FetchOrder(context.Background(), "77")
	require.NoError(t, err)
	require.Equal(t, "[]", string(addrs), "204 No Content becomes an empty collection")
	reqs := b.fake.RequestsTo(http.MethodGet, "/stores/abc123/v2/orders/77/shipping_addresses")
	require.Len(t, reqs, 1)
	require.Equal(t, http.StatusNoContent, reqs[0].Status)
	_, err = bigcommerce.NormalizeOrder(order, products, addrs)
	require.NoError(t, err)
}

func TestFetchOrderErrors(t *testing.T) {
	b := setup(t, bigcommercetest.Options{})
	_, _, _, err := b.client.FetchOrder(context.Background(), "404")
	require.Equal(t, orderhub.ENotFound, orderhub.ErrorCode(err))
	require.Contains(t, err.Error(), "The requested resource was not found.")
	require.Len(t, b.fake.Requests(), 1, "404 is not retried")

	_, _, _, err = b.client.FetchOrder(context.Background(), "1 OR 1")
	require.Equal(t, orderhub.EInvalid, orderhub.ErrorCode(err))
}

func TestWrongTokenIsUnauthorized(t *testing.T) {
	fake := bigcommercetest.New(t, bigcommercetest.Options{})
	c, err := bigcommerce.NewClient(bigcommerce.ClientConfig{BaseURL: fake.URL, StoreHash: "abc123", AccessToken: "wrong-token-value"})
	require.NoError(t, err)
	_, err = c.ListWebhooks(context.Background())
	require.Equal(t, orderhub.EUnauthorized, orderhub.ErrorCode(err))
	require.NotContains(t, err.Error(), "wrong-token-value")
	require.Len(t, fake.Requests(), 1)
}

func TestListOrdersModifiedSince(t *testing.T) {
	b := setup(t, bigcommercetest.Options{Quota: 1000})
	base := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	since := base.Add(40 * time.Hour)
	var want []string
	for i := range 300 {
		mod := base.Add(time.Duration(i) * time.Hour)
		id := int64(1000 + i)
		_, err := b.fake.AddBuiltOrder(bigcommercetest.OrderSpec{ID: id, CreatedAt: base, ModifiedAt: mod})
		require.NoError(t, err)
		if !mod.Before(since) {
			want = append(want, strconv.FormatInt(id, 10))
		}
	}
	orders, err := b.client.ListOrdersModifiedSince(context.Background(), since)
	require.NoError(t, err)
	var got []string
	for _, raw := range orders {
		id, err := bigcommerce.OrderID(raw)
		require.NoError(t, err)
		got = append(got, id)
	}
	require.Equal(t, want, got)

	reqs := b.fake.RequestsTo(http.MethodGet, "/stores/abc123/v2/orders")
	require.Len(t, reqs, 2, "260 orders are two pages of 250")
	q, _ := url.ParseQuery(reqs[0].Query)
	require.Equal(t, "Mon, 02 Nov 2026 16:00:00 +0000", q.Get("min_date_modified"), "RFC 2822")
	require.Equal(t, "250", q.Get("limit"))

	// With the list in hand, only the sub-resources are fetched.
	p, a, err := b.client.FetchOrderSubresources(context.Background(), got[0])
	require.NoError(t, err)
	_, err = bigcommerce.NormalizeOrder(orders[0], p, a)
	require.NoError(t, err)
}

func TestListOrdersEmptyIs204(t *testing.T) {
	b := setup(t, bigcommercetest.Options{})
	orders, err := b.client.ListOrdersModifiedSince(context.Background(), time.Now())
	require.NoError(t, err)
	require.Empty(t, orders)
	require.Equal(t, http.StatusNoContent, b.fake.Requests()[0].Status)
}

func TestRateLimitedWaitsForTheReset(t *testing.T) {
	b := setup(t, bigcommercetest.Options{})
	_, err := b.fake.AddBuiltOrder(bigcommercetest.OrderSpec{ID: 9})
	require.NoError(t, err)
	b.fake.RateLimitNext(1, 1500*time.Millisecond)
	_, _, _, err = b.client.FetchOrder(context.Background(), "9")
	require.NoError(t, err)
	require.Equal(t, []time.Duration{1500 * time.Millisecond}, b.clock.Sleeps())
}

func TestRequestsLeftZeroPausesTheNextCall(t *testing.T) {
	b := setup(t, bigcommercetest.Options{})
	b.fake.SetRequestsLeft(0, 2*time.Second)
	_, err := b.client.ListWebhooks(context.Background())
	require.NoError(t, err)
	require.Empty(t, b.clock.Sleeps())
	_, err = b.client.ListWebhooks(context.Background())
	require.NoError(t, err)
	require.Equal(t, []time.Duration{2 * time.Second}, b.clock.Sleeps())
	for _, r := range b.fake.Requests() {
		require.Equal(t, 200, r.Status, "the pause avoided any 429")
	}
}

func TestSpentWindowIsWaitedOut(t *testing.T) {
	b := setup(t, bigcommercetest.Options{Quota: 3, Window: 10 * time.Second})
	for range 3 {
		_, err := b.client.ListOrdersModifiedSince(context.Background(), time.Now())
		require.NoError(t, err)
	}
	// The third answer said 0 left: the fourth call waits for the reset and
	// never sees a 429.
	_, err := b.client.ListOrdersModifiedSince(context.Background(), time.Now())
	require.NoError(t, err)
	require.Equal(t, []time.Duration{10 * time.Second}, b.clock.Sleeps())
	for _, r := range b.fake.Requests() {
		require.NotEqual(t, http.StatusTooManyRequests, r.Status)
	}
}

func TestServerErrorsRetriedThenUnavailable(t *testing.T) {
	b := setup(t, bigcommercetest.Options{})
	b.fake.FailNext(-1, http.StatusBadGateway)
	_, err := b.client.ListWebhooks(context.Background())
	require.Equal(t, orderhub.EUnavailable, orderhub.ErrorCode(err))
	require.Len(t, b.fake.Requests(), 3)
	b.fake.ClearFailures()
	b.fake.FailNext(1, http.StatusInternalServerError)
	_, err = b.client.ListWebhooks(context.Background())
	require.NoError(t, err, "one 500 is retried away")
}

func TestRegisterWebhooksIsIdempotent(t *testing.T) {
	b := setup(t, bigcommercetest.Options{})
	ctx := context.Background()
	const dest = "https://hub.example.com/webhooks/bigcommerce/acme-bc"
	headers := map[string]string{"X-Orderhub-Auth": "hook-secret"}
	inactive := b.fake.AddSubscription("store/order/updated", dest, headers, false)
	oldHeaders := b.fake.AddSubscription("store/order/archived", dest, map[string]string{"X-Orderhub-Auth": "old"}, true)

	regs, err := b.client.RegisterWebhooks(ctx, dest, bigcommerce.WebhookScopes, headers)
	require.NoError(t, err)
	require.Len(t, regs, 5)
	for i, r := range regs {
		require.Equal(t, bigcommerce.WebhookScopes[i], r.Scope)
		require.True(t, r.IsActive)
		require.Equal(t, dest, r.Destination)
		require.Equal(t, headers, r.Headers)
		switch r.Scope {
		case "store/order/updated":
			require.True(t, r.Updated)
			require.Equal(t, inactive.ID, r.ID)
		case "store/order/archived":
			require.True(t, r.Updated)
			require.Equal(t, oldHeaders.ID, r.ID)
		default:
			require.True(t, r.Created, r.Scope)
		}
	}

	b.fake.ResetRequests()
	regs, err = b.client.RegisterWebhooks(ctx, dest, bigcommerce.WebhookScopes, headers)
	require.NoError(t, err)
	for _, r := range regs {
		require.False(t, r.Created || r.Updated, r.Scope)
	}
	require.Len(t, b.fake.Requests(), 1, "the second run only lists")
	require.Len(t, b.fake.Subscriptions(), 5)

	hooks, err := b.client.ListWebhooks(ctx)
	require.NoError(t, err)
	require.Len(t, hooks, 5)
}

func TestListWebhooksPages(t *testing.T) {
	b := setup(t, bigcommercetest.Options{})
	for i := range 260 {
		b.fake.AddSubscription("store/order/created", "https://x.example.com/"+strconv.Itoa(i), nil, true)
	}
	hooks, err := b.client.ListWebhooks(context.Background())
	require.NoError(t, err)
	require.Len(t, hooks, 260)
	require.Len(t, b.fake.Requests(), 2)
}

func TestRegisterUnknownScope(t *testing.T) {
	b := setup(t, bigcommercetest.Options{})
	_, err := b.client.RegisterWebhooks(context.Background(), "https://hub.example.com/x", []string{"store/order/exploded"}, nil)
	require.Equal(t, orderhub.EInvalid, orderhub.ErrorCode(err))
	require.Contains(t, err.Error(), "Invalid scope")
}
