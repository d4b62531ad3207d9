package writeback_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"github.com/stretchr/testify/require"

	"github.com/orderhub/orderhub"
	"github.com/orderhub/orderhub/allocator"
	"github.com/orderhub/orderhub/connectors/apiclient"
	"github.com/orderhub/orderhub/connectors/apiclient/fakeplatform"
	"github.com/orderhub/orderhub/connectors/bigcommerce"
	"github.com/orderhub/orderhub/connectors/bigcommerce/bigcommercetest"
	"github.com/orderhub/orderhub/connectors/shopify"
	"github.com/orderhub/orderhub/connectors/shopify/shopifytest"
	"github.com/orderhub/orderhub/connectors/woocommerce"
	"github.com/orderhub/orderhub/connectors/woocommerce/woocommercetest"
	"github.com/orderhub/orderhub/ratelimit"
	"github.com/orderhub/orderhub/routing"
	"github.com/orderhub/orderhub/store"
	"github.com/orderhub/orderhub/store/sqlcore"
	"github.com/orderhub/orderhub/store/sqlitestore"
	"github.com/orderhub/orderhub/writeback"
)

const (
	shopShopify = "acme-shopify"
	shopWoo     = "acme-woo"
	shopBC      = "acme-bc"
)

var nyc = orderhub.Location{ID: "nyc", Kind: orderhub.LocationWarehouse, Priority: 1,
	Address: orderhub.Address{Country: "US", Province: "NY", Zip: "10001"}}

type noop[T river.JobArgs] struct{ river.WorkerDefaults[T] }

func (noop[T]) Work(context.Context, *river.Job[T]) error { return nil }

// failures counts the write-backs that gave up, per platform.
type failures struct {
	mu sync.Mutex
	n  map[string]int
}

func (f *failures) WriteBackFailed(platform string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.n == nil {
		f.n = map[string]int{}
	}
	f.n[platform]++
}

func (f *failures) get(platform string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.n[platform]
}

type options struct {
	chaos       *fakeplatform.ChaosOptions // nil: no chaos proxy
	maxAttempts int
	maxRetries  int // apiclient retries per call; 0: 4
}

// bundle is what the write-back tests need: a store with River working the
// writeback queue, the allocator with write-back hooks, and one fake per
// platform, each maybe behind a chaos proxy.
type bundle struct {
	st       *sqlitestore.Store
	river    *river.Client[*sql.Tx]
	alloc    *allocator.Allocator
	svc      *writeback.Service
	failures *failures
	shopify  *shopifytest.Server
	woo      *woocommercetest.Server
	bc       *bigcommercetest.Server
	chaos    map[string]*fakeplatform.Chaos // by shop
}

func setup(t *testing.T, o options) *bundle {
	t.Helper()
	ctx := context.Background()
	b := &bundle{failures: &failures{}, chaos: map[string]*fakeplatform.Chaos{}}
	b.svc = &writeback.Service{Metrics: b.failures, MaxAttempts: o.maxAttempts,
		RetryDelay: func(attempt int) time.Duration { return time.Duration(attempt) * 20 * time.Millisecond }}
	workers := river.NewWorkers()
	b.svc.Register(workers)
	// Routing also enqueues these; their queues are not worked here.
	river.AddWorker(workers, noop[orderhub.FulfillmentArgs]{})
	river.AddWorker(workers, noop[orderhub.BackorderNoticeArgs]{})
	st, err := sqlitestore.Open(ctx, filepath.Join(t.TempDir(), "wb.db"), store.Options{Workers: workers,
		Queues: map[string]river.QueueConfig{writeback.Queue: {MaxWorkers: 4}}})
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	require.NoError(t, st.Migrate(ctx))
	b.st = st
	b.river = st.Queue().(sqlcore.RiverQueue[*sql.Tx]).Client
	b.svc.Store = st

	b.alloc, err = allocator.New(allocator.Config{Store: st, Locations: []orderhub.Location{nyc},
		Rules: routing.Rules{Order: []routing.Rule{routing.RulePriority}, AllowLineSplit: true, Backorders: routing.BackorderNotify}})
	require.NoError(t, err)
	b.alloc.SetHooks(b.svc.Hooks())

	b.shopify = shopifytest.New(t, shopifytest.Options{})
	b.woo = woocommercetest.New(t, woocommercetest.Options{})
	b.bc = bigcommercetest.New(t, bigcommercetest.Options{Quota: 100000})
	limiter, err := ratelimit.New(ratelimit.Options{Rate: ratelimit.Rate{PerSecond: 500, Burst: 50}})
	require.NoError(t, err)
	base := func(shop, url string) string {
		if o.chaos == nil {
			return url
		}
		c := fakeplatform.StartChaos(url, *o.chaos)
		t.Cleanup(c.Close)
		b.chaos[shop] = c
		return c.URL
	}
	httpOpts := func(platform, shop string) apiclient.Options {
		key := platform + ":" + shop
		return apiclient.Options{Shop: shop, MinBackoff: 5 * time.Millisecond, MaxBackoff: 50 * time.Millisecond, MaxRetries: o.maxRetries,
			Limiter: limiter, HTTPClient: ratelimit.HTTPClient(&http.Client{Timeout: 300 * time.Millisecond}, limiter, key)}
	}
	sc, err := shopify.NewClient(shopify.ClientConfig{BaseURL: base(shopShopify, b.shopify.URL), APIVersion: "2025-07",
		AccessToken: shopifytest.DefaultAccessToken, HTTP: httpOpts("shopify", shopShopify)})
	require.NoError(t, err)
	wc, err := woocommerce.NewClient(woocommerce.ClientConfig{BaseURL: base(shopWoo, b.woo.URL), ConsumerKey: woocommercetest.DefaultConsumerKey,
		ConsumerSecret: woocommercetest.DefaultConsumerSecret, HTTP: httpOpts("woocommerce", shopWoo)})
	require.NoError(t, err)
	bc, err := bigcommerce.NewClient(bigcommerce.ClientConfig{BaseURL: base(shopBC, b.bc.URL), StoreHash: bigcommercetest.DefaultStoreHash,
		AccessToken: bigcommercetest.DefaultAccessToken, HTTP: httpOpts("bigcommerce", shopBC)})
	require.NoError(t, err)
	b.svc.Platforms = map[string]writeback.Platform{
		shopShopify: &shopify.Writer{Client: sc},
		shopWoo:     &woocommerce.Writer{Client: wc, ShipmentTracking: true},
		shopBC:      &bigcommerce.Writer{Client: bc},
	}
	return b
}

func (b *bundle) start(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	require.NoError(t, b.st.Queue().Start(ctx))
	t.Cleanup(func() {
		sctx, scancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer scancel()
		_ = b.st.Queue().Stop(sctx)
		cancel()
	})
}

// placed is an order on a fake and in the store, routed to one
// fulfillment at nyc.
type placed struct {
	platform, shop string
	remoteID       int64
	order          orderhub.Order
	fulfillment    orderhub.Fulfillment
}

// place puts an order of two lines on a platform's fake, stores it paid,
// stocks nyc and routes it.
func (b *bundle) place(t *testing.T, platform string, n int) placed {
	t.Helper()
	ctx := context.Background()
	skuA, skuB := fmt.Sprintf("A-%d", n), fmt.Sprintf("B-%d", n)
	var o orderhub.Order
	var p placed
	var err error
	switch platform {
	case orderhub.PlatformShopify:
		body := shopifytest.MustBuildOrder(shopifytest.OrderSpec{Number: int64(2000 + n),
			Lines: []shopifytest.LineSpec{{SKU: skuA, Quantity: 2}, {SKU: skuB, Quantity: 1}}})
		p.remoteID, err = b.shopify.AddOrder(body)
		require.NoError(t, err)
		o, err = shopify.NormalizeOrder(body)
		p.shop = shopShopify
	case orderhub.PlatformWooCommerce:
		body := woocommercetest.MustBuildOrder(woocommercetest.OrderSpec{ID: int64(700 + n), Status: "processing",
			Lines: []woocommercetest.LineSpec{{SKU: skuA, Quantity: 2, Price: "5.00"}, {SKU: skuB, Quantity: 1, Price: "7.00"}}})
		p.remoteID, err = b.woo.AddOrder(body)
		require.NoError(t, err)
		o, err = woocommerce.NormalizeOrder(body)
		p.shop = shopWoo
	case orderhub.PlatformBigCommerce:
		oj, pj, aj := bigcommercetest.MustBuildOrder(bigcommercetest.OrderSpec{ID: int64(300 + n),
			Lines: []bigcommercetest.LineSpec{{SKU: skuA, Quantity: 2}, {SKU: skuB, Quantity: 1}}})
		p.remoteID, err = b.bc.AddOrder(oj, pj, aj)
		require.NoError(t, err)
		o, err = bigcommerce.NormalizeOrder(oj, pj, aj)
		p.shop = shopBC
	}
	require.NoError(t, err)
	p.platform = platform
	o.ShopID, o.Status = p.shop, orderhub.StatusPaid
	for _, sku := range []string{skuA, skuB} {
		_, err := b.st.SetStock(ctx, store.SetStockParams{LocationID: "nyc", SKU: sku, OnHand: 10})
		require.NoError(t, err)
	}
	o, err = b.st.CreateOrder(ctx, store.CreateOrderParams{Order: o, Actor: "test"})
	require.NoError(t, err)
	res, err := b.alloc.Route(ctx, o.ID)
	require.NoError(t, err)
	require.Len(t, res.Fulfillments, 1)
	p.order, p.fulfillment = o, res.Fulfillments[0]
	return p
}

func (b *bundle) ship(t *testing.T, p placed, carrier, tracking string) {
	t.Helper()
	_, err := b.alloc.Advance(context.Background(), allocator.Progress{FulfillmentID: p.fulfillment.ID, Status: orderhub.FulfillmentShipped,
		Carrier: carrier, TrackingNumber: tracking, TrackingURL: "https://track.example/" + tracking, Actor: "test"})
	require.NoError(t, err)
}

var busy = []rivertype.JobState{rivertype.JobStateAvailable, rivertype.JobStateRunning, rivertype.JobStateRetryable,
	rivertype.JobStateScheduled, rivertype.JobStatePending}

// settle waits until no write-back job is waiting or running.
func (b *bundle) settle(t *testing.T, within time.Duration) {
	t.Helper()
	ctx := context.Background()
	deadline := time.Now().Add(within)
	for {
		total := 0
		for _, k := range writeback.Kinds() {
			n, err := b.st.Queue().CountJobs(ctx, k, busy...)
			require.NoError(t, err)
			total += n
		}
		if total == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d write-back jobs still busy after %s", total, within)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

func (b *bundle) countJobs(t *testing.T, kind string, states ...rivertype.JobState) int {
	t.Helper()
	n, err := b.st.Queue().CountJobs(context.Background(), kind, states...)
	require.NoError(t, err)
	return n
}

// --- what landed on each platform ---

func (b *bundle) shopifyNote(t *testing.T, id int64) string {
	raw, ok := b.shopify.Order(id)
	require.True(t, ok)
	var o struct {
		Note string `json:"note"`
	}
	require.NoError(t, json.Unmarshal(raw, &o))
	return o.Note
}

func (b *bundle) bcOrder(t *testing.T, id int64) map[string]any {
	oj, _, _, ok := b.bc.Order(id)
	require.True(t, ok)
	var m map[string]any
	require.NoError(t, json.Unmarshal(oj, &m))
	return m
}

func (b *bundle) bcShipments(t *testing.T, id int64) []bigcommerce.Shipment {
	var out []bigcommerce.Shipment
	for _, raw := range b.bc.Shipments(id) {
		var s bigcommerce.Shipment
		require.NoError(t, json.Unmarshal(raw, &s))
		out = append(out, s)
	}
	return out
}

func notesWith(notes []woocommercetest.Note, marker string) int {
	n := 0
	for _, x := range notes {
		if strings.Contains(x.Note, marker) {
			n++
		}
	}
	return n
}

func trackingsWith(ts []woocommercetest.Tracking, number string) int {
	n := 0
	for _, x := range ts {
		if x.TrackingNumber == number {
			n++
		}
	}
	return n
}

// landed checks that p's fulfillment is on its platform exactly once, with
// tracking want, its line items, and the routing note once.
func (b *bundle) landed(t *testing.T, p placed, want string) {
	t.Helper()
	ctx := context.Background()
	f, err := b.st.GetFulfillment(ctx, p.fulfillment.ID)
	require.NoError(t, err)
	o, err := b.st.GetOrder(ctx, p.order.ID)
	require.NoError(t, err)
	ext := map[string]string{}
	for _, l := range o.Lines {
		ext[l.ID] = l.ExternalID
	}
	wantLines := map[string]int64{}
	for _, l := range f.Lines {
		wantLines[ext[l.LineID]] += l.Quantity
	}
	switch p.platform {
	case orderhub.PlatformShopify:
		fs := b.shopify.FulfillmentsOf(p.remoteID)
		require.Len(t, fs, 1, "shopify order %d: exactly one fulfillment", p.remoteID)
		require.Equal(t, want, fs[0].TrackingNumber)
		require.Equal(t, fs[0].GID(), f.PlatformID, "the fulfillment's gid is stored")
		got := map[string]int64{}
		for _, l := range fs[0].LineItems {
			got[strconv.FormatInt(l.LineItemID, 10)] += l.Quantity
		}
		require.Equal(t, wantLines, got)
		require.Equal(t, 1, strings.Count(b.shopifyNote(t, p.remoteID), "[orderhub routed]"))
	case orderhub.PlatformWooCommerce:
		notes := b.woo.Notes(p.remoteID)
		require.Equal(t, 1, notesWith(notes, "[orderhub fulfillment "+f.ID+" tracking "+want+"]"), "woo order %d", p.remoteID)
		require.Equal(t, 1, notesWith(notes, "[orderhub routed]"))
		require.Equal(t, 1, trackingsWith(b.woo.Trackings(p.remoteID), want))
		raw, _ := b.woo.Order(p.remoteID)
		require.Contains(t, string(raw), `"status":"completed"`)
	case orderhub.PlatformBigCommerce:
		sh := b.bcShipments(t, p.remoteID)
		require.Len(t, sh, 1, "bigcommerce order %d: exactly one shipment", p.remoteID)
		require.Equal(t, want, sh[0].TrackingNumber)
		require.Equal(t, sh[0].ID.String(), f.PlatformID)
		got := map[string]int64{}
		for _, it := range sh[0].Items {
			q, _ := it.Quantity.Int64()
			got[it.OrderProductID.String()] += q
		}
		require.Equal(t, wantLines, got)
		m := b.bcOrder(t, p.remoteID)
		require.EqualValues(t, 2, m["status_id"], "Shipped")
		require.Equal(t, 1, strings.Count(fmt.Sprint(m["staff_notes"]), "[orderhub routed]"))
	}
}

var platforms = []string{orderhub.PlatformShopify, orderhub.PlatformWooCommerce, orderhub.PlatformBigCommerce}

func TestWriteBackThroughRiver(t *testing.T) {
	b := setup(t, options{})
	b.start(t)
	var ps []placed
	for i, pl := range platforms {
		p := b.place(t, pl, i)
		b.ship(t, p, "UPS", fmt.Sprintf("1Z%d", i))
		ps = append(ps, p)
	}
	b.settle(t, 30*time.Second)
	for i, p := range ps {
		b.landed(t, p, fmt.Sprintf("1Z%d", i))
	}
	// The timeline says what was written where.
	events, err := b.st.ListEvents(context.Background(), ps[0].order.ID)
	require.NoError(t, err)
	var wb []string
	for _, e := range events {
		if e.Kind == orderhub.EventWriteBack {
			wb = append(wb, e.Note)
		}
	}
	require.Len(t, wb, 2)
	require.Contains(t, strings.Join(wb, "\n"), "written back to shopify as gid://shopify/Fulfillment/")

	// A repeated report changes nothing and enqueues nothing new.
	before := b.countJobs(t, writeback.FulfillmentArgs{}.Kind())
	b.ship(t, ps[0], "UPS", "1Z0")
	require.Equal(t, before, b.countJobs(t, writeback.FulfillmentArgs{}.Kind()))

	// New tracking: an update on Shopify and BigCommerce, not a second
	// fulfillment or shipment; on WooCommerce a note and a tracking item
	// of its own.
	for i, p := range ps {
		b.ship(t, p, "FedEx", fmt.Sprintf("FX%d", i))
	}
	b.settle(t, 30*time.Second)
	for i, p := range ps {
		b.landed(t, p, fmt.Sprintf("FX%d", i))
	}
	updates := 0
	for _, r := range b.shopify.RequestsTo("POST", "/admin/api/2025-07/graphql.json") {
		if strings.Contains(string(r.Body), "fulfillmentTrackingInfoUpdate(") {
			updates++
		}
	}
	require.Equal(t, 1, updates)
	require.Len(t, b.bc.RequestsTo("PUT", fmt.Sprintf("/stores/abc123/v2/orders/%d/shipments/%s", ps[2].remoteID, b.bcShipments(t, ps[2].remoteID)[0].ID)), 1)
	require.Zero(t, b.countJobs(t, writeback.FulfillmentArgs{}.Kind(), rivertype.JobStateDiscarded))
}

func TestWriteBackNotesForCancellationsAndFills(t *testing.T) {
	b := setup(t, options{})
	b.start(t)
	ctx := context.Background()
	p := b.place(t, orderhub.PlatformBigCommerce, 1)
	// Cancel one unit before it ships.
	line := p.order.Lines[0]
	refund, err := b.alloc.Cancel(ctx, allocator.CancelRequest{OrderID: p.order.ID, Lines: []allocator.LineQuantity{{LineID: line.ID, Quantity: 1}}, Reason: "customer asked", Actor: "test"})
	require.NoError(t, err)
	b.settle(t, 30*time.Second)
	notes := fmt.Sprint(b.bcOrder(t, p.remoteID)["staff_notes"])
	require.Contains(t, notes, fmt.Sprintf("[orderhub cancel-%d] Cancelled by orderhub: 1 × %s", refund.Events[0], line.SKU))
	require.Contains(t, notes, "customer asked")

	// A backorder filled by a restock.
	body := shopifytest.MustBuildOrder(shopifytest.OrderSpec{Number: 3001, Lines: []shopifytest.LineSpec{{SKU: "RARE", Quantity: 2}}})
	rid, err := b.shopify.AddOrder(body)
	require.NoError(t, err)
	o, err := shopify.NormalizeOrder(body)
	require.NoError(t, err)
	o.ShopID, o.Status = shopShopify, orderhub.StatusPaid
	o, err = b.st.CreateOrder(ctx, store.CreateOrderParams{Order: o})
	require.NoError(t, err)
	res, err := b.alloc.Route(ctx, o.ID)
	require.NoError(t, err)
	require.Len(t, res.Backorders, 1)
	_, fills, err := b.alloc.AdjustStock(ctx, store.AdjustStockParams{LocationID: "nyc", SKU: "RARE", Delta: 1, Reason: "restock"})
	require.NoError(t, err)
	require.Len(t, fills, 1)
	_, fills, err = b.alloc.AdjustStock(ctx, store.AdjustStockParams{LocationID: "nyc", SKU: "RARE", Delta: 1, Reason: "restock"})
	require.NoError(t, err)
	require.Len(t, fills, 1)
	b.settle(t, 30*time.Second)
	note := b.shopifyNote(t, rid)
	require.Contains(t, note, "[orderhub routed] Routed by orderhub: 2 × RARE backordered.")
	require.Contains(t, note, "[orderhub fill-"+res.Backorders[0].ID+"-1] Backorder filled: 1 × RARE from a restock")
	require.Contains(t, note, "1 still to come")
	require.Contains(t, note, "[orderhub fill-"+res.Backorders[0].ID+"-2]")
}

// TestWriteBackShipsAfterLabel covers a label whose tracking number is
// written back before the parcel ships: the shipping itself is written back
// too, so WooCommerce's order becomes completed and BigCommerce's Shipped.
func TestWriteBackShipsAfterLabel(t *testing.T) {
	b := setup(t, options{})
	b.start(t)
	ctx := context.Background()
	for i, platform := range []string{orderhub.PlatformWooCommerce, orderhub.PlatformBigCommerce} {
		p := b.place(t, platform, 40+i)
		_, err := b.alloc.Advance(ctx, allocator.Progress{FulfillmentID: p.fulfillment.ID, Status: orderhub.FulfillmentSubmitted,
			Carrier: "UPS", TrackingNumber: "1ZL", Actor: "test"})
		require.NoError(t, err)
		b.settle(t, 30*time.Second)
		if platform == orderhub.PlatformWooCommerce {
			raw, _ := b.woo.Order(p.remoteID)
			require.NotContains(t, string(raw), `"status":"completed"`, "not shipped yet")
		}
		b.ship(t, p, "UPS", "1ZL")
		b.settle(t, 30*time.Second)
		b.landed(t, p, "1ZL")
	}
	require.Equal(t, 4, b.countJobs(t, writeback.FulfillmentArgs{}.Kind(), rivertype.JobStateCompleted), "one job for the label and one for the shipping, per order")
}

func TestNeedsWriteBack(t *testing.T) {
	for _, tc := range []struct {
		name          string
		before, after orderhub.Fulfillment
		want          bool
	}{
		{"label bought: tracking", orderhub.Fulfillment{Status: "pending"}, orderhub.Fulfillment{Status: "submitted", TrackingNumber: "T"}, true},
		{"shipped without tracking", orderhub.Fulfillment{Status: "submitted"}, orderhub.Fulfillment{Status: "shipped"}, true},
		{"shipped, tracking known", orderhub.Fulfillment{Status: "submitted", TrackingNumber: "T"}, orderhub.Fulfillment{Status: "shipped", TrackingNumber: "T"}, true},
		{"delivered after shipped", orderhub.Fulfillment{Status: "shipped", TrackingNumber: "T"}, orderhub.Fulfillment{Status: "delivered", TrackingNumber: "T"}, false},
		{"new tracking", orderhub.Fulfillment{Status: "shipped", TrackingNumber: "T"}, orderhub.Fulfillment{Status: "shipped", TrackingNumber: "U"}, true},
		{"submitted, no tracking", orderhub.Fulfillment{Status: "pending"}, orderhub.Fulfillment{Status: "submitted", ExternalID: "x"}, false},
		{"cancelled", orderhub.Fulfillment{Status: "pending"}, orderhub.Fulfillment{Status: "cancelled", TrackingNumber: "T"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, writeback.NeedsWriteBack(tc.before, tc.after))
		})
	}
}
