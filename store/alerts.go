package store

import (
	"context"
	"time"
)

// AlertsTx is the operations on the alerts orderhub raises about orders,
// such as an order stuck in awaiting_fulfillment. An order gets at most one
// alert of each kind, so an alert is delivered once however often the
// check that raises it runs.
type AlertsTx interface {
	// RecordAlert records that an order was flagged, once per order and
	// kind. It returns the alert as stored and whether this call created it;
	// an existing alert is returned unchanged with created false. An unknown
	// order is NotFound.
	RecordAlert(ctx context.Context, p RecordAlertParams) (a Alert, created bool, err error)
	// GetAlert returns an order's alert of a kind, or NotFound.
	GetAlert(ctx context.Context, orderID, kind string) (Alert, error)
	// ListAlerts lists alerts newest first with cursor pagination.
	ListAlerts(ctx context.Context, p ListAlertsParams) (AlertPage, error)
	// MarkAlert records the outcome of a delivery attempt: sent, still
	// pending (with the error, to retry), or resolved before it was sent.
	MarkAlert(ctx context.Context, p MarkAlertParams) (Alert, error)
}

// AlertStatus is where an alert's delivery stands.
type AlertStatus string

// Alert statuses: pending → sent, or pending → resolved when the order
// moved on before the alert could be delivered.
const (
	AlertPending  AlertStatus = "pending"
	AlertSent     AlertStatus = "sent"
	AlertResolved AlertStatus = "resolved"
)

// Alert is one flag raised about one order.
type Alert struct {
	ID        string      `json:"id"` // time-ordered
	OrderID   string      `json:"order_id"`
	ShopID    string      `json:"shop_id"`
	Kind      string      `json:"kind"` // e.g. "stuck_order"
	Status    AlertStatus `json:"status"`
	Attempts  int         `json:"attempts"`
	LastError string      `json:"last_error,omitempty"`
	CreatedAt time.Time   `json:"created_at"`
	UpdatedAt time.Time   `json:"updated_at"`
	SentAt    *time.Time  `json:"sent_at,omitempty"`
}

// RecordAlertParams are the inputs of RecordAlert.
type RecordAlertParams struct {
	OrderID string
	ShopID  string
	Kind    string
}

// ListAlertsParams filter and page ListAlerts. Empty fields do not filter.
type ListAlertsParams struct {
	ShopIDs []string // nil means every shop; an empty non-nil slice means none
	Kind    string
	Status  AlertStatus
	OrderID string
	After   string // the cursor: the last id of the previous page
	Limit   int    // 50 when 0, at most 500
}

// AlertPage is one page of alerts; Next is the cursor of the next page, or
// empty on the last.
type AlertPage struct {
	Alerts []Alert
	Next   string
}

// MarkAlertParams are the inputs of MarkAlert.
type MarkAlertParams struct {
	OrderID string
	Kind    string
	Status  AlertStatus
	// Attempted counts a delivery attempt.
	Attempted bool
	// Error is why the attempt failed, safe to show an operator; empty
	// clears it.
	Error string
}
