package admin_test

import (
	"context"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/orderhub/orderhub"
	"github.com/orderhub/orderhub/admin"
	"github.com/orderhub/orderhub/allocator"
	"github.com/orderhub/orderhub/routing"
	"github.com/orderhub/orderhub/store"
	"github.com/orderhub/orderhub/store/sqlitestore"
)

type opsBundle struct {
	st  store.Store
	url string
	o   orderhub.Order
}

func opsSetup(t *testing.T) opsBundle {
	t.Helper()
	ctx := context.Background()
	st, err := sqlitestore.Open(ctx, filepath.Join(t.TempDir(), "ops.db"), store.Options{})
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	require.NoError(t, st.Migrate(ctx))
	nyc := orderhub.Location{ID: "nyc", Kind: orderhub.LocationWarehouse, Priority: 1, Address: orderhub.Address{Country: "US"}}
	alloc, err := allocator.New(allocator.Config{Store: st, Locations: []orderhub.Location{nyc},
		Rules: routing.Rules{Order: []routing.Rule{routing.RulePriority}, AllowLineSplit: true, Backorders: routing.BackorderNotify}})
	require.NoError(t, err)
	paid := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	o, err := st.CreateOrder(ctx, store.CreateOrderParams{Order: orderhub.Order{ShopID: "shop-a", Platform: "shopify", ExternalID: "77", Currency: "USD",
		Status: orderhub.StatusPaid, PaidAt: &paid, Lines: []orderhub.Line{
			{SKU: "MUG", Quantity: 2, UnitPrice: orderhub.MustParseMoney("12.00", "USD"), RequiresShp: true},
			{SKU: "GHOST", Quantity: 1, UnitPrice: orderhub.MustParseMoney("5.00", "USD"), RequiresShp: true}},
		Totals: orderhub.Totals{Total: orderhub.MustParseMoney("29.00", "USD")}}})
	require.NoError(t, err)
	_, err = st.SetStock(ctx, store.SetStockParams{LocationID: "nyc", SKU: "MUG", OnHand: 5})
	require.NoError(t, err)
	_, err = alloc.Route(ctx, o.ID)
	require.NoError(t, err)
	srv := &admin.Server{Store: st, Allocator: alloc, Locations: map[string]orderhub.Location{"nyc": nyc},
		Tokens: []admin.Token{{Token: allToken, Shops: []string{"*"}}, {Token: shopAToken, Shops: []string{"shop-a"}}}}
	ts := httptest.NewServer(srv.Routes())
	t.Cleanup(ts.Close)
	o, err = st.GetOrder(ctx, o.ID)
	require.NoError(t, err)
	return opsBundle{st: st, url: ts.URL, o: o}
}

func TestInventoryAndRestockOverHTTP(t *testing.T) {
	t.Parallel()
	b := opsSetup(t)
	code, body := call(t, "GET", b.url+"/inventory?sku=MUG", allToken, nil)
	require.Equal(t, 200, code)
	inv := body["inventory"].([]any)
	require.Len(t, inv, 1)
	require.Equal(t, float64(2), inv[0].(map[string]any)["reserved"])
	require.Equal(t, float64(3), inv[0].(map[string]any)["available"])

	// A scoped token can neither see nor touch shared locations.
	code, _ = call(t, "PUT", b.url+"/inventory/nyc/MUG", shopAToken, map[string]any{"on_hand": 0})
	require.Equal(t, 404, code)
	code, body = call(t, "GET", b.url+"/inventory", shopAToken, nil)
	require.Equal(t, 200, code)
	require.Empty(t, body["inventory"])

	code, body = call(t, "PUT", b.url+"/inventory/nyc/MUG", allToken, map[string]any{"on_hand": 1})
	require.Equal(t, 409, code, "below what is reserved")
	require.Contains(t, body["error"].(map[string]any)["message"], "reserved")
	code, _ = call(t, "PUT", b.url+"/inventory/mars/MUG", allToken, map[string]any{"on_hand": 1})
	require.Equal(t, 404, code)
	code, body = call(t, "POST", b.url+"/inventory/nyc/GHOST/adjustments", allToken, map[string]any{"delta": 3})
	require.Equal(t, 400, code)
	require.Contains(t, body["error"].(map[string]any)["message"], "reason")

	// A restock fills the pending backorder in the same request.
	code, body = call(t, "POST", b.url+"/inventory/nyc/GHOST/adjustments", allToken, map[string]any{"delta": 3, "reason": "restock"})
	require.Equal(t, 200, code)
	fills := body["backorders_filled"].([]any)
	require.Len(t, fills, 1)
	require.Equal(t, b.o.ID, fills[0].(map[string]any)["order_id"])
	require.Equal(t, float64(1), body["reserved"])

	code, body = call(t, "GET", b.url+"/backorders?status=filled", shopAToken, nil)
	require.Equal(t, 200, code)
	require.Len(t, body["backorders"], 1)
	code, body = call(t, "GET", b.url+"/backorders?status=bogus", allToken, nil)
	require.Equal(t, 400, code)
}

func TestCancellationAndDecisionOverHTTP(t *testing.T) {
	t.Parallel()
	b := opsSetup(t)
	code, body := call(t, "GET", b.url+"/orders/"+b.o.ID, allToken, nil)
	require.Equal(t, 200, code)
	require.Len(t, body["fulfillments"], 1)
	require.Len(t, body["backorders"], 1)
	require.Len(t, body["explanations"], 2)
	boID := body["backorders"].([]any)[0].(map[string]any)["id"].(string)

	code, body = call(t, "POST", b.url+"/backorders/"+boID+"/decision", shopAToken, map[string]any{"decision": "later"})
	require.Equal(t, 400, code)
	code, body = call(t, "POST", b.url+"/backorders/"+boID+"/decision", shopAToken, map[string]any{"decision": "cancel"})
	require.Equal(t, 200, code)
	require.Equal(t, float64(500), body["refund"].(map[string]any)["amount"].(map[string]any)["amount"])

	mug := b.o.Lines[0].ID
	code, body = call(t, "POST", b.url+"/orders/"+b.o.ID+"/cancellations", allToken, map[string]any{"lines": []map[string]any{{"line_id": mug, "quantity": 3}}})
	require.Equal(t, 409, code, "only 2 were ordered")
	code, body = call(t, "POST", b.url+"/orders/"+b.o.ID+"/cancellations", allToken, map[string]any{"lines": []map[string]any{{"line_id": mug, "quantity": 1}}, "reason": "customer asked"})
	require.Equal(t, 200, code)
	require.Equal(t, float64(1200), body["amount"].(map[string]any)["amount"])
	require.Equal(t, float64(1200), body["order_totals"].(map[string]any)["total"].(map[string]any)["amount"])
}
