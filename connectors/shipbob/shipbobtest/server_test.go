package shipbobtest_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/orderhub/orderhub/connectors/shipbob"
	"github.com/orderhub/orderhub/connectors/shipbob/shipbobtest"
)

func do(t *testing.T, s *shipbobtest.Server, client *http.Client, method, path, token, body string) (*http.Response, string, error) {
	t.Helper()
	req, err := http.NewRequest(method, s.URL+path, strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set(shipbob.HeaderChannelID, shipbobtest.DefaultChannelID)
	resp, err := client.Do(req)
	if err != nil {
		return nil, "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b), nil
}

func TestAuthAndErrors(t *testing.T) {
	t.Parallel()
	s := shipbobtest.New(t, shipbobtest.Options{})
	resp, body, err := do(t, s, http.DefaultClient, http.MethodGet, "/2026-01/order", "wrong", "")
	require.NoError(t, err)
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	require.Contains(t, body, "denied")
	resp, _, err = do(t, s, http.DefaultClient, http.MethodGet, "/v9/order", shipbobtest.DefaultToken, "")
	require.NoError(t, err)
	require.Equal(t, http.StatusNotFound, resp.StatusCode, "an unknown API version")
	s.RateLimitNext(1, 25)
	resp, body, err = do(t, s, http.DefaultClient, http.MethodGet, "/2026-01/order", shipbobtest.DefaultToken, "")
	require.NoError(t, err)
	require.Equal(t, http.StatusTooManyRequests, resp.StatusCode)
	require.Equal(t, "25", resp.Header.Get("x-retry-after"))
	require.JSONEq(t, `{"statusCode":429,"message":"Rate limit is exceeded. Try again in 25 seconds."}`, body)
	resp, body, err = do(t, s, http.DefaultClient, http.MethodGet, "/2026-01/order?Limit=500", shipbobtest.DefaultToken, "")
	require.NoError(t, err)
	require.Equal(t, http.StatusBadRequest, resp.StatusCode, body)
	require.Len(t, s.Requests(), 4, "every request is logged")
}

func TestTimeoutsAndSlowAnswers(t *testing.T) {
	t.Parallel()
	s := shipbobtest.New(t, shipbobtest.Options{})
	quick := &http.Client{Timeout: 100 * time.Millisecond}
	s.TimeoutNext(1, 300*time.Millisecond, nil)
	_, _, err := do(t, s, quick, http.MethodGet, "/2026-01/order", shipbobtest.DefaultToken, "")
	require.Error(t, err, "the client times out")
	s.TimeoutNext(1, 0, nil)
	_, _, err = do(t, s, http.DefaultClient, http.MethodGet, "/2026-01/order", shipbobtest.DefaultToken, "")
	require.Error(t, err, "the connection is dropped")

	s.SlowNext(1, 200*time.Millisecond, nil)
	start := time.Now()
	resp, _, err := do(t, s, http.DefaultClient, http.MethodGet, "/2026-01/order", shipbobtest.DefaultToken, "")
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.GreaterOrEqual(t, time.Since(start), 200*time.Millisecond)
	require.Len(t, s.Requests(), 1, "dropped requests never reached the platform")
}

func TestDeliveriesAreSigned(t *testing.T) {
	t.Parallel()
	s := shipbobtest.New(t, shipbobtest.Options{})
	var got *http.Request
	var body []byte
	hub := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.Clone(context.Background())
		body, _ = io.ReadAll(r.Body)
	}))
	t.Cleanup(hub.Close)
	c, err := shipbob.NewClient(shipbob.ClientConfig{BaseURL: s.URL, Token: shipbobtest.DefaultToken, ChannelID: shipbobtest.DefaultChannelID})
	require.NoError(t, err)
	_, _, err = c.EnsureOrder(context.Background(), shipbob.CreateOrderRequest{ReferenceID: "f-1", ShippingMethod: "Standard", Type: "DTC",
		Recipient: shipbob.Recipient{Name: "Jo", Address: shipbob.Address{Address1: "1 Main", City: "X", Country: "US"}}, Products: []shipbob.Product{{ReferenceID: "A", Quantity: 1}}})
	require.NoError(t, err)
	d, err := s.ShipOrder(context.Background(), hub.URL, "shipbob-main", "f-1", shipbob.Tracking{Carrier: "USPS", TrackingNumber: "1"})
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, d.Status)
	require.Equal(t, "/webhooks/shipbob/shipbob-main", got.URL.Path)
	require.Equal(t, "order.shipped", got.Header.Get("X-Webhook-Topic"))
	msg, err := shipbob.VerifyWebhook(got.Header, body, shipbobtest.DefaultWebhookSecret, time.Now())
	require.NoError(t, err)
	require.NotEmpty(t, msg.ID)
	ev, err := shipbob.DecodeWebhook("order.shipped", body)
	require.NoError(t, err)
	require.Equal(t, "f-1", ev.ReferenceID)

	_, err = s.Post(context.Background(), hub.URL, "shipment_delivered", "msg_1", []byte(`{}`))
	require.NoError(t, err)
	require.Equal(t, "shipment_delivered", got.Header.Get("shipbob-topic"), "a legacy topic goes in the legacy header")
	require.Equal(t, "msg_1", got.Header.Get("webhook-id"))
}
