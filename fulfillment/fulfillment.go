// Package fulfillment executes fulfillments at their sources: it hands each
// pending fulfillment to the executor for its kind of source — a label
// bought at an own warehouse (WarehouseExecutor), an order created at a 3PL
// (ThreePLExecutor), a purchase order sent to a dropship supplier
// (DropshipExecutor) — and polls 3PLs for tracking their webhooks missed
// (PollWorker). Every report from a source, its own or a callback's, is
// applied through the allocator's Advance, which moves stock and keeps the
// order's status in step.
//
// It owns the order of remote calls that makes each creation happen once
// (see the executors), the choice of a label rate, and the status a
// source's answer means. It must not choose sources (routing does), change
// stock or statuses directly (the allocator does), or know a provider's
// wire format: each source is a small interface here, implemented by a
// connector and adapted in the composition root.
//
// A source kind with no executor configured, or a location whose label
// account or 3PL is not configured, is a visible, cancelled job and a
// timeline note, never a silent pass.
package fulfillment

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/riverqueue/river"

	"github.com/orderhub/orderhub"
	"github.com/orderhub/orderhub/allocator"
	"github.com/orderhub/orderhub/connectors/apiclient"
	"github.com/orderhub/orderhub/store"
)

// Executor starts one fulfillment at its source. It returns nil once the
// source has it (the fulfillment is then submitted, or failed with the
// reason in its timeline), an error to be retried, or an EUnsupported
// error when nothing is configured to execute it.
type Executor interface {
	Execute(ctx context.Context, f orderhub.Fulfillment, o orderhub.Order) error
}

// Advancer applies a source's report to a fulfillment in a transaction of
// its own: *allocator.Allocator.
type Advancer interface {
	Advance(ctx context.Context, p allocator.Progress) (allocator.ProgressResult, error)
}

var _ Advancer = (*allocator.Allocator)(nil)

// ActorFulfillment is the actor of the notes the worker writes itself.
const ActorFulfillment = "orderhub-fulfillment"

// JobTimeout bounds one execution: a label purchase may wait for a queued
// label.
const JobTimeout = 5 * time.Minute

// Worker is the River worker of execute_fulfillment jobs.
type Worker struct {
	river.WorkerDefaults[orderhub.FulfillmentArgs]
	Store store.Store
	// Executors by source kind: warehouse, 3pl, supplier.
	Executors map[string]Executor
	Logger    *slog.Logger
	// MaxTimeout, when set and shorter, replaces JobTimeout.
	MaxTimeout time.Duration
}

// Timeout implements river.Worker.
func (w *Worker) Timeout(*river.Job[orderhub.FulfillmentArgs]) time.Duration {
	if w.MaxTimeout > 0 && w.MaxTimeout < JobTimeout {
		return w.MaxTimeout
	}
	return JobTimeout
}

// Work executes a pending fulfillment once; any other status means it was
// executed already and the job has nothing to do. A rate limit that asks
// for a long wait snoozes the job for that long instead of holding a
// worker or spending an attempt early.
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
		return w.cancel(ctx, o, fmt.Sprintf("fulfillment %s from %s is not started: no executor for %s sources is configured", f.ID, f.SourceID, f.SourceKind))
	}
	err = ex.Execute(ctx, f, o)
	switch orderhub.ErrorCode(err) {
	case "":
		return nil
	case orderhub.EUnsupported:
		return w.cancel(ctx, o, fmt.Sprintf("fulfillment %s from %s is not started: %s", f.ID, f.SourceID, orderhub.ErrorMessage(err)))
	case orderhub.ERateLimited:
		var se *apiclient.StatusError
		if errors.As(err, &se) && se.RetryAfter > 0 {
			w.logger().InfoContext(ctx, "fulfillment rate limited; snoozing", "job", job.Kind, "order_id", o.ID, "wait", se.RetryAfter)
			return river.JobSnooze(se.RetryAfter)
		}
	}
	return err
}

func (w *Worker) cancel(ctx context.Context, o orderhub.Order, msg string) error {
	if _, err := w.Store.AddEvent(ctx, orderhub.OrderEvent{OrderID: o.ID, Kind: orderhub.EventFulfillment, Actor: ActorFulfillment, Note: msg}); err != nil {
		return err
	}
	return river.JobCancel(orderhub.Errorf(orderhub.EUnsupported, "%s", msg))
}

func (w *Worker) logger() *slog.Logger {
	if w.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return w.Logger
}

// permanent reports whether an error from a source is its final answer
// about this fulfillment (a refused address, an unknown SKU) rather than a
// failure to answer: the fulfillment is then marked failed, with the
// reason, instead of the job retrying what cannot succeed.
func permanent(err error) bool {
	return orderhub.ErrorCode(err) == orderhub.EInvalid
}

// fail marks a fulfillment failed with the reason in its timeline; the
// reservation is kept so that an operator can retry it.
func fail(ctx context.Context, adv Advancer, f orderhub.Fulfillment, actor, why string) error {
	_, err := adv.Advance(ctx, allocator.Progress{FulfillmentID: f.ID, Status: orderhub.FulfillmentFailed, Actor: actor, Note: why})
	return err
}
