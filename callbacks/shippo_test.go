package callbacks_test

import (
	"context"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/orderhub/orderhub"
	"github.com/orderhub/orderhub/allocator"
	"github.com/orderhub/orderhub/connectors/shippo"
	"github.com/orderhub/orderhub/connectors/shippo/shippotest"
)

// shippoLabel routes a cup order to chi and buys its label at the fake.
func (w *world) shippoLabel(t *testing.T, fake *shippotest.Server, c *shippo.Client) (orderhub.Fulfillment, shippo.Transaction) {
	t.Helper()
	ctx := context.Background()
	f := w.order(t, "CUP", 1)
	sh, err := c.CreateShipment(ctx, shippo.ShipmentRequest{Metadata: f.ID,
		From:   shippo.Address{Street1: "233 S Wacker Dr", City: "Chicago", Zip: "60606", Country: "US"},
		To:     shippo.Address{Street1: "1 Main St", City: "Newark", Zip: "07102", Country: "US"},
		Parcel: shippo.Parcel{Length: "10", Width: "8", Height: "4", DistanceUnit: "in", Weight: "16", MassUnit: "oz"}})
	require.NoError(t, err)
	w.advance(t, allocator.Progress{FulfillmentID: f.ID, ExternalID: sh.ObjectID})
	tx, err := c.BuyLabel(ctx, sh.Rates[0].ObjectID, f.ID, time.Now())
	require.NoError(t, err)
	w.advance(t, allocator.Progress{FulfillmentID: f.ID, Status: orderhub.FulfillmentSubmitted, Carrier: "USPS", TrackingNumber: tx.TrackingNumber, LabelURL: tx.LabelURL})
	return f, tx
}

func TestShippoTrackLifecycle(t *testing.T) {
	t.Parallel()
	w := setup(t)
	ctx := context.Background()
	f, tx := w.shippoLabel(t, w.shippo, w.sp)

	d, body, err := w.shippo.TrackUpdate(ctx, w.hub, "shippo-main", tx.TrackingNumber, shippo.TrackTransit)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, d.Status, "%s", d.Body)
	require.Equal(t, "accepted", answer(t, d.Body)["status"])
	require.Equal(t, orderhub.FulfillmentShipped, w.get(t, f.ID).Status)
	require.Equal(t, orderhub.StockLevel{LocationID: "chi", SKU: "CUP", OnHand: 9}, w.stock(t, "chi", "CUP"))
	require.NotEmpty(t, w.shippo.RequestsTo(http.MethodGet, "/tracks/usps/"+tx.TrackingNumber), "the track was re-fetched")

	d, err = w.shippo.Post(ctx, w.hub, "shippo-main", shippo.EventTrackUpdated, body)
	require.NoError(t, err)
	require.Equal(t, "duplicate", answer(t, d.Body)["status"], "the same state again")

	_, _, err = w.shippo.TrackUpdate(ctx, w.hub, "shippo-main", tx.TrackingNumber, shippo.TrackDelivered)
	require.NoError(t, err)
	require.Equal(t, orderhub.FulfillmentDelivered, w.get(t, f.ID).Status)
	_, _, err = w.shippo.TrackUpdate(ctx, w.hub, "shippo-main", tx.TrackingNumber, shippo.TrackTransit)
	require.NoError(t, err)
	require.Equal(t, orderhub.FulfillmentDelivered, w.get(t, f.ID).Status, "delivered never goes back to in transit")
	require.Equal(t, int64(9), w.stock(t, "chi", "CUP").OnHand)
}

func TestShippoActsOnTheRefetchedObject(t *testing.T) {
	t.Parallel()
	w := setup(t)
	ctx := context.Background()
	f, tx := w.shippoLabel(t, w.shippo, w.sp)
	// The body claims DELIVERED; Shippo says PRE_TRANSIT: nothing moves.
	forged := shippotest.Envelope(shippo.EventTrackUpdated, shippo.Track{Carrier: "usps", TrackingNumber: tx.TrackingNumber,
		TrackingStatus: &shippo.TrackingStatus{ObjectID: "forged", Status: shippo.TrackDelivered}})
	d, err := w.shippo.Post(ctx, w.hub, "shippo-main", shippo.EventTrackUpdated, forged)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, d.Status)
	require.Equal(t, orderhub.FulfillmentSubmitted, w.get(t, f.ID).Status)

	unknown := shippotest.Envelope(shippo.EventTransactionUpdated, map[string]any{"object_id": "ffffffffffffffffffffffffffffffff", "status": "SUCCESS"})
	d, err = w.shippo.Post(ctx, w.hub, "shippo-main", shippo.EventTransactionUpdated, unknown)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, d.Status)
	require.Equal(t, "ignored", answer(t, d.Body)["status"], "an object Shippo does not know")

	w.shippo.FailNext(10, http.StatusBadGateway)
	d, err = w.shippo.Post(ctx, w.hub, "shippo-main", shippo.EventTrackUpdated, forged)
	require.NoError(t, err)
	require.Equal(t, http.StatusServiceUnavailable, d.Status, "cannot re-fetch: Shippo retries later")
	w.shippo.ClearFaults()
}

func TestShippoTransactionUpdated(t *testing.T) {
	t.Parallel()
	w := setup(t)
	ctx := context.Background()
	f := w.order(t, "CUP", 1)
	fake, c := w.shippo, w.sp
	sh, err := c.CreateShipment(ctx, shippo.ShipmentRequest{Metadata: f.ID, From: shippo.Address{Street1: "a", City: "b", Zip: "1", Country: "US"},
		To: shippo.Address{Street1: "c", City: "d", Zip: "2", Country: "US"}, Parcel: shippo.Parcel{Weight: "16"}})
	require.NoError(t, err)
	tx, err := c.BuyLabel(ctx, sh.Rates[0].ObjectID, f.ID, time.Now())
	require.NoError(t, err)
	// The executor gave up waiting: submitted, no tracking yet.
	w.advance(t, allocator.Progress{FulfillmentID: f.ID, Status: orderhub.FulfillmentSubmitted, ExternalID: sh.ObjectID})

	d, err := fake.TransactionUpdate(ctx, w.hub, "shippo-main", tx.ObjectID)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, d.Status, "%s", d.Body)
	require.Equal(t, "accepted", answer(t, d.Body)["status"])
	got := w.get(t, f.ID)
	require.Equal(t, orderhub.FulfillmentSubmitted, got.Status)
	require.Equal(t, tx.TrackingNumber, got.TrackingNumber, "the label's tracking arrives by callback")
	require.Equal(t, tx.LabelURL, got.LabelURL)
	d, err = fake.TransactionUpdate(ctx, w.hub, "shippo-main", tx.ObjectID)
	require.NoError(t, err)
	require.Equal(t, "duplicate", answer(t, d.Body)["status"])
}

func TestShippoAuth(t *testing.T) {
	t.Parallel()
	w := setup(t)
	ctx := context.Background()
	_, tx := w.shippoLabel(t, w.shippo, w.sp)
	body := shippotest.Envelope(shippo.EventTrackUpdated, shippo.Track{Carrier: "usps", TrackingNumber: tx.TrackingNumber})
	for name, c := range map[string]struct {
		query  string
		status int
	}{
		"valid token":   {"?token=" + url.QueryEscape(shippoSecret), http.StatusOK},
		"wrong token":   {"?token=nope", http.StatusUnauthorized},
		"missing token": {"", http.StatusUnauthorized},
	} {
		code, resp := w.post(t, "/webhooks/shippo/shippo-main"+c.query, http.Header{}, body)
		require.Equal(t, c.status, code, "%s: %s", name, resp)
	}

	// HMAC-configured account, whose labels queue: the signature, not the
	// token, counts.
	fh, txh := w.shippoLabelAt(t)
	require.True(t, shippo.Pending(txh))
	d, err := w.shippoH.TransactionUpdate(ctx, w.hub, "shippo-hmac", txh.ObjectID)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, d.Status, "%s", d.Body)
	require.Equal(t, "ignored", answer(t, d.Body)["status"], "re-fetched, still QUEUED: nothing to apply yet")
	d, err = w.shippoH.TransactionUpdate(ctx, w.hub, "shippo-hmac", txh.ObjectID)
	require.NoError(t, err)
	require.Equal(t, "accepted", answer(t, d.Body)["status"], "re-fetched SUCCESS, whatever the body said")
	txh = w.shippoH.Transactions()[0]
	require.Equal(t, txh.TrackingNumber, w.get(t, fh.ID).TrackingNumber)
	d, _, err = w.shippoH.TrackUpdate(ctx, w.hub, "shippo-hmac", txh.TrackingNumber, shippo.TrackTransit)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, d.Status, "%s", d.Body)
	require.Equal(t, orderhub.FulfillmentShipped, w.get(t, fh.ID).Status)
	hb := shippotest.Envelope(shippo.EventTrackUpdated, shippo.Track{Carrier: "usps", TrackingNumber: txh.TrackingNumber})
	sig := func(secret string, at time.Time, b []byte) http.Header {
		h := http.Header{}
		h.Set("Shippo-Auth-Signature", shippo.SignHMAC(secret, at, b))
		return h
	}
	for name, c := range map[string]struct {
		h      http.Header
		body   []byte
		status int
	}{
		"tampered":        {sig("shippo-hmac-key", time.Now(), hb), append(append([]byte(nil), hb...), ' '), http.StatusUnauthorized},
		"wrong secret":    {sig("other", time.Now(), hb), hb, http.StatusUnauthorized},
		"missing header":  {http.Header{}, hb, http.StatusUnauthorized},
		"replayed":        {sig("shippo-hmac-key", time.Now().Add(-time.Hour), hb), hb, http.StatusUnauthorized},
		"malformed":       {sig("shippo-hmac-key", time.Now(), []byte(`{"event":"track_updated"}`)), []byte(`{"event":"track_updated"}`), http.StatusBadRequest},
		"valid signature": {sig("shippo-hmac-key", time.Now(), hb), hb, http.StatusOK},
	} {
		code, resp := w.post(t, "/webhooks/shippo/shippo-hmac?token=shippo-hmac-key", c.h, c.body)
		require.Equal(t, c.status, code, "%s: %s", name, resp)
	}
}

// shippoLabelAt routes a bowl order to sea and buys its label at the HMAC
// account, where it queues; the fulfillment is left submitted, as the
// executor leaves it when the wait runs out.
func (w *world) shippoLabelAt(t *testing.T) (orderhub.Fulfillment, shippo.Transaction) {
	t.Helper()
	ctx := context.Background()
	f := w.order(t, "BOWL", 1)
	require.Equal(t, "sea", f.SourceID)
	sh, err := w.spH.CreateShipment(ctx, shippo.ShipmentRequest{Metadata: f.ID, From: shippo.Address{Street1: "a", City: "b", Zip: "1", Country: "US"},
		To: shippo.Address{Street1: "c", City: "d", Zip: "2", Country: "US"}, Parcel: shippo.Parcel{Weight: "16"}})
	require.NoError(t, err)
	w.advance(t, allocator.Progress{FulfillmentID: f.ID, ExternalID: sh.ObjectID})
	tx, err := w.spH.BuyLabel(ctx, sh.Rates[0].ObjectID, f.ID, time.Now())
	require.NoError(t, err)
	w.advance(t, allocator.Progress{FulfillmentID: f.ID, Status: orderhub.FulfillmentSubmitted})
	return f, tx
}
