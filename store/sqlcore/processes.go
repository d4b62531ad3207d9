package sqlcore

import (
	"context"
	"fmt"
	"time"

	"github.com/riverqueue/river/rivertype"

	"github.com/orderhub/orderhub"
	"github.com/orderhub/orderhub/store"
)

func (c *Core) at(t time.Time) time.Time {
	if t.IsZero() {
		t = c.now()
	}
	return t.UTC().Truncate(time.Microsecond)
}

func (c *Core) scanProcess(row Row) (store.Process, error) {
	var p store.Process
	var pid, started, beat, until int64
	if err := row.Scan(&p.ID, &p.Host, &pid, &started, &beat, &until); err != nil {
		return p, err
	}
	p.PID = int(pid)
	p.StartedAt, p.HeartbeatAt, p.LeaseUntil = fromMicros(started), fromMicros(beat), fromMicros(until)
	return p, nil
}

func checkLease(id string, lease time.Duration) error {
	switch {
	case id == "":
		return orderhub.Errorf(orderhub.EInvalid, "process has no id")
	case len(id) > 100:
		return orderhub.Errorf(orderhub.EInvalid, "process id %q is longer than 100 characters", id)
	case lease <= 0:
		return orderhub.Errorf(orderhub.EInvalid, "process %s: lease %s is not positive", id, lease)
	}
	return nil
}

// RegisterProcess implements store.ProcessesTx.
func (c *Core) RegisterProcess(ctx context.Context, p store.RegisterProcessParams) (store.Process, error) {
	if err := checkLease(p.ID, p.Lease); err != nil {
		return store.Process{}, err
	}
	at := c.at(p.At)
	var out store.Process
	err := c.write(ctx, func(tc *Core) error {
		var err error
		out, err = tc.scanProcess(tc.q.QueryRow(ctx, tc.sql("ProcessesRegister"), p.ID, p.Host, p.PID, micros(at), micros(at.Add(p.Lease))))
		return tc.mapErr(err)
	})
	if err != nil {
		return store.Process{}, fmt.Errorf("register process %s: %w", p.ID, err)
	}
	return out, nil
}

// RenewProcess implements store.ProcessesTx.
func (c *Core) RenewProcess(ctx context.Context, p store.RenewProcessParams) (store.Process, error) {
	if err := checkLease(p.ID, p.Lease); err != nil {
		return store.Process{}, err
	}
	at := c.at(p.At)
	var out store.Process
	err := c.write(ctx, func(tc *Core) error {
		var err error
		out, err = tc.scanProcess(tc.q.QueryRow(ctx, tc.sql("ProcessesRenew"), p.ID, micros(at), micros(at.Add(p.Lease))))
		if err != nil && tc.d.IsNoRows(err) {
			return orderhub.Errorf(orderhub.ENotFound, "process %s is not registered", p.ID)
		}
		return tc.mapErr(err)
	})
	return out, err
}

// EndProcess implements store.ProcessesTx.
func (c *Core) EndProcess(ctx context.Context, p store.EndProcessParams) error {
	at := c.at(p.At)
	return c.write(ctx, func(tc *Core) error {
		n, err := tc.q.Exec(ctx, tc.sql("ProcessesEnd"), p.ID, micros(at))
		if err != nil {
			return tc.mapErr(err)
		}
		if n == 0 {
			return orderhub.Errorf(orderhub.ENotFound, "process %s is not registered", p.ID)
		}
		return nil
	})
}

// ListProcesses implements store.ProcessesTx.
func (c *Core) ListProcesses(ctx context.Context) ([]store.Process, error) {
	rows, err := c.q.Query(ctx, c.sql("ProcessesList"))
	if err != nil {
		return nil, c.mapErr(err)
	}
	defer rows.Close()
	var out []store.Process
	for rows.Next() {
		p, err := c.scanProcess(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, c.mapErr(rows.Err())
}

// ReclaimLapsed implements store.ProcessesTx.
//
// Taking a lapsed process's work is safe because a lapsed lease means the
// holder is dead, or cannot reach the database to renew it (and so, with
// one database, to commit much else either). If it is merely slow and
// still running a reclaimed job, the job runs twice at worst, as it would
// after River's own rescue: every orderhub job is idempotent and looks
// before it creates (a receipt's upsert never applies an update twice,
// write-back checks the platform first). River records a job's end only
// while the job is running, so whichever run ends first settles it and the
// other's end changes nothing.
//
// The check runs first, outside a transaction, so a pass that finds
// nothing (nearly every pass) takes no write lock.
func (c *Core) ReclaimLapsed(ctx context.Context, p store.ReclaimLapsedParams) (store.Reclaimed, error) {
	at := c.at(p.At)
	forget := p.ForgetAfter
	if forget <= 0 {
		forget = store.DefaultForgetAfter
	}
	horizon := micros(at.Add(-forget))
	var todo int64
	if err := c.q.QueryRow(ctx, c.sql("ProcessesAnyToReclaim"), micros(at), p.By, horizon).Scan(&todo); err != nil {
		return store.Reclaimed{}, fmt.Errorf("reclaim work of lapsed processes: %w", c.mapErr(err))
	}
	if todo == 0 {
		return store.Reclaimed{}, nil
	}
	var out store.Reclaimed
	err := c.write(ctx, func(tc *Core) error {
		out = store.Reclaimed{}
		rows, err := tc.q.Query(ctx, tc.sql("ProcessesReclaimReceipts"), micros(at), p.By)
		if err != nil {
			return tc.mapErr(err)
		}
		for rows.Next() {
			var r store.ReclaimedReceipt
			if err := rows.Scan(&r.ID, &r.Process); err != nil {
				rows.Close()
				return tc.mapErr(err)
			}
			out.Receipts = append(out.Receipts, r)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return tc.mapErr(err)
		}
		rows, err = tc.q.Query(ctx, tc.sql("ProcessesReclaimJobs"), micros(at), p.By, at.Format(time.RFC3339Nano))
		if err != nil {
			return tc.mapErr(err)
		}
		for rows.Next() {
			var j store.ReclaimedJob
			var state string
			if err := rows.Scan(&j.ID, &j.Kind, &j.Process, &state); err != nil {
				rows.Close()
				return tc.mapErr(err)
			}
			j.State = rivertype.JobState(state)
			out.Jobs = append(out.Jobs, j)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return tc.mapErr(err)
		}
		n, err := tc.q.Exec(ctx, tc.sql("ProcessesForget"), horizon, p.By)
		out.Forgotten = int(n)
		return tc.mapErr(err)
	})
	if err != nil {
		return store.Reclaimed{}, fmt.Errorf("reclaim work of lapsed processes: %w", err)
	}
	return out, nil
}
