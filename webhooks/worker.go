package webhooks

import (
	"context"
	"time"

	"github.com/riverqueue/river"

	"github.com/orderhub/orderhub"
)

// Drain job timing.
const (
	// DefaultDrainBudget is how long one run of the drain job keeps claiming
	// batches before it snoozes, letting other jobs have the worker.
	DefaultDrainBudget = 20 * time.Second
	// DefaultSweep is how often the periodic sweep enqueues the drain job.
	// It bounds how late a retry runs after it comes due, how long draining
	// waits after a crash, and, on PostgreSQL, the wait of a receipt that
	// was still committing when the drain finished.
	DefaultSweep = 10 * time.Second
)

// DrainWorker is the River worker of orderhub.ProcessReceiptsArgs: it runs
// its Processor until nothing is due, or for up to Budget and then snoozes
// if work remains.
type DrainWorker struct {
	river.WorkerDefaults[orderhub.ProcessReceiptsArgs]
	Processor *Processor
	Budget    time.Duration // DefaultDrainBudget when 0
}

// Work implements river.Worker.
func (w *DrainWorker) Work(ctx context.Context, job *river.Job[orderhub.ProcessReceiptsArgs]) error {
	budget := w.Budget
	if budget <= 0 {
		budget = DefaultDrainBudget
	}
	return w.Processor.DrainFor(ctx, budget)
}

// Timeout implements river.Worker: the budget plus room for the batch in
// flight, which may be fetching BigCommerce orders.
func (w *DrainWorker) Timeout(*river.Job[orderhub.ProcessReceiptsArgs]) time.Duration {
	budget := w.Budget
	if budget <= 0 {
		budget = DefaultDrainBudget
	}
	return budget + 2*time.Minute
}
