package bigcommercetest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/orderhub/orderhub"
	"github.com/orderhub/orderhub/connectors/bigcommerce"
	"github.com/orderhub/orderhub/connectors/bigcommerce/bigcommercetest"
)

func call(t *testing.T, s *bigcommercetest.Server, method, path string, body any) (int, []byte) {
	t.Helper()
	code, b, _ := callH(t, s, method, path, body)
	return code, b
}

func callH(t *testing.T, s *bigcommercetest.Server, method, path string, body any) (int, []byte, http.Header) {
	t.Helper()
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		require.NoError(t, err)
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, s.URL+"/stores/abc123"+path, r)
	require.NoError(t, err)
	req.Header.Set("X-Auth-Token", bigcommercetest.DefaultAccessToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b, resp.Header
}

func TestBuildOrderNormalizes(t *testing.T) {
	o, p, a := bigcommercetest.MustBuildOrder(bigcommercetest.OrderSpec{
		ID: 5001, Currency: "KWD", ShippingCost: "1.250",
		Lines: []bigcommercetest.LineSpec{{SKU: "OUD-50", Quantity: 2, Price: "10.250", Discount: "1.000", Tax: "0.513"}},
	})
	order, err := bigcommerce.NormalizeOrder(o, p, a)
	require.NoError(t, err)
	require.Equal(t, "KWD", order.Currency)
	require.Equal(t, orderhub.StatusPaid, order.Status, "11 Awaiting Fulfillment")
	require.Equal(t, int64(20500+1250-1000+513), order.Totals.Total.Amount)
	require.Contains(t, string(o), `"subtotal_ex_tax":"20.5000"`, "4-decimal strings")
}

func TestShipmentsAndStatus(t *testing.T) {
	s := bigcommercetest.New(t, bigcommercetest.Options{})
	id, err := s.AddBuiltOrder(bigcommercetest.OrderSpec{ID: 250, Lines: []bigcommercetest.LineSpec{{SKU: "A", Quantity: 2}, {SKU: "B"}}})
	require.NoError(t, err)
	_, products, addrs, _ := s.Order(id)
	var ps, as []struct{ ID int64 }
	require.NoError(t, json.Unmarshal(products, &ps))
	require.NoError(t, json.Unmarshal(addrs, &as))

	ship := func(items []map[string]any) (int, []byte) {
		return call(t, s, http.MethodPost, "/v2/orders/250/shipments", map[string]any{
			"order_address_id": as[0].ID, "tracking_number": "1Z999", "shipping_provider": "ups", "items": items,
		})
	}
	code, b := ship([]map[string]any{{"order_product_id": ps[0].ID, "quantity": 3}})
	require.Equal(t, 400, code)
	require.Contains(t, string(b), "greater than the quantity")
	code, b = call(t, s, http.MethodPost, "/v2/orders/250/shipments", map[string]any{"items": []any{}})
	require.Equal(t, 400, code, string(b))

	code, b = ship([]map[string]any{{"order_product_id": ps[0].ID, "quantity": 2}})
	require.Equal(t, 201, code, string(b))
	o, _, _, _ := s.Order(id)
	require.Contains(t, string(o), `"status":"Partially Shipped"`)
	require.Contains(t, string(o), `"items_shipped":2`)

	code, _ = ship([]map[string]any{{"order_product_id": ps[1].ID, "quantity": 1}})
	require.Equal(t, 201, code)
	o, _, _, _ = s.Order(id)
	require.Contains(t, string(o), `"status_id":2`)
	require.Len(t, s.Shipments(id), 2)
	code, b = call(t, s, http.MethodGet, "/v2/orders/250/shipments", nil)
	require.Equal(t, 200, code)
	require.Contains(t, string(b), "1Z999")

	code, b = call(t, s, http.MethodPut, "/v2/orders/250", map[string]any{"status_id": 10, "staff_notes": "orderhub: shipped"})
	require.Equal(t, 200, code, string(b))
	require.Contains(t, string(b), `"status":"Completed"`)
	require.Contains(t, string(b), `"staff_notes":"orderhub: shipped"`)
	code, _ = call(t, s, http.MethodPut, "/v2/orders/250", map[string]any{"status_id": 99})
	require.Equal(t, 400, code)

	code, b = call(t, s, http.MethodGet, "/v2/orders/251/shipments", nil)
	require.Equal(t, 404, code)
	require.JSONEq(t, `[{"status":404,"message":"The requested resource was not found."}]`, string(b))
}

func TestWrongStoreAndRateLimitHeaders(t *testing.T) {
	s := bigcommercetest.New(t, bigcommercetest.Options{Quota: 2})
	req, _ := http.NewRequest(http.MethodGet, s.URL+"/stores/other/v3/hooks", nil)
	req.Header.Set("X-Auth-Token", bigcommercetest.DefaultAccessToken)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, 404, resp.StatusCode)

	for _, want := range []string{"1", "0"} {
		code, _, h := callH(t, s, http.MethodGet, "/v3/hooks", nil)
		require.Equal(t, 200, code)
		require.Equal(t, want, h.Get("X-Rate-Limit-Requests-Left"))
		require.Equal(t, "2", h.Get("X-Rate-Limit-Requests-Quota"))
		require.Equal(t, "30000", h.Get("X-Rate-Limit-Time-Window-Ms"))
		require.NotEmpty(t, h.Get("X-Rate-Limit-Time-Reset-Ms"))
	}
	code, _, h := callH(t, s, http.MethodGet, "/v3/hooks", nil)
	require.Equal(t, 429, code, "the window is spent")
	require.Equal(t, "0", h.Get("X-Rate-Limit-Requests-Left"))
}

type hub struct {
	mu     sync.Mutex
	header []http.Header
	body   [][]byte
	srv    *httptest.Server
}

func newHub(t *testing.T) *hub {
	h := &hub{}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		h.mu.Lock()
		h.header = append(h.header, r.Header.Clone())
		h.body = append(h.body, b)
		h.mu.Unlock()
	}))
	t.Cleanup(h.srv.Close)
	return h
}

func TestTriggerSignsAndCarriesHookHeaders(t *testing.T) {
	h := newHub(t)
	s := bigcommercetest.New(t, bigcommercetest.Options{ClientSecret: "client-secret"})
	id, err := s.AddBuiltOrder(bigcommercetest.OrderSpec{ID: 250})
	require.NoError(t, err)
	s.AddSubscription("store/order/statusUpdated", h.srv.URL+"/a", map[string]string{"X-Orderhub-Auth": "v"}, true)
	s.AddSubscription("store/order/*", h.srv.URL+"/b", nil, true)
	s.AddSubscription("store/order/statusUpdated", h.srv.URL+"/c", nil, false)

	ds, err := s.Trigger(context.Background(), "store/order/statusUpdated", id)
	require.NoError(t, err)
	require.Len(t, ds, 2, "the scope and its wildcard; not the inactive hook")
	v := bigcommerce.Verifier{ClientSecret: "client-secret", CustomHeader: "X-Orderhub-Auth", CustomValue: "v"}
	require.NoError(t, v.Verify(h.header[0], h.body[0], time.Now()))
	require.NoError(t, bigcommerce.VerifySignature(h.header[1], h.body[1], time.Now(), "client-secret"))
	require.Empty(t, h.header[1].Get("X-Orderhub-Auth"))

	e, err := bigcommerce.DecodeWebhook(h.body[0])
	require.NoError(t, err)
	require.Equal(t, "250", e.OrderID)
	require.NotNil(t, e.Status)
	require.EqualValues(t, 11, e.Status.NewStatusID)
	k1, _, err := bigcommerce.DedupeKey(h.header[0], h.body[0])
	require.NoError(t, err)
	k2, _, err := bigcommerce.DedupeKey(h.header[1], h.body[1])
	require.NoError(t, err)
	require.Equal(t, k1, k2, "one event, one hash")
}

func TestDeliverUsesTheHookHeaders(t *testing.T) {
	h := newHub(t)
	s := bigcommercetest.New(t, bigcommercetest.Options{})
	s.AddSubscription("store/order/created", bigcommercetest.HubURL(h.srv.URL, "acme-bc"), map[string]string{"X-Orderhub-Auth": "hv"}, true)
	body := s.CallbackBody("store/order/created", 250)
	d, err := s.Deliver(context.Background(), h.srv.URL, "acme-bc", "", "store/order/created", body)
	require.NoError(t, err)
	require.Equal(t, 200, d.Status)
	require.Equal(t, "hv", h.header[0].Get("X-Orderhub-Auth"))
	require.Empty(t, h.header[0].Get("webhook-signature"), "no secret, no signature")
	require.NoError(t, bigcommerce.VerifyCustomHeader(h.header[0], "X-Orderhub-Auth", "hv"))

	shipment := s.CallbackBody("store/shipment/created", 250)
	e, err := bigcommerce.DecodeWebhook(shipment)
	require.NoError(t, err)
	require.Equal(t, "shipment", e.Type)
	require.Equal(t, "250", e.OrderID)
}
