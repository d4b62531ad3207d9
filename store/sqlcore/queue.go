package sqlcore

import (
	"context"
	"errors"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/orderhub/orderhub"
)

// RiverQueue implements store.Queue over a River client of either driver.
type RiverQueue[TTx any] struct {
	Client  *river.Client[TTx]
	Workers bool // false for an insert-only client
}

// Start implements store.Queue.
func (q RiverQueue[TTx]) Start(ctx context.Context) error {
	if !q.Workers {
		return orderhub.Errorf(orderhub.EInternal, "queue was opened without workers")
	}
	return q.Client.Start(ctx)
}

// Stop implements store.Queue.
func (q RiverQueue[TTx]) Stop(ctx context.Context) error { return q.Client.Stop(ctx) }

// CountJobs implements store.Queue.
func (q RiverQueue[TTx]) CountJobs(ctx context.Context, kind string, states ...rivertype.JobState) (int, error) {
	p := river.NewJobListParams().Kinds(kind).First(10000)
	if len(states) > 0 {
		p = p.States(states...)
	}
	res, err := q.Client.JobList(ctx, p)
	if err != nil {
		return 0, err
	}
	return len(res.Jobs), nil
}

// GetJob implements store.Queue.
func (q RiverQueue[TTx]) GetJob(ctx context.Context, id int64) (*rivertype.JobRow, error) {
	job, err := q.Client.JobGet(ctx, id)
	if errors.Is(err, river.ErrNotFound) {
		return nil, orderhub.Errorf(orderhub.ENotFound, "job %d not found", id)
	}
	return job, err
}
