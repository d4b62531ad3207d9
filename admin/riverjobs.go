package admin

import (
	"context"
	"errors"
	"fmt"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/rivertype"

	"github.com/orderhub/orderhub"
	"github.com/orderhub/orderhub/metrics"
)

// RiverJobs implements Jobs, and metrics.QueueStats, over a River client
// of either driver.
type RiverJobs[TTx any] struct {
	Client *river.Client[TTx]
}

var (
	_ Jobs               = RiverJobs[any]{}
	_ metrics.QueueStats = RiverJobs[any]{}
)

func jobFromRow(r *rivertype.JobRow) Job {
	j := Job{ID: r.ID, Kind: r.Kind, Queue: r.Queue, State: string(r.State), Attempt: r.Attempt, MaxAttempts: r.MaxAttempts,
		Args: append([]byte(nil), r.EncodedArgs...), Errors: []JobError{}, CreatedAt: r.CreatedAt.UTC(), FinalizedAt: r.FinalizedAt}
	for _, e := range r.Errors {
		j.Errors = append(j.Errors, JobError{At: e.At.UTC(), Attempt: e.Attempt, Error: e.Error})
	}
	if j.FinalizedAt != nil {
		t := j.FinalizedAt.UTC()
		j.FinalizedAt = &t
	}
	return j
}

// DiscardedJobs implements Jobs.
func (q RiverJobs[TTx]) DiscardedJobs(ctx context.Context, before int64, limit int) ([]Job, error) {
	p := river.NewJobListParams().States(rivertype.JobStateDiscarded).OrderBy(river.JobListOrderByID, river.SortOrderDesc).First(limit)
	if before > 0 {
		p = p.Where("id < @before", river.NamedArgs{"before": before})
	}
	res, err := q.Client.JobList(ctx, p)
	if err != nil {
		return nil, fmt.Errorf("list discarded jobs: %w", err)
	}
	out := make([]Job, 0, len(res.Jobs))
	for _, r := range res.Jobs {
		out = append(out, jobFromRow(r))
	}
	return out, nil
}

// GetJob implements Jobs.
func (q RiverJobs[TTx]) GetJob(ctx context.Context, id int64) (Job, error) {
	r, err := q.Client.JobGet(ctx, id)
	if errors.Is(err, river.ErrNotFound) {
		return Job{}, orderhub.Errorf(orderhub.ENotFound, "job %d not found", id)
	}
	if err != nil {
		return Job{}, fmt.Errorf("get job %d: %w", id, err)
	}
	return jobFromRow(r), nil
}

// RetryJob implements Jobs.
func (q RiverJobs[TTx]) RetryJob(ctx context.Context, id int64) (Job, error) {
	r, err := q.Client.JobRetry(ctx, id)
	if errors.Is(err, river.ErrNotFound) {
		return Job{}, orderhub.Errorf(orderhub.ENotFound, "job %d not found", id)
	}
	if err != nil {
		return Job{}, fmt.Errorf("retry job %d: %w", id, err)
	}
	return jobFromRow(r), nil
}

// CountDiscarded counts the discarded jobs, for the dead-letters gauge.
func (q RiverJobs[TTx]) CountDiscarded(ctx context.Context) (int, error) {
	return q.Client.Driver().GetExecutor().JobCountByState(ctx, &riverdriver.JobCountByStateParams{State: rivertype.JobStateDiscarded})
}

// JobCountsByState implements metrics.QueueStats.
func (q RiverJobs[TTx]) JobCountsByState(ctx context.Context) (map[string]int, error) {
	m, err := q.Client.Driver().GetExecutor().JobCountByAllStates(ctx, &riverdriver.JobCountByAllStatesParams{})
	if err != nil {
		return nil, err
	}
	out := make(map[string]int, len(m))
	for st, n := range m {
		out[string(st)] = n
	}
	return out, nil
}

// QueueCounts implements metrics.QueueStats.
func (q RiverJobs[TTx]) QueueCounts(ctx context.Context) ([]metrics.QueueCount, error) {
	qs, err := q.Client.QueueList(ctx, river.NewQueueListParams().First(1000))
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(qs.Queues))
	for _, x := range qs.Queues {
		names = append(names, x.Name)
	}
	if len(names) == 0 {
		return nil, nil
	}
	rows, err := q.Client.Driver().GetExecutor().JobCountByQueueAndState(ctx, &riverdriver.JobCountByQueueAndStateParams{QueueNames: names})
	if err != nil {
		return nil, err
	}
	out := make([]metrics.QueueCount, 0, len(rows))
	for _, r := range rows {
		out = append(out, metrics.QueueCount{Queue: r.Queue, Available: r.CountAvailable, Running: r.CountRunning})
	}
	return out, nil
}
