package fulfillment_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"github.com/stretchr/testify/require"

	"github.com/orderhub/orderhub"
	"github.com/orderhub/orderhub/allocator"
	"github.com/orderhub/orderhub/fulfillment"
	"github.com/orderhub/orderhub/routing"
	"github.com/orderhub/orderhub/store"
	"github.com/orderhub/orderhub/store/sqlitestore"
)

func f64(v float64) *float64 { return &v }

var (
	nyc = orderhub.Location{ID: "nyc", Kind: orderhub.LocationWarehouse, Priority: 1, ShippingProvider: "ep",
		Address: orderhub.Address{Name: "Acme NYC", Address1: "450 W 33rd St", City: "New York", Province: "NY", Zip: "10001", Country: "US", Latitude: f64(40.75), Longitude: f64(-73.99)}}
	la = orderhub.Location{ID: "la-3pl", Kind: orderhub.Location3PL, Provider: "sb", Priority: 3,
		Address: orderhub.Address{Country: "US", Province: "CA", Latitude: f64(34.05), Longitude: f64(-118.24)}}
	dropco = orderhub.Supplier{ID: "dropco", SKUs: map[string]orderhub.SupplierSKU{"HOODIE": {Cost: orderhub.MustParseMoney("18.50", "USD"), LeadDays: 5}}}
)

type bundle struct {
	st    store.Store
	alloc *allocator.Allocator
}

func setup(t *testing.T) bundle {
	t.Helper()
	ctx := context.Background()
	st, err := sqlitestore.Open(ctx, filepath.Join(t.TempDir(), "f.db"), store.Options{})
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	require.NoError(t, st.Migrate(ctx))
	a, err := allocator.New(allocator.Config{Store: st, Locations: []orderhub.Location{nyc, la}, Suppliers: []orderhub.Supplier{dropco},
		Rules: routing.Rules{Order: []routing.Rule{routing.RuleMinimizeSplits, routing.RulePriority}, AllowLineSplit: true, Dropship: true, Backorders: routing.BackorderNotify}})
	require.NoError(t, err)
	for _, s := range []struct {
		loc, sku string
	}{{"nyc", "MUG"}, {"la-3pl", "POSTER"}} {
		_, err := st.SetStock(ctx, store.SetStockParams{LocationID: s.loc, SKU: s.sku, OnHand: 10})
		require.NoError(t, err)
	}
	return bundle{st: st, alloc: a}
}

var orderSeq struct {
	mu sync.Mutex
	n  int
}

// routed creates a paid order of a mug (nyc), a poster (the 3PL) and a
// hoodie (dropshipped), routes it, and returns it with its fulfillments by
// source id.
func routed(t *testing.T, b bundle) (orderhub.Order, map[string]orderhub.Fulfillment) {
	t.Helper()
	ctx := context.Background()
	orderSeq.mu.Lock()
	orderSeq.n++
	n := orderSeq.n
	orderSeq.mu.Unlock()
	paid := time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)
	usd := func(s string) orderhub.Money { return orderhub.MustParseMoney(s, "USD") }
	o := orderhub.Order{ShopID: "shop-a", Platform: orderhub.PlatformShopify, ExternalID: fmt.Sprint(1000 + n), ExternalNumber: fmt.Sprintf("#%d", 1000+n),
		Currency: "USD", Status: orderhub.StatusPaid, PaidAt: &paid,
		Customer:     orderhub.Customer{Email: "jo@example.com", FirstName: "Jo", LastName: "Doe"},
		ShippingAddr: orderhub.Address{Name: "Jo Doe", Address1: "1 Main St", City: "Newark", Province: "NJ", Zip: "07102", Country: "US", Latitude: f64(40.73), Longitude: f64(-74.17)},
		Shipping:     []orderhub.ShipLine{{Title: "Express", Price: usd("9.00"), Discount: usd("0"), Tax: usd("0")}}}
	for i, sku := range []string{"MUG", "POSTER", "HOODIE"} {
		o.Lines = append(o.Lines, orderhub.Line{ExternalID: fmt.Sprint(i + 1), SKU: sku, Name: "The " + sku, Quantity: int64(1 + i%2), RequiresShp: true,
			UnitPrice: usd("10.00"), Discount: usd("0"), Tax: usd("0")})
	}
	o.Totals = orderhub.Totals{Subtotal: usd("40.00"), Discount: usd("0"), Shipping: usd("9.00"), Tax: usd("0"), Total: usd("49.00"), Refunded: usd("0")}
	o, err := b.st.CreateOrder(ctx, store.CreateOrderParams{Order: o, Actor: "test"})
	require.NoError(t, err)
	res, err := b.alloc.Route(ctx, o.ID)
	require.NoError(t, err)
	require.Empty(t, res.Skipped)
	fs := map[string]orderhub.Fulfillment{}
	for _, f := range res.Fulfillments {
		fs[f.SourceID] = f
	}
	require.Len(t, fs, 3, "a mug from nyc, a poster from the 3PL, a hoodie dropshipped")
	return o, fs
}

func job(fid string) *river.Job[orderhub.FulfillmentArgs] {
	return &river.Job[orderhub.FulfillmentArgs]{JobRow: &rivertype.JobRow{ID: 1, Kind: "execute_fulfillment", Attempt: 1}, Args: orderhub.FulfillmentArgs{FulfillmentID: fid}}
}

func get(t *testing.T, b bundle, id string) orderhub.Fulfillment {
	t.Helper()
	f, err := b.st.GetFulfillment(context.Background(), id)
	require.NoError(t, err)
	return f
}

func notes(t *testing.T, b bundle, orderID string) []string {
	t.Helper()
	ev, err := b.st.ListEvents(context.Background(), orderID)
	require.NoError(t, err)
	var out []string
	for _, e := range ev {
		out = append(out, e.Note)
	}
	return out
}

func worker(b bundle, ex map[string]fulfillment.Executor) *fulfillment.Worker {
	return &fulfillment.Worker{Store: b.st, Executors: ex}
}
