package allocator

import (
	"context"

	"github.com/riverqueue/river"

	"github.com/orderhub/orderhub"
)

// RouteWorker is the River worker of route_order jobs, enqueued when an
// order is paid.
type RouteWorker struct {
	river.WorkerDefaults[orderhub.RouteOrderArgs]
	Allocator *Allocator
	// Group, when set, routes through group commit so that concurrent jobs
	// share transactions; it must be built over Allocator.
	Group *GroupRouter
}

// Work routes the order.
func (w *RouteWorker) Work(ctx context.Context, job *river.Job[orderhub.RouteOrderArgs]) error {
	route := w.Allocator.Route
	if w.Group != nil {
		route = w.Group.Route
	}
	res, err := route(ctx, job.Args.OrderID)
	if err != nil {
		return err
	}
	if res.Skipped != "" {
		w.Allocator.logger.InfoContext(ctx, "routing skipped", "order_id", job.Args.OrderID, "reason", res.Skipped)
		return nil
	}
	w.Allocator.logger.InfoContext(ctx, "order routed", "order_id", job.Args.OrderID,
		"fulfillments", len(res.Fulfillments), "backorders", len(res.Backorders), "replans", res.Replans)
	return nil
}
