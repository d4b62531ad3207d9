package allocator_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/orderhub/orderhub"
	"github.com/orderhub/orderhub/allocator"
	"github.com/orderhub/orderhub/routing"
	"github.com/orderhub/orderhub/store"
	"github.com/orderhub/orderhub/store/pgstore"
	"github.com/orderhub/orderhub/store/pgstore/pgtest"
	"github.com/orderhub/orderhub/store/sqlitestore"
)

func f64(v float64) *float64 { return &v }

var (
	nyc = orderhub.Location{ID: "nyc", Kind: orderhub.LocationWarehouse, Priority: 1,
		Address: orderhub.Address{Country: "US", Province: "NY", Latitude: f64(40.75), Longitude: f64(-73.99)}}
	chi = orderhub.Location{ID: "chi", Kind: orderhub.LocationWarehouse, Priority: 2,
		Address: orderhub.Address{Country: "US", Province: "IL", Latitude: f64(41.88), Longitude: f64(-87.63)}}
	la = orderhub.Location{ID: "la-3pl", Kind: orderhub.Location3PL, Provider: "shipbob-main", Priority: 3,
		Address: orderhub.Address{Country: "US", Province: "CA", Latitude: f64(34.05), Longitude: f64(-118.24)}}
	dropco = orderhub.Supplier{ID: "dropco", SKUs: map[string]orderhub.SupplierSKU{
		"HOODIE": {Cost: orderhub.MustParseMoney("18.50", "USD"), LeadDays: 5}}}
)

type bundle struct {
	st  store.Store
	a   *allocator.Allocator
	now time.Time
}

// stores runs fn against SQLite and, when available, PostgreSQL.
func stores(t *testing.T, fn func(t *testing.T, open func(t *testing.T, rules routing.Rules) bundle)) {
	open := func(kind string) func(t *testing.T, rules routing.Rules) bundle {
		return func(t *testing.T, rules routing.Rules) bundle {
			ctx := context.Background()
			now := time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)
			opts := store.Options{Now: func() time.Time { return now }}
			var st store.Store
			var err error
			if kind == "sqlite" {
				st, err = sqlitestore.Open(ctx, filepath.Join(t.TempDir(), "a.db"), opts)
			} else {
				opts.MaxConns = 40
				st, err = pgstore.Open(ctx, pgtest.NewDatabase(t), opts)
			}
			require.NoError(t, err)
			t.Cleanup(func() { st.Close() })
			require.NoError(t, st.Migrate(ctx))
			if rules.Order == nil {
				rules.Order = []routing.Rule{routing.RuleMinimizeSplits, routing.RuleClosest, routing.RulePriority}
			}
			a, err := allocator.New(allocator.Config{Store: st, Locations: []orderhub.Location{nyc, chi, la}, Suppliers: []orderhub.Supplier{dropco}, Rules: rules, Now: func() time.Time { return now }})
			require.NoError(t, err)
			return bundle{st: st, a: a, now: now}
		}
	}
	t.Run("sqlite", func(t *testing.T) { t.Parallel(); fn(t, open("sqlite")) })
	t.Run("postgres", func(t *testing.T) { t.Parallel(); pgtest.ServerURL(t); fn(t, open("postgres")) })
}

func usd(s string) orderhub.Money { return orderhub.MustParseMoney(s, "USD") }

type lineSpec struct {
	sku      string
	qty      int64
	price    string
	discount string
	tax      string
}

func paidOrder(t *testing.T, st store.Store, ext string, paidAt time.Time, lines ...lineSpec) orderhub.Order {
	t.Helper()
	o := orderhub.Order{ShopID: "shop-a", Platform: orderhub.PlatformShopify, ExternalID: ext, Currency: "USD", Status: orderhub.StatusPaid, PaidAt: &paidAt,
		ShippingAddr: orderhub.Address{City: "Newark", Province: "NJ", Country: "US", Latitude: f64(40.73), Longitude: f64(-74.17)}}
	var sub, disc, tax int64
	for i, l := range lines {
		ln := orderhub.Line{ExternalID: fmt.Sprint(i + 1), SKU: l.sku, Name: l.sku, Quantity: l.qty, RequiresShp: true,
			UnitPrice: usd(or(l.price, "10.00")), Discount: usd(or(l.discount, "0")), Tax: usd(or(l.tax, "0"))}
		o.Lines = append(o.Lines, ln)
		sub += ln.UnitPrice.Amount * ln.Quantity
		disc += ln.Discount.Amount
		tax += ln.Tax.Amount
	}
	o.Totals = orderhub.Totals{Subtotal: orderhub.Money{Amount: sub, Currency: "USD"}, Discount: orderhub.Money{Amount: disc, Currency: "USD"},
		Tax: orderhub.Money{Amount: tax, Currency: "USD"}, Total: orderhub.Money{Amount: sub - disc + tax, Currency: "USD"}, Shipping: usd("0"), Refunded: usd("0")}
	out, err := st.CreateOrder(context.Background(), store.CreateOrderParams{Order: o, Actor: "test"})
	require.NoError(t, err)
	return out
}

func or(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

func setStock(t *testing.T, st store.Store, loc, sku string, n int64) {
	t.Helper()
	_, err := st.SetStock(context.Background(), store.SetStockParams{LocationID: loc, SKU: sku, OnHand: n})
	require.NoError(t, err)
}

func TestRouteSplitsDropshipsAndBackorders(t *testing.T) {
	stores(t, func(t *testing.T, open func(*testing.T, routing.Rules) bundle) {
		b := open(t, routing.Rules{AllowLineSplit: true, Dropship: true, Backorders: routing.BackorderNotify})
		ctx := context.Background()
		setStock(t, b.st, "nyc", "MUG", 2)
		setStock(t, b.st, "chi", "MUG", 5)
		setStock(t, b.st, "la-3pl", "POSTER", 1)
		o := paidOrder(t, b.st, "1001", b.now, lineSpec{sku: "MUG", qty: 4}, lineSpec{sku: "POSTER", qty: 1}, lineSpec{sku: "HOODIE", qty: 1}, lineSpec{sku: "GHOST", qty: 2})

		res, err := b.a.Route(ctx, o.ID)
		require.NoError(t, err)
		require.Empty(t, res.Skipped)
		sources := map[string]int64{}
		for _, f := range res.Fulfillments {
			for _, l := range f.Lines {
				sources[f.SourceID+"/"+l.SKU] += l.Quantity
			}
		}
		require.Equal(t, int64(1), sources["la-3pl/POSTER"])
		require.Equal(t, int64(1), sources["dropco/HOODIE"])
		require.Equal(t, int64(4), sources["nyc/MUG"]+sources["chi/MUG"], "every mug is allocated")
		require.Len(t, res.Backorders, 1)
		require.Equal(t, "GHOST", res.Backorders[0].SKU)
		require.Equal(t, int64(2), res.Backorders[0].Quantity)

		got, err := b.st.GetOrder(ctx, o.ID)
		require.NoError(t, err)
		require.Equal(t, orderhub.StatusAwaitingFulfillment, got.Status)
		require.Len(t, got.Explanations, 4)
		for _, ex := range got.Explanations {
			require.NotEmpty(t, ex.Summary)
			require.NotEmpty(t, ex.Candidates, "every line lists the sources considered")
		}
		events, err := b.st.ListEvents(ctx, o.ID)
		require.NoError(t, err)
		kinds := map[string]int{}
		for _, e := range events {
			kinds[e.Kind]++
		}
		require.Equal(t, 1, kinds[orderhub.EventRouted])
		require.Equal(t, 1, kinds[orderhub.EventBackorder])

		n, err := b.st.Queue().CountJobs(ctx, orderhub.FulfillmentArgs{}.Kind())
		require.NoError(t, err)
		require.Equal(t, len(res.Fulfillments), n, "one fulfillment job per fulfillment, in the routing transaction")
		n, err = b.st.Queue().CountJobs(ctx, orderhub.BackorderNoticeArgs{}.Kind())
		require.NoError(t, err)
		require.Equal(t, 1, n)

		// Reserved stock matches the fulfillments exactly.
		for _, loc := range []string{"nyc", "chi"} {
			l, err := b.st.GetStock(ctx, loc, "MUG")
			require.NoError(t, err)
			require.Equal(t, sources[loc+"/MUG"], l.Reserved)
		}

		// Routing again is a no-op.
		res, err = b.a.Route(ctx, o.ID)
		require.NoError(t, err)
		require.NotEmpty(t, res.Skipped)
	})
}

func TestRouteSkipsUnpaid(t *testing.T) {
	stores(t, func(t *testing.T, open func(*testing.T, routing.Rules) bundle) {
		b := open(t, routing.Rules{})
		o := paidOrder(t, b.st, "p", b.now, lineSpec{sku: "MUG", qty: 1})
		_, _, err := b.st.TransitionOrder(context.Background(), store.TransitionParams{OrderID: o.ID, To: orderhub.StatusCancelled, Actor: "t"})
		require.NoError(t, err)
		res, err := b.a.Route(context.Background(), o.ID)
		require.NoError(t, err)
		require.Contains(t, res.Skipped, "cancelled")
	})
}

// TestConcurrentOrdersNeverOversell routes 50 one-unit orders at once for a
// SKU with 10 in stock at the best location: exactly 10 are reserved there,
// the rest go elsewhere or to backorder, and available never goes negative.
func TestConcurrentOrdersNeverOversell(t *testing.T) {
	stores(t, func(t *testing.T, open func(*testing.T, routing.Rules) bundle) {
		b := open(t, routing.Rules{AllowLineSplit: true, Backorders: routing.BackorderNotify})
		ctx := context.Background()
		setStock(t, b.st, "nyc", "HOT", 10)
		setStock(t, b.st, "chi", "HOT", 15)
		var ids []string
		for i := 0; i < 50; i++ {
			ids = append(ids, paidOrder(t, b.st, fmt.Sprintf("c-%d", i), b.now, lineSpec{sku: "HOT", qty: 1}).ID)
		}
		var negative atomic.Int64
		stop := make(chan struct{})
		var watch sync.WaitGroup
		watch.Add(1)
		go func() {
			defer watch.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				levels, err := b.st.ListStock(ctx, store.ListStockParams{SKUs: []string{"HOT"}})
				if err == nil {
					for _, l := range levels {
						if l.OnHand-l.Reserved < 0 {
							negative.Add(1)
						}
					}
				}
				time.Sleep(time.Millisecond)
			}
		}()
		errs := make(chan error, len(ids))
		var wg sync.WaitGroup
		for _, id := range ids {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := b.a.Route(ctx, id); err != nil {
					errs <- err
				}
			}()
		}
		wg.Wait()
		close(stop)
		watch.Wait()
		close(errs)
		for err := range errs {
			require.NoError(t, err)
		}
		require.Zero(t, negative.Load(), "available was never negative")
		nycL, err := b.st.GetStock(ctx, "nyc", "HOT")
		require.NoError(t, err)
		chiL, err := b.st.GetStock(ctx, "chi", "HOT")
		require.NoError(t, err)
		require.Equal(t, int64(10), nycL.Reserved, "the closest location gives exactly what it has")
		require.Equal(t, int64(15), chiL.Reserved)
		page, err := b.st.ListBackorders(ctx, store.ListBackordersParams{Limit: 100})
		require.NoError(t, err)
		var back int64
		for _, bo := range page.Backorders {
			back += bo.Quantity
		}
		require.Equal(t, int64(25), back, "the other 25 units are backordered")
		assertConserved(t, b.st)
	})
}

// TestHotSKU has 32 workers route orders for one SKU until it runs out.
func TestHotSKU(t *testing.T) {
	stores(t, func(t *testing.T, open func(*testing.T, routing.Rules) bundle) {
		b := open(t, routing.Rules{AllowLineSplit: true, Backorders: routing.BackorderNotify})
		ctx := context.Background()
		setStock(t, b.st, "nyc", "HOT", 40)
		const workers, each = 32, 2
		ids := make(chan string, workers*each)
		for i := 0; i < workers*each; i++ {
			ids <- paidOrder(t, b.st, fmt.Sprintf("h-%d", i), b.now, lineSpec{sku: "HOT", qty: 1}).ID
		}
		close(ids)
		errs := make(chan error, workers*each)
		var wg sync.WaitGroup
		for w := 0; w < workers; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for id := range ids {
					if _, err := b.a.Route(ctx, id); err != nil {
						errs <- err
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			require.NoError(t, err)
		}
		l, err := b.st.GetStock(ctx, "nyc", "HOT")
		require.NoError(t, err)
		require.Equal(t, int64(40), l.Reserved)
		require.Equal(t, int64(40), l.OnHand)
		page, err := b.st.ListBackorders(ctx, store.ListBackordersParams{Limit: 500})
		require.NoError(t, err)
		require.Len(t, page.Backorders, workers*each-40)
		assertConserved(t, b.st)
	})
}

// assertConserved checks that the movement ledger adds up to the stock.
func assertConserved(t *testing.T, st store.Store) {
	t.Helper()
	ctx := context.Background()
	levels, err := st.ListStock(ctx, store.ListStockParams{})
	require.NoError(t, err)
	ledger, err := st.StockLedger(ctx)
	require.NoError(t, err)
	require.ElementsMatch(t, levels, ledger)
}

func TestFIFORestock(t *testing.T) {
	stores(t, func(t *testing.T, open func(*testing.T, routing.Rules) bundle) {
		b := open(t, routing.Rules{AllowLineSplit: true, Backorders: routing.BackorderNotify})
		ctx := context.Background()
		// Created in one order, paid in another: FIFO follows paid time.
		o1 := paidOrder(t, b.st, "late", b.now.Add(2*time.Hour), lineSpec{sku: "GHOST", qty: 2})
		o2 := paidOrder(t, b.st, "early", b.now, lineSpec{sku: "GHOST", qty: 3})
		o3 := paidOrder(t, b.st, "middle", b.now.Add(time.Hour), lineSpec{sku: "GHOST", qty: 2})
		for _, o := range []orderhub.Order{o1, o2, o3} {
			res, err := b.a.Route(ctx, o.ID)
			require.NoError(t, err)
			require.Len(t, res.Backorders, 1)
		}
		// A partial restock of 4: the earliest (3) fills, the middle gets 1.
		level, fills, err := b.a.AdjustStock(ctx, store.AdjustStockParams{LocationID: "chi", SKU: "GHOST", Delta: 4, Reason: "restock"})
		require.NoError(t, err)
		require.Len(t, fills, 2)
		require.Equal(t, o2.ID, fills[0].OrderID)
		require.Equal(t, int64(3), fills[0].Quantity)
		require.True(t, fills[0].Complete)
		require.Equal(t, o3.ID, fills[1].OrderID)
		require.Equal(t, int64(1), fills[1].Quantity)
		require.False(t, fills[1].Complete)
		require.Equal(t, int64(4), level.Reserved)

		fs, err := b.st.ListFulfillments(ctx, o2.ID)
		require.NoError(t, err)
		require.Len(t, fs, 1)
		require.Equal(t, "chi", fs[0].SourceID)
		require.Equal(t, int64(3), fs[0].Lines[0].Quantity)

		// The next restock completes the middle order, then the late one.
		_, fills, err = b.a.SetStock(ctx, store.SetStockParams{LocationID: "chi", SKU: "GHOST", OnHand: 7})
		require.NoError(t, err)
		require.Len(t, fills, 2)
		require.Equal(t, o3.ID, fills[0].OrderID)
		require.Equal(t, int64(1), fills[0].Quantity)
		require.Equal(t, o1.ID, fills[1].OrderID)
		require.Equal(t, int64(2), fills[1].Quantity)
		fs, err = b.st.ListFulfillments(ctx, o3.ID)
		require.NoError(t, err)
		require.Len(t, fs, 1, "the second fill joins the pending fulfillment at the same location")
		require.Equal(t, int64(2), fs[0].Lines[0].Quantity)
		left, err := b.st.OpenBackorders(ctx, "GHOST", 10)
		require.NoError(t, err)
		require.Empty(t, left)
		assertConserved(t, b.st)
	})
}

func TestPartialCancelRefundExact(t *testing.T) {
	stores(t, func(t *testing.T, open func(*testing.T, routing.Rules) bundle) {
		b := open(t, routing.Rules{AllowLineSplit: true, Backorders: routing.BackorderNotify})
		ctx := context.Background()
		setStock(t, b.st, "nyc", "MUG", 10)
		// 3 mugs at 19.99 with a 10.00 discount and 4.79 tax: thirds that do not divide evenly.
		o := paidOrder(t, b.st, "cx", b.now, lineSpec{sku: "MUG", qty: 3, price: "19.99", discount: "10.00", tax: "4.79"}, lineSpec{sku: "GHOST", qty: 1, price: "5.00"})
		_, err := b.a.Route(ctx, o.ID)
		require.NoError(t, err)
		mug := o.Lines[0]

		r1, err := b.a.Cancel(ctx, allocator.CancelRequest{OrderID: o.ID, Lines: []allocator.LineQuantity{{LineID: mug.ID, Quantity: 1}}, Reason: "changed mind", Actor: "cs"})
		require.NoError(t, err)
		// 19.99 − 3.33 (1/3 of 10.00) + 1.60 (1/3 of 4.79, rounded) = 18.26
		require.Equal(t, "18.26", r1.Amount.String())
		require.Equal(t, "3.33", r1.Lines[0].Discount.String())
		require.Equal(t, "1.60", r1.Lines[0].Tax.String())
		r2, err := b.a.Cancel(ctx, allocator.CancelRequest{OrderID: o.ID, Lines: []allocator.LineQuantity{{LineID: mug.ID, Quantity: 2}}, Actor: "cs"})
		require.NoError(t, err)
		// The rest: 39.98 − 6.67 + 3.19 = 36.50; both parts add to the line's exact total.
		require.Equal(t, "36.50", r2.Amount.String())
		lineTotal := 3*1999 - 1000 + 479
		require.Equal(t, int64(lineTotal), r1.Amount.Amount+r2.Amount.Amount, "partial refunds add up to the line total to the cent")

		got, err := b.st.GetOrder(ctx, o.ID)
		require.NoError(t, err)
		require.Equal(t, int64(500), got.Totals.Total.Amount, "only the 5.00 backordered line is left")
		require.Equal(t, int64(lineTotal), got.Totals.Refunded.Amount)
		l, err := b.st.GetStock(ctx, "nyc", "MUG")
		require.NoError(t, err)
		require.Zero(t, l.Reserved, "the reservation is released")
		fs, err := b.st.ListFulfillments(ctx, o.ID)
		require.NoError(t, err)
		require.Equal(t, orderhub.FulfillmentCancelled, fs[0].Status, "an emptied fulfillment is cancelled")

		// Cancelling the backordered line leaves nothing: the order is cancelled.
		r3, err := b.a.Cancel(ctx, allocator.CancelRequest{OrderID: o.ID, Lines: []allocator.LineQuantity{{LineID: o.Lines[1].ID, Quantity: 1}}})
		require.NoError(t, err)
		require.Equal(t, orderhub.StatusCancelled, r3.Status)
		bo, err := b.st.ListBackorders(ctx, store.ListBackordersParams{OrderID: o.ID})
		require.NoError(t, err)
		require.Equal(t, orderhub.BackorderCancelled, bo.Backorders[0].Status)
		assertConserved(t, b.st)
	})
}

func TestCancelShippedIsConflict(t *testing.T) {
	stores(t, func(t *testing.T, open func(*testing.T, routing.Rules) bundle) {
		b := open(t, routing.Rules{AllowLineSplit: true, Backorders: routing.BackorderNotify})
		ctx := context.Background()
		setStock(t, b.st, "nyc", "MUG", 10)
		o := paidOrder(t, b.st, "sh", b.now, lineSpec{sku: "MUG", qty: 2})
		res, err := b.a.Route(ctx, o.ID)
		require.NoError(t, err)
		f := res.Fulfillments[0]
		_, err = b.st.UpdateFulfillment(ctx, store.UpdateFulfillmentParams{ID: f.ID, Status: orderhub.FulfillmentShipped, TrackingNumber: "1Z"})
		require.NoError(t, err)
		_, err = b.a.Cancel(ctx, allocator.CancelRequest{OrderID: o.ID, Lines: []allocator.LineQuantity{{LineID: o.Lines[0].ID, Quantity: 1}}})
		require.Equal(t, orderhub.EConflict, orderhub.ErrorCode(err))
		require.Contains(t, err.Error(), "2 already submitted or shipped")

		st, err := syncStatus(b, o.ID)
		require.NoError(t, err)
		require.Equal(t, orderhub.StatusFulfilled, st, "all units shipped")
		_, err = b.st.UpdateFulfillment(ctx, store.UpdateFulfillmentParams{ID: f.ID, Status: orderhub.FulfillmentDelivered})
		require.NoError(t, err)
		st, err = syncStatus(b, o.ID)
		require.NoError(t, err)
		require.Equal(t, orderhub.StatusDelivered, st)
		events, err := b.st.ListEvents(ctx, o.ID)
		require.NoError(t, err)
		replayed, err := orderhub.ReplayStatus(events)
		require.NoError(t, err)
		require.Equal(t, orderhub.StatusDelivered, replayed)
	})
}

func syncStatus(b bundle, orderID string) (orderhub.Status, error) {
	var st orderhub.Status
	err := b.st.InTx(context.Background(), func(ctx context.Context, tx store.Tx) error {
		var err error
		st, err = b.a.SyncStatusTx(ctx, tx, orderID, "test")
		return err
	})
	return st, err
}

func TestBackorderDecisionsAndDeny(t *testing.T) {
	stores(t, func(t *testing.T, open func(*testing.T, routing.Rules) bundle) {
		b := open(t, routing.Rules{AllowLineSplit: true, Backorders: routing.BackorderNotify})
		ctx := context.Background()
		setStock(t, b.st, "nyc", "MUG", 1)
		o := paidOrder(t, b.st, "d", b.now, lineSpec{sku: "MUG", qty: 1}, lineSpec{sku: "GHOST", qty: 2, price: "7.50"}, lineSpec{sku: "HOODIE", qty: 1})
		res, err := b.a.Route(ctx, o.ID)
		require.NoError(t, err)
		require.Len(t, res.Backorders, 2, "dropship is off: the hoodie is backordered too")
		var ghost, hoodie orderhub.Backorder
		for _, bo := range res.Backorders {
			if bo.SKU == "GHOST" {
				ghost = bo
			} else {
				hoodie = bo
			}
		}
		require.NotNil(t, hoodie.ETA, "a supplier's lead time gives an estimate")
		require.Equal(t, b.now.AddDate(0, 0, 5).Truncate(24*time.Hour), *hoodie.ETA)

		w, _, err := b.a.Decide(ctx, hoodie.ID, allocator.DecisionWait, "customer")
		require.NoError(t, err)
		require.Equal(t, orderhub.BackorderWaiting, w.Status)
		c, refund, err := b.a.Decide(ctx, ghost.ID, allocator.DecisionCancel, "customer")
		require.NoError(t, err)
		require.Equal(t, orderhub.BackorderCancelled, c.Status)
		require.Equal(t, "15.00", refund.Amount.String())
		_, _, err = b.a.Decide(ctx, ghost.ID, allocator.DecisionWait, "customer")
		require.Equal(t, orderhub.EConflict, orderhub.ErrorCode(err))
		_, _, err = b.a.Decide(ctx, hoodie.ID, "maybe", "customer")
		require.Equal(t, orderhub.EInvalid, orderhub.ErrorCode(err))

		// With backorders denied, unshippable units are cancelled and refunded, never dropped.
		bd := open(t, routing.Rules{AllowLineSplit: true, Backorders: routing.BackorderDeny})
		o2 := paidOrder(t, bd.st, "deny", bd.now, lineSpec{sku: "GHOST", qty: 2, price: "7.50"})
		res, err = bd.a.Route(ctx, o2.ID)
		require.NoError(t, err)
		require.Empty(t, res.Backorders)
		got, err := bd.st.GetOrder(ctx, o2.ID)
		require.NoError(t, err)
		require.Equal(t, orderhub.StatusCancelled, got.Status)
		require.Equal(t, int64(2), got.Lines[0].Cancelled)
		require.Equal(t, int64(1500), got.Totals.Refunded.Amount)
	})
}

func TestAdvanceShipsStockOnceAndNeverRegresses(t *testing.T) {
	stores(t, func(t *testing.T, open func(*testing.T, routing.Rules) bundle) {
		b := open(t, routing.Rules{AllowLineSplit: true, Backorders: routing.BackorderNotify})
		ctx := context.Background()
		setStock(t, b.st, "nyc", "MUG", 3)
		setStock(t, b.st, "chi", "MUG", 3)
		o := paidOrder(t, b.st, "adv", b.now, lineSpec{sku: "MUG", qty: 5})
		res, err := b.a.Route(ctx, o.ID)
		require.NoError(t, err)
		require.Len(t, res.Fulfillments, 2)
		f1, f2 := res.Fulfillments[0], res.Fulfillments[1]

		shipped := allocator.Progress{FulfillmentID: f1.ID, Status: orderhub.FulfillmentShipped, Carrier: "UPS", TrackingNumber: "1Z1", Actor: "shipbob"}
		r, err := b.a.Advance(ctx, shipped)
		require.NoError(t, err)
		require.True(t, r.Changed)
		require.Equal(t, orderhub.StatusPartiallyFulfilled, r.OrderStatus)
		r, err = b.a.Advance(ctx, shipped)
		require.NoError(t, err)
		require.False(t, r.Changed, "a repeated callback changes nothing")

		l, err := b.st.GetStock(ctx, f1.SourceID, "MUG")
		require.NoError(t, err)
		require.Zero(t, l.Reserved, "shipping consumed the reservation once")

		// Delivered straight from pending still consumes the stock once.
		r, err = b.a.Advance(ctx, allocator.Progress{FulfillmentID: f2.ID, Status: orderhub.FulfillmentDelivered, TrackingNumber: "1Z2", Actor: "easypost"})
		require.NoError(t, err)
		require.Equal(t, orderhub.StatusFulfilled, r.OrderStatus)
		r, err = b.a.Advance(ctx, allocator.Progress{FulfillmentID: f2.ID, Status: orderhub.FulfillmentShipped, Actor: "easypost"})
		require.NoError(t, err)
		require.False(t, r.Changed, "delivered never goes back to in transit")
		require.Equal(t, orderhub.FulfillmentDelivered, r.Fulfillment.Status)

		r, err = b.a.Advance(ctx, allocator.Progress{FulfillmentID: f1.ID, Status: orderhub.FulfillmentDelivered, Actor: "shipbob"})
		require.NoError(t, err)
		require.Equal(t, orderhub.StatusDelivered, r.OrderStatus)
		for _, loc := range []string{"nyc", "chi"} {
			l, err := b.st.GetStock(ctx, loc, "MUG")
			require.NoError(t, err)
			require.Zero(t, l.Reserved)
		}
		nycL, _ := b.st.GetStock(ctx, "nyc", "MUG")
		chiL, _ := b.st.GetStock(ctx, "chi", "MUG")
		require.Equal(t, int64(1), nycL.OnHand+chiL.OnHand, "5 of 6 units left the building")
		assertConserved(t, b.st)
		events, err := b.st.ListEvents(ctx, o.ID)
		require.NoError(t, err)
		st, err := orderhub.ReplayStatus(events)
		require.NoError(t, err)
		require.Equal(t, orderhub.StatusDelivered, st)
	})
}

func TestHookErrorRollsBackTheChange(t *testing.T) {
	stores(t, func(t *testing.T, open func(*testing.T, routing.Rules) bundle) {
		b := open(t, routing.Rules{AllowLineSplit: true})
		ctx := context.Background()
		setStock(t, b.st, "nyc", "MUG", 5)
		o := paidOrder(t, b.st, "hook", b.now, lineSpec{sku: "MUG", qty: 2})
		calls := 0
		b.a.SetHooks(allocator.Hooks{Routed: func(ctx context.Context, tx store.Tx, o orderhub.Order, res allocator.RouteResult) error {
			calls++
			if calls == 1 {
				return fmt.Errorf("write-back queue unavailable")
			}
			_, err := tx.AddEvent(ctx, orderhub.OrderEvent{OrderID: o.ID, Kind: orderhub.EventWriteBack, Actor: "hook", Note: "queued"})
			return err
		}})
		_, err := b.a.Route(ctx, o.ID)
		require.ErrorContains(t, err, "write-back queue unavailable")
		got, err := b.st.GetOrder(ctx, o.ID)
		require.NoError(t, err)
		require.Equal(t, orderhub.StatusPaid, got.Status, "the routing rolled back with its hook")
		l, err := b.st.GetStock(ctx, "nyc", "MUG")
		require.NoError(t, err)
		require.Zero(t, l.Reserved)

		_, err = b.a.Route(ctx, o.ID)
		require.NoError(t, err)
		events, err := b.st.ListEvents(ctx, o.ID)
		require.NoError(t, err)
		require.Equal(t, orderhub.EventWriteBack, events[len(events)-1].Kind)
	})
}
