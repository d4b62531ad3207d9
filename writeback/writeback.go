// Package writeback tells each order's platform what orderhub did with it:
// fulfillments with their tracking, later tracking changes, and notes for
// routing decisions, splits, backorders, fills and cancellations. Each is a
// River job on the writeback queue, inserted by the allocator's hooks in the
// transaction of the change that causes it, unique by its arguments, so a
// change commits with its write-back or not at all, and the same news is
// written once however often it is reported.
//
// Exactly once holds end to end: River retries a job until it succeeds or
// gives up (then it is a dead letter an operator can replay), and every
// platform's Writer checks before it creates anything whether an earlier
// attempt already did, so a retry after a lost answer adds nothing (see the
// connectors' writeback.go); and the API clients never repeat a create on
// their own after a failure that may have followed its effect
// (apiclient.Request.Unsafe), leaving that to the job's check. Calls to a
// shop are paced by the per-shop limiter (package ratelimit). A job reads the fulfillment as it is when it
// runs and writes only if it still carries the tracking the job was made
// for; a newer job has the newer tracking.
//
// It must not decide anything about orders or talk HTTP itself: the
// platforms are small interfaces the composition root fills with the
// connectors' Writers.
package writeback

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/riverqueue/river"

	"github.com/orderhub/orderhub"
	"github.com/orderhub/orderhub/connectors/apiclient"
	"github.com/orderhub/orderhub/store"
)

// Queue is the River queue of write-back jobs.
const Queue = "writeback"

// DefaultMaxAttempts is how often a write-back is tried before it becomes a
// dead letter: with River's backoff (attempt⁴ seconds) about 14 hours of
// outage.
const DefaultMaxAttempts = 12

// JobTimeout bounds one attempt: the API clients retry and wait out rate
// limits inside it.
const JobTimeout = 5 * time.Minute

// ActorWriteBack is the actor of the timeline events write-back records.
const ActorWriteBack = "orderhub-writeback"

// FulfillmentArgs asks for a fulfillment to be written back with the
// tracking number it had when the job was made ("" when it shipped
// without one). Shipped tells the job made when it shipped from the one
// made when its label brought the tracking number: jobs are unique by
// arguments, and only the later one may see the whole order shipped.
type FulfillmentArgs struct {
	FulfillmentID  string `json:"fulfillment_id"`
	TrackingNumber string `json:"tracking_number,omitempty"`
	Shipped        bool   `json:"shipped,omitempty"`
}

// Kind implements river.JobArgs.
func (FulfillmentArgs) Kind() string { return "writeback_fulfillment" }

// NoteArgs asks for a note on an order. Key is unique within the order and
// makes the note idempotent on the platform.
type NoteArgs struct {
	OrderID string `json:"order_id"`
	Key     string `json:"key"`
	Text    string `json:"text"`
}

// Kind implements river.JobArgs.
func (NoteArgs) Kind() string { return "writeback_note" }

// Kinds are the job kinds of this package, for tools that wait for the
// queue to settle.
func Kinds() []string { return []string{FulfillmentArgs{}.Kind(), NoteArgs{}.Kind()} }

// Platform is what write-back needs from one shop's platform.
type Platform interface {
	// WriteFulfillment makes the platform show f as fulfilled with its
	// current tracking, creating, adopting or updating as needed, and
	// returns the platform's id for it. siblings are the order's
	// fulfillments.
	WriteFulfillment(ctx context.Context, o orderhub.Order, f orderhub.Fulfillment, siblings []orderhub.Fulfillment) (string, error)
	// AddNote adds a note to the order once per key.
	AddNote(ctx context.Context, o orderhub.Order, key, text string) error
}

// FailureCounter counts write-backs that gave up: *metrics.Metrics.
type FailureCounter interface {
	WriteBackFailed(platform string)
}

// Service runs write-back. Its fields may be set after its workers are
// registered and before the queue starts.
type Service struct {
	Store store.Store
	// Platforms by shop id.
	Platforms map[string]Platform
	Metrics   FailureCounter // nil counts nothing
	Logger    *slog.Logger
	// MaxAttempts of each job; DefaultMaxAttempts when 0.
	MaxAttempts int
	// RetryDelay, when set, replaces River's backoff between attempts.
	RetryDelay func(attempt int) time.Duration

	locks keyedMutex
}

func (s *Service) logger() *slog.Logger {
	if s.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return s.Logger
}

// InsertOpts are the options every write-back job is inserted with: the
// writeback queue, unique by arguments in every state but discarded and
// cancelled (so a dead letter does not block the next change).
func (s *Service) InsertOpts() *river.InsertOpts {
	n := s.MaxAttempts
	if n <= 0 {
		n = DefaultMaxAttempts
	}
	return &river.InsertOpts{Queue: Queue, MaxAttempts: n, UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

// Register adds the write-back workers.
func (s *Service) Register(workers *river.Workers) {
	river.AddWorker(workers, &FulfillmentWorker{Service: s})
	river.AddWorker(workers, &NoteWorker{Service: s})
}

// FulfillmentWorker works FulfillmentArgs jobs.
type FulfillmentWorker struct {
	river.WorkerDefaults[FulfillmentArgs]
	Service *Service
}

// Work implements river.Worker.
func (w *FulfillmentWorker) Work(ctx context.Context, job *river.Job[FulfillmentArgs]) error {
	err := w.Service.WriteFulfillment(ctx, job.Args)
	return w.Service.outcome(ctx, job.JobRow.ID, job.Attempt, job.MaxAttempts, job.Args.FulfillmentID, "", err)
}

// Timeout implements river.Worker.
func (w *FulfillmentWorker) Timeout(*river.Job[FulfillmentArgs]) time.Duration { return JobTimeout }

// NextRetry implements river.Worker.
func (w *FulfillmentWorker) NextRetry(job *river.Job[FulfillmentArgs]) time.Time {
	return w.Service.nextRetry(job.Attempt)
}

// NoteWorker works NoteArgs jobs.
type NoteWorker struct {
	river.WorkerDefaults[NoteArgs]
	Service *Service
}

// Work implements river.Worker.
func (w *NoteWorker) Work(ctx context.Context, job *river.Job[NoteArgs]) error {
	err := w.Service.WriteNote(ctx, job.Args)
	return w.Service.outcome(ctx, job.JobRow.ID, job.Attempt, job.MaxAttempts, "", job.Args.OrderID, err)
}

// Timeout implements river.Worker.
func (w *NoteWorker) Timeout(*river.Job[NoteArgs]) time.Duration { return JobTimeout }

// NextRetry implements river.Worker.
func (w *NoteWorker) NextRetry(job *river.Job[NoteArgs]) time.Time {
	return w.Service.nextRetry(job.Attempt)
}

func (s *Service) nextRetry(attempt int) time.Time {
	if s.RetryDelay == nil {
		return time.Time{}
	}
	return time.Now().Add(s.RetryDelay(attempt))
}

// errNoPlatform marks a shop that has nothing to write back with.
var errNoPlatform = errors.New("no write-back configured")

// WriteFulfillment writes one fulfillment back, as its job does.
func (s *Service) WriteFulfillment(ctx context.Context, args FulfillmentArgs) error {
	f, err := s.Store.GetFulfillment(ctx, args.FulfillmentID)
	if err != nil {
		return err
	}
	if f.TrackingNumber != args.TrackingNumber {
		s.logger().InfoContext(ctx, "write-back superseded by newer tracking", "job", FulfillmentArgs{}.Kind(),
			"order_id", f.OrderID, "fulfillment", f.ID)
		return nil
	}
	switch {
	case f.Status == orderhub.FulfillmentCancelled || f.Status == orderhub.FulfillmentFailed:
		return nil
	case f.TrackingNumber == "" && f.Status != orderhub.FulfillmentShipped && f.Status != orderhub.FulfillmentDelivered:
		return nil // nothing to tell yet
	}
	o, err := s.Store.GetOrder(ctx, f.OrderID)
	if err != nil {
		return err
	}
	p := s.Platforms[o.ShopID]
	if p == nil {
		return s.noPlatform(ctx, o)
	}
	unlock := s.locks.lock(o.ID)
	defer unlock()
	// Read again under the lock: a job of the same order may have stored
	// the platform id meanwhile.
	if f, err = s.Store.GetFulfillment(ctx, args.FulfillmentID); err != nil {
		return err
	}
	siblings, err := s.Store.ListFulfillments(ctx, o.ID)
	if err != nil {
		return err
	}
	id, err := p.WriteFulfillment(ctx, o, f, siblings)
	if err != nil {
		return fmt.Errorf("write fulfillment %s back to %s: %w", f.ID, o.Platform, err)
	}
	return s.Store.InTx(ctx, func(ctx context.Context, tx store.Tx) error {
		cur, err := tx.GetFulfillment(ctx, f.ID)
		if err != nil {
			return err
		}
		if id != "" && cur.PlatformID != id {
			if _, err := tx.UpdateFulfillment(ctx, store.UpdateFulfillmentParams{ID: f.ID, PlatformID: id}); err != nil {
				return err
			}
		}
		note := fmt.Sprintf("fulfillment %s written back to %s", f.ID, o.Platform)
		if id != "" {
			note += " as " + id
		}
		if f.TrackingNumber != "" {
			note += "; tracking " + trimJoin(f.Carrier, f.TrackingNumber)
		}
		_, err = tx.AddEvent(ctx, orderhub.OrderEvent{OrderID: o.ID, Kind: orderhub.EventWriteBack, Actor: ActorWriteBack, Note: note})
		return err
	})
}

// WriteNote writes one note back, as its job does.
func (s *Service) WriteNote(ctx context.Context, args NoteArgs) error {
	o, err := s.Store.GetOrder(ctx, args.OrderID)
	if err != nil {
		return err
	}
	p := s.Platforms[o.ShopID]
	if p == nil {
		return s.noPlatform(ctx, o)
	}
	unlock := s.locks.lock(o.ID)
	defer unlock()
	if err := p.AddNote(ctx, o, args.Key, args.Text); err != nil {
		return fmt.Errorf("write note %s back to %s: %w", args.Key, o.Platform, err)
	}
	_, err = s.Store.AddEvent(ctx, orderhub.OrderEvent{OrderID: o.ID, Kind: orderhub.EventWriteBack, Actor: ActorWriteBack,
		Note: fmt.Sprintf("note %q written back to %s", args.Key, o.Platform)})
	return err
}

func (s *Service) noPlatform(ctx context.Context, o orderhub.Order) error {
	_, _ = s.Store.AddEvent(ctx, orderhub.OrderEvent{OrderID: o.ID, Kind: orderhub.EventWriteBack, Actor: ActorWriteBack,
		Note: fmt.Sprintf("nothing written back: shop %s has no working %s API client", o.ShopID, o.Platform)})
	return river.JobCancel(orderhub.WrapError(orderhub.EUnsupported, errNoPlatform, "shop %s has no write-back", o.ShopID))
}

// outcome turns a failed attempt into what River should do: wait out a
// long rate limit without spending an attempt, or retry; on the last
// attempt it counts the failure and says in the timeline how to replay.
func (s *Service) outcome(ctx context.Context, jobID int64, attempt, maxAttempts int, fulfillmentID, orderID string, err error) error {
	if err == nil {
		return nil
	}
	var cancel *river.JobCancelError
	if errors.As(err, &cancel) {
		return err
	}
	var se *apiclient.StatusError
	if orderhub.ErrorCode(err) == orderhub.ERateLimited && errors.As(err, &se) && se.RetryAfter > 0 {
		return river.JobSnooze(se.RetryAfter)
	}
	if attempt < maxAttempts {
		return err
	}
	if orderID == "" {
		if f, ferr := s.Store.GetFulfillment(ctx, fulfillmentID); ferr == nil {
			orderID = f.OrderID
		}
	}
	platform := "unknown"
	if o, oerr := s.Store.GetOrder(ctx, orderID); oerr == nil {
		platform = o.Platform
		_, _ = s.Store.AddEvent(ctx, orderhub.OrderEvent{OrderID: o.ID, Kind: orderhub.EventWriteBack, Actor: ActorWriteBack,
			Note: fmt.Sprintf("write-back to %s gave up after %d attempts: %s; replay it with POST /api/v1/dead-letters/job-%d/replay",
				o.Platform, attempt, orderhub.ErrorMessage(err), jobID)})
	}
	if s.Metrics != nil {
		s.Metrics.WriteBackFailed(platform)
	}
	s.logger().WarnContext(ctx, "write-back gave up", "job", jobID, "order_id", orderID, "platform", platform, "err", err)
	return err
}

func trimJoin(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + " " + b
}

// keyedMutex serialises work on one order inside this process, so two
// jobs of an order never read-modify-write its platform note at once, nor
// race to create the same fulfillment. Across instances the platforms'
// own guards and the Writers' checks hold.
type keyedMutex struct {
	mu    sync.Mutex
	locks map[string]*keyedLock
}

type keyedLock struct {
	mu   sync.Mutex
	refs int
}

func (k *keyedMutex) lock(key string) func() {
	k.mu.Lock()
	if k.locks == nil {
		k.locks = map[string]*keyedLock{}
	}
	l := k.locks[key]
	if l == nil {
		l = &keyedLock{}
		k.locks[key] = l
	}
	l.refs++
	k.mu.Unlock()
	l.mu.Lock()
	return func() {
		l.mu.Unlock()
		k.mu.Lock()
		l.refs--
		if l.refs == 0 {
			delete(k.locks, key)
		}
		k.mu.Unlock()
	}
}
