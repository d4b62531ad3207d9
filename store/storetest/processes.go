package storetest

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"github.com/stretchr/testify/require"

	"github.com/orderhub/orderhub"
	"github.com/orderhub/orderhub/store"
)

func init() {
	exerciseAreas = append(exerciseAreas, exerciseProcesses)
}

func exerciseProcesses(t *testing.T, newStore NewStore) {
	t.Run("ProcessHeartbeatAndLapse", func(t *testing.T) { t.Parallel(); testProcessHeartbeat(t, newStore(t)) })
	t.Run("ProcessEndReleasesItsReceiptsAtOnce", func(t *testing.T) { t.Parallel(); testProcessEnd(t, newStore(t)) })
	t.Run("ProcessReclaimTakesOnlyLapsedWork", func(t *testing.T) { t.Parallel(); testProcessReclaim(t, newStore(t)) })
}

// Reopener is a store that opens another handle on its own database, as
// another process would. The processes suite needs it to run River jobs
// under other processes' identities; every store implements it.
type Reopener interface {
	Reopen(ctx context.Context, opts store.Options) (store.Store, error)
}

// leaseT0 is the process clock of these tests: every process time is given
// explicitly, so leases lapse when the test says, not when the machine is
// slow.
var leaseT0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func testProcessHeartbeat(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	t0 := leaseT0
	p, err := s.RegisterProcess(ctx, store.RegisterProcessParams{ID: "host-1_41_aa", Host: "host-1", PID: 41, At: t0, Lease: 5 * time.Second})
	require.NoError(t, err)
	require.Equal(t, store.Process{ID: "host-1_41_aa", Host: "host-1", PID: 41, StartedAt: t0, HeartbeatAt: t0, LeaseUntil: t0.Add(5 * time.Second)}, p)
	require.True(t, p.Live(t0.Add(4*time.Second)))
	require.False(t, p.Live(t0.Add(5*time.Second)), "a lease holds until, not through, its end")

	p, err = s.RenewProcess(ctx, store.RenewProcessParams{ID: "host-1_41_aa", At: t0.Add(3 * time.Second), Lease: 5 * time.Second})
	require.NoError(t, err)
	require.Equal(t, t0, p.StartedAt)
	require.Equal(t, t0.Add(3*time.Second), p.HeartbeatAt)
	require.Equal(t, t0.Add(8*time.Second), p.LeaseUntil)

	// Registering again renews and keeps the start.
	p, err = s.RegisterProcess(ctx, store.RegisterProcessParams{ID: "host-1_41_aa", Host: "host-1", PID: 41, At: t0.Add(4 * time.Second), Lease: 5 * time.Second})
	require.NoError(t, err)
	require.Equal(t, t0, p.StartedAt)
	require.Equal(t, t0.Add(9*time.Second), p.LeaseUntil)

	_, err = s.RegisterProcess(ctx, store.RegisterProcessParams{ID: "host-2_7_bb", Host: "host-2", PID: 7, At: t0.Add(time.Second), Lease: 5 * time.Second})
	require.NoError(t, err)
	ps, err := s.ListProcesses(ctx)
	require.NoError(t, err)
	require.Len(t, ps, 2)
	require.Equal(t, "host-1_41_aa", ps[0].ID, "oldest first")
	require.Equal(t, "host-2_7_bb", ps[1].ID)
	require.True(t, ps[0].Live(t0.Add(8*time.Second)))
	require.False(t, ps[1].Live(t0.Add(8*time.Second)), "the one that did not renew has lapsed")

	_, err = s.RenewProcess(ctx, store.RenewProcessParams{ID: "nobody", Lease: time.Second})
	require.Equal(t, orderhub.ENotFound, orderhub.ErrorCode(err), "a forgotten process must register again")
	_, err = s.RegisterProcess(ctx, store.RegisterProcessParams{Host: "h", Lease: time.Second})
	require.Equal(t, orderhub.EInvalid, orderhub.ErrorCode(err))
	_, err = s.RegisterProcess(ctx, store.RegisterProcessParams{ID: "x", Host: "h"})
	require.Equal(t, orderhub.EInvalid, orderhub.ErrorCode(err), "a lease must be positive")
	require.Equal(t, orderhub.ENotFound, orderhub.ErrorCode(s.EndProcess(ctx, store.EndProcessParams{ID: "nobody"})))

	// Ending never extends a lease.
	require.NoError(t, s.EndProcess(ctx, store.EndProcessParams{ID: "host-1_41_aa", At: t0.Add(6 * time.Second)}))
	require.NoError(t, s.EndProcess(ctx, store.EndProcessParams{ID: "host-1_41_aa", At: t0.Add(time.Hour)}))
	ps, err = s.ListProcesses(ctx)
	require.NoError(t, err)
	require.Equal(t, t0.Add(6*time.Second), ps[0].LeaseUntil)

	id := store.NewProcessID("web-1.example.com", 4242)
	require.Regexp(t, `^web-1_example_com_4242_[0-9a-f]{8}$`, id)
	require.NotEqual(t, id, store.NewProcessID("web-1.example.com", 4242), "a restart is another process")
	require.LessOrEqual(t, len(store.NewProcessID(string(make([]byte, 300)), 1<<30)), 100, "River's limit on a client id")
}

// claimFor inserts a receipt and claims it for claimant, with a claim lease
// far longer than any test runs.
func claimFor(t *testing.T, s store.Store, key, claimant string) string {
	t.Helper()
	ctx := ctxT(t)
	r, err := s.InsertReceipt(ctx, receiptParams("shop-a", key))
	require.NoError(t, err)
	claimed, err := s.ClaimReceipts(ctx, store.ClaimReceiptsParams{Limit: 1, Lease: time.Hour, Claimant: claimant})
	require.NoError(t, err)
	require.Len(t, claimed, 1)
	require.Equal(t, r.ID, claimed[0].ID)
	return r.ID
}

func testProcessEnd(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	t0 := time.Now() // the receipts' claims are leased on the store's own clock, an hour ahead of it
	_, err := s.RegisterProcess(ctx, store.RegisterProcessParams{ID: "proc-d", Host: "h", PID: 1, At: t0, Lease: 5 * time.Second})
	require.NoError(t, err)
	id := claimFor(t, s, "evt-end", "proc-d")

	got, err := s.ReclaimLapsed(ctx, store.ReclaimLapsedParams{At: t0.Add(time.Second), By: "proc-e"})
	require.NoError(t, err)
	require.True(t, got.Empty(), "a live claimant keeps its receipt")

	require.NoError(t, s.EndProcess(ctx, store.EndProcessParams{ID: "proc-d", At: t0.Add(time.Second)}))
	got, err = s.ReclaimLapsed(ctx, store.ReclaimLapsedParams{At: t0.Add(time.Second), By: "proc-e"})
	require.NoError(t, err)
	require.Equal(t, []store.ReclaimedReceipt{{ID: id, Process: "proc-d"}}, got.Receipts, "a stopped process's receipt comes due at once")
	due, err := s.ClaimReceipts(ctx, store.ClaimReceiptsParams{Claimant: "proc-e"})
	require.NoError(t, err)
	require.Len(t, due, 1)
	require.Equal(t, id, due[0].ID)
	require.Equal(t, 2, due[0].Attempts)
}

// leaseHoldArgs is a job that runs until its test releases it.
type leaseHoldArgs struct {
	N int `json:"n"`
}

func (leaseHoldArgs) Kind() string { return "storetest_lease_hold" }

type leaseHoldWorker struct {
	river.WorkerDefaults[leaseHoldArgs]
	release <-chan struct{}
}

func (w *leaseHoldWorker) Work(ctx context.Context, _ *river.Job[leaseHoldArgs]) error {
	select {
	case <-w.release:
	case <-ctx.Done():
	}
	return nil
}

// Timeout is none: the job must still be running when the test reclaims it.
func (w *leaseHoldWorker) Timeout(*river.Job[leaseHoldArgs]) time.Duration { return -1 }

// openProcess opens another handle on s's database as process id, working
// queue with slots workers whose jobs run until release closes.
func openProcess(t *testing.T, s store.Store, id, queue string, slots int, release <-chan struct{}) store.Store {
	t.Helper()
	ro, ok := s.(Reopener)
	require.True(t, ok, "%T must implement storetest.Reopener", s)
	workers := river.NewWorkers()
	river.AddWorker(workers, &leaseHoldWorker{release: release})
	p, err := ro.Reopen(ctxT(t), store.Options{ProcessID: id, Workers: workers, Queues: map[string]river.QueueConfig{queue: {MaxWorkers: slots}}})
	require.NoError(t, err)
	t.Cleanup(func() { _ = p.Close() })
	require.NoError(t, p.Queue().Start(ctxT(t)))
	return p
}

// waitRunning waits until River runs job id under process holder.
func waitRunning(t *testing.T, s store.Store, id int64, holder string) {
	t.Helper()
	ctx := ctxT(t)
	for {
		j, err := s.Queue().GetJob(ctx, id)
		require.NoError(t, err)
		if j.State == rivertype.JobStateRunning {
			require.Equal(t, holder, j.AttemptedBy[len(j.AttemptedBy)-1])
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("job %d is %s, not running, after waiting", id, j.State)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func insertHold(t *testing.T, s store.Store, n int, queue string, maxAttempts int) int64 {
	t.Helper()
	res, err := s.InsertJob(ctxT(t), leaseHoldArgs{N: n}, &river.InsertOpts{Queue: queue, MaxAttempts: maxAttempts})
	require.NoError(t, err)
	return res.Job.ID
}

// testProcessReclaim runs jobs and claims receipts under two processes, A
// and B, lets A's lease lapse while B keeps renewing, and reclaims: A's
// receipts come due and A's jobs leave running, and nothing of B's, of an
// unclaimed receipt's, or of the reclaiming process's own is touched.
func testProcessReclaim(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	release := make(chan struct{})
	a := openProcess(t, s, "proc-a", "lease_a", 2, release)
	b := openProcess(t, s, "proc-b", "lease_b", 1, release)
	t.Cleanup(func() { close(release) }) // before the processes close: cleanups run last first

	t0 := time.Now() // the receipts' claims are leased on the store's own clock, an hour ahead of it
	for _, id := range []string{"proc-a", "proc-b"} {
		_, err := s.RegisterProcess(ctx, store.RegisterProcessParams{ID: id, Host: "h", PID: 1, At: t0, Lease: 5 * time.Second})
		require.NoError(t, err)
	}
	a1 := claimFor(t, s, "evt-a1", "proc-a")
	a2 := claimFor(t, s, "evt-a2", "proc-a")
	b1 := claimFor(t, s, "evt-b1", "proc-b")
	none := claimFor(t, s, "evt-none", "")

	again := insertHold(t, s, 1, "lease_a", 25)
	last := insertHold(t, s, 2, "lease_a", 1) // its one attempt is running
	held := insertHold(t, s, 3, "lease_b", 25)
	waitRunning(t, a, again, "proc-a")
	waitRunning(t, a, last, "proc-a")
	waitRunning(t, b, held, "proc-b")

	// B renews; A stops at its registration (lease until t0+5s).
	_, err := s.RenewProcess(ctx, store.RenewProcessParams{ID: "proc-b", At: t0.Add(4 * time.Second), Lease: 5 * time.Second})
	require.NoError(t, err)

	got, err := s.ReclaimLapsed(ctx, store.ReclaimLapsedParams{At: t0.Add(2 * time.Second), By: "proc-c"})
	require.NoError(t, err)
	require.True(t, got.Empty(), "no lease has lapsed yet: %+v", got)

	got, err = s.ReclaimLapsed(ctx, store.ReclaimLapsedParams{At: t0.Add(6 * time.Second), By: "proc-c"})
	require.NoError(t, err)
	require.ElementsMatch(t, []store.ReclaimedReceipt{{ID: a1, Process: "proc-a"}, {ID: a2, Process: "proc-a"}}, got.Receipts)
	require.ElementsMatch(t, []store.ReclaimedJob{
		{ID: again, Kind: leaseHoldArgs{}.Kind(), Process: "proc-a", State: rivertype.JobStateAvailable},
		{ID: last, Kind: leaseHoldArgs{}.Kind(), Process: "proc-a", State: rivertype.JobStateDiscarded},
	}, got.Jobs)
	require.Zero(t, got.Forgotten)

	// River reads what the reclaim wrote.
	j, err := s.Queue().GetJob(ctx, again)
	require.NoError(t, err)
	require.Equal(t, rivertype.JobStateAvailable, j.State)
	require.Nil(t, j.FinalizedAt)
	require.Equal(t, []string{"proc-a"}, j.AttemptedBy)
	require.Len(t, j.Errors, 1)
	require.Equal(t, "reclaimed: process proc-a stopped renewing its lease", j.Errors[0].Error)
	require.Equal(t, 1, j.Errors[0].Attempt)
	require.WithinDuration(t, t0.Add(6*time.Second), j.Errors[0].At, time.Millisecond)
	var meta map[string]any
	require.NoError(t, json.Unmarshal(j.Metadata, &meta))
	require.Equal(t, 1.0, meta["river:rescue_count"], "counted as River's rescuer counts")
	j, err = s.Queue().GetJob(ctx, last)
	require.NoError(t, err)
	require.Equal(t, rivertype.JobStateDiscarded, j.State)
	require.NotNil(t, j.FinalizedAt)
	require.WithinDuration(t, t0.Add(6*time.Second), *j.FinalizedAt, time.Millisecond)
	j, err = s.Queue().GetJob(ctx, held)
	require.NoError(t, err)
	require.Equal(t, rivertype.JobStateRunning, j.State, "a live holder's job is not reclaimed")
	require.Empty(t, j.Errors)

	got, err = s.ReclaimLapsed(ctx, store.ReclaimLapsedParams{At: t0.Add(7 * time.Second), By: "proc-c"})
	require.NoError(t, err)
	require.True(t, got.Empty(), "what was reclaimed is not reclaimed again: %+v", got)

	due, err := s.ClaimReceipts(ctx, store.ClaimReceiptsParams{Claimant: "proc-c", Lease: time.Hour})
	require.NoError(t, err)
	var ids []string
	for _, r := range due {
		ids = append(ids, r.ID)
	}
	require.Equal(t, []string{a1, a2}, ids, "only the lapsed process's receipts came due, oldest first")

	// B lapses too, but a process never reclaims its own work.
	got, err = s.ReclaimLapsed(ctx, store.ReclaimLapsedParams{At: t0.Add(20 * time.Second), By: "proc-b"})
	require.NoError(t, err)
	require.True(t, got.Empty(), "%+v", got)
	got, err = s.ReclaimLapsed(ctx, store.ReclaimLapsedParams{At: t0.Add(20 * time.Second), By: "proc-c"})
	require.NoError(t, err)
	require.Equal(t, []store.ReclaimedReceipt{{ID: b1, Process: "proc-b"}}, got.Receipts)
	require.Equal(t, []store.ReclaimedJob{{ID: held, Kind: leaseHoldArgs{}.Kind(), Process: "proc-b", State: rivertype.JobStateAvailable}}, got.Jobs)

	// The receipt claimed for no process waits out its claim's lease.
	r, err := s.GetReceipt(ctx, none)
	require.NoError(t, err)
	require.True(t, r.NextAttemptAt.After(time.Now().Add(50*time.Minute)), "next attempt %s", r.NextAttemptAt)

	// After a day lapsed processes are forgotten.
	got, err = s.ReclaimLapsed(ctx, store.ReclaimLapsedParams{At: t0.Add(25 * time.Hour), By: "proc-c"})
	require.NoError(t, err)
	require.Equal(t, 2, got.Forgotten)
	ps, err := s.ListProcesses(ctx)
	require.NoError(t, err)
	require.Empty(t, ps, fmt.Sprintf("%+v", ps))
}
