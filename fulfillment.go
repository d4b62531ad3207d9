package orderhub

import "time"

// FulfillmentStatus is where one shipment stands.
type FulfillmentStatus string

// Fulfillment statuses: pending → submitted → shipped → delivered, with
// cancelled and failed as ends.
const (
	FulfillmentPending   FulfillmentStatus = "pending"
	FulfillmentSubmitted FulfillmentStatus = "submitted"
	FulfillmentShipped   FulfillmentStatus = "shipped"
	FulfillmentDelivered FulfillmentStatus = "delivered"
	FulfillmentCancelled FulfillmentStatus = "cancelled"
	FulfillmentFailed    FulfillmentStatus = "failed"
)

var fulfillmentTransitions = map[FulfillmentStatus][]FulfillmentStatus{
	FulfillmentPending:   {FulfillmentSubmitted, FulfillmentShipped, FulfillmentCancelled, FulfillmentFailed},
	FulfillmentSubmitted: {FulfillmentShipped, FulfillmentCancelled, FulfillmentFailed},
	FulfillmentShipped:   {FulfillmentDelivered},
	FulfillmentFailed:    {FulfillmentPending},
	FulfillmentDelivered: nil,
	FulfillmentCancelled: nil,
}

// Valid reports whether s is a known fulfillment status.
func (s FulfillmentStatus) Valid() bool {
	_, ok := fulfillmentTransitions[s]
	return ok
}

// CanTransition reports whether a fulfillment may move from s to to. A
// delivered shipment never goes back to in transit.
func (s FulfillmentStatus) CanTransition(to FulfillmentStatus) bool {
	for _, n := range fulfillmentTransitions[s] {
		if n == to {
			return true
		}
	}
	return false
}

// Source kinds: where a fulfillment ships from.
const (
	SourceWarehouse = "warehouse"
	Source3PL       = "3pl"
	SourceSupplier  = "supplier"
)

// Fulfillment is one physical shipment of some of an order's lines from one
// source. An order has as many as it has sources.
type Fulfillment struct {
	ID             string            `json:"id"`
	OrderID        string            `json:"order_id"`
	ShopID         string            `json:"shop_id"`
	SourceKind     string            `json:"source_kind"` // warehouse, 3pl, supplier
	SourceID       string            `json:"source_id"`   // location or supplier id
	Status         FulfillmentStatus `json:"status"`
	Lines          []FulfillmentLine `json:"lines"`
	Carrier        string            `json:"carrier,omitempty"`
	TrackingNumber string            `json:"tracking_number,omitempty"`
	TrackingURL    string            `json:"tracking_url,omitempty"`
	LabelURL       string            `json:"label_url,omitempty"`
	ExternalID     string            `json:"external_id,omitempty"` // the 3PL order, label or PO id
	PlatformID     string            `json:"platform_id,omitempty"` // the fulfillment or shipment id written back
	CreatedAt      time.Time         `json:"created_at"`
	UpdatedAt      time.Time         `json:"updated_at"`
}

// FulfillmentLine is a quantity of one order line inside a fulfillment.
type FulfillmentLine struct {
	LineID   string `json:"line_id"`
	SKU      string `json:"sku"`
	Quantity int64  `json:"quantity"`
}

// BackorderStatus is where a backordered quantity stands.
type BackorderStatus string

// Backorder statuses.
const (
	BackorderPending   BackorderStatus = "pending"   // waiting for stock; the customer may still decide
	BackorderWaiting   BackorderStatus = "waiting"   // the customer chose to wait
	BackorderFilled    BackorderStatus = "filled"    // stock arrived and was allocated
	BackorderCancelled BackorderStatus = "cancelled" // the customer or merchant cancelled it
)

// Open reports whether the backorder still waits for stock.
func (s BackorderStatus) Open() bool { return s == BackorderPending || s == BackorderWaiting }

// Backorder is a quantity of a line no source could ship when the order was
// routed. Restocks fill backorders oldest paid first.
type Backorder struct {
	ID        string          `json:"id"`
	OrderID   string          `json:"order_id"`
	ShopID    string          `json:"shop_id"`
	LineID    string          `json:"line_id"`
	SKU       string          `json:"sku"`
	Quantity  int64           `json:"quantity"`
	Filled    int64           `json:"filled"`
	Status    BackorderStatus `json:"status"`
	PaidAt    time.Time       `json:"paid_at"`
	ETA       *time.Time      `json:"eta,omitempty"`
	CreatedAt time.Time       `json:"created_at"`
	UpdatedAt time.Time       `json:"updated_at"`
	// Decision is the answer to the backorder notice, "wait" or "cancel",
	// empty until one is given; DecidedBy and DecidedAt say who gave it
	// and when. Once it is set the notice's links no longer act.
	Decision  string     `json:"decision,omitempty"`
	DecidedBy string     `json:"decided_by,omitempty"`
	DecidedAt *time.Time `json:"decided_at,omitempty"`
}

// Remaining is the quantity still to fill.
func (b Backorder) Remaining() int64 { return b.Quantity - b.Filled }
