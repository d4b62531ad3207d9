package webhooks

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/orderhub/orderhub/store"
)

// GroupInbox is an Inbox that stores the receipts of concurrent requests in
// shared transactions (group commit). Each request still waits for the
// commit that holds its receipt, so every 200 follows a durable commit; but
// N webhooks arriving together pay for one commit (one fsync) instead of N,
// which is what bounds ingest on SQLite and PostgreSQL alike.
//
// Committers run only while there are requests: each stops after a moment
// without any, so a GroupInbox needs no Close.
type GroupInbox struct {
	store   Store
	max     int
	workers int32
	reqs    chan *pendingReceipt
	running atomic.Int32
}

var _ Inbox = (*GroupInbox)(nil)

// GroupInbox defaults.
const (
	DefaultGroupSize = 128
	committerIdle    = 2 * time.Second
	handOffWait      = 5 * time.Millisecond
)

type pendingReceipt struct {
	p    store.InsertReceiptParams
	done chan receiptResult
}

type receiptResult struct {
	r   store.Receipt
	err error
}

// NewGroupInbox returns a GroupInbox over s that puts up to maxGroup
// receipts in one transaction (DefaultGroupSize when 0) with up to
// committers transactions at once (1 when 0: right for SQLite, which has one
// writer; a few suit PostgreSQL).
func NewGroupInbox(s Store, maxGroup, committers int) *GroupInbox {
	if maxGroup <= 0 {
		maxGroup = DefaultGroupSize
	}
	if committers <= 0 {
		committers = 1
	}
	return &GroupInbox{store: s, max: maxGroup, workers: int32(committers), reqs: make(chan *pendingReceipt)}
}

// InsertReceipt implements Inbox: it returns once the transaction holding
// the receipt has committed (or the receipt proved a duplicate, a
// Conflict). If ctx ends first the receipt may still be stored; the
// platform, which saw no 200, retries, and the retry is a duplicate.
func (g *GroupInbox) InsertReceipt(ctx context.Context, p store.InsertReceiptParams) (store.Receipt, error) {
	if err := ctx.Err(); err != nil {
		return store.Receipt{}, err
	}
	pr := &pendingReceipt{p: p, done: make(chan receiptResult, 1)}
	t := time.NewTimer(0)
	defer t.Stop()
	for handed := false; !handed; {
		g.ensureCommitter()
		t.Reset(handOffWait)
		select {
		case g.reqs <- pr:
			handed = true
		case <-t.C: // every committer may have just stopped: start one again
		case <-ctx.Done():
			return store.Receipt{}, ctx.Err()
		}
	}
	select {
	case res := <-pr.done:
		return res.r, res.err
	case <-ctx.Done():
		return store.Receipt{}, ctx.Err()
	}
}

func (g *GroupInbox) ensureCommitter() {
	for {
		n := g.running.Load()
		if n >= g.workers {
			return
		}
		if g.running.CompareAndSwap(n, n+1) {
			go g.commit()
			return
		}
	}
}

// commit gathers whatever requests are waiting, stores them in one
// transaction, and answers each; it stops after committerIdle without work.
func (g *GroupInbox) commit() {
	defer g.running.Add(-1)
	idle := time.NewTimer(committerIdle)
	defer idle.Stop()
	batch := make([]*pendingReceipt, 0, g.max)
	for {
		select {
		case pr := <-g.reqs:
			batch = append(batch[:0], pr)
		case <-idle.C:
			return
		}
	gather:
		for len(batch) < g.max {
			select {
			case pr := <-g.reqs:
				batch = append(batch, pr)
			default:
				break gather
			}
		}
		g.storeGroup(batch)
		idle.Reset(committerIdle)
	}
}

// storeGroup stores a group in one transaction; should that fail as a whole,
// each receipt is tried on its own so that one bad receipt fails alone.
func (g *GroupInbox) storeGroup(batch []*pendingReceipt) {
	// The requests' own contexts may end; the group's commit must not
	// depend on any one of them.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	results := make([]receiptResult, len(batch))
	ps := make([]store.InsertReceiptParams, len(batch))
	for i, pr := range batch {
		ps[i] = pr.p
	}
	err := g.store.InTx(ctx, func(ctx context.Context, tx store.Tx) error {
		rs, errs, err := tx.InsertReceipts(ctx, ps)
		if err != nil {
			return err
		}
		for i := range batch {
			results[i] = receiptResult{rs[i], errs[i]} // a receipt's own error left the others intact
		}
		return nil
	})
	if err != nil && len(batch) > 1 {
		for i, pr := range batch {
			r, err := g.store.InsertReceipt(ctx, pr.p)
			results[i] = receiptResult{r, err}
		}
	} else if err != nil {
		results[0] = receiptResult{err: err}
	}
	for i, pr := range batch {
		pr.done <- results[i]
	}
}
