package allocator

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"sync/atomic"
	"time"

	"github.com/orderhub/orderhub/store"
)

// GroupRouter routes orders by group commit: the Route calls that arrive
// while a group is committing form the next group, and one transaction
// routes them all, each order in turn with RouteTx. On PostgreSQL a hot
// SKU's stock row is then locked once per group and its lock held through
// one WAL flush instead of one per order; on SQLite the group shares one
// fsync. The guarded reserve in RouteTx stays the authority on stock, so
// grouping changes the cost of routing, never its result.
//
// If any order of a group fails, the group rolls back and each of its
// orders is routed alone, so one bad order fails alone. Committers run only
// while there are orders: each stops after a moment without any, so a
// GroupRouter needs no Close.
//
// With more than one committer the SKUs are shared out among them: an
// order for one SKU always goes to that SKU's committer, and an order for
// several SKUs is routed alone, as Allocator.Route does it. Two groups
// therefore never lock the same stock row, which they would otherwise do
// in the order their orders came and so deadlock one another; and a hot
// SKU's orders all meet in the same groups.
type GroupRouter struct {
	a      *Allocator
	max    int
	shards []*routeShard
}

// routeShard is one committer and the orders waiting for it.
type routeShard struct {
	reqs    chan *pendingRoute
	running atomic.Bool
}

// GroupRouter defaults.
const (
	// DefaultRouteGroupSize bounds a group: large enough to amortise a
	// commit over a burst of one SKU, small enough that a rolled-back group
	// costs little to redo alone.
	DefaultRouteGroupSize = 64
	// routeGroupTimeout bounds one group's transaction, or one order's
	// when routed alone; the callers' contexts do not, since one caller
	// leaving must not fail the others.
	routeGroupTimeout = 30 * time.Second
	routerIdle        = 2 * time.Second
	routeHandOffWait  = 5 * time.Millisecond
	// routeConflictTries bounds how often an order is routed again after
	// its transaction deadlocked.
	routeConflictTries = 5
)

type pendingRoute struct {
	ctx     context.Context
	orderID string
	done    chan routeOutcome
}

type routeOutcome struct {
	res RouteResult
	err error
}

// NewGroupRouter returns a GroupRouter over a that routes up to maxGroup
// orders in one transaction (DefaultRouteGroupSize when 0) with up to
// committers transactions at once (1 when 0: right for SQLite, which has
// one writer; a few suit PostgreSQL, where routes of different SKUs then
// run side by side).
func NewGroupRouter(a *Allocator, maxGroup, committers int) *GroupRouter {
	if maxGroup <= 0 {
		maxGroup = DefaultRouteGroupSize
	}
	if committers <= 0 {
		committers = 1
	}
	g := &GroupRouter{a: a, max: maxGroup}
	for range committers {
		g.shards = append(g.shards, &routeShard{reqs: make(chan *pendingRoute)})
	}
	return g
}

// Route is Allocator.Route through a shared transaction: it returns once the
// transaction that routed the order has committed, with this order's own
// result or error. If ctx ends before the order's group starts, the order
// is left unrouted; if it ends after, the order may still be routed, and a
// retry finds it routed and skips it.
func (g *GroupRouter) Route(ctx context.Context, orderID string) (RouteResult, error) {
	if err := ctx.Err(); err != nil {
		return RouteResult{}, err
	}
	sh := g.shards[0]
	if len(g.shards) > 1 {
		o, err := g.a.store.GetOrder(ctx, orderID)
		if err != nil {
			return RouteResult{}, err
		}
		skus := stockSKUs(o)
		if len(skus) > 1 {
			return g.retrying(ctx, func() (RouteResult, error) { return g.a.Route(ctx, orderID) })
		}
		key := orderID // no stock to lock: any committer will do
		if len(skus) == 1 {
			key = skus[0]
		}
		h := fnv.New32a()
		h.Write([]byte(key))
		sh = g.shards[h.Sum32()%uint32(len(g.shards))]
	}
	pr := &pendingRoute{ctx: ctx, orderID: orderID, done: make(chan routeOutcome, 1)}
	t := time.NewTimer(0)
	defer t.Stop()
	for handed := false; !handed; {
		g.ensureCommitter(sh)
		t.Reset(routeHandOffWait)
		select {
		case sh.reqs <- pr:
			handed = true
		case <-t.C: // the committer may have just stopped: start it again
		case <-ctx.Done():
			return RouteResult{}, ctx.Err()
		}
	}
	select {
	case out := <-pr.done:
		return out.res, out.err
	case <-ctx.Done():
		return RouteResult{}, ctx.Err()
	}
}

func (g *GroupRouter) ensureCommitter(sh *routeShard) {
	if sh.running.CompareAndSwap(false, true) {
		go g.commit(sh)
	}
}

// commit gathers whatever orders are waiting, routes them in one
// transaction, and answers each; it stops after routerIdle without work.
func (g *GroupRouter) commit(sh *routeShard) {
	defer sh.running.Store(false)
	idle := time.NewTimer(routerIdle)
	defer idle.Stop()
	batch := make([]*pendingRoute, 0, g.max)
	for {
		select {
		case pr := <-sh.reqs:
			batch = append(batch[:0], pr)
		case <-idle.C:
			return
		}
	gather:
		for len(batch) < g.max {
			select {
			case pr := <-sh.reqs:
				batch = append(batch, pr)
			default:
				break gather
			}
		}
		g.routeGroup(batch)
		clear(batch) // let the answered requests go
		idle.Reset(routerIdle)
	}
}

// routeGroup routes a group in one transaction; should any order fail, the
// group rolls back and each order is routed on its own. Every request gets
// exactly one answer.
func (g *GroupRouter) routeGroup(batch []*pendingRoute) {
	// A caller that has already left is not routed: its job retries.
	live := make([]*pendingRoute, 0, len(batch))
	for _, pr := range batch {
		if err := pr.ctx.Err(); err != nil {
			pr.done <- routeOutcome{err: err}
			continue
		}
		live = append(live, pr)
	}
	if len(live) == 0 {
		return
	}
	if len(live) == 1 {
		res, err := g.routeAlone(live[0].orderID)
		live[0].done <- routeOutcome{res, err}
		return
	}
	outs := make([]routeOutcome, len(live))
	ctx, cancel := context.WithTimeout(context.Background(), routeGroupTimeout)
	defer cancel()
	err := g.a.store.InTx(ctx, func(ctx context.Context, tx store.Tx) error {
		for i, pr := range live {
			res, err := g.routeTx(ctx, tx, pr.orderID)
			if err != nil {
				return fmt.Errorf("route order %s: %w", pr.orderID, err)
			}
			outs[i] = routeOutcome{res: res}
		}
		return nil
	})
	if err == nil {
		for i, pr := range live {
			pr.done <- outs[i]
		}
		return
	}
	// Nothing of the group was committed (or, if the commit itself failed
	// after the fact, routing again finds the orders routed and skips them).
	g.a.logger.WarnContext(ctx, "routing group rolled back; routing its orders one by one", "err", err, "orders", len(live))
	for _, pr := range live {
		if err := pr.ctx.Err(); err != nil {
			pr.done <- routeOutcome{err: err}
			continue
		}
		res, err := g.routeAlone(pr.orderID)
		pr.done <- routeOutcome{res, err}
	}
}

// routeAlone is Allocator.Route, made safe to run on a committer.
func (g *GroupRouter) routeAlone(orderID string) (RouteResult, error) {
	ctx, cancel := context.WithTimeout(context.Background(), routeGroupTimeout)
	defer cancel()
	return g.retrying(ctx, func() (RouteResult, error) {
		var res RouteResult
		err := g.a.store.InTx(ctx, func(ctx context.Context, tx store.Tx) error {
			var err error
			res, err = g.routeTx(ctx, tx, orderID)
			return err
		})
		return res, err
	})
}

// retrying runs route again, up to routeConflictTries times in all, while
// the database aborts it for conflicting with another transaction: a group
// and an order routed alone may lock the same stock rows in opposite
// orders, and PostgreSQL then aborts one of them as a deadlock.
func (g *GroupRouter) retrying(ctx context.Context, route func() (RouteResult, error)) (RouteResult, error) {
	for try := 1; ; try++ {
		res, err := route()
		if err == nil || !errors.Is(err, store.ErrTxConflict) || try >= routeConflictTries {
			return res, err
		}
		select {
		case <-ctx.Done():
			return res, err
		case <-time.After(time.Duration(rand.IntN(20*try)+1) * time.Millisecond):
		}
	}
}

// routeTx is RouteTx with a panic turned into an error. On a River worker
// River recovers a panic; a committer must do it itself, and inside the
// transaction, so the transaction still rolls back and its connection
// returns to the pool.
func (g *GroupRouter) routeTx(ctx context.Context, tx store.Tx, orderID string) (res RouteResult, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("route order %s: panic: %v", orderID, r)
		}
	}()
	return g.a.RouteTx(ctx, tx, orderID)
}
