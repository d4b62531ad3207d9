package supplier_test

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/orderhub/orderhub"
	"github.com/orderhub/orderhub/connectors/apiclient"
	"github.com/orderhub/orderhub/connectors/standardwebhooks"
	"github.com/orderhub/orderhub/connectors/supplier"
	"github.com/orderhub/orderhub/connectors/supplier/suppliertest"
)

func testdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	return b
}

func po(id string) supplier.PurchaseOrder {
	return supplier.PurchaseOrder{ID: id, OrderID: "o-1", OrderNumber: "#1001", SupplierID: "dropco", CreatedAt: time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC),
		ShipTo: supplier.Address{Name: "Jo Doe", Address1: "1 Main St", City: "Newark", Province: "NJ", Zip: "07102", Country: "US"},
		Lines:  []supplier.Line{{LineID: "l-1", SKU: "HOODIE", Name: "Hoodie", Quantity: 2, UnitCost: &supplier.Cost{Amount: "18.50", Currency: "USD"}}}}
}

func TestSendPOOnceAcrossRetries(t *testing.T) {
	t.Parallel()
	fake := suppliertest.New(t, suppliertest.Options{})
	c := supplier.NewClient(apiclient.Options{Sleep: func(ctx context.Context, d time.Duration) error { return ctx.Err() }})
	fake.LoseAnswerNext(1, nil) // received, but the answer never comes back
	ack, err := c.SendPO(context.Background(), fake.POURL(), suppliertest.DefaultSecret, po("f-1"))
	require.NoError(t, err)
	require.Equal(t, "PO-00001", ack.Reference)
	require.Equal(t, 1, fake.Received(), "the redelivery carried the same webhook-id: one PO")
	require.Equal(t, 2, fake.Deliveries())
	got := fake.POs()[0]
	require.Equal(t, "HOODIE", got.Lines[0].SKU)
	require.Equal(t, "18.50", got.Lines[0].UnitCost.Amount)
	require.Equal(t, 2, got.Deliveries)

	fake.FailNext(2, http.StatusServiceUnavailable)
	ack, err = c.SendPO(context.Background(), fake.POURL(), suppliertest.DefaultSecret, po("f-3"))
	require.NoError(t, err)
	require.Equal(t, "PO-00002", ack.Reference)
	require.Equal(t, 2, fake.Received())

	_, err = c.SendPO(context.Background(), fake.POURL(), "wrong-secret", po("f-2"))
	require.Equal(t, orderhub.EUnauthorized, orderhub.ErrorCode(err), "the fake supplier checks the signature")
}

func TestPOWireFormat(t *testing.T) {
	t.Parallel()
	body, err := supplier.EncodePO(po("f-9"))
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(body, &m))
	require.Equal(t, "purchase_order.created", m["type"])
	p := m["purchase_order"].(map[string]any)
	require.Equal(t, "f-9", p["id"])
	require.Equal(t, "dropco", p["supplier_id"])
	require.Equal(t, "2026-11-28T09:00:00Z", p["created_at"])
	line := p["lines"].([]any)[0].(map[string]any)
	require.Equal(t, float64(2), line["quantity"])
	require.Equal(t, map[string]any{"amount": "18.50", "currency": "USD"}, line["unit_cost"])
}

func TestVerifyCallback(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	body := testdata(t, "shipped.json")
	h, err := supplier.SignHeaders("s3cret", "evt-1", now, body)
	require.NoError(t, err)
	msg, err := supplier.VerifyCallback(h, body, "s3cret", now)
	require.NoError(t, err)
	require.Equal(t, "evt-1", msg.ID)

	for name, c := range map[string]struct {
		h      http.Header
		body   []byte
		secret string
	}{
		"tampered":     {h, append(append([]byte(nil), body...), ' '), "s3cret"},
		"wrong secret": {h, body, "other"},
		"missing signature": {func() http.Header {
			c := h.Clone()
			c.Del(standardwebhooks.HeaderSignature)
			return c
		}(), body, "s3cret"},
		"no secret": {h, body, ""},
	} {
		_, err := supplier.VerifyCallback(c.h, c.body, c.secret, now)
		require.Equal(t, orderhub.EUnauthorized, orderhub.ErrorCode(err), name)
	}
}

func TestDecodeCallback(t *testing.T) {
	t.Parallel()
	u, err := supplier.DecodeCallback(testdata(t, "shipped.json"))
	require.NoError(t, err)
	require.Equal(t, supplier.TypeShipped, u.Type)
	require.Equal(t, "0190f7b2-aaaa-7bbb-8ccc-000000000001", u.PurchaseOrderID)
	require.Equal(t, "UPS", u.Carrier)
	require.Equal(t, "1Z999AA10123456784", u.TrackingNumber)
	for _, bad := range []string{``, `[]`, `{}`, `{"type":"purchase_order.shipped","purchase_order_id":"x"}`,
		`{"type":"purchase_order.lost","purchase_order_id":"x"}`, `{"type":"purchase_order.delivered"}`, `{"type":1}`} {
		_, err := supplier.DecodeCallback([]byte(bad))
		require.Equal(t, orderhub.EInvalid, orderhub.ErrorCode(err), bad)
	}
}
