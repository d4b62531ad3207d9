package easypost_test

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/orderhub/orderhub"
	"github.com/orderhub/orderhub/connectors/apiclient"
	"github.com/orderhub/orderhub/connectors/easypost"
	"github.com/orderhub/orderhub/connectors/easypost/easyposttest"
)

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

func setup(t *testing.T) (*easyposttest.Server, *easypost.Client, *sleeps) {
	t.Helper()
	fake := easyposttest.New(t, easyposttest.Options{})
	sl := &sleeps{}
	c, err := easypost.NewClient(easypost.ClientConfig{BaseURL: fake.URL, APIKey: easyposttest.DefaultAPIKey,
		HTTP: apiclient.Options{Sleep: sl.sleep, MaxRetries: 3}})
	require.NoError(t, err)
	return fake, c, sl
}

func shipmentReq(ref string) easypost.ShipmentRequest {
	return easypost.ShipmentRequest{Reference: ref,
		To:     easypost.Address{Name: "Jo Doe", Street1: "1 Main St", City: "Newark", State: "NJ", Zip: "07102", Country: "US"},
		From:   easypost.Address{Company: "Acme NYC", Street1: "450 W 33rd St", City: "New York", State: "NY", Zip: "10001", Country: "US"},
		Parcel: easypost.Parcel{Length: 10, Width: 8, Height: 4, Weight: 16}}
}

func TestCreateAndBuy(t *testing.T) {
	t.Parallel()
	fake, c, _ := setup(t)
	ctx := context.Background()
	sh, err := c.CreateShipment(ctx, shipmentReq("f-1"))
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(sh.ID, "shp_"))
	require.Equal(t, "f-1", sh.Reference)
	require.Len(t, sh.Rates, 3)

	req := fake.RequestsTo(http.MethodPost, "/v2/shipments")[0]
	user, _, ok := (&http.Request{Header: req.Header}).BasicAuth()
	require.True(t, ok)
	require.Equal(t, easyposttest.DefaultAPIKey, user, "HTTP Basic with the key as user")
	require.Contains(t, string(req.Body), `"reference":"f-1"`)

	bought, err := c.BuyShipment(ctx, sh.ID, sh.Rates[1].ID)
	require.NoError(t, err)
	require.True(t, easypost.Bought(bought))
	require.Equal(t, "Priority", bought.SelectedRate.Service)
	require.NotEmpty(t, bought.Tracker.PublicURL)

	again, err := c.BuyShipment(ctx, sh.ID, sh.Rates[0].ID)
	require.NoError(t, err, "a bought shipment is returned, not bought again")
	require.Equal(t, bought.TrackingCode, again.TrackingCode)
	require.Equal(t, 1, fake.LabelsBought())
}

func TestBuyAfterALostAnswer(t *testing.T) {
	t.Parallel()
	fake, c, _ := setup(t)
	ctx := context.Background()
	sh, err := c.CreateShipment(ctx, shipmentReq("f-2"))
	require.NoError(t, err)
	fake.LoseAnswerNext(1, func(r *http.Request) bool { return strings.HasSuffix(r.URL.Path, "/buy") })
	bought, err := c.BuyShipment(ctx, sh.ID, sh.Rates[0].ID)
	require.NoError(t, err)
	require.True(t, easypost.Bought(bought))
	require.Equal(t, 1, fake.LabelsBought())
	require.Len(t, fake.RequestsTo(http.MethodPost, "/v2/shipments/"+sh.ID+"/buy"), 2, "the buy was retried and refused")
}

func TestRetriesHonourRetryAfter(t *testing.T) {
	t.Parallel()
	fake, c, sl := setup(t)
	fake.RateLimitNext(1, "3")
	fake.FailNext(1, http.StatusBadGateway)
	sh, err := c.CreateShipment(context.Background(), shipmentReq("f-3"))
	require.NoError(t, err)
	require.NotEmpty(t, sh.ID)
	require.Equal(t, 1, fake.ShipmentsCreated())
	require.Contains(t, sl.d, 3*time.Second)
}

func TestErrorsKeepTheirCodes(t *testing.T) {
	t.Parallel()
	fake, c, _ := setup(t)
	ctx := context.Background()
	bad := shipmentReq("f-4")
	bad.Parcel.Weight = 0
	_, err := c.CreateShipment(ctx, bad)
	require.Equal(t, orderhub.EInvalid, orderhub.ErrorCode(err))
	require.Contains(t, err.Error(), "parcel.weight")
	_, err = c.GetShipment(ctx, "shp_missing")
	require.Equal(t, orderhub.ENotFound, orderhub.ErrorCode(err))

	wrong, err := easypost.NewClient(easypost.ClientConfig{BaseURL: fake.URL, APIKey: "EZTKwrong"})
	require.NoError(t, err)
	_, err = wrong.GetShipment(ctx, "shp_1")
	require.Equal(t, orderhub.EUnauthorized, orderhub.ErrorCode(err))
	require.NotContains(t, err.Error(), "EZTKwrong")
}

func TestEnsureWebhook(t *testing.T) {
	t.Parallel()
	fake, c, _ := setup(t)
	ctx := context.Background()
	url := "https://hub.example/webhooks/easypost/easypost-main"
	reg, err := c.EnsureWebhook(ctx, url, "s3cret")
	require.NoError(t, err)
	require.True(t, reg.Created)
	reg2, err := c.EnsureWebhook(ctx, url, "s3cret")
	require.NoError(t, err)
	require.False(t, reg2.Created || reg2.Updated)
	require.Equal(t, reg.ID, reg2.ID)
	require.Len(t, fake.Webhooks(), 1)
	require.Equal(t, "s3cret", fake.Webhooks()[0].WebhookSecret)

	require.NoError(t, fake.DisableWebhook(reg.ID))
	reg3, err := c.EnsureWebhook(ctx, url, "s3cret")
	require.NoError(t, err)
	require.True(t, reg3.Updated, "a disabled webhook is re-enabled")
	require.Nil(t, fake.Webhooks()[0].DisabledAt)
}

func TestEnsureShipmentNeverCreatesTwo(t *testing.T) {
	t.Parallel()
	fake, c, _ := setup(t)
	ctx := context.Background()
	for i := range 3 {
		_, err := c.CreateShipment(ctx, shipmentReq("other-"+string(rune('a'+i))))
		require.NoError(t, err)
	}
	fake.LoseAnswerNext(1, func(r *http.Request) bool { return r.Method == http.MethodPost })
	sh, err := c.EnsureShipment(ctx, shipmentReq("f-7"), time.Now().Add(-time.Minute))
	require.NoError(t, err)
	require.Equal(t, "f-7", sh.Reference)
	require.Equal(t, 4, fake.ShipmentsCreated(), "the lost answer's shipment is found, not made again")
	require.Len(t, fake.RequestsTo(http.MethodPost, "/v2/shipments"), 4)

	found, ok, err := c.FindShipment(ctx, "other-a", time.Time{})
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, "other-a", found.Reference)
	_, ok, err = c.FindShipment(ctx, "never", time.Time{})
	require.NoError(t, err)
	require.False(t, ok)

	fake.RateLimitNext(1, "2")
	_, err = c.EnsureShipment(ctx, shipmentReq("f-8"), time.Now())
	require.NoError(t, err)
	require.Equal(t, 5, fake.ShipmentsCreated(), "a 429 was not processed: sent again")
}
