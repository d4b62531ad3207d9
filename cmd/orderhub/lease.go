package main

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/orderhub/orderhub"
	"github.com/orderhub/orderhub/store"
)

// processLease is this process's registration in the store's process
// registry (store.ProcessesTx). While the process serves it renews its
// lease every jobs.heartbeat_every, and on the same beat takes up the
// receipts and River jobs of any process whose lease lapsed, so a crashed
// instance's work waits seconds (jobs.lease), not jobs.rescue_after. A
// graceful stop ends the lease, so whatever the process still held is
// taken up at once.
type processLease struct {
	store  store.ProcessesTx
	id     string // also this process's River client id
	host   string
	pid    int
	every  time.Duration
	lease  time.Duration
	now    func() time.Time
	logger *slog.Logger
}

// register records the process as live. It runs before the queue starts,
// so no job runs under an id that is not registered.
func (l *processLease) register(ctx context.Context) error {
	_, err := l.store.RegisterProcess(ctx, store.RegisterProcessParams{ID: l.id, Host: l.host, PID: l.pid, At: l.now(), Lease: l.lease})
	return err
}

// run beats until ctx ends.
func (l *processLease) run(ctx context.Context) {
	t := time.NewTicker(l.every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			l.beat(ctx)
		}
	}
}

// beat renews the lease, registering again if the registration was
// forgotten, then takes up the work of lapsed processes. A renewal that
// fails skips the reclaim: a process unsure of its own lease should not
// judge others'.
func (l *processLease) beat(ctx context.Context) {
	at := l.now()
	_, err := l.store.RenewProcess(ctx, store.RenewProcessParams{ID: l.id, At: at, Lease: l.lease})
	if orderhub.ErrorCode(err) == orderhub.ENotFound {
		l.logger.WarnContext(ctx, "process registration was forgotten; registering again", "process", l.id)
		err = l.register(ctx)
	}
	if err != nil {
		if ctx.Err() == nil {
			l.logger.ErrorContext(ctx, "renew process lease", "process", l.id, "err", err)
		}
		return
	}
	got, err := l.store.ReclaimLapsed(ctx, store.ReclaimLapsedParams{At: at, By: l.id})
	if err != nil {
		if ctx.Err() == nil {
			l.logger.ErrorContext(ctx, "reclaim work of lapsed processes", "err", err)
		}
		return
	}
	if got.Empty() {
		return
	}
	type held struct{ receipts, jobs int }
	by := map[string]*held{}
	for _, r := range got.Receipts {
		if by[r.Process] == nil {
			by[r.Process] = &held{}
		}
		by[r.Process].receipts++
	}
	for _, j := range got.Jobs {
		if by[j.Process] == nil {
			by[j.Process] = &held{}
		}
		by[j.Process].jobs++
	}
	for p, h := range by {
		l.logger.WarnContext(ctx, "took up the work of a process whose lease lapsed", "process", p, "receipts", h.receipts, "jobs", h.jobs)
	}
}

// end ends the lease now, so the rest of the instances take up at once
// whatever this process still holds.
func (l *processLease) end(ctx context.Context) error {
	if err := l.store.EndProcess(ctx, store.EndProcessParams{ID: l.id, At: l.now()}); err != nil {
		return fmt.Errorf("end process lease: %w", err)
	}
	return nil
}
