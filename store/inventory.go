package store

import (
	"context"

	"github.com/orderhub/orderhub"
)

// InventoryTx is the operations on stock, reservations, fulfillments,
// backorders and the order changes routing makes. Every stock change is
// guarded in SQL so that no interleaving of transactions can reserve more
// than a location has, and each is logged as a movement.
type InventoryTx interface {
	// SetStock sets a location's on-hand count of a SKU (a stock take). A
	// count below what is already reserved is a Conflict.
	SetStock(ctx context.Context, p SetStockParams) (orderhub.StockLevel, error)
	// AdjustStock adds delta (negative removes) to on-hand. Going below zero
	// or below what is reserved is a Conflict.
	AdjustStock(ctx context.Context, p AdjustStockParams) (orderhub.StockLevel, error)
	// GetStock returns a location's level of a SKU; a SKU never stocked
	// there is a zero level, not an error.
	GetStock(ctx context.Context, locationID, sku string) (orderhub.StockLevel, error)
	// ListStock returns levels filtered by SKUs and locations (nil: all).
	ListStock(ctx context.Context, p ListStockParams) ([]orderhub.StockLevel, error)
	// Reserve holds quantity for a fulfillment. When fewer than quantity
	// units are available after safety stock it changes nothing and returns
	// a Conflict: the caller lost a race and must re-plan.
	Reserve(ctx context.Context, p StockMove) error
	// Release returns reserved units to available (a cancellation).
	Release(ctx context.Context, p StockMove) error
	// Ship consumes reserved units: on-hand and reserved both drop.
	Ship(ctx context.Context, p StockMove) error
	// StockLedger sums every movement per location and SKU, for checking
	// that stock is conserved.
	StockLedger(ctx context.Context) ([]orderhub.StockLevel, error)

	// CreateFulfillment stores a fulfillment with its lines.
	CreateFulfillment(ctx context.Context, f orderhub.Fulfillment) (orderhub.Fulfillment, error)
	// AddFulfillmentLines adds quantities to a fulfillment's lines.
	AddFulfillmentLines(ctx context.Context, fulfillmentID string, lines []orderhub.FulfillmentLine) error
	// RemoveFulfillmentLine takes quantity of a line out of a fulfillment;
	// the line disappears when nothing is left of it.
	RemoveFulfillmentLine(ctx context.Context, fulfillmentID, lineID string, quantity int64) error
	// GetFulfillment returns a fulfillment with its lines.
	GetFulfillment(ctx context.Context, id string) (orderhub.Fulfillment, error)
	// ListFulfillments returns an order's fulfillments with their lines.
	ListFulfillments(ctx context.Context, orderID string) ([]orderhub.Fulfillment, error)
	// UpdateFulfillment changes status and tracking. A status move the
	// fulfillment machine forbids is a Conflict naming both statuses.
	UpdateFulfillment(ctx context.Context, p UpdateFulfillmentParams) (orderhub.Fulfillment, error)

	// CreateBackorder stores a backorder.
	CreateBackorder(ctx context.Context, b orderhub.Backorder) (orderhub.Backorder, error)
	// GetBackorder returns one backorder.
	GetBackorder(ctx context.Context, id string) (orderhub.Backorder, error)
	// ListBackorders lists backorders oldest first with cursor pagination.
	ListBackorders(ctx context.Context, p ListBackordersParams) (BackorderPage, error)
	// OpenBackorders returns a SKU's pending and waiting backorders, oldest
	// paid first: the order restocks fill them in.
	OpenBackorders(ctx context.Context, sku string, limit int) ([]orderhub.Backorder, error)
	// UpdateBackorder records a fill or a decision; From guards against a
	// concurrent change.
	UpdateBackorder(ctx context.Context, p UpdateBackorderParams) (orderhub.Backorder, error)

	// SetExplanations stores why each line went where it went.
	SetExplanations(ctx context.Context, orderID string, ex []orderhub.Explanation) error
	// CancelLineQuantity marks quantity of a line cancelled; more than is
	// open is a Conflict.
	CancelLineQuantity(ctx context.Context, orderID, lineID string, quantity int64) error
	// SetOrderTotals replaces an order's money totals.
	SetOrderTotals(ctx context.Context, orderID string, t orderhub.Totals) error
}

// SetStockParams are the inputs of SetStock.
type SetStockParams struct {
	LocationID string
	SKU        string
	OnHand     int64
	Reason     string
	Actor      string
}

// AdjustStockParams are the inputs of AdjustStock.
type AdjustStockParams struct {
	LocationID string
	SKU        string
	Delta      int64
	Reason     string
	Actor      string
}

// ListStockParams filter ListStock; nil slices do not filter.
type ListStockParams struct {
	SKUs        []string
	LocationIDs []string
}

// StockMove is a quantity of a SKU at a location moving between available,
// reserved and shipped.
type StockMove struct {
	LocationID  string
	SKU         string
	Quantity    int64
	SafetyStock int64  // Reserve only: units that must stay available
	Ref         string // what caused it, e.g. a fulfillment id
	Reason      string
}

// UpdateFulfillmentParams are the inputs of UpdateFulfillment. Empty
// tracking fields keep their stored values; an empty Status keeps the
// status.
type UpdateFulfillmentParams struct {
	ID             string
	Status         orderhub.FulfillmentStatus
	Carrier        string
	TrackingNumber string
	TrackingURL    string
	LabelURL       string
	ExternalID     string
	PlatformID     string
}

// ListBackordersParams filter and page ListBackorders.
type ListBackordersParams struct {
	ShopIDs []string // nil: every shop; empty non-nil: none
	Status  orderhub.BackorderStatus
	SKU     string
	OrderID string
	After   string
	Limit   int
}

// BackorderPage is one page of backorders.
type BackorderPage struct {
	Backorders []orderhub.Backorder
	Next       string
}

// UpdateBackorderParams are the inputs of UpdateBackorder.
type UpdateBackorderParams struct {
	ID     string
	From   orderhub.BackorderStatus // the status the caller saw
	Filled int64
	Status orderhub.BackorderStatus
	// Quantity, when positive, replaces the backordered quantity (a partial
	// cancellation); it may not drop below Filled.
	Quantity int64
}
