package shipbob_test

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/orderhub/orderhub"
	"github.com/orderhub/orderhub/connectors/apiclient"
	"github.com/orderhub/orderhub/connectors/shipbob"
	"github.com/orderhub/orderhub/connectors/shipbob/shipbobtest"
)

type bundle struct {
	fake   *shipbobtest.Server
	client *shipbob.Client
	sleeps *sleeps
}

// sleeps records the waits the client asked for, without sleeping.
type sleeps struct {
	mu sync.Mutex
	d  []time.Duration
}

func (s *sleeps) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.d = append(s.d, d)
	s.mu.Unlock()
	return ctx.Err()
}

func (s *sleeps) all() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.d...)
}

func setup(t *testing.T, timeout time.Duration) bundle {
	t.Helper()
	fake := shipbobtest.New(t, shipbobtest.Options{})
	sl := &sleeps{}
	o := apiclient.Options{Sleep: sl.sleep, MaxRetries: 3}
	if timeout > 0 {
		o.HTTPClient = &http.Client{Timeout: timeout}
	}
	c, err := shipbob.NewClient(shipbob.ClientConfig{BaseURL: fake.URL, Token: shipbobtest.DefaultToken, ChannelID: shipbobtest.DefaultChannelID, HTTP: o})
	require.NoError(t, err)
	return bundle{fake: fake, client: c, sleeps: sl}
}

func orderReq(ref string) shipbob.CreateOrderRequest {
	return shipbob.CreateOrderRequest{ReferenceID: ref, ShippingMethod: "Standard", Type: "DTC", OrderNumber: "#1001",
		Recipient: shipbob.Recipient{Name: "Jo Doe", Address: shipbob.Address{Address1: "1 Main St", City: "Newark", State: "NJ", Country: "US", ZipCode: "07102"}},
		Products:  []shipbob.Product{{ReferenceID: "MUG", Name: "Mug", Quantity: 2}}}
}

func TestEnsureOrderCreatesOnce(t *testing.T) {
	t.Parallel()
	b := setup(t, 0)
	ctx := context.Background()
	o, created, err := b.client.EnsureOrder(ctx, orderReq("f-1"))
	require.NoError(t, err)
	require.True(t, created)
	require.NotZero(t, o.ID)
	require.Equal(t, "f-1", o.ReferenceID)

	again, created, err := b.client.EnsureOrder(ctx, orderReq("f-1"))
	require.NoError(t, err)
	require.False(t, created, "the reference exists: found, not created")
	require.Equal(t, o.ID, again.ID)
	require.Equal(t, 1, b.fake.Created())

	creates := b.fake.RequestsTo(http.MethodPost, "/2026-01/order")
	require.Len(t, creates, 1)
	require.Equal(t, shipbobtest.DefaultChannelID, creates[0].Header.Get(shipbob.HeaderChannelID))
	require.Equal(t, "Bearer "+shipbobtest.DefaultToken, creates[0].Header.Get("Authorization"))
}

func TestEnsureOrderRetriesRateLimitAndOutage(t *testing.T) {
	t.Parallel()
	b := setup(t, 0)
	b.fake.RateLimitNext(1, 7)
	b.fake.FailNext(2, http.StatusInternalServerError)
	_, created, err := b.client.EnsureOrder(context.Background(), orderReq("f-2"))
	require.NoError(t, err)
	require.True(t, created)
	require.Equal(t, 1, b.fake.Created())
	require.Contains(t, b.sleeps.all(), 7*time.Second, "the 429's x-retry-after is waited")
}

func TestEnsureOrderAfterALostAnswerFindsTheOrder(t *testing.T) {
	t.Parallel()
	// The create lands but its answer is lost; the retried POST gets
	// ShipBob's 422 for the reference, and the order that exists is
	// returned.
	b := setup(t, 0)
	b.fake.LoseAnswerNext(1, func(r *http.Request) bool { return r.Method == http.MethodPost })
	o, created, err := b.client.EnsureOrder(context.Background(), orderReq("f-3"))
	require.NoError(t, err)
	require.False(t, created)
	require.Equal(t, "f-3", o.ReferenceID)
	require.NotZero(t, o.ID)
	require.Equal(t, 1, b.fake.Created(), "never a second order")
	require.Len(t, b.fake.RequestsTo(http.MethodPost, "/2026-01/order"), 2, "the create was retried and refused")
}

func TestEnsureOrderSlowAnswerMakesOneOrder(t *testing.T) {
	t.Parallel()
	// The first create is still on its way when the client gives up and
	// retries: whichever lands second is refused.
	b := setup(t, 300*time.Millisecond)
	b.fake.SlowNext(1, time.Second, func(r *http.Request) bool { return r.Method == http.MethodPost })
	o, _, err := b.client.EnsureOrder(context.Background(), orderReq("f-6"))
	require.NoError(t, err)
	require.Equal(t, "f-6", o.ReferenceID)
	require.Eventually(t, func() bool { return len(b.fake.RequestsTo(http.MethodPost, "/2026-01/order")) == 2 }, 5*time.Second, 20*time.Millisecond)
	require.Equal(t, 1, b.fake.Created(), "never a second order")
}

func TestEnsureOrderTimeoutThenRetry(t *testing.T) {
	t.Parallel()
	b := setup(t, 200*time.Millisecond)
	b.fake.TimeoutNext(1, 500*time.Millisecond, func(r *http.Request) bool { return r.Method == http.MethodPost })
	_, created, err := b.client.EnsureOrder(context.Background(), orderReq("f-4"))
	require.NoError(t, err)
	require.True(t, created)
	require.Equal(t, 1, b.fake.Created())
}

func TestEnsureOrderValidationError(t *testing.T) {
	t.Parallel()
	b := setup(t, 0)
	req := orderReq("f-5")
	req.Products = nil
	_, _, err := b.client.EnsureOrder(context.Background(), req)
	require.Equal(t, orderhub.EInvalid, orderhub.ErrorCode(err))
	require.Contains(t, err.Error(), "product")
	require.Equal(t, 0, b.fake.Created())
}

func TestPollAndMarkUploaded(t *testing.T) {
	t.Parallel()
	b := setup(t, 0)
	ctx := context.Background()
	for _, ref := range []string{"a", "b", "c"} {
		_, _, err := b.client.EnsureOrder(ctx, orderReq(ref))
		require.NoError(t, err)
	}
	_, err := b.fake.Ship("a", shipbob.Tracking{Carrier: "USPS", TrackingNumber: "9400A"})
	require.NoError(t, err)
	_, err = b.fake.Ship("c", shipbob.Tracking{Carrier: "UPS", TrackingNumber: "1ZC"})
	require.NoError(t, err)

	orders, err := b.client.UntrackedOrders(ctx)
	require.NoError(t, err)
	require.Len(t, orders, 2)
	require.Equal(t, "9400A", orders[0].Shipments[0].Tracking.Number())
	require.NoError(t, b.client.MarkTrackingUploaded(ctx, []int64{orders[0].Shipments[0].ID}))
	orders, err = b.client.UntrackedOrders(ctx)
	require.NoError(t, err)
	require.Len(t, orders, 1)
	require.Equal(t, "c", orders[0].ReferenceID)
}

func TestRegisterWebhooksIsIdempotent(t *testing.T) {
	t.Parallel()
	b := setup(t, 0)
	ctx := context.Background()
	url := "https://hub.example/webhooks/shipbob/shipbob-main"
	regs, err := b.client.RegisterWebhooks(ctx, url, shipbob.WebhookTopics, shipbobtest.DefaultWebhookSecret)
	require.NoError(t, err)
	require.Len(t, regs, len(shipbob.WebhookTopics))
	for _, r := range regs {
		require.True(t, r.Created)
	}
	regs, err = b.client.RegisterWebhooks(ctx, url, shipbob.WebhookTopics, shipbobtest.DefaultWebhookSecret)
	require.NoError(t, err)
	for _, r := range regs {
		require.False(t, r.Created, r.Topic)
	}
	require.Len(t, b.fake.Subscriptions(), 1)
	_, err = b.client.RegisterWebhooks(ctx, url, shipbob.WebhookTopics, "not-a-whsec-secret")
	require.Equal(t, orderhub.EInvalid, orderhub.ErrorCode(err))
}

func TestBadToken(t *testing.T) {
	t.Parallel()
	fake := shipbobtest.New(t, shipbobtest.Options{})
	c, err := shipbob.NewClient(shipbob.ClientConfig{BaseURL: fake.URL, Token: "wrong", ChannelID: "12345"})
	require.NoError(t, err)
	_, _, err = c.FindOrderByReference(context.Background(), "x")
	require.Equal(t, orderhub.EUnauthorized, orderhub.ErrorCode(err))
	_, err = shipbob.NewClient(shipbob.ClientConfig{Token: "t", ChannelID: "abc"})
	require.Equal(t, orderhub.EInvalid, orderhub.ErrorCode(err))
}
