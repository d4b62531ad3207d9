package allocator

import "context"

// RouteGroup routes ids as one group, as a committer does with the orders
// it gathered, and returns each order's result and error in turn.
func (g *GroupRouter) RouteGroup(ids []string) ([]RouteResult, []error) {
	batch := make([]*pendingRoute, len(ids))
	for i, id := range ids {
		batch[i] = &pendingRoute{ctx: context.Background(), orderID: id, done: make(chan routeOutcome, 1)}
	}
	g.routeGroup(batch)
	res, errs := make([]RouteResult, len(ids)), make([]error, len(ids))
	for i, pr := range batch {
		out := <-pr.done
		res[i], errs[i] = out.res, out.err
	}
	return res, errs
}
