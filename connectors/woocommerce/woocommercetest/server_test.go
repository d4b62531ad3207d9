package woocommercetest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/orderhub/orderhub"
	"github.com/orderhub/orderhub/connectors/woocommerce"
	"github.com/orderhub/orderhub/connectors/woocommerce/woocommercetest"
)

// call sends an authenticated JSON request to the fake.
func call(t *testing.T, s *woocommercetest.Server, method, path string, body any) (int, []byte) {
	t.Helper()
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		require.NoError(t, err)
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, s.URL+path, r)
	require.NoError(t, err)
	req.SetBasicAuth(woocommercetest.DefaultConsumerKey, woocommercetest.DefaultConsumerSecret)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

func TestBuildOrderNormalizes(t *testing.T) {
	raw := woocommercetest.MustBuildOrder(woocommercetest.OrderSpec{
		ID: 1042, Currency: "EUR", Status: "completed",
		Lines: []woocommercetest.LineSpec{{SKU: "MUG", Name: "Mug &amp; Saucer", Quantity: 3, Price: "3.33", Tax: "1.90"}},
	})
	require.NotContains(t, string(raw), `"_links"`, "the server adds them")
	o, err := woocommerce.NormalizeOrder(raw)
	require.NoError(t, err)
	require.Equal(t, orderhub.StatusFulfilled, o.Status)
	require.Equal(t, "Mug & Saucer", o.Lines[0].Name)
	require.Equal(t, int64(999+190), o.Totals.Total.Amount)
}

func TestStatusNotesAndTracking(t *testing.T) {
	s := woocommercetest.New(t, woocommercetest.Options{})
	id, err := s.AddOrder(woocommercetest.MustBuildOrder(woocommercetest.OrderSpec{ID: 727, Status: "on-hold"}))
	require.NoError(t, err)
	before, _ := s.Order(id)

	code, b := call(t, s, http.MethodPut, "/wp-json/wc/v3/orders/727", map[string]any{"status": "completed"})
	require.Equal(t, 200, code, string(b))
	var o map[string]any
	require.NoError(t, json.Unmarshal(b, &o))
	require.Equal(t, "completed", o["status"])
	require.NotNil(t, o["date_completed_gmt"])
	require.NotNil(t, o["date_paid_gmt"])
	after, _ := s.Order(id)
	require.NotEqual(t, string(before), string(after))

	code, _ = call(t, s, http.MethodPut, "/wp-json/wc/v3/orders/727", map[string]any{"status": "shipped-ish"})
	require.Equal(t, 400, code)

	code, b = call(t, s, http.MethodPost, "/wp-json/wc/v3/orders/727/notes", map[string]any{"note": "Shipped 2 of 3 from nyc", "customer_note": false})
	require.Equal(t, 201, code, string(b))
	code, _ = call(t, s, http.MethodPost, "/wp-json/wc/v3/orders/727/notes", map[string]any{"note": ""})
	require.Equal(t, 400, code)
	notes := s.Notes(id)
	require.Len(t, notes, 1)
	require.Equal(t, "Shipped 2 of 3 from nyc", notes[0].Note)
	code, b = call(t, s, http.MethodGet, "/wp-json/wc/v3/orders/727/notes", nil)
	require.Equal(t, 200, code)
	require.Contains(t, string(b), "Shipped 2 of 3 from nyc")

	code, b = call(t, s, http.MethodPost, "/wp-json/wc-shipment-tracking/v3/orders/727/shipment-trackings",
		map[string]any{"tracking_provider": "USPS", "tracking_number": "9400111", "date_shipped": "2026-11-28"})
	require.Equal(t, 201, code, string(b))
	require.Len(t, s.Trackings(id), 1)
	code, _ = call(t, s, http.MethodPost, "/wp-json/wc-shipment-tracking/v3/orders/727/shipment-trackings",
		map[string]any{"tracking_number": "1", "date_shipped": "28/11/2026"})
	require.Equal(t, 400, code)

	code, b = call(t, s, http.MethodPost, "/wp-json/wc/v3/orders/9/notes", map[string]any{"note": "x"})
	require.Equal(t, 404, code)
	require.Contains(t, string(b), "woocommerce_rest_shop_order_invalid_id")
}

func TestUnauthenticated(t *testing.T) {
	s := woocommercetest.New(t, woocommercetest.Options{})
	resp, err := http.Get(s.URL + "/wp-json/wc/v3/orders")
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, 401, resp.StatusCode)
	var e struct {
		Code string
		Data struct{ Status int }
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&e))
	require.Equal(t, "woocommerce_rest_cannot_view", e.Code)
	require.Equal(t, 401, e.Data.Status)

	// Query-string credentials work too.
	resp2, err := http.Get(s.URL + "/wp-json/wc/v3/orders?consumer_key=" + woocommercetest.DefaultConsumerKey + "&consumer_secret=" + woocommercetest.DefaultConsumerSecret)
	require.NoError(t, err)
	resp2.Body.Close()
	require.Equal(t, 200, resp2.StatusCode)
}

type hub struct {
	mu     sync.Mutex
	status int
	header []http.Header
	body   [][]byte
	srv    *httptest.Server
}

func newHub(t *testing.T, status int) *hub {
	h := &hub{status: status}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		h.mu.Lock()
		h.header = append(h.header, r.Header.Clone())
		h.body = append(h.body, b)
		st := h.status
		h.mu.Unlock()
		w.WriteHeader(st)
	}))
	t.Cleanup(h.srv.Close)
	return h
}

func TestPingMustAnswer200(t *testing.T) {
	bad := newHub(t, 204)
	s := woocommercetest.New(t, woocommercetest.Options{PingOnCreate: true})
	code, b := call(t, s, http.MethodPost, "/wp-json/wc/v3/webhooks", map[string]any{"topic": "order.created", "delivery_url": bad.srv.URL, "secret": "x"})
	require.Equal(t, 400, code)
	require.Contains(t, string(b), "204")
	require.Empty(t, s.Subscriptions(), "a failed ping creates nothing")
	require.True(t, woocommerce.IsPing(bad.header[0], bad.body[0]))
}

func TestTriggerDisablesAfterRepeatedFailures(t *testing.T) {
	h := newHub(t, 500)
	s := woocommercetest.New(t, woocommercetest.Options{})
	id, err := s.AddOrder(woocommercetest.MustBuildOrder(woocommercetest.OrderSpec{ID: 5}))
	require.NoError(t, err)
	hook := s.AddSubscription("order.updated", h.srv.URL, "sec", "")
	for range woocommercetest.MaxFailures + 1 {
		ds, err := s.Trigger(context.Background(), "order.updated", id)
		require.NoError(t, err)
		require.Len(t, ds, 1)
	}
	require.Equal(t, "disabled", s.Subscriptions()[0].Status)
	ds, err := s.Trigger(context.Background(), "order.updated", id)
	require.NoError(t, err)
	require.Empty(t, ds, "a disabled webhook gets nothing")

	// Every delivery was signed with the webhook's secret over the exact
	// bytes, slashes escaped as WordPress does.
	for i := range h.body {
		require.NoError(t, woocommerce.VerifyWebhook(h.header[i], h.body[i], "sec"))
		require.Equal(t, "order.updated", h.header[i].Get("X-WC-Webhook-Topic"))
		require.Equal(t, jsonInt(hook.ID), h.header[i].Get("X-WC-Webhook-ID"))
	}
	require.Contains(t, string(h.body[0]), `https:\/\/shop.example.com`)

	ds, err = s.Trigger(context.Background(), "order.deleted", id)
	require.NoError(t, err)
	require.Empty(t, ds)
}

func TestDeliverDeleted(t *testing.T) {
	h := newHub(t, 200)
	s := woocommercetest.New(t, woocommercetest.Options{})
	d, err := s.Deliver(context.Background(), h.srv.URL, "acme-woo", "sec", "order.deleted", []byte(`{"id":727}`))
	require.NoError(t, err)
	require.Equal(t, 200, d.Status)
	key, topic, err := woocommerce.DedupeKey(h.header[0], h.body[0])
	require.NoError(t, err)
	require.Equal(t, "order.deleted", topic)
	require.Contains(t, key, "deleted:")
}

func jsonInt(n int64) string {
	b, _ := json.Marshal(n)
	return string(b)
}
