package main

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/orderhub/orderhub"
	"github.com/orderhub/orderhub/config"
	"github.com/orderhub/orderhub/store"
	"github.com/orderhub/orderhub/store/pgstore/pgtest"
)

// TestEndToEndWriteBack runs the demo's scenario against the whole app and
// then inspects the platforms' fakes: each order, from its webhook, ends
// with its fulfillments written back with tracking exactly once. The
// Shopify order splits over a warehouse, ShipBob and a dropship supplier;
// the WooCommerce order's backordered line is filled by a restock.
func TestEndToEndWriteBack(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) { t.Parallel(); endToEndWriteBack(t, "") })
	t.Run("postgres", func(t *testing.T) { t.Parallel(); endToEndWriteBack(t, pgtest.NewDatabase(t)) })
}

func endToEndWriteBack(t *testing.T, postgresURL string) {
	cfg, err := demoConfig(t.TempDir())
	require.NoError(t, err)
	if postgresURL != "" {
		cfg.Database = postgresURL
	}
	world := startFakeWorld(&cfg)
	t.Cleanup(world.Close)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	app, err := NewApp(ctx, cfg, AppOptions{})
	require.NoError(t, err)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	done := make(chan error, 1)
	go func() { done <- app.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		require.NoError(t, <-done)
	})
	c := demoClient{base: "http://" + ln.Addr().String(), token: cfg.Admin.Tokens[0].Token, http: &http.Client{Timeout: 15 * time.Second}}
	require.NoError(t, runDemo(ctx, io.Discard, cfg, world, app, c))

	shop, err := configShop(cfg, config.PlatformShopify)
	require.NoError(t, err)
	sf := world.shopify[shop.ID]
	ids := sf.OrderIDs()
	require.Len(t, ids, 1)
	fs := sf.FulfillmentsOf(ids[0])
	require.Len(t, fs, 3, "warehouse, ShipBob and dropship each written back once")
	carriers := map[string]bool{}
	for _, f := range fs {
		require.NotEmpty(t, f.TrackingNumber)
		carriers[f.TrackingCompany] = true
	}
	require.True(t, carriers["UPS"] && carriers["USPS"], "tracking from the label, the 3PL and the supplier: %v", carriers)
	raw, ok := sf.Order(ids[0])
	require.True(t, ok)
	var o struct {
		Note string `json:"note"`
	}
	require.NoError(t, json.Unmarshal(raw, &o))
	require.Equal(t, 1, strings.Count(o.Note, "[orderhub routed]"), "the routing note is appended once")

	wshop, err := configShop(cfg, config.PlatformWooCommerce)
	require.NoError(t, err)
	wf := world.woo[wshop.ID]
	wraw, ok := wf.Order(727)
	require.True(t, ok)
	var wo struct {
		Status string `json:"status"`
	}
	require.NoError(t, json.Unmarshal(wraw, &wo))
	require.Equal(t, "completed", wo.Status, "every shipment shipped")
	markers := map[string]int{}
	for _, n := range wf.Notes(727) {
		if i := strings.Index(n.Note, "]"); strings.HasPrefix(n.Note, "[orderhub ") && i > 0 {
			markers[n.Note[:i+1]]++
		}
	}
	for m, n := range markers {
		require.Equal(t, 1, n, "note %s written once", m)
	}
	require.Len(t, wf.Trackings(727), 2, "two shipments, one filled from the restock")

	bshop, err := configShop(cfg, config.PlatformBigCommerce)
	require.NoError(t, err)
	bf := world.bc[bshop.ID]
	ships := bf.Shipments(250)
	require.Len(t, ships, 1)
	require.Contains(t, string(ships[0]), "9205590100000000000001")

	// orderhub's side agrees: every fulfillment carries the platform's id.
	page, err := app.store.ListOrders(ctx, store.ListOrdersParams{})
	require.NoError(t, err)
	require.Len(t, page.Orders, 3)
	for _, o := range page.Orders {
		fs, err := app.store.ListFulfillments(ctx, o.ID)
		require.NoError(t, err)
		for _, f := range fs {
			require.NotEmpty(t, f.PlatformID, "order %s fulfillment %s written back", o.ExternalID, f.ID)
			require.Contains(t, []orderhub.FulfillmentStatus{orderhub.FulfillmentShipped, orderhub.FulfillmentDelivered}, f.Status)
		}
	}
}
