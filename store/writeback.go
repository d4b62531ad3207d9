package store

import (
	"context"
	"encoding/json"
	"time"
)

// OutboxTx is the operations behind customer notices and the secrets that
// sign their links. A notice is stored in the same transaction as the
// change that causes it (a backorder, a shipment), once per idempotency
// key, and a worker then claims it, delivers it and marks it sent, so each
// notice goes out once however often the worker runs.
type OutboxTx interface {
	// EnqueueNotice stores a pending notice unless one with the same key
	// exists. It returns the notice as stored and whether this call created
	// it; an existing notice is returned unchanged with created false. A
	// missing key, kind or order is Invalid.
	EnqueueNotice(ctx context.Context, p EnqueueNoticeParams) (n Notice, created bool, err error)
	// GetNotice returns a notice by id, or NotFound.
	GetNotice(ctx context.Context, id string) (Notice, error)
	// GetNoticeByKey returns a notice by its idempotency key, or NotFound.
	GetNoticeByKey(ctx context.Context, key string) (Notice, error)
	// ListNotices lists notices oldest first with cursor pagination.
	ListNotices(ctx context.Context, p ListNoticesParams) (NoticePage, error)
	// ClaimNotice takes a notice for delivery: it succeeds only when the
	// notice is pending, or is being sent under a claim that expired before
	// Now (its worker died). A successful claim counts an attempt and holds
	// the notice under Token until Until. claimed is false, with the notice
	// as it stands, when another worker holds it or it is finished.
	ClaimNotice(ctx context.Context, p ClaimNoticeParams) (n Notice, claimed bool, err error)
	// FinishNotice records the outcome of a claimed delivery: sent,
	// skipped (no channel can reach the customer), or pending again with
	// the error, to retry. A Token that no longer holds the claim is a
	// Conflict and changes nothing.
	FinishNotice(ctx context.Context, p FinishNoticeParams) (Notice, error)

	// EnsureSecret returns the secret stored under name, storing fresh
	// first when there is none, so every instance on the database signs
	// with the same key. An empty name or fresh value is Invalid.
	EnsureSecret(ctx context.Context, name string, fresh []byte) ([]byte, error)
}

// NoticeStatus is where a notice's delivery stands.
type NoticeStatus string

// Notice statuses: pending → sending → sent, or skipped when no channel
// can reach the customer; a failed send goes back to pending.
const (
	NoticePending NoticeStatus = "pending"
	NoticeSending NoticeStatus = "sending"
	NoticeSent    NoticeStatus = "sent"
	NoticeSkipped NoticeStatus = "skipped"
)

// Notice is one message to a customer in the outbox.
type Notice struct {
	ID            string          `json:"id"` // time-ordered
	Key           string          `json:"key"`
	Kind          string          `json:"kind"` // e.g. backorder, shipment
	ShopID        string          `json:"shop_id"`
	OrderID       string          `json:"order_id"`
	FulfillmentID string          `json:"fulfillment_id,omitempty"`
	Payload       json.RawMessage `json:"payload"`
	Status        NoticeStatus    `json:"status"`
	Channel       string          `json:"channel,omitempty"` // how it went out: mail, webhook
	Attempts      int             `json:"attempts"`
	LastError     string          `json:"last_error,omitempty"`
	ClaimToken    string          `json:"-"`
	ClaimedUntil  *time.Time      `json:"claimed_until,omitempty"`
	CreatedAt     time.Time       `json:"created_at"`
	UpdatedAt     time.Time       `json:"updated_at"`
	SentAt        *time.Time      `json:"sent_at,omitempty"`
}

// EnqueueNoticeParams are the inputs of EnqueueNotice.
type EnqueueNoticeParams struct {
	Key           string // the idempotency key: one notice per key, ever
	Kind          string
	ShopID        string
	OrderID       string
	FulfillmentID string
	Payload       json.RawMessage // what the templates render; JSON null when nil
}

// ListNoticesParams filter and page ListNotices. Empty fields do not
// filter.
type ListNoticesParams struct {
	OrderID string
	Kind    string
	Status  NoticeStatus
	After   string // the cursor: the last id of the previous page
	Limit   int    // 50 when 0, at most 500
}

// NoticePage is one page of notices; Next is the cursor of the next page,
// or empty on the last.
type NoticePage struct {
	Notices []Notice
	Next    string
}

// ClaimNoticeParams are the inputs of ClaimNotice.
type ClaimNoticeParams struct {
	ID    string
	Token string    // unique per delivery attempt
	Until time.Time // the claim lapses then, so a dead worker's notice is retried
}

// FinishNoticeParams are the inputs of FinishNotice.
type FinishNoticeParams struct {
	ID      string
	Token   string
	Status  NoticeStatus // sent, skipped or pending
	Channel string
	Error   string // why it failed or was skipped, safe to show an operator
}
