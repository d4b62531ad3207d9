package callbacks_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/orderhub/orderhub"
	"github.com/orderhub/orderhub/allocator"
	"github.com/orderhub/orderhub/connectors/shipbob"
	"github.com/orderhub/orderhub/connectors/shipbob/shipbobtest"
	"github.com/orderhub/orderhub/connectors/standardwebhooks"
)

// shipbobOrder routes a poster order to the 3PL and creates its ShipBob
// order, as the executor does.
func (w *world) shipbobOrder(t *testing.T, qty int64) orderhub.Fulfillment {
	t.Helper()
	f := w.order(t, "POSTER", qty)
	o, _, err := w.sb.EnsureOrder(context.Background(), shipbob.CreateOrderRequest{ReferenceID: f.ID, ShippingMethod: "Standard", Type: "DTC",
		Recipient: shipbob.Recipient{Name: "Jo", Address: shipbob.Address{Address1: "1 Main St", City: "Newark", Country: "US", ZipCode: "07102"}},
		Products:  []shipbob.Product{{ReferenceID: "POSTER", Quantity: qty}}})
	require.NoError(t, err)
	w.advance(t, allocator.Progress{FulfillmentID: f.ID, Status: orderhub.FulfillmentSubmitted, ExternalID: strconv.FormatInt(o.ID, 10), Actor: "shipbob-main"})
	return f
}

func TestShipBobLifecycle(t *testing.T) {
	t.Parallel()
	w := setup(t)
	ctx := context.Background()
	f := w.shipbobOrder(t, 2)
	require.Equal(t, orderhub.StockLevel{LocationID: "la-3pl", SKU: "POSTER", OnHand: 10, Reserved: 2}, w.stock(t, "la-3pl", "POSTER"))

	d, err := w.shipbob.ShipOrder(ctx, w.hub, "shipbob-main", f.ID, shipbob.Tracking{Carrier: "USPS", TrackingNumber: "9400100000000000000001", TrackingURL: "https://usps.example/1"})
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, d.Status, "%s", d.Body)
	require.Equal(t, "accepted", answer(t, d.Body)["status"])
	got := w.get(t, f.ID)
	require.Equal(t, orderhub.FulfillmentShipped, got.Status)
	require.Equal(t, "9400100000000000000001", got.TrackingNumber)
	require.Equal(t, "USPS", got.Carrier)
	require.Equal(t, orderhub.StockLevel{LocationID: "la-3pl", SKU: "POSTER", OnHand: 8, Reserved: 0}, w.stock(t, "la-3pl", "POSTER"), "shipping consumed the reservation")

	// ShipBob retries the same message: a duplicate.
	order, _ := w.shipbob.OrderByReference(f.ID)
	body, _ := json.Marshal(order)
	url := shipbobtest.HubURL(w.hub, "shipbob-main")
	d, err = w.shipbob.Post(ctx, url, shipbob.TopicOrderShipped, "msg_fixed", body)
	require.NoError(t, err)
	require.Equal(t, "accepted", answer(t, d.Body)["status"], "a new message id is applied (and changes nothing)")
	d, err = w.shipbob.Post(ctx, url, shipbob.TopicOrderShipped, "msg_fixed", body)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, d.Status)
	require.Equal(t, "duplicate", answer(t, d.Body)["status"])
	require.Equal(t, orderhub.StockLevel{LocationID: "la-3pl", SKU: "POSTER", OnHand: 8, Reserved: 0}, w.stock(t, "la-3pl", "POSTER"), "stock is consumed once")

	d, err = w.shipbob.DeliverOrder(ctx, w.hub, "shipbob-main", f.ID)
	require.NoError(t, err)
	require.Equal(t, "accepted", answer(t, d.Body)["status"])
	require.Equal(t, orderhub.FulfillmentDelivered, w.get(t, f.ID).Status)

	// A late order.shipped (legacy name, out of order) never moves it back.
	d, err = w.shipbob.Post(ctx, url, shipbob.LegacyOrderShipped, "", body)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, d.Status)
	require.Equal(t, orderhub.FulfillmentDelivered, w.get(t, f.ID).Status, "delivered never goes back to in transit")
	require.Equal(t, int64(8), w.stock(t, "la-3pl", "POSTER").OnHand)

	o, err := w.st.GetOrder(ctx, f.OrderID)
	require.NoError(t, err)
	require.Equal(t, orderhub.StatusDelivered, o.Status, "the order follows its only fulfillment")
}

func TestShipBobExceptionAndCancel(t *testing.T) {
	t.Parallel()
	w := setup(t)
	ctx := context.Background()
	f := w.shipbobOrder(t, 1)
	d, err := w.shipbob.ExceptionOrder(ctx, w.hub, "shipbob-main", f.ID, "Not enough inventory to fulfil")
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, d.Status, "%s", d.Body)
	require.Equal(t, orderhub.FulfillmentFailed, w.get(t, f.ID).Status)
	require.Equal(t, int64(1), w.stock(t, "la-3pl", "POSTER").Reserved, "a failed fulfillment keeps its reservation")
	require.Contains(t, w.notes(t, f.OrderID), "Not enough inventory to fulfil")

	g := w.shipbobOrder(t, 1)
	d, err = w.shipbob.CancelOrder(ctx, w.hub, "shipbob-main", g.ID)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, d.Status)
	require.Equal(t, orderhub.FulfillmentCancelled, w.get(t, g.ID).Status)
	require.Equal(t, int64(1), w.stock(t, "la-3pl", "POSTER").Reserved, "cancelling released the second reservation")

	// An exception after the parcel shipped changes nothing but is noted.
	h := w.shipbobOrder(t, 1)
	_, err = w.shipbob.ShipOrder(ctx, w.hub, "shipbob-main", h.ID, shipbob.Tracking{Carrier: "UPS", TrackingNumber: "1Z1"})
	require.NoError(t, err)
	d, err = w.shipbob.ExceptionOrder(ctx, w.hub, "shipbob-main", h.ID, "Damaged in transit")
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, d.Status)
	require.Equal(t, orderhub.FulfillmentShipped, w.get(t, h.ID).Status)
	require.Contains(t, w.notes(t, h.OrderID), "which stays shipped: reported failed Exception: Damaged in transit")
}

func TestShipBobSignatureAndErrors(t *testing.T) {
	t.Parallel()
	w := setup(t)
	f := w.shipbobOrder(t, 1)
	order, _ := w.shipbob.OrderByReference(f.ID)
	body, _ := json.Marshal(order)
	now := time.Now()
	sign := func(secret string, b []byte) http.Header {
		key, err := standardwebhooks.DecodeSecret(secret)
		require.NoError(t, err)
		h := standardwebhooks.SignHeaders(key, "msg_sig_"+strconv.FormatInt(now.UnixNano(), 36), now, b)
		h.Set("X-Webhook-Topic", "order.shipment.tracking.updated")
		return h
	}
	path := "/webhooks/shipbob/shipbob-main"
	tampered := append([]byte(nil), body...)
	tampered[len(tampered)-2] = ' '
	for name, c := range map[string]struct {
		h      http.Header
		body   []byte
		status int
	}{
		"tampered body": {sign(shipbobtest.DefaultWebhookSecret, body), tampered, http.StatusUnauthorized},
		"wrong secret":  {sign("whsec_d3JvbmctZmFrZS1zaGlwYm9iLXNlY3JldA==", body), body, http.StatusUnauthorized},
		"missing signature header": {func() http.Header {
			h := sign(shipbobtest.DefaultWebhookSecret, body)
			h.Del("webhook-signature")
			return h
		}(), body, http.StatusUnauthorized},
		"stale timestamp": {func() http.Header {
			key, _ := standardwebhooks.DecodeSecret(shipbobtest.DefaultWebhookSecret)
			h := standardwebhooks.SignHeaders(key, "msg_old", now.Add(-time.Hour), body)
			h.Set("X-Webhook-Topic", "order.shipped")
			return h
		}(), body, http.StatusUnauthorized},
		"no topic": {func() http.Header {
			h := sign(shipbobtest.DefaultWebhookSecret, body)
			h.Del("X-Webhook-Topic")
			return h
		}(), body, http.StatusBadRequest},
		"malformed body": {sign(shipbobtest.DefaultWebhookSecret, []byte(`{"status":"x"}`)), []byte(`{"status":"x"}`), http.StatusBadRequest},
		"valid":          {sign(shipbobtest.DefaultWebhookSecret, body), body, http.StatusOK},
	} {
		code, resp := w.post(t, path, c.h, c.body)
		require.Equal(t, c.status, code, "%s: %s", name, resp)
		if c.status == http.StatusUnauthorized {
			require.Equal(t, "unauthorized", errorCode(t, resp), name)
		}
	}
	code, resp := w.post(t, "/webhooks/shipbob/no-such-provider", sign(shipbobtest.DefaultWebhookSecret, body), body)
	require.Equal(t, http.StatusNotFound, code)
	require.Equal(t, "not_found", errorCode(t, resp))
	code, _ = w.post(t, "/webhooks/shipbob/easypost-main", sign(shipbobtest.DefaultWebhookSecret, body), body)
	require.Equal(t, http.StatusNotFound, code, "a provider of another kind is not found")

	other := []byte(`{"id":1,"reference_id":"someone-else","shipments":[]}`)
	h := sign(shipbobtest.DefaultWebhookSecret, other)
	h.Set("X-Webhook-Topic", "order.shipped")
	code, resp = w.post(t, path, h, other)
	require.Equal(t, http.StatusOK, code)
	require.Equal(t, "ignored", answer(t, resp)["status"], "another channel's order")

	ret := []byte(`{"id":5}`)
	h = sign(shipbobtest.DefaultWebhookSecret, ret)
	h.Set("X-Webhook-Topic", "return.created")
	code, resp = w.post(t, path, h, ret)
	require.Equal(t, http.StatusOK, code)
	require.Equal(t, "ignored", answer(t, resp)["status"])

	big := make([]byte, 70<<10)
	code, resp = w.post(t, path, sign(shipbobtest.DefaultWebhookSecret, big), big)
	require.Equal(t, http.StatusRequestEntityTooLarge, code)
	require.Equal(t, "too_large", errorCode(t, resp))
}
