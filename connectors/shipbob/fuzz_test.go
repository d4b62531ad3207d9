package shipbob_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/orderhub/orderhub"
	"github.com/orderhub/orderhub/connectors/shipbob"
	"github.com/orderhub/orderhub/connectors/standardwebhooks"
)

// FuzzDecodeWebhook: any bytes decode or give an Invalid error, never a
// panic.
func FuzzDecodeWebhook(f *testing.F) {
	for _, name := range []string{"order-shipped.json", "shipment-exception.json", "tracking-received.json"} {
		f.Add("order.shipped", testdata(f, name))
	}
	f.Add("order_shipped", []byte(`{"data":{"data":{}}}`))
	f.Add("", []byte(`{"order_id":1,"tracking":{"tracking_id":5}}`))
	f.Fuzz(func(t *testing.T, topic string, body []byte) {
		ev, err := shipbob.DecodeWebhook(topic, body)
		if err != nil {
			if orderhub.ErrorCode(err) != orderhub.EInvalid {
				t.Fatalf("error code %q, want invalid: %v", orderhub.ErrorCode(err), err)
			}
			return
		}
		if ev.ReferenceID == "" && ev.OrderID == 0 {
			t.Fatalf("decoded an event about nothing: %+v", ev)
		}
	})
}

// FuzzVerifyWebhook: any headers and body are refused with Unauthorized
// unless correctly signed, never a panic.
func FuzzVerifyWebhook(f *testing.F) {
	now := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	key, _ := standardwebhooks.DecodeSecret(secret)
	body := []byte(`{"id":1,"reference_id":"r"}`)
	h := standardwebhooks.SignHeaders(key, "msg_1", now, body)
	f.Add(h.Get("webhook-id"), h.Get("webhook-timestamp"), h.Get("webhook-signature"), body)
	f.Add("", "", "", []byte{})
	f.Add("msg", "99999999999999999999", "v1,!!!", []byte("x"))
	f.Fuzz(func(t *testing.T, id, ts, sig string, body []byte) {
		h := http.Header{}
		h.Set("webhook-id", id)
		h.Set("webhook-timestamp", ts)
		h.Set("webhook-signature", sig)
		_, err := shipbob.VerifyWebhook(h, body, secret, now)
		if err != nil && orderhub.ErrorCode(err) != orderhub.EUnauthorized {
			t.Fatalf("error code %q, want unauthorized", orderhub.ErrorCode(err))
		}
	})
}
