package orderhub

// Job arguments that cross package boundaries. A River job is identified by
// its kind; defining the argument types here lets the package that enqueues
// a job and the package that works it share them without importing each
// other. Each satisfies river.JobArgs through its Kind method.

// RouteOrderArgs asks for a paid order to be routed.
type RouteOrderArgs struct {
	OrderID string `json:"order_id"`
}

// Kind names the job.
func (RouteOrderArgs) Kind() string { return "route_order" }

// ProcessReceiptsArgs asks for the webhook inbox to be drained: every
// stored receipt not yet processed is normalised into orders, in batches.
type ProcessReceiptsArgs struct{}

// Kind names the job.
func (ProcessReceiptsArgs) Kind() string { return "process_receipts" }

// BackorderNoticeArgs asks for a customer to be told that part of an order
// is backordered, with an estimate.
type BackorderNoticeArgs struct {
	OrderID string                `json:"order_id"`
	Items   []BackorderNoticeItem `json:"items"`
}

// BackorderNoticeItem is one backordered quantity in a notice.
type BackorderNoticeItem struct {
	BackorderID string `json:"backorder_id"`
	LineID      string `json:"line_id"`
	SKU         string `json:"sku"`
	Name        string `json:"name"`
	Quantity    int64  `json:"quantity"`
	// ETA is the estimated ship date (YYYY-MM-DD), empty when unknown.
	ETA string `json:"eta,omitempty"`
	// ETASource says where the estimate came from: "supplier lead time",
	// "expected restock", or "" when unknown.
	ETASource string `json:"eta_source,omitempty"`
}

// Kind names the job.
func (BackorderNoticeArgs) Kind() string { return "backorder_notice" }

// FulfillmentArgs asks for one fulfillment to be executed at its source: a
// label bought, a 3PL order created or a purchase order sent.
type FulfillmentArgs struct {
	FulfillmentID string `json:"fulfillment_id"`
}

// Kind names the job.
func (FulfillmentArgs) Kind() string { return "execute_fulfillment" }
