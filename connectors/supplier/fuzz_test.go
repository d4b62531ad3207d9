package supplier_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/orderhub/orderhub"
	"github.com/orderhub/orderhub/connectors/supplier"
)

// FuzzDecodeCallback: any bytes decode or give an Invalid error, never a
// panic.
func FuzzDecodeCallback(f *testing.F) {
	f.Add(testdata(f, "shipped.json"))
	f.Add([]byte(`{"type":"purchase_order.rejected","purchase_order_id":" "}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		u, err := supplier.DecodeCallback(body)
		if err != nil {
			if orderhub.ErrorCode(err) != orderhub.EInvalid {
				t.Fatalf("error code %q", orderhub.ErrorCode(err))
			}
			return
		}
		if u.PurchaseOrderID == "" {
			t.Fatal("decoded a callback about no purchase order")
		}
	})
}

// FuzzVerifyCallback: any headers and body are refused unless signed,
// never a panic.
func FuzzVerifyCallback(f *testing.F) {
	now := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	body := testdata(f, "shipped.json")
	h, _ := supplier.SignHeaders("s3cret", "evt-1", now, body)
	f.Add(h.Get("webhook-id"), h.Get("webhook-timestamp"), h.Get("webhook-signature"), body, "s3cret")
	f.Add("", "", "", []byte{}, "whsec_")
	f.Fuzz(func(t *testing.T, id, ts, sig string, body []byte, secret string) {
		h := http.Header{}
		h.Set("webhook-id", id)
		h.Set("webhook-timestamp", ts)
		h.Set("webhook-signature", sig)
		if _, err := supplier.VerifyCallback(h, body, secret, now); err != nil && orderhub.ErrorCode(err) != orderhub.EUnauthorized {
			t.Fatalf("error code %q", orderhub.ErrorCode(err))
		}
	})
}
