package allocator_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/stretchr/testify/require"

	"github.com/orderhub/orderhub"
	"github.com/orderhub/orderhub/allocator"
	"github.com/orderhub/orderhub/routing"
	"github.com/orderhub/orderhub/store"
)

// appCommitters is what the app gives a GroupRouter on each store.
func appCommitters(st store.Store) int {
	if st.Kind() == "postgres" {
		return 4
	}
	return 1
}

// groupSizes counts the orders each transaction routed, through the Routed
// hook; it holds every transaction it saw, so none is mistaken for another.
type groupSizes struct {
	mu sync.Mutex
	n  map[store.Tx]int
}

func (g *groupSizes) hook(ctx context.Context, tx store.Tx, o orderhub.Order, res allocator.RouteResult) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.n == nil {
		g.n = map[store.Tx]int{}
	}
	g.n[tx]++
	return nil
}

func (g *groupSizes) largest() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	m := 0
	for _, n := range g.n {
		m = max(m, n)
	}
	return m
}

// watchAvailable checks, until the returned stop is called, that no stock
// level is ever reserved beyond what is on hand; stop returns how often one
// was.
func watchAvailable(st store.Store) (stop func() int64) {
	var oversold atomic.Int64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-done:
				return
			default:
			}
			levels, err := st.ListStock(context.Background(), store.ListStockParams{})
			if err == nil {
				for _, l := range levels {
					if l.OnHand-l.Reserved < 0 {
						oversold.Add(1)
					}
				}
			}
			time.Sleep(time.Millisecond)
		}
	}()
	return func() int64 {
		close(done)
		wg.Wait()
		return oversold.Load()
	}
}

// routeAll routes ids from workers goroutines through route and returns
// each order's result and error.
func routeAll(workers int, ids []string, route func(context.Context, string) (allocator.RouteResult, error)) (map[string]allocator.RouteResult, map[string]error) {
	next := make(chan string, len(ids))
	for _, id := range ids {
		next <- id
	}
	close(next)
	var mu sync.Mutex
	results, errs := map[string]allocator.RouteResult{}, map[string]error{}
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for id := range next {
				res, err := route(context.Background(), id)
				mu.Lock()
				results[id], errs[id] = res, err
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return results, errs
}

// routedEvents counts the routed events of an order.
func routedEvents(t *testing.T, st store.Store, orderID string) int {
	t.Helper()
	events, err := st.ListEvents(context.Background(), orderID)
	require.NoError(t, err)
	n := 0
	for _, e := range events {
		if e.Kind == orderhub.EventRouted {
			n++
		}
	}
	return n
}

// TestGroupRouterHotSKU has 32 workers route 300 one-unit orders for a SKU
// with 200 units through a GroupRouter: exactly 200 are reserved and 100
// backordered, stock is never oversold, and every order is routed once.
func TestGroupRouterHotSKU(t *testing.T) {
	stores(t, func(t *testing.T, open func(*testing.T, routing.Rules) bundle) {
		b := open(t, routing.Rules{AllowLineSplit: true, Backorders: routing.BackorderNotify})
		ctx := context.Background()
		var sizes groupSizes
		b.a.SetHooks(allocator.Hooks{Routed: sizes.hook})
		g := allocator.NewGroupRouter(b.a, 0, appCommitters(b.st))
		setStock(t, b.st, "nyc", "HOT", 200)
		var ids []string
		for i := range 300 {
			ids = append(ids, paidOrder(t, b.st, fmt.Sprintf("g-%d", i), b.now, lineSpec{sku: "HOT", qty: 1}).ID)
		}

		stop := watchAvailable(b.st)
		results, errs := routeAll(32, ids, g.Route)
		require.Zero(t, stop(), "available was never negative")

		var reserved, backordered int
		for _, id := range ids {
			require.NoError(t, errs[id], id)
			res := results[id]
			require.Empty(t, res.Skipped, id)
			require.Equal(t, 1, len(res.Fulfillments)+len(res.Backorders), "order %s went to exactly one place", id)
			reserved += len(res.Fulfillments)
			backordered += len(res.Backorders)
			require.Equal(t, 1, routedEvents(t, b.st, id), "order %s was routed once", id)
		}
		require.Equal(t, 200, reserved)
		require.Equal(t, 100, backordered)
		require.Greater(t, sizes.largest(), 1, "concurrent routes shared transactions")

		l, err := b.st.GetStock(ctx, "nyc", "HOT")
		require.NoError(t, err)
		require.Equal(t, int64(200), l.Reserved)
		require.Equal(t, int64(200), l.OnHand)
		page, err := b.st.ListBackorders(ctx, store.ListBackordersParams{Limit: 500})
		require.NoError(t, err)
		var back int64
		for _, bo := range page.Backorders {
			back += bo.Quantity
		}
		require.Equal(t, int64(100), back)
		assertConserved(t, b.st)

		// Routing them again finds every one routed.
		results, errs = routeAll(32, ids, g.Route)
		for _, id := range ids {
			require.NoError(t, errs[id])
			require.NotEmpty(t, results[id].Skipped)
		}
	})
}

// TestGroupRouterManySKUs routes orders for several SKUs, some for more than
// one, from 32 workers through four committers at two locations: nothing is
// oversold, no routing fails (groups of different committers never lock
// the same rows, so they cannot deadlock), and each SKU's stock goes out
// exactly once.
func TestGroupRouterManySKUs(t *testing.T) {
	stores(t, func(t *testing.T, open func(*testing.T, routing.Rules) bundle) {
		b := open(t, routing.Rules{AllowLineSplit: true, Backorders: routing.BackorderNotify})
		ctx := context.Background()
		g := allocator.NewGroupRouter(b.a, 8, 4)
		stock := map[string]int64{"A": 60, "B": 20, "C": 25}
		setStock(t, b.st, "nyc", "A", 30)
		setStock(t, b.st, "chi", "A", 30)
		setStock(t, b.st, "nyc", "B", 20)
		setStock(t, b.st, "chi", "C", 25)
		ordered := map[string]int64{}
		var ids []string
		for i := range 150 {
			var lines []lineSpec
			switch i % 3 {
			case 0:
				lines = []lineSpec{{sku: "A", qty: 1}}
			case 1:
				lines = []lineSpec{{sku: "B", qty: 2}}
			case 2:
				lines = []lineSpec{{sku: "A", qty: 1}, {sku: "C", qty: 1}}
			}
			for _, l := range lines {
				ordered[l.sku] += l.qty
			}
			ids = append(ids, paidOrder(t, b.st, fmt.Sprintf("m-%d", i), b.now, lines...).ID)
		}

		stop := watchAvailable(b.st)
		results, errs := routeAll(32, ids, g.Route)
		require.Zero(t, stop(), "available was never negative")
		for _, id := range ids {
			require.NoError(t, errs[id], id)
			require.Empty(t, results[id].Skipped, id)
			require.Equal(t, 1, routedEvents(t, b.st, id), "order %s was routed once", id)
		}

		levels, err := b.st.ListStock(ctx, store.ListStockParams{})
		require.NoError(t, err)
		reserved := map[string]int64{}
		for _, l := range levels {
			reserved[l.SKU] += l.Reserved
		}
		page, err := b.st.ListBackorders(ctx, store.ListBackordersParams{Limit: 500})
		require.NoError(t, err)
		back := map[string]int64{}
		for _, bo := range page.Backorders {
			back[bo.SKU] += bo.Quantity
		}
		for sku, n := range stock {
			require.Equal(t, n, reserved[sku], "all of %s is reserved", sku)
			require.Equal(t, ordered[sku]-n, back[sku], "the rest of %s is backordered", sku)
		}
		assertConserved(t, b.st)
	})
}

// TestGroupRouterFailingOrderFailsAlone routes a group holding an order that
// does not exist and one whose hook fails: the group rolls back, its orders
// are routed one by one, the good ones succeed and each bad one gets its own
// error.
func TestGroupRouterFailingOrderFailsAlone(t *testing.T) {
	stores(t, func(t *testing.T, open func(*testing.T, routing.Rules) bundle) {
		b := open(t, routing.Rules{AllowLineSplit: true})
		ctx := context.Background()
		setStock(t, b.st, "nyc", "MUG", 10)
		var mu sync.Mutex
		calls := map[string]int{}
		txs := map[string]store.Tx{}
		b.a.SetHooks(allocator.Hooks{Routed: func(ctx context.Context, tx store.Tx, o orderhub.Order, res allocator.RouteResult) error {
			mu.Lock()
			defer mu.Unlock()
			calls[o.ExternalID]++
			txs[o.ExternalID] = tx
			if o.ExternalID == "poison" {
				return errors.New("write-back queue unavailable")
			}
			return nil
		}})
		g := allocator.NewGroupRouter(b.a, 0, 1)
		good1 := paidOrder(t, b.st, "good1", b.now, lineSpec{sku: "MUG", qty: 1})
		good2 := paidOrder(t, b.st, "good2", b.now, lineSpec{sku: "MUG", qty: 1})
		poison := paidOrder(t, b.st, "poison", b.now, lineSpec{sku: "MUG", qty: 1})
		good3 := paidOrder(t, b.st, "good3", b.now, lineSpec{sku: "MUG", qty: 1})

		res, errs := g.RouteGroup([]string{good1.ID, "no-such-order", good2.ID, poison.ID, good3.ID})
		require.NoError(t, errs[0])
		require.Equal(t, orderhub.ENotFound, orderhub.ErrorCode(errs[1]))
		require.NoError(t, errs[2])
		require.ErrorContains(t, errs[3], "write-back queue unavailable")
		require.NoError(t, errs[4])
		for _, i := range []int{0, 2, 4} {
			require.Len(t, res[i].Fulfillments, 1)
		}
		require.Equal(t, 2, calls["good1"], "good1 was routed in the group, rolled back, then routed alone")
		require.Equal(t, 1, calls["good2"], "the group stopped at the missing order")
		require.NotSame(t, txs["good2"], txs["good3"], "after a failure each order has its own transaction")

		for _, o := range []orderhub.Order{good1, good2, good3} {
			got, err := b.st.GetOrder(ctx, o.ID)
			require.NoError(t, err)
			require.Equal(t, orderhub.StatusAwaitingFulfillment, got.Status)
			require.Equal(t, 1, routedEvents(t, b.st, o.ID))
		}
		got, err := b.st.GetOrder(ctx, poison.ID)
		require.NoError(t, err)
		require.Equal(t, orderhub.StatusPaid, got.Status, "the failing order rolled back alone")
		l, err := b.st.GetStock(ctx, "nyc", "MUG")
		require.NoError(t, err)
		require.Equal(t, int64(3), l.Reserved)
		assertConserved(t, b.st)

		// A group without a bad order shares one transaction.
		clear(calls)
		clear(txs)
		more := []orderhub.Order{paidOrder(t, b.st, "g4", b.now, lineSpec{sku: "MUG", qty: 1}), paidOrder(t, b.st, "g5", b.now, lineSpec{sku: "MUG", qty: 1})}
		_, errs = g.RouteGroup([]string{more[0].ID, more[1].ID})
		require.NoError(t, errors.Join(errs...))
		require.Equal(t, map[string]int{"g4": 1, "g5": 1}, calls)
		require.Same(t, txs["g4"], txs["g5"])
	})
}

// TestGroupRouterCallerLeaves has callers give up while their group is
// committing and while waiting for the next: they return at once, the
// group they were in still commits, and the router goes on serving.
func TestGroupRouterCallerLeaves(t *testing.T) {
	stores(t, func(t *testing.T, open func(*testing.T, routing.Rules) bundle) {
		b := open(t, routing.Rules{AllowLineSplit: true})
		ctx := context.Background()
		setStock(t, b.st, "nyc", "MUG", 10)
		entered, release := make(chan struct{}), make(chan struct{})
		var releaseOnce sync.Once
		t.Cleanup(func() { releaseOnce.Do(func() { close(release) }) })
		b.a.SetHooks(allocator.Hooks{Routed: func(ctx context.Context, tx store.Tx, o orderhub.Order, res allocator.RouteResult) error {
			if o.ExternalID == "slow" {
				close(entered)
				<-release
			}
			return nil
		}})
		g := allocator.NewGroupRouter(b.a, 0, 1)
		slow := paidOrder(t, b.st, "slow", b.now, lineSpec{sku: "MUG", qty: 1})
		waiting := paidOrder(t, b.st, "waiting", b.now, lineSpec{sku: "MUG", qty: 1})
		after := paidOrder(t, b.st, "after", b.now, lineSpec{sku: "MUG", qty: 1})

		slowCtx, cancelSlow := context.WithCancel(ctx)
		slowErr := make(chan error, 1)
		go func() { _, err := g.Route(slowCtx, slow.ID); slowErr <- err }()
		<-entered // the committer is inside slow's transaction
		cancelSlow()
		select {
		case err := <-slowErr:
			require.ErrorIs(t, err, context.Canceled)
		case <-time.After(10 * time.Second):
			t.Fatal("a caller that left still waited for its group")
		}

		waitCtx, cancelWait := context.WithCancel(ctx)
		waitErr := make(chan error, 1)
		go func() { _, err := g.Route(waitCtx, waiting.ID); waitErr <- err }()
		cancelWait()
		select {
		case err := <-waitErr:
			require.ErrorIs(t, err, context.Canceled)
		case <-time.After(10 * time.Second):
			t.Fatal("a caller that left still waited for a committer")
		}

		releaseOnce.Do(func() { close(release) })
		// The one committer answers this only after slow's group committed.
		res, err := g.Route(ctx, after.ID)
		require.NoError(t, err)
		require.Len(t, res.Fulfillments, 1)
		for id, want := range map[string]orderhub.Status{slow.ID: orderhub.StatusAwaitingFulfillment, waiting.ID: orderhub.StatusPaid} {
			got, err := b.st.GetOrder(ctx, id)
			require.NoError(t, err)
			require.Equal(t, want, got.Status)
		}
		res, err = g.Route(ctx, waiting.ID)
		require.NoError(t, err)
		require.Len(t, res.Fulfillments, 1)
	})
}

// TestRouteWorkerGroup has the worker route through its GroupRouter.
func TestRouteWorkerGroup(t *testing.T) {
	stores(t, func(t *testing.T, open func(*testing.T, routing.Rules) bundle) {
		b := open(t, routing.Rules{AllowLineSplit: true})
		ctx := context.Background()
		setStock(t, b.st, "nyc", "MUG", 1)
		var deadline atomic.Bool
		b.a.SetHooks(allocator.Hooks{Routed: func(ctx context.Context, tx store.Tx, o orderhub.Order, res allocator.RouteResult) error {
			_, ok := ctx.Deadline() // a group's transaction has one; the job's context here has none
			deadline.Store(ok)
			return nil
		}})
		w := &allocator.RouteWorker{Allocator: b.a, Group: allocator.NewGroupRouter(b.a, 0, appCommitters(b.st))}
		o := paidOrder(t, b.st, "w", b.now, lineSpec{sku: "MUG", qty: 1})
		require.NoError(t, w.Work(ctx, &river.Job[orderhub.RouteOrderArgs]{Args: orderhub.RouteOrderArgs{OrderID: o.ID}}))
		got, err := b.st.GetOrder(ctx, o.ID)
		require.NoError(t, err)
		require.Equal(t, orderhub.StatusAwaitingFulfillment, got.Status)
		require.True(t, deadline.Load(), "the order was routed by the group router")
	})
}
