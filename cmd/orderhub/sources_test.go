package main

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"text/tabwriter"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"github.com/stretchr/testify/require"

	"github.com/orderhub/orderhub"
	"github.com/orderhub/orderhub/config"
	"github.com/orderhub/orderhub/connectors/apiclient/fakeplatform"
	"github.com/orderhub/orderhub/connectors/easypost"
	"github.com/orderhub/orderhub/connectors/shipbob"
	"github.com/orderhub/orderhub/connectors/shipbob/shipbobtest"
	"github.com/orderhub/orderhub/connectors/shippo"
	"github.com/orderhub/orderhub/fulfillment"
	"github.com/orderhub/orderhub/store"
)

// sourcesBundle is the app on the demo config with every provider and
// supplier pointed at its fake, the executors built by sourceExecutors and
// the callback routes served on loopback.
type sourcesBundle struct {
	app    *App
	cfg    config.Config
	fakes  *sourceFakes
	worker *fulfillment.Worker
	hub    string
}

func sourcesSetup(t *testing.T) *sourcesBundle {
	t.Helper()
	cfg, err := demoConfig(t.TempDir())
	require.NoError(t, err)
	for i := range cfg.Providers {
		if cfg.Providers[i].Kind == config.ProviderShipBob {
			cfg.Providers[i].WebhookSecret = shipbobtest.DefaultWebhookSecret // ShipBob takes only whsec_ secrets
		}
	}
	fakes := startSourceFakes(&cfg)
	t.Cleanup(fakes.Close)
	ctx := context.Background()
	app, err := NewApp(ctx, cfg, AppOptions{})
	require.NoError(t, err)
	t.Cleanup(func() { app.store.Close() })
	ex, err := app.sourceExecutors()
	require.NoError(t, err)
	r := chi.NewRouter()
	app.sourceRoutes(r)
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	for _, s := range []struct{ loc, sku string }{{"nyc", "EP-ITEM"}, {"chi", "SH-ITEM"}, {"la-3pl", "SB-ITEM"}} {
		_, err := app.store.SetStock(ctx, store.SetStockParams{LocationID: s.loc, SKU: s.sku, OnHand: 10})
		require.NoError(t, err)
	}
	return &sourcesBundle{app: app, cfg: cfg, fakes: fakes, worker: &fulfillment.Worker{Store: app.store, Executors: ex}, hub: srv.URL}
}

var sourceOrderSeq struct {
	mu sync.Mutex
	n  int
}

// order creates and routes a paid order of one unit of each SKU and
// returns its fulfillments by source id.
func (b *sourcesBundle) order(t *testing.T, skus ...string) (orderhub.Order, map[string]orderhub.Fulfillment) {
	t.Helper()
	ctx := context.Background()
	sourceOrderSeq.mu.Lock()
	sourceOrderSeq.n++
	n := sourceOrderSeq.n
	sourceOrderSeq.mu.Unlock()
	usd := func(s string) orderhub.Money { return orderhub.MustParseMoney(s, "USD") }
	lat, lon := 40.73, -74.17
	paid := time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)
	o := orderhub.Order{ShopID: "acme-shopify", Platform: orderhub.PlatformShopify, ExternalID: fmt.Sprint(7000 + n), ExternalNumber: fmt.Sprintf("#%d", 7000+n),
		Currency: "USD", Status: orderhub.StatusPaid, PaidAt: &paid, Customer: orderhub.Customer{Email: "jo@example.com", FirstName: "Jo", LastName: "Doe"},
		ShippingAddr: orderhub.Address{Name: "Jo Doe", Address1: "1 Main St", City: "Newark", Province: "NJ", Zip: "07102", Country: "US", Latitude: &lat, Longitude: &lon}}
	for i, sku := range skus {
		o.Lines = append(o.Lines, orderhub.Line{ExternalID: fmt.Sprint(i + 1), SKU: sku, Name: "Item " + sku, Quantity: 1, RequiresShp: true,
			UnitPrice: usd("10.00"), Discount: usd("0"), Tax: usd("0")})
	}
	sub := usd("10.00")
	sub.Amount *= int64(len(skus))
	o.Totals = orderhub.Totals{Subtotal: sub, Discount: usd("0"), Shipping: usd("0"), Tax: usd("0"), Total: sub, Refunded: usd("0")}
	o, err := b.app.store.CreateOrder(ctx, store.CreateOrderParams{Order: o, Actor: "test"})
	require.NoError(t, err)
	res, err := b.app.alloc.Route(ctx, o.ID)
	require.NoError(t, err)
	fs := map[string]orderhub.Fulfillment{}
	for _, f := range res.Fulfillments {
		fs[f.SourceID] = f
	}
	require.Len(t, fs, len(skus))
	return o, fs
}

func (b *sourcesBundle) work(t *testing.T, f orderhub.Fulfillment) error {
	t.Helper()
	return b.worker.Work(context.Background(), &river.Job[orderhub.FulfillmentArgs]{JobRow: &rivertype.JobRow{Kind: "execute_fulfillment"},
		Args: orderhub.FulfillmentArgs{FulfillmentID: f.ID}})
}

func (b *sourcesBundle) get(t *testing.T, id string) orderhub.Fulfillment {
	t.Helper()
	f, err := b.app.store.GetFulfillment(context.Background(), id)
	require.NoError(t, err)
	return f
}

var allSources = []string{"EP-ITEM", "SH-ITEM", "SB-ITEM", "SKU-POSTER"}

// TestSourceExecutorsCreateOnce runs every source kind's job twice while
// each fake fails its first creation attempts with a 500 and a 429: each
// source gets exactly one creation.
func TestSourceExecutorsCreateOnce(t *testing.T) {
	t.Parallel()
	b := sourcesSetup(t)
	ep, sp, sb, sup := b.fakes.easypost["easypost-main"], b.fakes.shippo["shippo-main"], b.fakes.shipbob["shipbob-main"], b.fakes.supplier["dropco"]
	post := func(prefix string) func(*http.Request) bool {
		return func(r *http.Request) bool {
			return r.Method == http.MethodPost && strings.HasPrefix(r.URL.Path, prefix)
		}
	}
	retryAfter := http.Header{"Retry-After": {"1"}}
	for _, f := range []struct {
		rec    *fakeplatform.Recorder
		prefix string
	}{{ep.Recorder, "/v2/shipments"}, {sp.Recorder, "/transactions"}, {sb.Recorder, "/2026-01/order"}, {sup.Recorder, "/purchase-orders"}} {
		f.rec.InjectFailure(1, fakeplatform.Failure{Status: http.StatusInternalServerError, Match: post(f.prefix)})
		f.rec.InjectFailure(1, fakeplatform.Failure{Status: http.StatusTooManyRequests, Header: retryAfter, Match: post(f.prefix)})
	}
	o, fs := b.order(t, allSources...)
	for _, src := range []string{"nyc", "chi", "la-3pl", "dropco"} {
		require.NoError(t, b.work(t, fs[src]), src)
		require.NoError(t, b.work(t, fs[src]), "%s: the job again", src)
		require.Equal(t, orderhub.FulfillmentSubmitted, b.get(t, fs[src].ID).Status, src)
	}
	require.Equal(t, 1, ep.ShipmentsCreated())
	require.Equal(t, 1, ep.LabelsBought())
	require.Equal(t, 1, sp.LabelsBought())
	require.Equal(t, 1, sb.Created())
	require.Equal(t, 1, sup.Received())

	nycF := b.get(t, fs["nyc"].ID)
	sh, ok := ep.Shipment(nycF.ExternalID)
	require.True(t, ok, "the EasyPost shipment id is the external id")
	require.Equal(t, fs["nyc"].ID, sh.Reference)
	require.Equal(t, "GroundAdvantage", sh.SelectedRate.Service, "the location's rule: cheapest")
	require.Equal(t, sh.TrackingCode, nycF.TrackingNumber)
	require.Equal(t, sh.PostageLabel.LabelURL, nycF.LabelURL)
	require.Equal(t, "USPS", nycF.Carrier)
	require.Equal(t, "450 W 33rd St", sh.FromAddress.Street1)

	chiF := b.get(t, fs["chi"].ID)
	tx := sp.Transactions()[0]
	require.Equal(t, fs["chi"].ID, tx.Metadata)
	require.Equal(t, tx.TrackingNumber, chiF.TrackingNumber)

	laF := b.get(t, fs["la-3pl"].ID)
	sbo, ok := sb.OrderByReference(fs["la-3pl"].ID)
	require.True(t, ok, "the ShipBob order's reference_id is the fulfillment id")
	require.Equal(t, fmt.Sprint(sbo.ID), laF.ExternalID)
	require.Equal(t, "SB-ITEM", sbo.Products[0].ReferenceID)
	require.Equal(t, o.ExternalNumber, sbo.OrderNumber)

	po := sup.POs()[0]
	require.Equal(t, fs["dropco"].ID, po.ID)
	require.Equal(t, "2.40", po.Lines[0].UnitCost.Amount)
	require.Equal(t, "http://127.0.0.1:8080/webhooks/supplier/dropco", po.CallbackURL)
	require.Equal(t, po.Reference, b.get(t, fs["dropco"].ID).ExternalID)
}

// TestSourceExecutorsLostAnswers: each creation (shipments, labels, the
// 3PL order, the PO) lands but its answer is lost; the executors find what
// they made instead of making it again.
func TestSourceExecutorsLostAnswers(t *testing.T) {
	t.Parallel()
	b := sourcesSetup(t)
	ep, sp, sb, sup := b.fakes.easypost["easypost-main"], b.fakes.shippo["shippo-main"], b.fakes.shipbob["shipbob-main"], b.fakes.supplier["dropco"]
	ep.LoseAnswerNext(1, func(r *http.Request) bool { return strings.HasSuffix(r.URL.Path, "/buy") })
	sp.LoseAnswerNext(1, func(r *http.Request) bool {
		return r.Method == http.MethodPost && strings.HasPrefix(r.URL.Path, "/transactions")
	})
	sb.LoseAnswerNext(1, func(r *http.Request) bool { return r.Method == http.MethodPost })
	sup.LoseAnswerNext(1, nil)
	_, fs := b.order(t, allSources...)
	for _, src := range []string{"nyc", "chi", "la-3pl", "dropco"} {
		require.NoError(t, b.work(t, fs[src]), src)
		require.Equal(t, orderhub.FulfillmentSubmitted, b.get(t, fs[src].ID).Status, src)
	}
	require.Equal(t, 1, ep.ShipmentsCreated())
	require.Equal(t, 1, ep.LabelsBought())
	require.Equal(t, 1, sp.ShipmentsCreated())
	require.Equal(t, 1, sp.LabelsBought())
	require.Equal(t, 1, sb.Created())
	require.Equal(t, 1, sup.Received())
	require.Equal(t, 2, sup.Deliveries(), "the PO was delivered again and dropped by its id")
	require.NotEmpty(t, b.get(t, fs["chi"].ID).TrackingNumber)
}

// TestSourceExecutorsResumeAfterAFailedJob: the label purchase fails after
// the shipment was saved; the next job reuses the shipment.
func TestSourceExecutorsResumeAfterAFailedJob(t *testing.T) {
	t.Parallel()
	b := sourcesSetup(t)
	ep, sp := b.fakes.easypost["easypost-main"], b.fakes.shippo["shippo-main"]
	ep.InjectFailure(1, fakeplatform.Failure{Status: http.StatusForbidden, Match: func(r *http.Request) bool { return strings.HasSuffix(r.URL.Path, "/buy") }})
	sp.InjectFailure(1, fakeplatform.Failure{Status: http.StatusForbidden, Match: func(r *http.Request) bool { return strings.HasPrefix(r.URL.Path, "/transactions") }})
	_, fs := b.order(t, "EP-ITEM", "SH-ITEM")
	for _, src := range []string{"nyc", "chi"} {
		require.Error(t, b.work(t, fs[src]), src)
		mid := b.get(t, fs[src].ID)
		require.Equal(t, orderhub.FulfillmentPending, mid.Status, src)
		require.NotEmpty(t, mid.ExternalID, "%s: the shipment was saved before buying", src)
		require.NoError(t, b.work(t, fs[src]), src)
		require.Equal(t, orderhub.FulfillmentSubmitted, b.get(t, fs[src].ID).Status, src)
	}
	require.Equal(t, 1, ep.ShipmentsCreated())
	require.Equal(t, 1, ep.LabelsBought())
	require.Equal(t, 1, sp.ShipmentsCreated())
	require.Equal(t, 1, sp.LabelsBought())
}

// TestSourceCallbacksAndPoll executes an order at every source, then lets
// each source report back through the hub's callback routes (and the
// ShipBob poll), and follows the stock and statuses.
func TestSourceCallbacksAndPoll(t *testing.T) {
	t.Parallel()
	b := sourcesSetup(t)
	ctx := context.Background()
	o, fs := b.order(t, allSources...)
	for _, f := range fs {
		require.NoError(t, b.work(t, f))
	}
	nycF, chiF := b.get(t, fs["nyc"].ID), b.get(t, fs["chi"].ID)

	d, _, err := b.fakes.easypost["easypost-main"].Track(ctx, b.hub, "easypost-main", nycF.ExternalID, easypost.TrackerInTransit)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, d.Status, "%s", d.Body)
	d, _, err = b.fakes.shippo["shippo-main"].TrackUpdate(ctx, b.hub, "shippo-main", chiF.TrackingNumber, shippo.TrackTransit)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, d.Status, "%s", d.Body)
	d, err = b.fakes.supplier["dropco"].Ship(ctx, b.hub, fs["dropco"].ID, "UPS", "1ZDROP")
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, d.Status, "%s", d.Body)

	// ShipBob ships without a webhook: the poll finds the tracking.
	_, err = b.fakes.shipbob["shipbob-main"].Ship(fs["la-3pl"].ID, shipbob.Tracking{Carrier: "FedEx", TrackingNumber: "FX1"})
	require.NoError(t, err)
	poll := &sourcePollWorker{a: b.app}
	job := &river.Job[fulfillment.ShipBobPollArgs]{JobRow: &rivertype.JobRow{Kind: "shipbob_poll"}, Args: fulfillment.ShipBobPollArgs{ProviderID: "shipbob-main"}}
	require.NoError(t, poll.Work(ctx, job))
	require.NoError(t, poll.Work(ctx, job), "the next poll finds nothing new")
	require.Len(t, b.fakes.shipbob["shipbob-main"].RequestsTo(http.MethodPost, "/2026-01/shipment:batchUpdateTrackingUpload"), 1)

	for src, want := range map[string]string{"nyc": "", "chi": "", "la-3pl": "FX1", "dropco": "1ZDROP"} {
		got := b.get(t, fs[src].ID)
		require.Equal(t, orderhub.FulfillmentShipped, got.Status, src)
		if want != "" {
			require.Equal(t, want, got.TrackingNumber, src)
		}
	}
	for _, s := range []struct{ loc, sku string }{{"nyc", "EP-ITEM"}, {"chi", "SH-ITEM"}, {"la-3pl", "SB-ITEM"}} {
		lvl, err := b.app.store.GetStock(ctx, s.loc, s.sku)
		require.NoError(t, err)
		require.Equal(t, orderhub.StockLevel{LocationID: s.loc, SKU: s.sku, OnHand: 9}, lvl, "shipping at %s consumed the unit", s.loc)
	}
	got, err := b.app.store.GetOrder(ctx, o.ID)
	require.NoError(t, err)
	require.Equal(t, orderhub.StatusFulfilled, got.Status)

	code, _ := postRaw(t, b.hub+"/webhooks/shipbob/unknown", nil)
	require.Equal(t, http.StatusNotFound, code)
}

func postRaw(t *testing.T, url string, body []byte) (int, []byte) {
	t.Helper()
	resp, err := http.Post(url, "application/json", bytes.NewReader(body))
	require.NoError(t, err)
	defer resp.Body.Close()
	var buf bytes.Buffer
	_, _ = buf.ReadFrom(resp.Body)
	return resp.StatusCode, buf.Bytes()
}

func TestProviderWebhooksRegisterIdempotently(t *testing.T) {
	t.Parallel()
	b := sourcesSetup(t)
	ctx := context.Background()
	b.cfg.PublicURL = "https://hub.example.com"
	run := func(sub string) string {
		var out bytes.Buffer
		tw := tabwriter.NewWriter(&out, 0, 4, 2, ' ', 0)
		errs := providerWebhooks(ctx, b.cfg, slog.New(slog.DiscardHandler), sub, tw)
		require.Empty(t, errs)
		require.NoError(t, tw.Flush())
		return out.String()
	}
	first := run("register")
	require.Contains(t, first, "easypost-main")
	require.Regexp(t, `easypost-main\s+easypost\s+all events\s+created\s+https://hub.example.com/webhooks/easypost/easypost-main`, first)
	for _, topic := range shipbob.WebhookTopics {
		require.Regexp(t, `shipbob-main\s+shipbob\s+`+strings.ReplaceAll(topic, ".", `\.`)+`\s+created\s+https://hub.example.com/webhooks/shipbob/shipbob-main`, first)
	}
	require.NotContains(t, first, "shippo-main", "Shippo's tracking webhooks come with its labels")

	second := run("register")
	require.NotContains(t, second, "created")
	require.Contains(t, second, "exists")
	require.Len(t, b.fakes.easypost["easypost-main"].Webhooks(), 1)
	require.Len(t, b.fakes.shipbob["shipbob-main"].Subscriptions(), 1)
	hook := b.fakes.easypost["easypost-main"].Webhooks()[0]
	ep, _ := b.cfg.Provider("easypost-main")
	require.Equal(t, ep.WebhookSecret, hook.WebhookSecret, "EasyPost signs with the configured secret")

	list := run("list")
	require.Regexp(t, `shipbob-main\s+shipbob\s+order\.shipped,order\.shipment\.delivered`, list)
	require.Regexp(t, `easypost-main\s+easypost\s+all events\s+active`, list)

	b.cfg.Providers[0].WebhookSecret = "not-whsec"
	var out bytes.Buffer
	errs := providerWebhooks(ctx, b.cfg, nil, "register", &out)
	require.Len(t, errs, 1)
	require.Contains(t, errs[0].Error(), "whsec_")
	require.Contains(t, out.String(), "failed")
}

// TestSourceRoutesBeatTheIntakePattern: on one router with the platform
// intake's /webhooks/{platform}/{shop_id}, the callback routes answer
// their own paths.
func TestSourceRoutesBeatTheIntakePattern(t *testing.T) {
	t.Parallel()
	b := sourcesSetup(t)
	for _, order := range []string{"intake first", "sources first"} {
		r := chi.NewRouter()
		if order == "intake first" {
			b.app.intakeRoutes(r)
			b.app.sourceRoutes(r)
		} else {
			b.app.sourceRoutes(r)
			b.app.intakeRoutes(r)
		}
		for _, path := range []string{"/webhooks/shipbob/shipbob-main", "/webhooks/easypost/easypost-main", "/webhooks/shippo/shippo-main", "/webhooks/supplier/dropco"} {
			rec := httptest.NewRecorder()
			r.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, path, strings.NewReader(`{}`)))
			require.Equal(t, http.StatusUnauthorized, rec.Code, "%s, %s: the callback handler checks the signature: %s", order, path, rec.Body)
		}
		rec := httptest.NewRecorder()
		r.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/webhooks/shopify/acme-shopify", strings.NewReader(`{}`)))
		require.Equal(t, http.StatusUnauthorized, rec.Code, "the intake still takes the platforms")
		rec = httptest.NewRecorder()
		r.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/webhooks/shipbob/not-configured", strings.NewReader(`{}`)))
		require.Equal(t, http.StatusNotFound, rec.Code)
		require.Contains(t, rec.Body.String(), "no shipbob provider")
	}
}

// TestSourceFakesPlayTheCarriers ships and delivers an order at every
// source through the fakes' ship and deliver, as the demo does.
func TestSourceFakesPlayTheCarriers(t *testing.T) {
	t.Parallel()
	b := sourcesSetup(t)
	ctx := context.Background()
	o, fs := b.order(t, allSources...)
	for _, f := range fs {
		require.NoError(t, b.work(t, f))
	}
	for _, step := range []struct {
		play func(context.Context, config.Config, string, orderhub.Fulfillment) (fakeplatform.Delivery, error)
		want orderhub.FulfillmentStatus
	}{{b.fakes.ship, orderhub.FulfillmentShipped}, {b.fakes.deliver, orderhub.FulfillmentDelivered}} {
		for src, f := range fs {
			d, err := step.play(ctx, b.cfg, b.hub, b.get(t, f.ID))
			require.NoError(t, err, src)
			require.Equal(t, http.StatusOK, d.Status, "%s: %s", src, d.Body)
			got := b.get(t, f.ID)
			require.Equal(t, step.want, got.Status, src)
			require.NotEmpty(t, got.TrackingNumber, src)
		}
	}
	got, err := b.app.store.GetOrder(ctx, o.ID)
	require.NoError(t, err)
	require.Equal(t, orderhub.StatusDelivered, got.Status)
}
