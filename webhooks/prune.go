package webhooks

import (
	"context"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
)

// DefaultKeep is how long processed receipts are kept. A receipt is also
// the dedupe record of its delivery, so it must outlive every platform's
// retry window (BigCommerce's is the longest, about 48 hours); thirty days
// also leaves time to look at what a platform sent.
const DefaultKeep = 30 * 24 * time.Hour

// pruneBatch is how many receipts one delete removes.
const pruneBatch = 1000

// PruneArgs asks for old processed receipts to be deleted.
type PruneArgs struct{}

// Kind names the job.
func (PruneArgs) Kind() string { return "prune_receipts" }

// Pruner deletes processed receipts older than Keep, in batches, so the
// inbox does not grow without bound. Unfinished and dead receipts are never
// pruned. The app runs it from the PruneArgs job.
type Pruner struct {
	Store interface {
		PruneReceipts(ctx context.Context, olderThan time.Time, limit int) (int, error)
	}
	Keep time.Duration    // DefaultKeep when 0
	Now  func() time.Time // time.Now when nil
}

// Prune deletes what is due, batch by batch until one comes back short,
// and returns how many receipts went.
func (w *Pruner) Prune(ctx context.Context) (int, error) {
	keep, now := w.Keep, w.Now
	if keep <= 0 {
		keep = DefaultKeep
	}
	if now == nil {
		now = time.Now
	}
	cutoff := now().Add(-keep)
	total := 0
	for {
		n, err := w.Store.PruneReceipts(ctx, cutoff, pruneBatch)
		total += n
		if err != nil || n < pruneBatch {
			return total, err
		}
	}
}

// PrunePeriodicJob runs the prune once a day.
func PrunePeriodicJob() *river.PeriodicJob {
	return river.NewPeriodicJob(river.PeriodicInterval(24*time.Hour),
		func() (river.JobArgs, *river.InsertOpts) {
			return PruneArgs{}, &river.InsertOpts{UniqueOpts: river.UniqueOpts{ByState: []rivertype.JobState{
				rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRunning, rivertype.JobStateScheduled,
			}}}
		},
		&river.PeriodicJobOpts{ID: "prune_receipts"})
}
