// Package fulfillment executes fulfillments at their sources: it hands each
// pending fulfillment to the executor for its kind of source (a label
// provider for an own warehouse, a 3PL, a dropship supplier). A source kind
// with no executor configured is a visible, cancelled job and a timeline
// note, never a silent pass.
//
// It must not choose sources (routing does) nor change stock (the
// allocator does).
package fulfillment

import (
	"context"
	"fmt"

	"github.com/riverqueue/river"

	"github.com/orderhub/orderhub"
	"github.com/orderhub/orderhub/store"
)

// Executor starts one fulfillment at its source.
type Executor interface {
	Execute(ctx context.Context, f orderhub.Fulfillment, o orderhub.Order) error
}

// Worker is the River worker of execute_fulfillment jobs.
type Worker struct {
	river.WorkerDefaults[orderhub.FulfillmentArgs]
	Store store.Store
	// Executors by source kind: warehouse, 3pl, supplier.
	Executors map[string]Executor
}

// Work executes a pending fulfillment once; any other status means it was
// executed already and the job has nothing to do.
func (w *Worker) Work(ctx context.Context, job *river.Job[orderhub.FulfillmentArgs]) error {
	f, err := w.Store.GetFulfillment(ctx, job.Args.FulfillmentID)
	if err != nil {
		return err
	}
	if f.Status != orderhub.FulfillmentPending {
		return nil
	}
	o, err := w.Store.GetOrder(ctx, f.OrderID)
	if err != nil {
		return err
	}
	ex := w.Executors[f.SourceKind]
	if ex == nil {
		msg := fmt.Sprintf("fulfillment %s from %s is not started: no executor for %s sources is configured", f.ID, f.SourceID, f.SourceKind)
		if _, err := w.Store.AddEvent(ctx, orderhub.OrderEvent{OrderID: o.ID, Kind: orderhub.EventFulfillment, Actor: "orderhub-fulfillment", Note: msg}); err != nil {
			return err
		}
		return river.JobCancel(orderhub.Errorf(orderhub.EUnsupported, "%s", msg))
	}
	return ex.Execute(ctx, f, o)
}
