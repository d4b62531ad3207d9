package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"github.com/stretchr/testify/require"

	"github.com/orderhub/orderhub"
	"github.com/orderhub/orderhub/config"
	"github.com/orderhub/orderhub/connectors/bigcommerce/bigcommercetest"
	"github.com/orderhub/orderhub/connectors/shopify"
	"github.com/orderhub/orderhub/connectors/shopify/shopifytest"
	"github.com/orderhub/orderhub/store"
	"github.com/orderhub/orderhub/webhooks"
)

// routeRecorder stands in for the routing worker: it records the orders
// it was asked to route.
type routeRecorder struct {
	river.WorkerDefaults[orderhub.RouteOrderArgs]
	mu     sync.Mutex
	orders []string
}

func (w *routeRecorder) Work(ctx context.Context, job *river.Job[orderhub.RouteOrderArgs]) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.orders = append(w.orders, job.Args.OrderID)
	return nil
}

func (w *routeRecorder) routed() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.orders...)
}

func shopOf(t *testing.T, cfg config.Config, platform string) *config.Shop {
	t.Helper()
	for i := range cfg.Shops {
		if cfg.Shops[i].Platform == platform {
			return &cfg.Shops[i]
		}
	}
	t.Fatalf("the demo config has no %s shop", platform)
	return nil
}

func eventually(t *testing.T, what string, f func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !f() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestIntakeWiring runs the intake as the app wires it, with River working
// the jobs: webhooks from fake Shopify and BigCommerce shops become routed
// orders, BigCommerce orders are fetched through the API client, a
// reconciliation job lists what no webhook delivered, and a dead letter is
// replayed.
func TestIntakeWiring(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cfg, err := demoConfig(t.TempDir())
	require.NoError(t, err)
	cfg.Reconcile.Interval = time.Hour // passes run when the test asks

	sh := shopOf(t, cfg, config.PlatformShopify)
	bc := shopOf(t, cfg, config.PlatformBigCommerce)
	shopFake := shopifytest.New(t, shopifytest.Options{WebhookSecret: sh.WebhookSecret})
	bcFake := bigcommercetest.New(t, bigcommercetest.Options{ClientSecret: bc.ClientSecret, StoreHash: bc.StoreHash})
	sh.APIBaseURL, sh.AccessToken = shopFake.URL, shopifytest.DefaultAccessToken
	bc.APIBaseURL, bc.AccessToken = bcFake.URL, bigcommercetest.DefaultAccessToken

	// Built as NewApp builds it, with the intake's parts only.
	a := &App{cfg: cfg, logger: slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn})), workers: river.NewWorkers(), now: time.Now}
	a.registerIntakeWorkers()
	require.Equal(t, 3, a.nwork, "drain, reconciliation and pruning")
	router := &routeRecorder{}
	river.AddWorker(a.workers, router)
	st, err := openStore(ctx, cfg, store.Options{Logger: a.logger, Workers: a.workers, PeriodicJobs: a.intakePeriodicJobs()})
	require.NoError(t, err)
	require.NoError(t, st.Migrate(ctx))
	a.store = st
	t.Cleanup(func() { _ = st.Close() })
	r := chi.NewRouter()
	a.intakeRoutes(r)
	hub := httptest.NewServer(r)
	t.Cleanup(hub.Close)
	require.NoError(t, st.Queue().Start(ctx))

	order := func(shop, ext string) (orderhub.Order, bool) {
		o, err := st.GetOrderByExternalID(ctx, shop, ext)
		return o, err == nil
	}
	accepted := func(status int, body []byte) {
		t.Helper()
		require.Equal(t, http.StatusOK, status, string(body))
		var ans webhooks.Response
		require.NoError(t, json.Unmarshal(body, &ans))
		require.Equal(t, "accepted", ans.Status, string(body))
	}

	// Shopify posts a paid order.
	body := shopifytest.MustBuildOrder(shopifytest.OrderSpec{Number: 1001, FinancialStatus: "paid"})
	d, err := shopFake.Deliver(ctx, hub.URL, sh.ID, sh.WebhookSecret, "orders/create", body)
	require.NoError(t, err)
	accepted(d.Status, d.Body)
	var id struct {
		ID json.Number `json:"id"`
	}
	require.NoError(t, json.Unmarshal(body, &id))

	// BigCommerce posts a thin callback; the order is fetched from its API.
	_, err = bcFake.AddBuiltOrder(bigcommercetest.OrderSpec{ID: 250, StatusID: 11})
	require.NoError(t, err)
	d, err = bcFake.Deliver(ctx, hub.URL, bc.ID, bc.ClientSecret, "store/order/created", bcFake.CallbackBody("store/order/created", 250))
	require.NoError(t, err)
	accepted(d.Status, d.Body)

	eventually(t, "both orders stored and routed", func() bool {
		o1, ok1 := order(sh.ID, id.ID.String())
		o2, ok2 := order(bc.ID, "250")
		return ok1 && ok2 && o1.Status == orderhub.StatusPaid && o2.Status == orderhub.StatusPaid && len(router.routed()) == 2
	})

	// Reconciliation finds an order the shop never sent.
	now := time.Now().UTC().Truncate(time.Second)
	missed := shopifytest.MustBuildOrder(shopifytest.OrderSpec{Number: 1002, FinancialStatus: "pending", CreatedAt: now, UpdatedAt: now})
	missedID, err := shopFake.AddOrder(missed)
	require.NoError(t, err)
	_, err = st.InsertJob(ctx, webhooks.ReconcileArgs{ShopID: sh.ID}, nil)
	require.NoError(t, err)
	eventually(t, "the reconciled order", func() bool {
		o, ok := order(sh.ID, fmt.Sprint(missedID))
		return ok && o.Status == orderhub.StatusPending
	})
	cursor, err := st.GetReconcileCursor(ctx, sh.ID)
	require.NoError(t, err)
	require.Equal(t, now, cursor)

	// A delivery that can never be read is a dead letter; replaying it runs
	// it again through a new drain job.
	bad := []byte(`{"id": 77}`)
	d, err = shopFake.Deliver(ctx, hub.URL, sh.ID, sh.WebhookSecret, "orders/updated", bad)
	require.NoError(t, err)
	accepted(d.Status, d.Body)
	var dead store.Receipt
	eventually(t, "the dead letter", func() bool {
		page, err := st.ListDeadReceipts(ctx, store.ListReceiptsParams{})
		if err != nil || len(page.Receipts) != 1 {
			return false
		}
		dead = page.Receipts[0]
		return true
	})
	require.Contains(t, dead.LastError, "currency: missing")
	eventually(t, "the drain job to finish", func() bool {
		n, err := st.Queue().CountJobs(ctx, orderhub.ProcessReceiptsArgs{}.Kind(), rivertype.JobStateAvailable, rivertype.JobStateRunning)
		return err == nil && n == 0
	})
	replayed, err := st.ReplayReceipt(ctx, dead.ID)
	require.NoError(t, err)
	require.Equal(t, store.ReceiptPending, replayed.Status)
	eventually(t, "the replayed receipt to be worked again", func() bool {
		r, err := st.GetReceipt(ctx, dead.ID)
		return err == nil && r.Status == store.ReceiptDead && r.Attempts == 1 && r.ProcessedAt == nil
	})
	require.Len(t, router.routed(), 2, "each paid order is routed once")

	// Unknown shop and bad signature answer as the contract says.
	resp, err := http.Post(hub.URL+"/webhooks/shopify/nope", "application/json", nil)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusNotFound, resp.StatusCode)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, hub.URL+"/webhooks/shopify/"+sh.ID, nil)
	require.NoError(t, err)
	req.Header = shopify.SignHeaders("wrong", nil, shopify.Delivery{Topic: "orders/create", EventID: "x"})
	resp, err = http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
}

func TestIntakeShopsFromConfig(t *testing.T) {
	cfg, err := demoConfig(t.TempDir())
	require.NoError(t, err)
	bc := shopOf(t, cfg, config.PlatformBigCommerce)
	bc.WebhookAuthHeader = &config.HeaderAuth{Name: "X-Orderhub-Auth", Value: "v"}
	shops := intakeShops(cfg)
	require.Len(t, shops, len(cfg.Shops))
	for i, s := range shops {
		require.Equal(t, cfg.Shops[i].ID, s.ID)
		require.Equal(t, cfg.Shops[i].Platform, s.Platform)
		require.Equal(t, cfg.Shops[i].WebhookSecret, s.WebhookSecret)
		if s.Platform == config.PlatformBigCommerce {
			require.Equal(t, bc.ClientSecret, s.ClientSecret)
			require.Equal(t, "X-Orderhub-Auth", s.AuthHeader)
			require.Equal(t, "v", s.AuthValue)
		}
	}
	a := &App{cfg: cfg}
	jobs := a.intakePeriodicJobs()
	require.Len(t, jobs, 2+len(cfg.Shops), "the drain sweep, a reconciliation per shop and the daily prune")
}
