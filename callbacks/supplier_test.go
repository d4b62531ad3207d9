package callbacks_test

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/orderhub/orderhub"
	"github.com/orderhub/orderhub/connectors/standardwebhooks"
	"github.com/orderhub/orderhub/connectors/supplier"
	"github.com/orderhub/orderhub/connectors/supplier/suppliertest"
)

func TestSupplierLifecycle(t *testing.T) {
	t.Parallel()
	w := setup(t)
	ctx := context.Background()
	f := w.order(t, "HOODIE", 1)
	require.Equal(t, orderhub.SourceSupplier, f.SourceKind)
	w.submitPO(t, f)

	d, err := w.supplier.Ship(ctx, w.hub, f.ID, "UPS", "1Z999AA10123456784")
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, d.Status, "%s", d.Body)
	require.Equal(t, "accepted", answer(t, d.Body)["status"])
	got := w.get(t, f.ID)
	require.Equal(t, orderhub.FulfillmentShipped, got.Status)
	require.Equal(t, "UPS", got.Carrier)
	require.Equal(t, "1Z999AA10123456784", got.TrackingNumber)
	require.Equal(t, "https://track.example/1Z999AA10123456784", got.TrackingURL)

	// A redelivery with the same webhook-id is a duplicate.
	body, _ := json.Marshal(supplier.Update{Type: supplier.TypeShipped, PurchaseOrderID: f.ID, Carrier: "UPS", TrackingNumber: "1Z999AA10123456784"})
	url := suppliertest.HubURL(w.hub, "dropco")
	d, err = w.supplier.Post(ctx, url, "evt-fixed", body)
	require.NoError(t, err)
	require.Equal(t, "accepted", answer(t, d.Body)["status"])
	d, err = w.supplier.Post(ctx, url, "evt-fixed", body)
	require.NoError(t, err)
	require.Equal(t, "duplicate", answer(t, d.Body)["status"])

	_, err = w.supplier.Deliver(ctx, w.hub, f.ID)
	require.NoError(t, err)
	require.Equal(t, orderhub.FulfillmentDelivered, w.get(t, f.ID).Status)
	d, err = w.supplier.Ship(ctx, w.hub, f.ID, "UPS", "1Z999AA10123456784")
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, d.Status)
	require.Equal(t, orderhub.FulfillmentDelivered, w.get(t, f.ID).Status, "delivered never goes back to in transit")

	g := w.order(t, "HOODIE", 1)
	w.submitPO(t, g)
	d, err = w.supplier.Reject(ctx, w.hub, g.ID, "out of stock until March")
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, d.Status)
	require.Equal(t, orderhub.FulfillmentFailed, w.get(t, g.ID).Status)
	require.Contains(t, w.notes(t, g.OrderID), "out of stock until March")
}

func TestSupplierSignaturesAndOwnership(t *testing.T) {
	t.Parallel()
	w := setup(t)
	f := w.order(t, "HOODIE", 1)
	w.submitPO(t, f)
	body, _ := json.Marshal(supplier.Update{Type: supplier.TypeShipped, PurchaseOrderID: f.ID, TrackingNumber: "T1"})
	now := time.Now()
	sign := func(secret, id string, b []byte) http.Header {
		h, err := supplier.SignHeaders(secret, id, now, b)
		require.NoError(t, err)
		return h
	}
	for name, c := range map[string]struct {
		path   string
		h      http.Header
		body   []byte
		status int
	}{
		"tampered":     {"/webhooks/supplier/dropco", sign(supplierSecret, "e1", body), append(append([]byte(nil), body...), ' '), http.StatusUnauthorized},
		"wrong secret": {"/webhooks/supplier/dropco", sign("other-secret", "e2", body), body, http.StatusUnauthorized},
		"missing header": {"/webhooks/supplier/dropco", func() http.Header {
			h := sign(supplierSecret, "e3", body)
			h.Del(standardwebhooks.HeaderSignature)
			return h
		}(), body, http.StatusUnauthorized},
		"unknown supplier":                  {"/webhooks/supplier/nobody", sign(supplierSecret, "e4", body), body, http.StatusNotFound},
		"another supplier's purchase order": {"/webhooks/supplier/otherco", sign("other-secret", "e5", body), body, http.StatusNotFound},
		"malformed":                         {"/webhooks/supplier/dropco", sign(supplierSecret, "e6", []byte(`{"type":"x"}`)), []byte(`{"type":"x"}`), http.StatusBadRequest},
		"valid":                             {"/webhooks/supplier/dropco", sign(supplierSecret, "e7", body), body, http.StatusOK},
	} {
		code, resp := w.post(t, c.path, c.h, c.body)
		require.Equal(t, c.status, code, "%s: %s", name, resp)
	}
	require.Equal(t, orderhub.FulfillmentShipped, w.get(t, f.ID).Status)
}
