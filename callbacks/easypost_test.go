package callbacks_test

import (
	"bytes"
	"context"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/orderhub/orderhub"
	"github.com/orderhub/orderhub/allocator"
	"github.com/orderhub/orderhub/connectors/easypost"
	"github.com/orderhub/orderhub/connectors/easypost/easyposttest"
)

// easypostLabel routes a mug order to nyc and buys its label at the fake,
// as the executor does.
func (w *world) easypostLabel(t *testing.T) (orderhub.Fulfillment, *easypost.Shipment) {
	t.Helper()
	ctx := context.Background()
	f := w.order(t, "MUG", 1)
	sh, err := w.ep.CreateShipment(ctx, easypost.ShipmentRequest{Reference: f.ID,
		To:     easypost.Address{Street1: "1 Main St", City: "Newark", Country: "US", Zip: "07102"},
		From:   easypost.Address{Street1: "450 W 33rd St", City: "New York", Country: "US", Zip: "10001"},
		Parcel: easypost.Parcel{Weight: 16}})
	require.NoError(t, err)
	w.advance(t, allocator.Progress{FulfillmentID: f.ID, ExternalID: sh.ID})
	bought, err := w.ep.BuyShipment(ctx, sh.ID, sh.Rates[0].ID)
	require.NoError(t, err)
	w.advance(t, allocator.Progress{FulfillmentID: f.ID, Status: orderhub.FulfillmentSubmitted, Carrier: bought.SelectedRate.Carrier,
		TrackingNumber: bought.TrackingCode, LabelURL: bought.PostageLabel.LabelURL})
	return f, bought
}

func TestEasyPostLifecycle(t *testing.T) {
	t.Parallel()
	w := setup(t)
	ctx := context.Background()
	f, sh := w.easypostLabel(t)

	d, _, err := w.easypost.Track(ctx, w.hub, "easypost-main", sh.ID, easypost.TrackerPreTransit)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, d.Status, "%s", d.Body)
	require.Equal(t, orderhub.FulfillmentSubmitted, w.get(t, f.ID).Status, "pre_transit: the label exists, nothing moved")

	d, body, err := w.easypost.Track(ctx, w.hub, "easypost-main", sh.ID, easypost.TrackerInTransit)
	require.NoError(t, err)
	require.Equal(t, "accepted", answer(t, d.Body)["status"])
	got := w.get(t, f.ID)
	require.Equal(t, orderhub.FulfillmentShipped, got.Status)
	require.Equal(t, "https://track.easypost.example/"+sh.TrackingCode, got.TrackingURL)
	require.Equal(t, orderhub.StockLevel{LocationID: "nyc", SKU: "MUG", OnHand: 9, Reserved: 0}, w.stock(t, "nyc", "MUG"))

	d, err = w.easypost.Post(ctx, easyposttest.HubURL(w.hub, "easypost-main"), body)
	require.NoError(t, err)
	require.Equal(t, "duplicate", answer(t, d.Body)["status"], "EasyPost delivers at least once: the event id dedupes")

	_, _, err = w.easypost.Track(ctx, w.hub, "easypost-main", sh.ID, easypost.TrackerOutForDelivery)
	require.NoError(t, err)
	_, _, err = w.easypost.Track(ctx, w.hub, "easypost-main", sh.ID, easypost.TrackerDelivered)
	require.NoError(t, err)
	require.Equal(t, orderhub.FulfillmentDelivered, w.get(t, f.ID).Status)

	d, _, err = w.easypost.Track(ctx, w.hub, "easypost-main", sh.ID, easypost.TrackerInTransit)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, d.Status)
	require.Equal(t, orderhub.FulfillmentDelivered, w.get(t, f.ID).Status, "delivered never goes back to in transit")
	require.Equal(t, int64(9), w.stock(t, "nyc", "MUG").OnHand, "stock consumed once")

	d, _, err = w.easypost.Track(ctx, w.hub, "easypost-main", sh.ID, easypost.TrackerReturnToSender)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, d.Status)
	require.Equal(t, orderhub.FulfillmentDelivered, w.get(t, f.ID).Status)
	require.Contains(t, w.notes(t, f.OrderID), "which stays delivered: reported failed")
}

func TestEasyPostDeliveredFirstShipsThenDelivers(t *testing.T) {
	t.Parallel()
	w := setup(t)
	f, sh := w.easypostLabel(t)
	d, _, err := w.easypost.Track(context.Background(), w.hub, "easypost-main", sh.ID, easypost.TrackerDelivered)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, d.Status)
	require.Equal(t, orderhub.FulfillmentDelivered, w.get(t, f.ID).Status)
	require.Equal(t, orderhub.StockLevel{LocationID: "nyc", SKU: "MUG", OnHand: 9}, w.stock(t, "nyc", "MUG"), "the missed scan still consumed the stock")
}

func TestEasyPostSignatures(t *testing.T) {
	t.Parallel()
	w := setup(t)
	_, sh := w.easypostLabel(t)
	body, _, err := w.easypost.SetTrackerStatus(sh.ID, easypost.TrackerInTransit)
	require.NoError(t, err)
	path := "/webhooks/easypost/easypost-main"
	sig := func(secret string, b []byte) http.Header {
		h := http.Header{}
		h.Set("X-Hmac-Signature", easypost.Sign(secret, b))
		return h
	}
	for name, c := range map[string]struct {
		path   string
		h      http.Header
		body   []byte
		status int
	}{
		"tampered":         {path, sig(easypostSecret, body), bytes.Replace(body, []byte("in_transit"), []byte("delivered"), 1), http.StatusUnauthorized},
		"wrong secret":     {path, sig("sécret!", body), body, http.StatusUnauthorized},
		"other account":    {"/webhooks/easypost/easypost-other", sig(easypostSecret, body), body, http.StatusUnauthorized},
		"missing header":   {path, http.Header{}, body, http.StatusUnauthorized},
		"not normalised":   {path, sig("", body), body, http.StatusUnauthorized},
		"malformed event":  {path, sig(easypostSecret, []byte(`{"id":"evt_x"}`)), []byte(`{"id":"evt_x"}`), http.StatusBadRequest},
		"unknown provider": {"/webhooks/easypost/nope", sig(easypostSecret, body), body, http.StatusNotFound},
		"valid":            {path, sig(easypostSecret, body), body, http.StatusOK},
	} {
		code, resp := w.post(t, c.path, c.h, c.body)
		require.Equal(t, c.status, code, "%s: %s", name, resp)
	}
	// "sécret" typed decomposed is the same secret once normalised.
	code, _ := w.post(t, path, sig("se\u0301cret", body), body)
	require.Equal(t, http.StatusOK, code)
}

// TestEasyPostOfficialVector posts the official test vector (PLATFORMS.md
// §5) to a provider whose secret is "sécret": it authenticates, and is
// ignored because no fulfillment has its tracker.
func TestEasyPostOfficialVector(t *testing.T) {
	t.Parallel()
	w := setup(t)
	body := bytes.TrimSuffix(sharedFixture(t, "easypost", "webhook-event-tracker-updated-hmac-test-vector.json"), []byte("\n"))
	h := http.Header{}
	h.Set("X-Hmac-Signature", "hmac-sha256-hex=38f3f53c103713df81616a0a186d77141957323ec21d5fe9363db93840f527db")
	code, resp := w.post(t, "/webhooks/easypost/easypost-main", h, body)
	require.Equal(t, http.StatusOK, code, "%s", resp)
	require.Equal(t, "ignored", answer(t, resp)["status"])

	code, _ = w.post(t, "/webhooks/easypost/easypost-main", h, append(body, '\n'))
	require.Equal(t, http.StatusUnauthorized, code, "with its trailing LF the body is another body")
	code, _ = w.post(t, "/webhooks/easypost/easypost-other", h, body)
	require.Equal(t, http.StatusUnauthorized, code, "wrong secret")
}
