// Package store defines how orderhub persists its domain: one interface,
// Store, implemented by sqlitestore (the embedded default) and pgstore
// (PostgreSQL for deployments that scale out), and checked by the one
// conformance suite in storetest.
//
// Every change that causes background work inserts its River job through
// the same Tx, so the job exists exactly when the change commits. The
// package holds no SQL of its own and must not import a database driver:
// each implementation keeps its dialect in embedded .sql files.
package store

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/orderhub/orderhub"
)

// Store is a handle on orderhub's database and its job queue.
type Store interface {
	// Tx is available outside a transaction too: each call then runs in a
	// transaction of its own.
	Tx

	// InTx runs fn in one database transaction. It commits when fn returns
	// nil and rolls back otherwise; jobs inserted through tx exist only if
	// it commits.
	InTx(ctx context.Context, fn func(ctx context.Context, tx Tx) error) error

	// Migrate applies orderhub's numbered migrations and River's own.
	Migrate(ctx context.Context) error
	// Ping checks that the database answers.
	Ping(ctx context.Context) error
	WriteProber
	// Kind names the implementation: "sqlite" or "postgres".
	Kind() string
	// Queue controls the River client that works jobs on this database.
	Queue() Queue
	// Close stops the queue if it runs and releases the database.
	Close() error
}

// Tx is every operation on orderhub's data. Operations that write more than
// one row are atomic on their own and within an enclosing InTx. Each area
// of the data declares its operations in a file of its own.
type Tx interface {
	OrderTx
	InventoryTx
	IntakeTx
	AlertsTx
	CallbacksTx
	OutboxTx
	SecretsTx
	BackorderDecisionsTx
	SessionsTx
	ProcessesTx

	// InsertJob enqueues a River job in this transaction.
	InsertJob(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error)
}

// OrderTx is the operations on orders and their timelines.
type OrderTx interface {
	// CreateOrder stores a new order with its lines and a "created" event.
	// An order with the same shop and external id is a Conflict.
	CreateOrder(ctx context.Context, p CreateOrderParams) (orderhub.Order, error)
	// GetOrder returns an order with its lines, or NotFound.
	GetOrder(ctx context.Context, id string) (orderhub.Order, error)
	// GetOrderByExternalID finds an order by its shop and platform id.
	GetOrderByExternalID(ctx context.Context, shopID, externalID string) (orderhub.Order, error)
	// ListOrders lists orders newest first with cursor pagination.
	ListOrders(ctx context.Context, p ListOrdersParams) (OrderPage, error)
	// TransitionOrder moves an order to a new status and records the event in
	// the same transaction. A move the state machine forbids, or one that
	// loses a race to a concurrent move, is a Conflict naming both statuses.
	TransitionOrder(ctx context.Context, p TransitionParams) (orderhub.Order, orderhub.OrderEvent, error)
	// AddEvent appends a non-transition event (a note, a routing decision)
	// to an order's timeline.
	AddEvent(ctx context.Context, e orderhub.OrderEvent) (orderhub.OrderEvent, error)
	// ListEvents returns an order's timeline, oldest first.
	ListEvents(ctx context.Context, orderID string) ([]orderhub.OrderEvent, error)
}

// Queue is the River client bound to a store's database.
type Queue interface {
	// Start begins working jobs. It fails when the store was opened without
	// workers.
	Start(ctx context.Context) error
	// Stop waits for running jobs to finish, until ctx ends.
	Stop(ctx context.Context) error
	// CountJobs counts jobs of a kind in the given states (all states when
	// none are given).
	CountJobs(ctx context.Context, kind string, states ...rivertype.JobState) (int, error)
	// GetJob returns a job by its id, or NotFound.
	GetJob(ctx context.Context, id int64) (*rivertype.JobRow, error)
}

// ErrTxConflict is in the chain of an error from a transaction the
// database aborted because it conflicted with another (a deadlock or a
// serialization failure); running it again may succeed.
var ErrTxConflict = errors.New("transaction conflicted with another")

// Options configure an opened store.
type Options struct {
	Logger *slog.Logger
	// Now is the clock; time.Now when nil. Stored times are UTC.
	Now func() time.Time
	// Workers are the River workers this process runs. Without them the
	// queue can insert jobs but not work them.
	Workers *river.Workers
	// Queues names the River queues to work and their concurrency; the
	// default queue with 8 workers when nil.
	Queues map[string]river.QueueConfig
	// PeriodicJobs are scheduled while the queue runs.
	PeriodicJobs []*river.PeriodicJob
	// MaxConns caps the connection pool; 0 picks a sensible size.
	MaxConns int
	// RescueAfter is how long a job may stay running before River takes it
	// as left by a dead process and runs it again; River's default (1 h)
	// when 0. Jobs without a timeout of their own get at most this long.
	RescueAfter time.Duration
	// ProcessID is this process's identity (see ProcessesTx): River's
	// client id, and the claimant recorded on the receipts it claims. When
	// empty River picks an id, and claims name no claimant, so they wait
	// out their lease if the process dies.
	ProcessID string
}

// CreateOrderParams are the inputs of CreateOrder. Order.ID and line ids are
// generated when empty.
type CreateOrderParams struct {
	Order orderhub.Order
	Actor string
	Note  string
}

// ListOrdersParams filter and page ListOrders. Empty fields do not filter.
type ListOrdersParams struct {
	ShopIDs    []string // nil means every shop; an empty non-nil slice means none
	Status     orderhub.Status
	ExternalID string
	// StatusSince keeps orders that entered their current status at or
	// before it: with Status awaiting_fulfillment, how stuck orders are
	// found. Changes that do not move the status do not reset it.
	StatusSince time.Time
	After       string // the cursor: the last id of the previous page
	Limit       int    // 50 when 0, at most 500
}

// OrderPage is one page of orders; Next is the cursor of the next page, or
// empty on the last.
type OrderPage struct {
	Orders []orderhub.Order
	Next   string
}

// TransitionParams are the inputs of TransitionOrder.
type TransitionParams struct {
	OrderID string
	To      orderhub.Status
	// From, when set, makes the move conditional: it fails with Conflict
	// unless the order is in From.
	From  orderhub.Status
	Actor string
	Note  string
}

// ListLimit clamps a requested page size.
func ListLimit(n int) int {
	switch {
	case n <= 0:
		return 50
	case n > 500:
		return 500
	}
	return n
}
