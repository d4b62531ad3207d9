package admin_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/orderhub/orderhub"
	"github.com/orderhub/orderhub/admin"
	"github.com/orderhub/orderhub/store"
	"github.com/orderhub/orderhub/store/sqlitestore"
	"github.com/orderhub/orderhub/store/storetest"
)

const (
	allToken   = "token-for-every-shop-0123456789"
	shopAToken = "token-for-shop-a-only-0123456789"
)

type bundle struct {
	store store.Store
	url   string
	a, b  orderhub.Order
}

func setup(t *testing.T) bundle {
	t.Helper()
	ctx := context.Background()
	st, err := sqlitestore.Open(ctx, filepath.Join(t.TempDir(), "admin.db"), store.Options{})
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	require.NoError(t, st.Migrate(ctx))
	a, err := st.CreateOrder(ctx, store.CreateOrderParams{Order: storetest.SampleOrder("shop-a", "1001")})
	require.NoError(t, err)
	b, err := st.CreateOrder(ctx, store.CreateOrderParams{Order: storetest.SampleOrder("shop-b", "2002")})
	require.NoError(t, err)
	srv := &admin.Server{Store: st, Tokens: []admin.Token{{Token: allToken, Shops: []string{"*"}}, {Token: shopAToken, Shops: []string{"shop-a"}}}}
	ts := httptest.NewServer(http.StripPrefix("/api/v1", srv.Routes()))
	t.Cleanup(ts.Close)
	return bundle{store: st, url: ts.URL + "/api/v1", a: a, b: b}
}

func call(t *testing.T, method, url, token string, body any) (int, map[string]any) {
	t.Helper()
	var rd *bytes.Reader
	if body != nil {
		b, err := json.Marshal(body)
		require.NoError(t, err)
		rd = bytes.NewReader(b)
	} else {
		rd = bytes.NewReader(nil)
	}
	req, err := http.NewRequest(method, url, rd)
	require.NoError(t, err)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	var out map[string]any
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&out))
	return resp.StatusCode, out
}

func errCode(m map[string]any) string {
	e, _ := m["error"].(map[string]any)
	s, _ := e["code"].(string)
	return s
}

func TestAuthFailures(t *testing.T) {
	t.Parallel()
	b := setup(t)
	code, body := call(t, "GET", b.url+"/orders", "", nil)
	require.Equal(t, 401, code)
	require.Equal(t, "unauthorized", errCode(body))

	code, body = call(t, "GET", b.url+"/orders", "not-a-real-token", nil)
	require.Equal(t, 401, code)
	require.Equal(t, "unauthorized", errCode(body))

	req, _ := http.NewRequest("GET", b.url+"/orders", nil)
	req.Header.Set("Authorization", "Basic "+allToken)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, 401, resp.StatusCode, "only bearer tokens are accepted")
}

func TestTenantIsolation(t *testing.T) {
	t.Parallel()
	b := setup(t)
	// Shop A's token sees A's order and not B's, which looks absent.
	code, _ := call(t, "GET", b.url+"/orders/"+b.a.ID, shopAToken, nil)
	require.Equal(t, 200, code)
	code, body := call(t, "GET", b.url+"/orders/"+b.b.ID, shopAToken, nil)
	require.Equal(t, 404, code)
	require.Equal(t, "not_found", errCode(body))

	code, body = call(t, "GET", b.url+"/orders", shopAToken, nil)
	require.Equal(t, 200, code)
	orders := body["orders"].([]any)
	require.Len(t, orders, 1)
	require.Equal(t, "shop-a", orders[0].(map[string]any)["shop_id"])

	code, body = call(t, "GET", b.url+"/orders?shop=shop-b", shopAToken, nil)
	require.Equal(t, 200, code)
	require.Empty(t, body["orders"], "asking for another shop's list gives nothing")

	// Nor can it change B's order.
	code, _ = call(t, "POST", b.url+"/orders/"+b.b.ID+"/transitions", shopAToken, map[string]string{"to": "cancelled", "actor": "mallory"})
	require.Equal(t, 404, code)
	code, _ = call(t, "POST", b.url+"/orders/"+b.b.ID+"/notes", shopAToken, map[string]string{"actor": "mallory", "note": "x"})
	require.Equal(t, 404, code)
	got, err := b.store.GetOrder(context.Background(), b.b.ID)
	require.NoError(t, err)
	require.Equal(t, orderhub.StatusPending, got.Status)

	code, body = call(t, "GET", b.url+"/orders", allToken, nil)
	require.Equal(t, 200, code)
	require.Len(t, body["orders"], 2)
}

func TestTransitionsOverHTTP(t *testing.T) {
	t.Parallel()
	b := setup(t)
	url := b.url + "/orders/" + b.a.ID + "/transitions"
	code, body := call(t, "POST", url, allToken, map[string]string{"to": "delivered", "actor": "ops"})
	require.Equal(t, 409, code)
	msg := body["error"].(map[string]any)["message"].(string)
	require.Contains(t, msg, "pending")
	require.Contains(t, msg, "delivered")

	code, body = call(t, "POST", url, allToken, map[string]string{"to": "payment_processing", "actor": "ops", "note": "card authorised"})
	require.Equal(t, 200, code)
	require.Equal(t, "payment_processing", body["order"].(map[string]any)["status"])

	code, body = call(t, "POST", url, allToken, map[string]string{"to": "nonsense", "actor": "ops"})
	require.Equal(t, 400, code)
	require.Contains(t, body["error"].(map[string]any)["message"], "nonsense")

	code, body = call(t, "POST", url, allToken, map[string]any{"to": "paid", "actor": "ops", "extra": 1})
	require.Equal(t, 400, code)
	require.Contains(t, body["error"].(map[string]any)["message"], "extra")

	code, _ = call(t, "POST", b.url+"/orders/"+b.a.ID+"/notes", allToken, map[string]string{"actor": "cs@example.com", "note": "customer asked for gift wrap"})
	require.Equal(t, 201, code)

	code, body = call(t, "GET", b.url+"/orders/"+b.a.ID, allToken, nil)
	require.Equal(t, 200, code)
	events := body["events"].([]any)
	require.Len(t, events, 3)
	require.Equal(t, "card authorised", events[1].(map[string]any)["note"])
	require.Equal(t, "customer asked for gift wrap", events[2].(map[string]any)["note"])
	require.Len(t, body["lines"], 3)
}
