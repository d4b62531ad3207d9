package callbacks_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/orderhub/orderhub/connectors/easypost"
	"github.com/orderhub/orderhub/connectors/shipbob/shipbobtest"
	"github.com/orderhub/orderhub/connectors/shippo"
	"github.com/orderhub/orderhub/connectors/standardwebhooks"
	"github.com/orderhub/orderhub/connectors/supplier"
)

// FuzzHandlers posts correctly signed arbitrary bodies to every callback
// route: whatever they hold, the hub answers 200, 400 or 413, never a 5xx
// or a panic, so a hostile or broken sender cannot make it fail.
func FuzzHandlers(f *testing.F) {
	w := setup(f)
	f.Add(0, []byte(`{"id":1,"reference_id":"x","shipments":[{"id":2,"tracking":{"tracking_number":"1"}}]}`), "order.shipped")
	f.Add(1, []byte(`{"id":"evt","description":"tracker.updated","result":{"tracking_code":"1","shipment_id":"shp"}}`), "")
	f.Add(2, []byte(`{"event":"track_updated","data":{"carrier":"usps","tracking_number":"920"}}`), "")
	f.Add(3, []byte(`{"type":"purchase_order.shipped","purchase_order_id":"po","tracking_number":"1"}`), "")
	f.Add(0, []byte(`{"data":{"order_id":1}}`), "order_shipped")
	var n atomic.Int64
	f.Fuzz(func(t *testing.T, route int, body []byte, topic string) {
		if strings.ContainsFunc(topic, func(r rune) bool { return r < ' ' || r > '~' }) {
			t.Skip("not a header value a sender can send")
		}
		now := time.Now()
		h := http.Header{}
		path := ""
		switch ((route % 4) + 4) % 4 {
		case 0:
			key, _ := standardwebhooks.DecodeSecret(shipbobtest.DefaultWebhookSecret)
			h = standardwebhooks.SignHeaders(key, "fz"+strconv.FormatInt(n.Add(1), 10), now, body)
			h.Set("X-Webhook-Topic", topic)
			path = "/webhooks/shipbob/shipbob-main"
		case 1:
			h.Set("X-Hmac-Signature", easypost.Sign(easypostSecret, body))
			path = "/webhooks/easypost/easypost-main"
		case 2:
			h.Set("Shippo-Auth-Signature", shippo.SignHMAC("shippo-hmac-key", now, body))
			path = "/webhooks/shippo/shippo-hmac"
		case 3:
			h, _ = supplier.SignHeaders(supplierSecret, "fz"+strconv.FormatInt(n.Add(1), 10), now, body)
			path = "/webhooks/supplier/dropco"
		}
		req := httptest.NewRequest(http.MethodPost, w.hub+path, bytes.NewReader(body))
		req.Header = h
		req.RequestURI = ""
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		switch resp.StatusCode {
		case http.StatusOK, http.StatusBadRequest, http.StatusRequestEntityTooLarge, http.StatusNotFound:
		default:
			t.Fatalf("%s answered %d to a signed body %q", path, resp.StatusCode, body)
		}
	})
}
