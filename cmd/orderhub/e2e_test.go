package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/orderhub/orderhub"
	"github.com/orderhub/orderhub/config"
	"github.com/orderhub/orderhub/connectors/apiclient/fakeplatform"
	"github.com/orderhub/orderhub/connectors/bigcommerce/bigcommercetest"
	"github.com/orderhub/orderhub/connectors/shopify/shopifytest"
	"github.com/orderhub/orderhub/connectors/woocommerce/woocommercetest"
	"github.com/orderhub/orderhub/store"
	"github.com/orderhub/orderhub/store/pgstore/pgtest"
)

// TestEndToEndIntake starts the whole app on :0 against fakes of all three
// platforms, posts signed webhooks with duplicates and out-of-order
// deliveries, and finds every order stored and routed exactly once. It runs
// on SQLite and, where available, PostgreSQL.
func TestEndToEndIntake(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) { t.Parallel(); endToEndIntake(t, "") })
	t.Run("postgres", func(t *testing.T) { t.Parallel(); endToEndIntake(t, pgtest.NewDatabase(t)) })
}

func endToEndIntake(t *testing.T, postgresURL string) {
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
	hub := "http://" + ln.Addr().String()
	for _, l := range cfg.Locations {
		for _, sku := range []string{"A", "B"} {
			_, err := app.store.SetStock(ctx, store.SetStockParams{LocationID: l.ID, SKU: sku, OnHand: 1000})
			require.NoError(t, err)
		}
	}

	type want struct{ shop, ext string }
	var wants []want
	var deliveries []func() (fakeplatform.Delivery, error)
	created := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)

	// Shopify: orders/updated (paid, newer) arrives before orders/create
	// (pending, older), and each delivery is retried once.
	shop, err := configShop(cfg, config.PlatformShopify)
	require.NoError(t, err)
	sf := world.shopify[shop.ID]
	for i := int64(0); i < 4; i++ {
		lines := []shopifytest.LineSpec{{SKU: "A", Quantity: 1 + i%2, Price: "10.00"}, {SKU: "B", Quantity: 1, Price: "5.50"}}
		older := shopifytest.MustBuildOrder(shopifytest.OrderSpec{Number: 2000 + i, FinancialStatus: "pending", CreatedAt: created, Lines: lines})
		newer := shopifytest.MustBuildOrder(shopifytest.OrderSpec{Number: 2000 + i, FinancialStatus: "paid", CreatedAt: created, UpdatedAt: created.Add(time.Minute), Lines: lines})
		id, err := sf.AddOrder(newer)
		require.NoError(t, err)
		wants = append(wants, want{shop.ID, fmt.Sprint(id)})
		for _, d := range []struct {
			topic string
			body  []byte
		}{{"orders/updated", newer}, {"orders/create", older}} {
			hdr := sf.DeliveryHeaders(shop.WebhookSecret, d.topic, d.body)
			body := d.body
			for r := 0; r < 2; r++ {
				deliveries = append(deliveries, func() (fakeplatform.Delivery, error) {
					return fakeplatform.Post(ctx, nil, shopifytest.HubURL(hub, shop.ID), hdr, body)
				})
			}
		}
	}

	// WooCommerce: order.updated (processing) before order.created (pending).
	wshop, err := configShop(cfg, config.PlatformWooCommerce)
	require.NoError(t, err)
	wf := world.woo[wshop.ID]
	for i := int64(0); i < 4; i++ {
		lines := []woocommercetest.LineSpec{{SKU: "A", Quantity: 2, Price: "10.00"}}
		older := woocommercetest.MustBuildOrder(woocommercetest.OrderSpec{ID: 900 + i, Status: "pending", CreatedAt: created, Lines: lines})
		newer := woocommercetest.MustBuildOrder(woocommercetest.OrderSpec{ID: 900 + i, Status: "processing", CreatedAt: created, ModifiedAt: created.Add(time.Minute), Lines: lines})
		id, err := wf.AddOrder(newer)
		require.NoError(t, err)
		wants = append(wants, want{wshop.ID, fmt.Sprint(id)})
		for _, d := range []struct {
			topic string
			body  []byte
		}{{"order.updated", newer}, {"order.created", older}, {"order.updated", newer}} {
			topic, body := d.topic, d.body
			deliveries = append(deliveries, func() (fakeplatform.Delivery, error) {
				return wf.Deliver(ctx, hub, wshop.ID, wshop.WebhookSecret, topic, body)
			})
		}
	}

	// BigCommerce: thin callbacks, statusUpdated before created, each twice.
	bshop, err := configShop(cfg, config.PlatformBigCommerce)
	require.NoError(t, err)
	bf := world.bc[bshop.ID]
	for i := int64(0); i < 4; i++ {
		o, p, a := bigcommercetest.MustBuildOrder(bigcommercetest.OrderSpec{ID: 300 + i, StatusID: 11, CreatedAt: created,
			Lines: []bigcommercetest.LineSpec{{SKU: "B", Quantity: 3, Price: "7.25"}}})
		id, err := bf.AddOrder(o, p, a)
		require.NoError(t, err)
		wants = append(wants, want{bshop.ID, fmt.Sprint(id)})
		for _, scope := range []string{"store/order/statusUpdated", "store/order/created"} {
			body := bf.CallbackBody(scope, id)
			hdr, err := bf.DeliveryHeaders(bshop.ClientSecret, body, nil)
			require.NoError(t, err)
			for r := 0; r < 2; r++ {
				deliveries = append(deliveries, func() (fakeplatform.Delivery, error) {
					return fakeplatform.Post(ctx, nil, bigcommercetest.HubURL(hub, bshop.ID), hdr, body)
				})
			}
		}
	}

	// Deliver everything concurrently, a few at a time, as platforms do.
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	errs := make(chan error, len(deliveries))
	for _, d := range deliveries {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			res, err := d()
			if err == nil && res.Status != 200 {
				err = fmt.Errorf("delivery answered %d: %s", res.Status, res.Body)
			}
			if err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}

	// Every order is stored once and routed once.
	deadline := time.Now().Add(90 * time.Second)
	for _, w := range wants {
		for {
			page, err := app.store.ListOrders(ctx, store.ListOrdersParams{ShopIDs: []string{w.shop}, ExternalID: w.ext})
			require.NoError(t, err)
			require.LessOrEqual(t, len(page.Orders), 1, "order %s/%s stored twice", w.shop, w.ext)
			if len(page.Orders) == 1 && page.Orders[0].Status == orderhub.StatusAwaitingFulfillment {
				o := page.Orders[0]
				events, err := app.store.ListEvents(ctx, o.ID)
				require.NoError(t, err)
				routed := 0
				for _, e := range events {
					if e.Kind == orderhub.EventRouted {
						routed++
					}
				}
				require.Equal(t, 1, routed, "order %s/%s routed exactly once", w.shop, w.ext)
				st, err := orderhub.ReplayStatus(events)
				require.NoError(t, err)
				require.Equal(t, o.Status, st)
				fs, err := app.store.ListFulfillments(ctx, o.ID)
				require.NoError(t, err)
				require.NotEmpty(t, fs)
				break
			}
			require.True(t, time.Now().Before(deadline), "order %s/%s not routed in time", w.shop, w.ext)
			time.Sleep(50 * time.Millisecond)
		}
	}
	page, err := app.store.ListOrders(ctx, store.ListOrdersParams{Limit: 500})
	require.NoError(t, err)
	require.Len(t, page.Orders, len(wants), "no stray orders")
	n, err := app.store.Queue().CountJobs(ctx, orderhub.RouteOrderArgs{}.Kind())
	require.NoError(t, err)
	require.Equal(t, len(wants), n, "one routing job per order")

	// The metrics saw every delivery: 16 Shopify deliveries, 8 of them retries.
	resp, err := http.Get(hub + "/metrics")
	require.NoError(t, err)
	defer resp.Body.Close()
	scrape, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Contains(t, string(scrape), `orderhub_webhooks_received_total{platform="shopify"} 16`)
	require.Contains(t, string(scrape), `orderhub_webhooks_duplicate_total{platform="shopify"} 8`)
	require.Contains(t, string(scrape), `orderhub_webhooks_received_total{platform="bigcommerce"} 16`)
}
