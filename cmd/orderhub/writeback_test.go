package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"github.com/stretchr/testify/require"

	"github.com/orderhub/orderhub"
	"github.com/orderhub/orderhub/allocator"
	"github.com/orderhub/orderhub/config"
	"github.com/orderhub/orderhub/connectors/shopify"
	"github.com/orderhub/orderhub/connectors/shopify/shopifytest"
	"github.com/orderhub/orderhub/connectors/woocommerce"
	"github.com/orderhub/orderhub/connectors/woocommerce/woocommercetest"
	"github.com/orderhub/orderhub/notify"
	"github.com/orderhub/orderhub/store"
	"github.com/orderhub/orderhub/writeback"
)

// noticeRecorder is a notice channel that keeps what it is given.
type noticeRecorder struct {
	mu   sync.Mutex
	sent []notify.Message
}

func (r *noticeRecorder) Channel() string { return "webhook" }

func (r *noticeRecorder) Send(ctx context.Context, m notify.Message) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sent = append(r.sent, m)
	return nil
}

func (r *noticeRecorder) kinds() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, m := range r.sent {
		out = append(out, m.Kind)
	}
	return out
}

// writebackApp builds an App on the demo config and fake platforms the
// way NewApp does, with the write-back wiring in, and works the notices
// and writeback queues (not the fulfillment queue: no source executes
// here; the tests report progress themselves).
func writebackApp(t *testing.T, sender notify.Sender) (*App, *fakeWorld) {
	t.Helper()
	ctx := context.Background()
	cfg, err := demoConfig(t.TempDir())
	require.NoError(t, err)
	world := startFakeWorld(&cfg)
	t.Cleanup(world.Close)
	a := &App{cfg: cfg, logger: slog.New(slog.DiscardHandler), workers: river.NewWorkers(), now: time.Now, noticeSender: sender}
	a.registerWorkers()
	a.registerWritebackWorkers()
	a.registerWritebackWorkers() // a second call changes nothing
	opts := store.Options{Logger: a.logger, Workers: a.workers, Queues: writebackQueues()}
	opts.Queues[allocator.QueueNotices] = river.QueueConfig{MaxWorkers: 2}
	st, err := openStore(ctx, cfg, opts)
	require.NoError(t, err)
	require.NoError(t, st.Migrate(ctx))
	a.store = st
	require.NoError(t, a.wire())
	require.NoError(t, a.wireWriteback())
	qctx, cancel := context.WithCancel(ctx)
	require.NoError(t, st.Queue().Start(qctx))
	t.Cleanup(func() {
		sctx, scancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer scancel()
		_ = st.Queue().Stop(sctx)
		cancel()
		a.closeOperator()
		st.Close()
	})
	return a, world
}

// placeOrder stores a normalised order paid, stocks nyc with its SKUs
// (skipping those in noStock) and routes it.
func placeOrder(t *testing.T, a *App, o orderhub.Order, shop string, noStock ...string) (orderhub.Order, allocator.RouteResult) {
	t.Helper()
	ctx := context.Background()
	o.ShopID, o.Status = shop, orderhub.StatusPaid
	skip := map[string]bool{}
	for _, s := range noStock {
		skip[s] = true
	}
	for _, l := range o.Lines {
		if !skip[l.SKU] {
			_, err := a.store.SetStock(ctx, store.SetStockParams{LocationID: "nyc", SKU: l.SKU, OnHand: 50})
			require.NoError(t, err)
		}
	}
	o, err := a.store.CreateOrder(ctx, store.CreateOrderParams{Order: o, Actor: "test"})
	require.NoError(t, err)
	res, err := a.alloc.Route(ctx, o.ID)
	require.NoError(t, err)
	return o, res
}

func settleWriteback(t *testing.T, a *App) {
	t.Helper()
	busy := []rivertype.JobState{rivertype.JobStateAvailable, rivertype.JobStateRunning, rivertype.JobStateRetryable, rivertype.JobStateScheduled, rivertype.JobStatePending}
	kinds := append(writebackJobKinds(), orderhub.BackorderNoticeArgs{}.Kind())
	require.Eventually(t, func() bool {
		total := 0
		for _, k := range kinds {
			n, err := a.store.Queue().CountJobs(context.Background(), k, busy...)
			require.NoError(t, err)
			total += n
		}
		return total == 0
	}, 60*time.Second, 25*time.Millisecond)
}

func TestWritebackWiredEndToEnd(t *testing.T) {
	rec := &noticeRecorder{}
	a, world := writebackApp(t, rec)
	ctx := context.Background()

	shopShop, err := configShop(a.cfg, config.PlatformShopify)
	require.NoError(t, err)
	body := shopifytest.MustBuildOrder(shopifytest.OrderSpec{Number: 4001, Email: "ada@example.com",
		Lines: []shopifytest.LineSpec{{SKU: "WB-MUG", Quantity: 2}, {SKU: "WB-RARE", Quantity: 1}}})
	sid, err := world.shopify[shopShop.ID].AddOrder(body)
	require.NoError(t, err)
	so, err := shopify.NormalizeOrder(body)
	require.NoError(t, err)
	so, sres := placeOrder(t, a, so, shopShop.ID, "WB-RARE")
	require.Len(t, sres.Fulfillments, 1)
	require.Len(t, sres.Backorders, 1, "WB-RARE is nowhere")

	wooShop, err := configShop(a.cfg, config.PlatformWooCommerce)
	require.NoError(t, err)
	require.True(t, wooShop.ShipmentTracking, "the demo store runs the Shipment Tracking extension")
	wbody := woocommercetest.MustBuildOrder(woocommercetest.OrderSpec{ID: 7401, Status: "processing",
		Lines: []woocommercetest.LineSpec{{SKU: "WB-TEE", Quantity: 1, Price: "20.00"}}})
	wid, err := world.woo[wooShop.ID].AddOrder(wbody)
	require.NoError(t, err)
	wo, err := woocommerce.NormalizeOrder(wbody)
	require.NoError(t, err)
	_, wres := placeOrder(t, a, wo, wooShop.ID)
	require.Len(t, wres.Fulfillments, 1)

	for _, f := range []orderhub.Fulfillment{sres.Fulfillments[0], wres.Fulfillments[0]} {
		_, err := a.alloc.Advance(ctx, allocator.Progress{FulfillmentID: f.ID, Status: orderhub.FulfillmentShipped, Carrier: "UPS",
			TrackingNumber: "1Z-" + f.ID[:8], TrackingURL: "https://ups.example/" + f.ID[:8], Actor: "test"})
		require.NoError(t, err)
	}
	settleWriteback(t, a)

	fs := world.shopify[shopShop.ID].FulfillmentsOf(sid)
	require.Len(t, fs, 1)
	require.Equal(t, "1Z-"+sres.Fulfillments[0].ID[:8], fs[0].TrackingNumber)
	raw, _ := world.shopify[shopShop.ID].Order(sid)
	require.Contains(t, jsonField(raw, "note"), "[orderhub routed] Routed by orderhub: 2 × WB-MUG from nyc; 1 × WB-RARE backordered")
	f, err := a.store.GetFulfillment(ctx, sres.Fulfillments[0].ID)
	require.NoError(t, err)
	require.Equal(t, fs[0].GID(), f.PlatformID)

	require.Len(t, world.woo[wooShop.ID].Trackings(wid), 1, "shipment_tracking from the shop's config")
	wraw, _ := world.woo[wooShop.ID].Order(wid)
	require.Equal(t, "completed", jsonField(wraw, "status"))

	require.ElementsMatch(t, []string{notify.KindBackorder, notify.KindShipment, notify.KindShipment}, rec.kinds(),
		"one backorder notice and a shipment notice per fulfillment")

	var out strings.Builder
	printWriteBacks(&out, world, []demoSent{{shopShop.ID, config.PlatformShopify, jsonField(raw, "id")}, {wooShop.ID, config.PlatformWooCommerce, "7401"}})
	require.Contains(t, out.String(), "fulfillment gid://shopify/Fulfillment/")
	require.Contains(t, out.String(), "1Z-"+sres.Fulfillments[0].ID[:8])
	require.Contains(t, out.String(), "woocommerce order 7401 (status completed)")
	require.Contains(t, out.String(), "tracking item: 1Z-"+wres.Fulfillments[0].ID[:8])
	_ = so
}

func TestNoticeRoutesVerifyTheSignature(t *testing.T) {
	a, _ := writebackApp(t, nil)
	ctx := context.Background()
	o := orderhub.Order{Platform: "shopify", ExternalID: "9001", Currency: "USD",
		Lines: []orderhub.Line{{SKU: "NOWHERE", Name: "Ghost", Quantity: 1, UnitPrice: orderhub.MustParseMoney("5.00", "USD"), RequiresShp: true}}}
	shop, err := configShop(a.cfg, config.PlatformShopify)
	require.NoError(t, err)
	_, res := placeOrder(t, a, o, shop.ID, "NOWHERE")
	require.Len(t, res.Backorders, 1)
	bid := res.Backorders[0].ID

	r := chi.NewRouter()
	a.noticeRoutes(r)
	srv := httptest.NewServer(r)
	defer srv.Close()
	links, err := notify.LoadLinks(ctx, a.store, a.linkSettings())
	require.NoError(t, err)
	good := srv.URL + strings.TrimPrefix(links.BackorderURL(bid, allocator.DecisionWait), strings.TrimRight(a.cfg.PublicURL, "/"))
	bad := srv.URL + notify.BackorderPath(bid, allocator.DecisionWait) + "?sig=forged"
	get := func(method, u string) int {
		req, err := http.NewRequest(method, u, nil)
		require.NoError(t, err)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	require.Equal(t, http.StatusForbidden, get("GET", bad))
	require.Equal(t, http.StatusForbidden, get("POST", bad))
	require.Equal(t, http.StatusOK, get("GET", good))
	require.Equal(t, http.StatusOK, get("POST", good))
	b, err := a.store.GetBackorder(ctx, bid)
	require.NoError(t, err)
	require.Equal(t, orderhub.BackorderWaiting, b.Status)
	cancel := srv.URL + strings.TrimPrefix(links.BackorderURL(bid, allocator.DecisionCancel), strings.TrimRight(a.cfg.PublicURL, "/"))
	require.Equal(t, http.StatusConflict, get("POST", cancel), "the customer chose to wait: the cancel link no longer acts")
	b, err = a.store.GetBackorder(ctx, bid)
	require.NoError(t, err)
	require.Equal(t, orderhub.BackorderWaiting, b.Status)
}

func TestNoticeSenderFromConfig(t *testing.T) {
	var cfg config.Config
	require.Nil(t, noticeSenderFromConfig(cfg))
	cfg.Notifications.WebhookURL = "https://hooks.example/notices"
	require.Equal(t, notify.WebhookSender{URL: "https://hooks.example/notices"}, noticeSenderFromConfig(cfg))
	cfg.Notifications.SMTP = config.SMTP{Host: "smtp.example", Port: 587, Username: "u", Password: "p", From: "orders@example.com"}
	require.Equal(t, notify.MailSender{Host: "smtp.example", Port: 587, Username: "u", Password: "p", From: "orders@example.com"}, noticeSenderFromConfig(cfg),
		"mail wins when both are set")
}

func TestChainHooks(t *testing.T) {
	var calls []string
	mk := func(name string, err error) allocator.Hooks {
		return allocator.Hooks{Filled: func(context.Context, store.Tx, allocator.Fill) error {
			calls = append(calls, name)
			return err
		}}
	}
	h := chainHooks(mk("a", nil), allocator.Hooks{}, mk("b", nil))
	require.NoError(t, h.Filled(context.Background(), nil, allocator.Fill{}))
	require.Equal(t, []string{"a", "b"}, calls)
	require.Nil(t, h.Routed)
	calls = nil
	boom := errors.New("boom")
	h = chainHooks(mk("a", boom), mk("b", nil))
	require.ErrorIs(t, h.Filled(context.Background(), nil, allocator.Fill{}), boom)
	require.Equal(t, []string{"a"}, calls, "the first error stops the chain")
}

func TestWritebackRejectsABadRedisURL(t *testing.T) {
	a := &App{cfg: config.Config{Redis: "http://user:secret@host"}}
	err := a.wireWriteback()
	require.Error(t, err)
	require.NotContains(t, err.Error(), "secret")
	require.Contains(t, writebackJobKinds(), writeback.FulfillmentArgs{}.Kind())
}
