package easyposttest_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/orderhub/orderhub/connectors/easypost"
	"github.com/orderhub/orderhub/connectors/easypost/easyposttest"
)

func TestAuthAndErrorShape(t *testing.T) {
	t.Parallel()
	s := easyposttest.New(t, easyposttest.Options{})
	req, _ := http.NewRequest(http.MethodGet, s.URL+"/v2/shipments", nil)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	require.JSONEq(t, `{"error":{"code":"APIKEY.REQUIRED","message":"Invalid or missing API Key.","errors":[]}}`, string(b))

	req, _ = http.NewRequest(http.MethodPost, s.URL+"/v2/shipments", strings.NewReader(`{"shipment":{}}`))
	req.SetBasicAuth(easyposttest.DefaultAPIKey, "")
	resp, err = http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
}

func TestTrackPostsASignedEvent(t *testing.T) {
	t.Parallel()
	s := easyposttest.New(t, easyposttest.Options{})
	var sig string
	var body []byte
	hub := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sig = r.Header.Get("X-Hmac-Signature")
		body, _ = io.ReadAll(r.Body)
	}))
	t.Cleanup(hub.Close)
	c, err := easypost.NewClient(easypost.ClientConfig{BaseURL: s.URL, APIKey: easyposttest.DefaultAPIKey})
	require.NoError(t, err)
	ctx := context.Background()
	_, _, err = s.Track(ctx, hub.URL, "ep", "shp_missing", easypost.TrackerInTransit)
	require.Error(t, err, "only a bought shipment has a tracker")
	sh, err := c.CreateShipment(ctx, easypost.ShipmentRequest{To: easypost.Address{Street1: "a", Country: "US"}, From: easypost.Address{Street1: "b", Country: "US"}, Parcel: easypost.Parcel{Weight: 1}})
	require.NoError(t, err)
	_, err = c.BuyShipment(ctx, sh.ID, sh.Rates[2].ID)
	require.NoError(t, err)
	d, _, err := s.Track(ctx, hub.URL, "ep", sh.ID, easypost.TrackerOutForDelivery)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, d.Status)
	require.NoError(t, easypost.VerifyWebhook(http.Header{"X-Hmac-Signature": {sig}}, body, easyposttest.DefaultWebhookSecret))
	ev, err := easypost.DecodeEvent(body)
	require.NoError(t, err)
	require.Equal(t, "out_for_delivery", ev.Tracker.Status)
	require.Equal(t, sh.ID, ev.Tracker.ShipmentID)
	require.Equal(t, "UPS", ev.Tracker.Carrier, "the carrier of the rate bought")
	got, _ := s.Shipment(sh.ID)
	require.Equal(t, "out_for_delivery", got.Tracker.Status)
}
