package store

import (
	"context"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/orderhub/orderhub"
)

// IntakeTx is the operations on the webhook inbox (receipts), the
// reconciliation cursors, and the upsert that applies a platform's view of
// an order.
//
// The inbox is the durable queue between the HTTP intake and order
// processing: a receipt is stored, with the drain job enqueued when none is
// on its way, before the platform gets its 2xx. The drain job
// (orderhub.ProcessReceiptsArgs) claims due receipts in batches, so a
// webhook costs one row, not one River job.
//
// Whether a drain job is on its way is one flag. The receipt that finds it
// down raises it and inserts the one drain job; every other receipt only
// reads it. The drain job lowers it, with FinishDrain, in the transaction
// that finds nothing due, so a receipt stored after that raises it again
// and enqueues a new job, never deduplicated against the one finishing.
// On SQLite, where write transactions run one at a time, no receipt can
// slip between the two. On PostgreSQL a receipt whose transaction is still
// open while the drain finishes waits for the next receipt or the periodic
// sweep (DrainJobOpts), which also picks up retries as they come due.
type IntakeTx interface {
	// InsertReceipt stores a receipt as pending and, when no drain job is on
	// its way, enqueues one in the same transaction. A receipt with the same
	// platform, shop and dedupe key already stored is a Conflict, and nothing
	// is written or enqueued.
	InsertReceipt(ctx context.Context, p InsertReceiptParams) (Receipt, error)
	// InsertReceipts is InsertReceipt for many receipts at once, in as few
	// statements as the database allows: errs[i] is receipt i's own error
	// (a Conflict when it is already stored, or repeats an earlier one of
	// ps; Invalid when it lacks a platform, shop or key) and leaves the
	// others and the transaction intact. err is a failure of the whole.
	InsertReceipts(ctx context.Context, ps []InsertReceiptParams) (rs []Receipt, errs []error, err error)
	// GetReceipt returns a receipt with its body, or NotFound.
	GetReceipt(ctx context.Context, id string) (Receipt, error)
	// ClaimReceipts leases up to Limit due receipts (pending, or failed and
	// past their retry time), earliest due first: each one's attempts goes up
	// by one and its next attempt moves Lease into the future, so a crashed
	// drain's receipts come due again. The claim records its claimant, so
	// they come due at once instead when the claimant's process lease
	// lapses (ProcessesTx.ReclaimLapsed). Concurrent claims never return the
	// same receipt.
	ClaimReceipts(ctx context.Context, p ClaimReceiptsParams) ([]Receipt, error)
	// CompleteReceipt marks a receipt processed with what came of it.
	CompleteReceipt(ctx context.Context, p CompleteReceiptParams) error
	// PruneReceipts deletes up to limit processed receipts received before
	// olderThan and returns how many it deleted. Pending, failed and dead
	// receipts are kept whatever their age.
	PruneReceipts(ctx context.Context, olderThan time.Time, limit int) (int, error)
	// FailReceipt records a failed attempt: the receipt is retried at
	// RetryAt, or is dead (a dead letter) when Dead is set.
	FailReceipt(ctx context.Context, p FailReceiptParams) (Receipt, error)
	// ListReceipts lists receipts newest first, without their bodies.
	ListReceipts(ctx context.Context, p ListReceiptsParams) (ReceiptPage, error)
	// ListDeadReceipts lists the dead letters newest first: ListReceipts
	// with Status dead.
	ListDeadReceipts(ctx context.Context, p ListReceiptsParams) (ReceiptPage, error)
	// ReplayReceipt makes a dead (or failed) receipt pending again with no
	// attempts, and enqueues the drain job when none is on its way. A
	// processed or pending receipt is a Conflict; an unknown one NotFound.
	ReplayReceipt(ctx context.Context, id string) (Receipt, error)
	// FinishDrain is the drain job's last step: when no receipt is due it
	// records that no drain job is on its way and returns true, in one
	// transaction; when one is due it changes nothing and returns false, and
	// the drain must carry on.
	FinishDrain(ctx context.Context) (bool, error)

	// GetReconcileCursor returns where a shop's last successful
	// reconciliation pass got to; the zero time when it never ran.
	GetReconcileCursor(ctx context.Context, shopID string) (time.Time, error)
	// SetReconcileCursor moves a shop's cursor forward to at; an earlier
	// time leaves it where it is.
	SetReconcileCursor(ctx context.Context, shopID string, at time.Time) error

	// UpsertPlatformOrder applies what a platform says about an order; see
	// UpsertPlatformOrderParams. It never moves an order backwards and never
	// lets an older platform update overwrite a newer one.
	UpsertPlatformOrder(ctx context.Context, p UpsertPlatformOrderParams) (UpsertPlatformOrderResult, error)
	// OrderHasRoutedWork reports whether routing has acted on an order: it
	// has fulfillments or backorders, or its status is past paid. Such an
	// order cannot simply be cancelled; its reservations must be released.
	OrderHasRoutedWork(ctx context.Context, orderID string) (bool, error)
}

// ReceiptStatus is where a receipt stands in the inbox.
type ReceiptStatus string

// Receipt statuses: pending → processed, or pending → failed (retried) →
// … → dead. ReplayReceipt moves dead back to pending.
const (
	ReceiptPending   ReceiptStatus = "pending"
	ReceiptFailed    ReceiptStatus = "failed"
	ReceiptProcessed ReceiptStatus = "processed"
	ReceiptDead      ReceiptStatus = "dead"
)

// Receipt is one stored webhook delivery, or one order version found by a
// reconciliation pass.
type Receipt struct {
	ID        string `json:"id"` // time-ordered
	Platform  string `json:"platform"`
	ShopID    string `json:"shop_id"`
	DedupeKey string `json:"dedupe_key"`
	Topic     string `json:"topic"`
	// Headers are the delivery headers worth keeping (topic, ids, times);
	// never a signature or a secret.
	Headers map[string]string `json:"headers"`
	// Body is the raw request body, byte for byte. Lists leave it empty.
	Body          []byte        `json:"-"`
	BodySize      int           `json:"body_size"`
	Status        ReceiptStatus `json:"status"`
	Attempts      int           `json:"attempts"`
	NextAttemptAt time.Time     `json:"next_attempt_at"`
	LastError     string        `json:"last_error,omitempty"`
	// Outcome says what processing did, e.g. "created order … (paid)".
	Outcome     string     `json:"outcome,omitempty"`
	OrderID     string     `json:"order_id,omitempty"`
	ReceivedAt  time.Time  `json:"received_at"`
	TriggeredAt *time.Time `json:"triggered_at,omitempty"` // when the platform fired it, when it says
	ProcessedAt *time.Time `json:"processed_at,omitempty"`
}

// InsertReceiptParams are the inputs of InsertReceipt.
type InsertReceiptParams struct {
	Platform  string
	ShopID    string
	DedupeKey string
	Topic     string
	Headers   map[string]string
	Body      []byte
	// TriggeredAt is when the platform fired the event; zero when unknown.
	TriggeredAt time.Time
}

// ClaimReceiptsParams are the inputs of ClaimReceipts.
type ClaimReceiptsParams struct {
	Limit int           // 100 when 0, at most 1000
	Lease time.Duration // 5 minutes when 0
	// Claimant is the process the claim is recorded for: the store's own
	// (Options.ProcessID) when empty.
	Claimant string
}

// CompleteReceiptParams are the inputs of CompleteReceipt.
type CompleteReceiptParams struct {
	ID      string
	Outcome string
	OrderID string // the order the receipt touched, if any
}

// FailReceiptParams are the inputs of FailReceipt.
type FailReceiptParams struct {
	ID      string
	Error   string    // what went wrong, safe to show an operator
	RetryAt time.Time // when to try again; ignored when Dead
	Dead    bool      // give up: the receipt becomes a dead letter
}

// ListReceiptsParams filter and page ListReceipts. Empty fields do not
// filter.
type ListReceiptsParams struct {
	Status  ReceiptStatus
	ShopIDs []string // nil means every shop; an empty non-nil slice means none
	After   string   // the cursor: the last id of the previous page
	Limit   int      // 50 when 0, at most 500
}

// ReceiptPage is one page of receipts; Next is the cursor of the next page,
// or empty on the last.
type ReceiptPage struct {
	Receipts []Receipt
	Next     string
}

// DrainJobOpts are the insert options of the periodic sweep's drain job:
// unique while one is available, pending, scheduled or running, so the
// sweep adds a job only when none is there. Completed and retryable jobs do
// not count. (The job a receipt enqueues is not unique: the flag already
// makes it the only one, and it must not be taken for the job finishing.)
func DrainJobOpts() *river.InsertOpts {
	return &river.InsertOpts{UniqueOpts: river.UniqueOpts{ByState: []rivertype.JobState{
		rivertype.JobStateAvailable, rivertype.JobStatePending,
		rivertype.JobStateRunning, rivertype.JobStateScheduled,
	}}}
}

// UpsertPlatformOrderParams are the inputs of UpsertPlatformOrder.
//
// Order is the platform's view as a connector normalised it: ShopID,
// Platform, ExternalID, Currency, PlatformUpdate (the platform's
// updated_at) and Status (the platform's status mapped to orderhub's) must
// be set.
//
//   - An unknown order is created pending and walked forward to Status, one
//     transition event per step (orderhub.Status.PathTo).
//   - An update older than the stored PlatformUpdate overwrites nothing and
//     is recorded in the timeline as a stale update.
//   - A newer update overwrites what the platform owns: customer, shipping
//     address and lines, totals, platform status, note, tags and
//     attributes. Lines are replaced only while the order has no routed
//     work (see OrderHasRoutedWork); afterwards a change is recorded instead.
//   - A newer or same-time update moves the status forward only. A status
//     the order cannot reach is recorded and ignored, unless the platform's
//     own status is unchanged and merely behind orderhub's (a routed order
//     the platform still calls paid).
//   - A cancellation is never applied to an existing order here: the result
//     says CancelRequested and the caller cancels, releasing whatever
//     routing reserved.
type UpsertPlatformOrderParams struct {
	Order     orderhub.Order
	Actor     string // who speaks: the platform's name
	Topic     string // the webhook topic, for the timeline
	ReceiptID string // the receipt being applied, for the timeline
}

// UpsertPlatformOrderResult says what UpsertPlatformOrder did.
type UpsertPlatformOrderResult struct {
	Order   orderhub.Order // as stored afterwards, with its lines
	Created bool
	// Stale is set when the update was older than the stored one and
	// changed nothing but the timeline.
	Stale bool
	// Updated is set when the platform-owned fields were overwritten.
	Updated bool
	// Entered lists the statuses the order moved into, in order.
	Entered []orderhub.Status
	// Ignored is a status the platform reported that the order cannot move
	// to; it was recorded in the timeline.
	Ignored orderhub.Status
	// CancelRequested is set when the platform cancelled an existing order
	// that may still be cancelled; the caller must cancel it.
	CancelRequested bool
}
