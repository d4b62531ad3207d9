package main

// Wiring of the webhook intake (package webhooks): the HTTP route, the
// drain and reconciliation workers, their periodic jobs, and the API
// clients that fetch BigCommerce orders and list orders for reconciliation.

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/riverqueue/river"

	"github.com/orderhub/orderhub"
	"github.com/orderhub/orderhub/admin/live"
	"github.com/orderhub/orderhub/config"
	"github.com/orderhub/orderhub/connectors/apiclient"
	"github.com/orderhub/orderhub/connectors/bigcommerce"
	"github.com/orderhub/orderhub/connectors/shopify"
	"github.com/orderhub/orderhub/connectors/woocommerce"
	"github.com/orderhub/orderhub/httpjson"
	"github.com/orderhub/orderhub/ratelimit"
	"github.com/orderhub/orderhub/webhooks"
)

// intakeShops converts the configured shops into what the intake needs.
func intakeShops(cfg config.Config) []webhooks.ShopConfig {
	out := make([]webhooks.ShopConfig, 0, len(cfg.Shops))
	for _, s := range cfg.Shops {
		sc := webhooks.ShopConfig{ID: s.ID, Platform: s.Platform, WebhookSecret: s.WebhookSecret,
			PreviousWebhookSecret: s.PreviousWebhookSecret, ClientSecret: s.ClientSecret}
		if h := s.WebhookAuthHeader; h != nil {
			sc.AuthHeader, sc.AuthValue = h.Name, h.Value
		}
		out = append(out, sc)
	}
	return out
}

// intakeRoutes adds POST /webhooks/{platform}/{shop_id} for the configured
// shops. It needs the opened store. Receipts are stored by group commit:
// one committer on SQLite, which has one writer anyway, a few on
// PostgreSQL.
func (a *App) intakeRoutes(r chi.Router) {
	committers := 1
	if a.store.Kind() == "postgres" {
		committers = 4
	}
	h, err := webhooks.NewHandler(webhooks.HandlerOptions{
		Shops: intakeShops(a.cfg), Inbox: webhooks.NewGroupInbox(a.store, 0, committers), Now: a.now, Logger: a.logger,
		MaxBodyBytes: a.cfg.Webhooks.MaxBodyBytes, Observer: a.Metrics(), Budget: a.bodies, Writes: a.writes,
	})
	if err != nil {
		// Validate rules this out; answer 503 rather than take webhooks wrongly.
		a.logger.Error("webhook intake is disabled", "err", err)
		r.Post("/webhooks/{platform}/{shop_id}", func(w http.ResponseWriter, r *http.Request) {
			httpjson.Error(w, r, nil, orderhub.WrapError(orderhub.EUnavailable, err, "webhook intake is misconfigured"))
		})
		return
	}
	h.Routes(r)
}

// registerIntakeWorkers adds the drain worker (orderhub.ProcessReceiptsArgs)
// and the reconciliation worker (webhooks.ReconcileArgs). River needs
// workers before the store opens, so they read the store and the canceller
// from the App each time they run; the API clients need only the config
// and are made here, once, so each shop's pacing is shared by every job.
func (a *App) registerIntakeWorkers() {
	in := &intakeWiring{a: a, clients: newPlatformClients(a)}
	river.AddWorker(a.workers, &intakeDrainWorker{in: in})
	river.AddWorker(a.workers, &intakeReconcileWorker{in: in})
	river.AddWorker(a.workers, &intakePruneWorker{a: a})
	a.nwork += 3
}

// intakePeriodicJobs returns the drain sweep and, per shop, the
// reconciliation pass every reconcile.interval.
func (a *App) intakePeriodicJobs() []*river.PeriodicJob {
	return append(webhooks.PeriodicJobs(a.cfg.ShopIDs(), webhooks.DefaultSweep, a.cfg.Reconcile.Interval), webhooks.PrunePeriodicJob())
}

// intakeWiring is what the intake workers share.
type intakeWiring struct {
	a       *App
	clients *platformClients
}

func (in *intakeWiring) processor() *webhooks.Processor {
	p := &webhooks.Processor{Store: in.a.store, Logger: in.a.logger, Now: in.a.now, BigCommerce: in.clients, Lease: in.a.cfg.Jobs.RescueAfter,
		Changed: func(ctx context.Context, shopID, orderID string) {
			in.a.Live().Publish(ctx, live.Event{Type: live.OrderChanged, ShopID: shopID, OrderID: orderID, Note: "webhook"})
		}}
	if in.a.alloc != nil { // a nil *Allocator must not become a non-nil Canceller
		p.Canceller = in.a.alloc
	}
	return p
}

func (in *intakeWiring) reconciler() *webhooks.Reconciler {
	return &webhooks.Reconciler{Store: in.a.store, Lister: in.clients, Shops: intakeShops(in.a.cfg), Now: in.a.now, Logger: in.a.logger}
}

type intakeDrainWorker struct {
	river.WorkerDefaults[orderhub.ProcessReceiptsArgs]
	in *intakeWiring
}

func (w *intakeDrainWorker) Work(ctx context.Context, job *river.Job[orderhub.ProcessReceiptsArgs]) error {
	return (&webhooks.DrainWorker{Processor: w.in.processor()}).Work(ctx, job)
}

func (w *intakeDrainWorker) Timeout(job *river.Job[orderhub.ProcessReceiptsArgs]) time.Duration {
	return w.in.a.jobTimeout((&webhooks.DrainWorker{}).Timeout(job))
}

type intakeReconcileWorker struct {
	river.WorkerDefaults[webhooks.ReconcileArgs]
	in *intakeWiring
}

func (w *intakeReconcileWorker) Work(ctx context.Context, job *river.Job[webhooks.ReconcileArgs]) error {
	return w.in.reconciler().Work(ctx, job)
}

func (w *intakeReconcileWorker) Timeout(job *river.Job[webhooks.ReconcileArgs]) time.Duration {
	return w.in.a.jobTimeout(w.in.reconciler().Timeout(job))
}

// platformClients holds one API client per shop and adapts them to the
// intake's interfaces. A shop whose client could not be built (a bad URL)
// fails its fetches with the reason, which its receipts then show.
type platformClients struct {
	shopify map[string]*shopify.Client
	woo     map[string]*woocommerce.Client
	bc      map[string]*bigcommerce.Client
	broken  map[string]error
}

var (
	_ webhooks.BigCommerceFetcher = (*platformClients)(nil)
	_ webhooks.OrderLister        = (*platformClients)(nil)
)

func newPlatformClients(a *App) *platformClients {
	c := &platformClients{shopify: map[string]*shopify.Client{}, woo: map[string]*woocommerce.Client{},
		bc: map[string]*bigcommerce.Client{}, broken: map[string]error{}}
	for _, s := range a.cfg.Shops {
		lim, key := a.limiter(), s.Platform+":"+s.ID
		o := apiclient.Options{Shop: s.ID, Logger: a.logger, Now: a.now, Limiter: lim, LimiterKey: key,
			HTTPClient: ratelimit.HTTPClient(nil, lim, key)}
		var err error
		switch s.Platform {
		case config.PlatformShopify:
			var cl *shopify.Client
			if cl, err = shopify.NewClient(shopify.ClientConfig{BaseURL: s.APIBaseURL, APIVersion: s.APIVersion, AccessToken: s.AccessToken, HTTP: o}); err == nil {
				c.shopify[s.ID] = cl
			}
		case config.PlatformWooCommerce:
			var cl *woocommerce.Client
			if cl, err = woocommerce.NewClient(woocommerce.ClientConfig{BaseURL: s.APIBaseURL, ConsumerKey: s.ConsumerKey, ConsumerSecret: s.ConsumerSecret, HTTP: o}); err == nil {
				c.woo[s.ID] = cl
			}
		case config.PlatformBigCommerce:
			var cl *bigcommerce.Client
			if cl, err = bigcommerce.NewClient(bigcommerce.ClientConfig{BaseURL: s.APIBaseURL, StoreHash: s.StoreHash, AccessToken: s.AccessToken, HTTP: o}); err == nil {
				c.bc[s.ID] = cl
			}
		}
		if err != nil {
			c.broken[s.ID] = err
			a.logger.Error("API client not built; reconciliation and BigCommerce fetches of this shop will fail", "shop", s.ID, "platform", s.Platform, "err", err)
		}
	}
	return c
}

func (c *platformClients) missing(shopID string) error {
	if err := c.broken[shopID]; err != nil {
		return orderhub.WrapError(orderhub.EUnavailable, err, "shop %s has no working API client", shopID)
	}
	return orderhub.Errorf(orderhub.ENotFound, "shop %s has no API client", shopID)
}

// FetchOrder implements webhooks.BigCommerceFetcher.
func (c *platformClients) FetchOrder(ctx context.Context, shopID, orderID string) ([]byte, []byte, []byte, error) {
	cl, ok := c.bc[shopID]
	if !ok {
		return nil, nil, nil, c.missing(shopID)
	}
	return cl.FetchOrder(ctx, orderID)
}

// ListUpdatedSince implements webhooks.OrderLister.
func (c *platformClients) ListUpdatedSince(ctx context.Context, shopID string, since time.Time) ([]webhooks.RawOrder, error) {
	var raws []json.RawMessage
	var err error
	if cl, ok := c.shopify[shopID]; ok {
		raws, err = cl.ListOrdersUpdatedSince(ctx, since)
	} else if cl, ok := c.woo[shopID]; ok {
		raws, err = cl.ListOrdersModifiedAfter(ctx, since)
	} else if cl, ok := c.bc[shopID]; ok {
		return listBigCommerce(ctx, cl, since)
	} else {
		return nil, c.missing(shopID)
	}
	if err != nil {
		return nil, err
	}
	out := make([]webhooks.RawOrder, len(raws))
	for i, r := range raws {
		out[i] = webhooks.RawOrder{Order: r}
	}
	return out, nil
}

// listBigCommerce lists changed orders and completes each with its
// products and shipping addresses.
func listBigCommerce(ctx context.Context, cl *bigcommerce.Client, since time.Time) ([]webhooks.RawOrder, error) {
	raws, err := cl.ListOrdersModifiedSince(ctx, since)
	if err != nil {
		return nil, err
	}
	out := make([]webhooks.RawOrder, 0, len(raws))
	for _, r := range raws {
		id, err := bigcommerce.OrderID(r)
		if err != nil {
			return nil, fmt.Errorf("bigcommerce order listed without an id: %w", err)
		}
		products, addrs, err := cl.FetchOrderSubresources(ctx, id)
		if err != nil {
			return nil, err
		}
		out = append(out, webhooks.RawOrder{Order: r, Products: products, ShippingAddresses: addrs})
	}
	return out, nil
}

// intakePruneWorker deletes old processed receipts; it reads the store
// when it runs, since River needs workers before the store opens.
type intakePruneWorker struct {
	river.WorkerDefaults[webhooks.PruneArgs]
	a *App
}

func (w *intakePruneWorker) Work(ctx context.Context, job *river.Job[webhooks.PruneArgs]) error {
	n, err := (&webhooks.Pruner{Store: w.a.store, Now: w.a.now}).Prune(ctx)
	if n > 0 {
		w.a.logger.InfoContext(ctx, "old webhook receipts pruned", "receipts", n)
	}
	return err
}
