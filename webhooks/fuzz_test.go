package webhooks_test

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"testing"

	"github.com/orderhub/orderhub/connectors/bigcommerce"
	"github.com/orderhub/orderhub/connectors/shopify"
	"github.com/orderhub/orderhub/connectors/woocommerce"
)

// FuzzIntake posts arbitrary bodies, correctly signed, to each platform's
// endpoint and drains whatever was accepted: the intake never answers 5xx
// and neither the intake nor the processing panics.
func FuzzIntake(f *testing.F) {
	seeds := []struct {
		platform byte
		topic    string
		body     []byte
	}{
		{0, "orders/create", testdata(f, "shopify", "order-jpy-paid-modern.json")},
		{0, "orders/cancelled", testdata(f, "shopify", "order-cancelled-legacy-usd.json")},
		{0, "refunds/create", testdata(f, "shopify", "refund-create.json")},
		{1, "order.updated", testdata(f, "woocommerce", "order-1042-eur-coupon-entities.json")},
		{1, "order.deleted", []byte(`{"id": 1042}`)},
		{2, "", testdata(f, "bigcommerce", "webhook-order-statusupdated.json")},
		{2, "", testdata(f, "bigcommerce", "webhook-shipment-created.json")},
		{0, "orders/updated", []byte(`{"id": 1, "currency": "USD", "line_items": [{"quantity": -1}]}`)},
		{1, "order.created", []byte(`{"id": 9, "date_modified_gmt": "x", "currency": "EUR"}`)},
		{2, "", []byte(`{"scope": "store/order/created", "data": {"type": "order", "id": 1e30}, "hash": "h"}`)},
		{0, "orders/create", []byte(`null`)},
		{1, "order.updated", []byte("webhook_id=5")},
	}
	for _, s := range seeds {
		f.Add(s.platform, s.topic, s.body)
	}
	b := setup(f)
	b.bc.set("5001", testdata(f, "bigcommerce", "order-5001-kwd.json"),
		testdata(f, "bigcommerce", "order-5001-products.json"), testdata(f, "bigcommerce", "order-5001-shipping-addresses.json"))
	f.Fuzz(func(t *testing.T, which byte, topic string, body []byte) {
		sum := sha256.Sum256(append([]byte(topic+"\x00"), body...))
		id := hex.EncodeToString(sum[:8])
		var platform, shop string
		var h http.Header
		switch which % 3 {
		case 0:
			platform, shop = "shopify", "acme-shopify"
			h = shopify.SignHeaders(shopifySecret, body, shopify.Delivery{Topic: topic, EventID: id})
		case 1:
			platform, shop = "woocommerce", "acme-woo"
			h = woocommerce.SignHeaders(wooSecret, body, woocommerce.Delivery{Topic: topic, WebhookID: "17", DeliveryID: id})
		default:
			platform, shop = "bigcommerce", "acme-bc"
			var err error
			if h, err = bigcommerce.SignHeaders(bcClientSecret, id, b.clock.Now(), body); err != nil {
				t.Fatal(err)
			}
		}
		r, err := b.post(platform, shop, body, h)
		if err != nil && r.Status == 0 {
			t.Skipf("the client refused the request: %v", err) // e.g. a topic that is no valid header value
		}
		if err != nil {
			t.Fatalf("answer %d is not JSON: %v: %q", r.Status, err, r.Raw)
		}
		if r.Status >= 500 {
			t.Fatalf("%s answered %d to a signed delivery: %s", platform, r.Status, r.Raw)
		}
		if r.Status == http.StatusOK {
			switch r.Body["status"] {
			case "accepted", "duplicate", "ok":
			default:
				t.Fatalf("200 with %s", r.Raw)
			}
		}
		if _, err := b.proc.Drain(ctxT(t)); err != nil {
			t.Fatalf("drain: %v", err)
		}
	})
}
