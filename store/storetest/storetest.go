// Package storetest is the one conformance suite every store.Store
// implementation passes. sqlitestore and pgstore each call Exercise from
// their tests; a new store method gets a case here, never in one store's
// tests alone. It uses the real database the constructor gives it.
package storetest

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"github.com/stretchr/testify/require"

	"github.com/orderhub/orderhub"
	"github.com/orderhub/orderhub/store"
)

// NewStore returns a migrated, empty store for one test; it must register
// its own cleanup.
type NewStore func(t *testing.T) store.Store

// Exercise runs the whole suite against the stores newStore makes.
func Exercise(t *testing.T, newStore NewStore) {
	t.Run("CreateAndGetOrder", func(t *testing.T) { t.Parallel(); testCreateAndGet(t, newStore(t)) })
	t.Run("DuplicateOrderConflicts", func(t *testing.T) { t.Parallel(); testDuplicate(t, newStore(t)) })
	t.Run("InvalidOrderRejected", func(t *testing.T) { t.Parallel(); testInvalidOrder(t, newStore(t)) })
	t.Run("Transitions", func(t *testing.T) { t.Parallel(); testTransitions(t, newStore(t)) })
	t.Run("ConflictingTransitionsOneWins", func(t *testing.T) { t.Parallel(); testConflictingTransitions(t, newStore(t)) })
	t.Run("ConcurrentWalkReplays", func(t *testing.T) { t.Parallel(); testConcurrentWalk(t, newStore(t)) })
	t.Run("JobExistsOnlyIfCommitted", func(t *testing.T) { t.Parallel(); testJobTx(t, newStore(t)) })
	t.Run("ListOrders", func(t *testing.T) { t.Parallel(); testListOrders(t, newStore(t)) })
	t.Run("Events", func(t *testing.T) { t.Parallel(); testEvents(t, newStore(t)) })
	t.Run("MigrateIsIdempotent", func(t *testing.T) { t.Parallel(); testMigrateTwice(t, newStore(t)) })
	for _, area := range exerciseAreas {
		area(t, newStore)
	}
}

// JobArgs is a job kind the suite inserts; no worker runs it.
type JobArgs struct {
	OrderID string `json:"order_id"`
}

// Kind implements river.JobArgs.
func (JobArgs) Kind() string { return "storetest_noop" }

func usd(s string) orderhub.Money { return orderhub.MustParseMoney(s, "USD") }

// SampleOrder returns a three-line USD order of shop with the given
// external id.
func SampleOrder(shop, externalID string) orderhub.Order {
	lat, lon := 40.7128, -74.0060
	paid := time.Date(2026, 11, 2, 15, 4, 5, 123456000, time.UTC)
	return orderhub.Order{
		ShopID: shop, Platform: orderhub.PlatformShopify, ExternalID: externalID, ExternalNumber: "#" + externalID,
		Customer:     orderhub.Customer{Email: "bob@example.com", FirstName: "Bob", LastName: "Norman"},
		ShippingAddr: orderhub.Address{Name: "Bob Norman", Address1: "1 Main St", City: "New York", Province: "NY", Zip: "10001", Country: "US", Latitude: &lat, Longitude: &lon},
		Currency:     "USD",
		Lines: []orderhub.Line{
			{ExternalID: "1", SKU: "SKU-A", Name: "A", ProductID: "9007199254740993", VariantID: "11", Quantity: 2, UnitPrice: usd("19.99"), Discount: usd("4.00"), Tax: usd("2.16"), RequiresShp: true},
			{ExternalID: "2", SKU: "SKU-B", Name: "B", Quantity: 1, UnitPrice: usd("0.10"), Tax: usd("0.01"), RequiresShp: true,
				Properties: []orderhub.Attribute{{Name: "engraving", Value: []byte(`{"text":"hi","size":3}`)}}},
			{ExternalID: "3", SKU: "SKU-C", Name: "C", Quantity: 3, UnitPrice: usd("0.20"), RequiresShp: true},
		},
		Shipping: []orderhub.ShipLine{{Title: "Ground", Price: usd("5.00")}},
		Totals:   orderhub.Totals{Subtotal: usd("40.68"), Discount: usd("4.00"), Shipping: usd("5.00"), Tax: usd("2.17"), Total: usd("43.85"), Refunded: usd("0")},
		Status:   orderhub.StatusPending, PaidAt: &paid, PlatformStatus: "pending", TaxesIncluded: true,
		PlatformUpdate: time.Date(2026, 11, 2, 15, 4, 6, 0, time.UTC),
		Tags:           []string{"vip"},
	}
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func create(t *testing.T, s store.Store, o orderhub.Order) orderhub.Order {
	t.Helper()
	out, err := s.CreateOrder(ctxT(t), store.CreateOrderParams{Order: o, Actor: "test"})
	require.NoError(t, err)
	return out
}

func testCreateAndGet(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	in := SampleOrder("shop-a", "5731198025891")
	created := create(t, s, in)
	require.NotEmpty(t, created.ID)

	got, err := s.GetOrder(ctx, created.ID)
	require.NoError(t, err)
	require.Equal(t, "shop-a", got.ShopID)
	require.Equal(t, "5731198025891", got.ExternalID)
	require.Equal(t, orderhub.StatusPending, got.Status)
	require.Equal(t, in.Totals, got.Totals)
	require.True(t, got.TaxesIncluded)
	require.Equal(t, in.Customer, got.Customer)
	require.Equal(t, in.ShippingAddr, got.ShippingAddr)
	require.Equal(t, in.Shipping, got.Shipping)
	require.Equal(t, in.PaidAt.UTC(), got.PaidAt.UTC())
	require.Equal(t, in.PlatformUpdate, got.PlatformUpdate)
	require.Len(t, got.Lines, 3)
	for i, l := range got.Lines {
		want := in.Lines[i]
		require.NotEmpty(t, l.ID)
		require.Equal(t, want.SKU, l.SKU)
		require.Equal(t, want.Quantity, l.Quantity)
		require.Equal(t, want.UnitPrice, l.UnitPrice, "line %d unit price", i)
		require.Equal(t, want.Discount.Amount, l.Discount.Amount)
		require.Equal(t, want.Tax.Amount, l.Tax.Amount)
		require.Equal(t, want.ProductID, l.ProductID)
	}
	require.JSONEq(t, `{"text":"hi","size":3}`, string(got.Lines[1].Properties[0].Value))
	require.Equal(t, int64(1999), got.Lines[0].UnitPrice.Amount)

	byExt, err := s.GetOrderByExternalID(ctx, "shop-a", "5731198025891")
	require.NoError(t, err)
	require.Equal(t, created.ID, byExt.ID)

	events, err := s.ListEvents(ctx, created.ID)
	require.NoError(t, err)
	require.Len(t, events, 1)
	require.Equal(t, orderhub.EventCreated, events[0].Kind)
	require.Equal(t, orderhub.StatusPending, events[0].To)

	_, err = s.GetOrder(ctx, "no-such-order")
	require.Equal(t, orderhub.ENotFound, orderhub.ErrorCode(err))
	_, err = s.GetOrderByExternalID(ctx, "shop-b", "5731198025891")
	require.Equal(t, orderhub.ENotFound, orderhub.ErrorCode(err), "another shop's order must not be found")
}

func testDuplicate(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	create(t, s, SampleOrder("shop-a", "1001"))
	_, err := s.CreateOrder(ctx, store.CreateOrderParams{Order: SampleOrder("shop-a", "1001")})
	require.Equal(t, orderhub.EConflict, orderhub.ErrorCode(err), "got %v", err)
	// The failed insert left nothing behind and the same id in another shop is fine.
	create(t, s, SampleOrder("shop-b", "1001"))
	page, err := s.ListOrders(ctx, store.ListOrdersParams{})
	require.NoError(t, err)
	require.Len(t, page.Orders, 2)
}

func testInvalidOrder(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	bad := SampleOrder("shop-a", "1")
	bad.Lines[0].Quantity = 0
	_, err := s.CreateOrder(ctx, store.CreateOrderParams{Order: bad})
	require.Equal(t, orderhub.EInvalid, orderhub.ErrorCode(err))
	bad = SampleOrder("shop-a", "2")
	bad.Currency = "usd1"
	_, err = s.CreateOrder(ctx, store.CreateOrderParams{Order: bad})
	require.Equal(t, orderhub.EInvalid, orderhub.ErrorCode(err))
	page, err := s.ListOrders(ctx, store.ListOrdersParams{})
	require.NoError(t, err)
	require.Empty(t, page.Orders)
}

func testTransitions(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	o := create(t, s, SampleOrder("shop-a", "1"))

	_, _, err := s.TransitionOrder(ctx, store.TransitionParams{OrderID: o.ID, To: orderhub.StatusFulfilled, Actor: "test"})
	require.Equal(t, orderhub.EConflict, orderhub.ErrorCode(err))
	require.Contains(t, err.Error(), "pending")
	require.Contains(t, err.Error(), "fulfilled")

	for _, to := range []orderhub.Status{orderhub.StatusPaymentProcessing, orderhub.StatusPaid, orderhub.StatusAwaitingFulfillment} {
		got, ev, err := s.TransitionOrder(ctx, store.TransitionParams{OrderID: o.ID, To: to, Actor: "ops@example.com", Note: "step to " + string(to)})
		require.NoError(t, err)
		require.Equal(t, to, got.Status)
		require.Equal(t, to, ev.To)
		require.Equal(t, "ops@example.com", ev.Actor)
		require.False(t, ev.OccurredAt.IsZero())
	}

	_, _, err = s.TransitionOrder(ctx, store.TransitionParams{OrderID: o.ID, From: orderhub.StatusPaid, To: orderhub.StatusCancelled})
	require.Equal(t, orderhub.EConflict, orderhub.ErrorCode(err), "a stale From must fail")

	_, _, err = s.TransitionOrder(ctx, store.TransitionParams{OrderID: "missing", To: orderhub.StatusPaid})
	require.Equal(t, orderhub.ENotFound, orderhub.ErrorCode(err))

	_, _, err = s.TransitionOrder(ctx, store.TransitionParams{OrderID: o.ID, To: "shipped-ish"})
	require.Equal(t, orderhub.EInvalid, orderhub.ErrorCode(err))

	events, err := s.ListEvents(ctx, o.ID)
	require.NoError(t, err)
	require.Len(t, events, 4)
	require.Equal(t, orderhub.StatusPending, events[1].From)
	require.Equal(t, "step to payment_processing", events[1].Note)
	st, err := orderhub.ReplayStatus(events)
	require.NoError(t, err)
	require.Equal(t, orderhub.StatusAwaitingFulfillment, st)
}

func advance(t *testing.T, s store.Store, id string, to orderhub.Status) {
	t.Helper()
	o, err := s.GetOrder(ctxT(t), id)
	require.NoError(t, err)
	path, ok := o.Status.PathTo(to)
	require.True(t, ok)
	for _, st := range path {
		_, _, err := s.TransitionOrder(ctxT(t), store.TransitionParams{OrderID: id, To: st, Actor: "test"})
		require.NoError(t, err)
	}
}

// testConflictingTransitions races cancellation against fulfillment on one
// order from many goroutines: exactly one move may win.
func testConflictingTransitions(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	for round := 0; round < 5; round++ {
		o := create(t, s, SampleOrder("shop-a", fmt.Sprintf("race-%d", round)))
		advance(t, s, o.ID, orderhub.StatusAwaitingFulfillment)

		const n = 16
		var wins, conflicts atomic.Int64
		errs := make(chan error, n)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := 0; i < n; i++ {
			to := orderhub.StatusCancelled
			if i%2 == 1 {
				to = orderhub.StatusPartiallyFulfilled
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				_, _, err := s.TransitionOrder(ctx, store.TransitionParams{OrderID: o.ID, From: orderhub.StatusAwaitingFulfillment, To: to, Actor: "racer"})
				switch orderhub.ErrorCode(err) {
				case "":
					wins.Add(1)
				case orderhub.EConflict:
					conflicts.Add(1)
				default:
					errs <- err
				}
			}()
		}
		close(start)
		wg.Wait()
		close(errs)
		for err := range errs {
			require.NoError(t, err)
		}
		require.Equal(t, int64(1), wins.Load(), "exactly one transition wins")
		require.Equal(t, int64(n-1), conflicts.Load())

		got, err := s.GetOrder(ctx, o.ID)
		require.NoError(t, err)
		events, err := s.ListEvents(ctx, o.ID)
		require.NoError(t, err)
		replayed, err := orderhub.ReplayStatus(events)
		require.NoError(t, err)
		require.Equal(t, got.Status, replayed, "the event log replays to the stored status")
	}
}

// testConcurrentWalk has many goroutines push one order along its life with
// unconditional moves; whatever interleaving happens, every status is
// entered once and the log replays to the stored status.
func testConcurrentWalk(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	o := create(t, s, SampleOrder("shop-a", "walk"))
	path, ok := orderhub.StatusPending.PathTo(orderhub.StatusRefunded)
	require.True(t, ok)
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, to := range path {
				_, _, err := s.TransitionOrder(ctx, store.TransitionParams{OrderID: o.ID, To: to, Actor: "walker"})
				if err != nil && orderhub.ErrorCode(err) != orderhub.EConflict {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	got, err := s.GetOrder(ctx, o.ID)
	require.NoError(t, err)
	require.Equal(t, orderhub.StatusRefunded, got.Status)
	events, err := s.ListEvents(ctx, o.ID)
	require.NoError(t, err)
	require.Len(t, events, len(path)+1, "each status entered exactly once")
	replayed, err := orderhub.ReplayStatus(events)
	require.NoError(t, err)
	require.Equal(t, got.Status, replayed)
}

func testJobTx(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	o := create(t, s, SampleOrder("shop-a", "jobs"))
	count := func() int {
		n, err := s.Queue().CountJobs(ctx, JobArgs{}.Kind())
		require.NoError(t, err)
		return n
	}
	require.Equal(t, 0, count())

	errRollback := fmt.Errorf("abandon")
	err := s.InTx(ctx, func(ctx context.Context, tx store.Tx) error {
		if _, _, err := tx.TransitionOrder(ctx, store.TransitionParams{OrderID: o.ID, To: orderhub.StatusPaymentProcessing, Actor: "test"}); err != nil {
			return err
		}
		if _, err := tx.InsertJob(ctx, JobArgs{OrderID: o.ID}, nil); err != nil {
			return err
		}
		return errRollback
	})
	require.ErrorIs(t, err, errRollback)
	require.Equal(t, 0, count(), "a job from a rolled-back transaction must not exist")
	got, err := s.GetOrder(ctx, o.ID)
	require.NoError(t, err)
	require.Equal(t, orderhub.StatusPending, got.Status, "the state change rolled back too")

	err = s.InTx(ctx, func(ctx context.Context, tx store.Tx) error {
		if _, _, err := tx.TransitionOrder(ctx, store.TransitionParams{OrderID: o.ID, To: orderhub.StatusPaymentProcessing, Actor: "test"}); err != nil {
			return err
		}
		_, err := tx.InsertJob(ctx, JobArgs{OrderID: o.ID}, &river.InsertOpts{Queue: river.QueueDefault})
		return err
	})
	require.NoError(t, err)
	require.Equal(t, 1, count(), "a committed job exists")
	n, err := s.Queue().CountJobs(ctx, JobArgs{}.Kind(), rivertype.JobStateAvailable)
	require.NoError(t, err)
	require.Equal(t, 1, n)
	got, err = s.GetOrder(ctx, o.ID)
	require.NoError(t, err)
	require.Equal(t, orderhub.StatusPaymentProcessing, got.Status)
}

func testListOrders(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	var ids []string
	for i := 0; i < 7; i++ {
		shop := "shop-a"
		if i%3 == 0 {
			shop = "shop-b"
		}
		ids = append(ids, create(t, s, SampleOrder(shop, fmt.Sprintf("ext-%d", i))).ID)
	}
	advance(t, s, ids[1], orderhub.StatusPaid)

	var all []string
	after := ""
	for pages := 0; ; pages++ {
		require.Less(t, pages, 10)
		page, err := s.ListOrders(ctx, store.ListOrdersParams{Limit: 3, After: after})
		require.NoError(t, err)
		require.LessOrEqual(t, len(page.Orders), 3)
		for _, o := range page.Orders {
			all = append(all, o.ID)
			require.Len(t, o.Lines, 3)
		}
		if page.Next == "" {
			break
		}
		after = page.Next
	}
	require.Len(t, all, 7)
	for i := range all {
		require.Equal(t, ids[len(ids)-1-i], all[i], "newest first, no gaps or repeats")
	}

	page, err := s.ListOrders(ctx, store.ListOrdersParams{ShopIDs: []string{"shop-b"}})
	require.NoError(t, err)
	require.Len(t, page.Orders, 3)
	for _, o := range page.Orders {
		require.Equal(t, "shop-b", o.ShopID)
	}
	page, err = s.ListOrders(ctx, store.ListOrdersParams{ShopIDs: []string{}})
	require.NoError(t, err)
	require.Empty(t, page.Orders, "an empty shop scope sees nothing")

	page, err = s.ListOrders(ctx, store.ListOrdersParams{Status: orderhub.StatusPaid})
	require.NoError(t, err)
	require.Len(t, page.Orders, 1)
	require.Equal(t, ids[1], page.Orders[0].ID)

	page, err = s.ListOrders(ctx, store.ListOrdersParams{ExternalID: "ext-4"})
	require.NoError(t, err)
	require.Len(t, page.Orders, 1)
	require.Equal(t, ids[4], page.Orders[0].ID)

	page, err = s.ListOrders(ctx, store.ListOrdersParams{Status: orderhub.StatusPaid, StatusSince: time.Now().Add(-time.Hour)})
	require.NoError(t, err)
	require.Empty(t, page.Orders, "an order changed just now is not older than an hour")

	// Entering a status starts the clock; other changes do not reset it.
	entered := time.Now()
	time.Sleep(5 * time.Millisecond)
	require.NoError(t, s.SetExplanations(ctx, ids[1], []orderhub.Explanation{{LineID: "x", Summary: "later change"}}))
	page, err = s.ListOrders(ctx, store.ListOrdersParams{Status: orderhub.StatusPaid, StatusSince: entered})
	require.NoError(t, err)
	require.Len(t, page.Orders, 1, "still in paid since before the later change")
	require.True(t, page.Orders[0].UpdatedAt.After(entered))
}

func testEvents(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	o := create(t, s, SampleOrder("shop-a", "ev"))
	ev, err := s.AddEvent(ctx, orderhub.OrderEvent{OrderID: o.ID, Kind: orderhub.EventNote, Actor: "cs@example.com", Note: "customer called", Data: []byte(`{"ticket":42}`)})
	require.NoError(t, err)
	require.NotZero(t, ev.ID)
	_, err = s.AddEvent(ctx, orderhub.OrderEvent{OrderID: o.ID, Kind: orderhub.EventTransition, From: "pending", To: "paid"})
	require.Equal(t, orderhub.EInvalid, orderhub.ErrorCode(err), "transitions go through the state machine")
	_, err = s.AddEvent(ctx, orderhub.OrderEvent{OrderID: "missing", Kind: orderhub.EventNote, Note: "x"})
	require.Equal(t, orderhub.ENotFound, orderhub.ErrorCode(err))

	events, err := s.ListEvents(ctx, o.ID)
	require.NoError(t, err)
	require.Len(t, events, 2)
	require.Equal(t, "customer called", events[1].Note)
	require.JSONEq(t, `{"ticket":42}`, string(events[1].Data))
	require.True(t, events[0].ID < events[1].ID)
	require.Equal(t, time.UTC, events[1].OccurredAt.Location())
}

func testMigrateTwice(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	require.NoError(t, s.Migrate(ctx))
	require.NoError(t, s.Migrate(ctx))
	require.NoError(t, s.Ping(ctx))
	require.True(t, strings.Contains("sqlite postgres", s.Kind()))
}

// exerciseAreas lists the per-area suites Exercise also runs; each area's
// file appends its suite in an init function.
var exerciseAreas []func(t *testing.T, newStore NewStore)
