// Package orderhub holds orderhub's domain: orders and their lines, exact
// money, the order state machine, fulfillments, backorders, sources
// (locations and dropship suppliers), audit events and error codes.
//
// It depends on the standard library alone and does no I/O. Every other
// package speaks this vocabulary: connectors decode platform payloads into
// it, routing plans over it, and stores persist it.
package orderhub

import (
	"encoding/json"
	"strings"
	"time"
)

// Platforms that send orders.
const (
	PlatformShopify     = "shopify"
	PlatformWooCommerce = "woocommerce"
	PlatformBigCommerce = "bigcommerce"
)

// Order is the financial contract between a shop and its customer, as the
// platform reported it. Fulfillments are kept apart from it.
type Order struct {
	ID             string        `json:"id"` // orderhub's id
	ShopID         string        `json:"shop_id"`
	Platform       string        `json:"platform"`
	ExternalID     string        `json:"external_id"`     // the platform's id, as a string: ids exceed 2^53
	ExternalNumber string        `json:"external_number"` // what the merchant sees, e.g. "#1001"
	Customer       Customer      `json:"customer"`
	ShippingAddr   Address       `json:"shipping_address"`
	Currency       string        `json:"currency"`
	Lines          []Line        `json:"lines"`
	Shipping       []ShipLine    `json:"shipping_lines,omitempty"`
	Totals         Totals        `json:"totals"`
	TaxesIncluded  bool          `json:"taxes_included"` // prices already include tax
	Status         Status        `json:"status"`
	PaidAt         *time.Time    `json:"paid_at,omitempty"`
	PlatformStatus string        `json:"platform_status,omitempty"` // the platform's own word
	UpdatedAt      time.Time     `json:"updated_at"`                // when orderhub last changed it
	StatusChanged  time.Time     `json:"status_changed_at"`         // when it entered its status
	PlatformUpdate time.Time     `json:"platform_updated_at"`       // the platform's updated_at, to drop stale deliveries
	CreatedAt      time.Time     `json:"created_at"`
	Attributes     []Attribute   `json:"attributes,omitempty"`
	Raw            RawPayload    `json:"-"`
	Tags           []string      `json:"tags,omitempty"`
	Note           string        `json:"note,omitempty"`
	Explanations   []Explanation `json:"explanations,omitempty"`
}

// RawPayload is a platform payload kept verbatim.
type RawPayload = json.RawMessage

// Line is one product line of an order. Quantities are whole units; money is
// per line as the platform allocated it.
type Line struct {
	ID          string      `json:"id"` // orderhub's id
	ExternalID  string      `json:"external_id"`
	SKU         string      `json:"sku"`
	Name        string      `json:"name"`
	ProductID   string      `json:"product_id,omitempty"`
	VariantID   string      `json:"variant_id,omitempty"`
	Quantity    int64       `json:"quantity"`
	UnitPrice   Money       `json:"unit_price"`
	Discount    Money       `json:"discount"` // the whole line's discount
	Tax         Money       `json:"tax"`      // the whole line's tax
	Cancelled   int64       `json:"cancelled_quantity"`
	Properties  []Attribute `json:"properties,omitempty"`
	RequiresShp bool        `json:"requires_shipping"`
	// NoShippingReason says, for a line that needs no shipping, why the
	// platform says so (a digital product, a gift card), in the connector's
	// words; routing leaves such a line out on purpose and shows this.
	NoShippingReason string `json:"no_shipping_reason,omitempty"`
}

// OpenQuantity is the quantity still to ship or cancel.
func (l Line) OpenQuantity() int64 { return l.Quantity - l.Cancelled }

// HasSKU reports whether the line names a SKU, without which no location
// or supplier can be asked for it.
func (l Line) HasSKU() bool { return strings.TrimSpace(l.SKU) != "" }

// Subtotal is unit price × quantity before discount and tax.
func (l Line) Subtotal() (Money, error) { return l.UnitPrice.Mul(l.Quantity) }

// Total is the line's subtotal less its discount, plus its tax unless the
// prices already include it.
func (l Line) Total(taxesIncluded bool) (Money, error) {
	s, err := l.Subtotal()
	if err != nil {
		return Money{}, err
	}
	if s, err = s.Sub(l.Discount); err != nil {
		return Money{}, err
	}
	if taxesIncluded {
		return s, nil
	}
	return s.Add(l.Tax)
}

// Attribute is a free-form name/value pair: Shopify line properties and note
// attributes, WooCommerce meta data. Value keeps the JSON the platform sent,
// whatever its shape.
type Attribute struct {
	Name  string          `json:"name"`
	Value json.RawMessage `json:"value"`
}

// ShipLine is a shipping charge the customer paid.
type ShipLine struct {
	Title    string `json:"title"`
	Code     string `json:"code,omitempty"`
	Price    Money  `json:"price"`
	Discount Money  `json:"discount"`
	Tax      Money  `json:"tax"`
}

// Totals are the order's money as the platform computed it, adjusted by
// orderhub as lines are cancelled.
type Totals struct {
	Subtotal Money `json:"subtotal"`
	Discount Money `json:"discount"`
	Shipping Money `json:"shipping"`
	Tax      Money `json:"tax"`
	Total    Money `json:"total"`
	Refunded Money `json:"refunded"`
}

// Customer is who bought.
type Customer struct {
	ExternalID string `json:"external_id,omitempty"`
	Email      string `json:"email,omitempty"`
	Phone      string `json:"phone,omitempty"`
	FirstName  string `json:"first_name,omitempty"`
	LastName   string `json:"last_name,omitempty"`
}

// Address is a postal address, with optional coordinates for routing by
// distance.
type Address struct {
	ExternalID string   `json:"external_id,omitempty"` // the platform's address id (BigCommerce order_address_id)
	Name       string   `json:"name,omitempty"`
	Company    string   `json:"company,omitempty"`
	Address1   string   `json:"address1,omitempty"`
	Address2   string   `json:"address2,omitempty"`
	City       string   `json:"city,omitempty"`
	Province   string   `json:"province,omitempty"` // state or province code
	Zip        string   `json:"zip,omitempty"`
	Country    string   `json:"country,omitempty"` // ISO 3166-1 alpha-2
	Phone      string   `json:"phone,omitempty"`
	Latitude   *float64 `json:"lat,omitempty"` // coordinates are geography, not money
	Longitude  *float64 `json:"lon,omitempty"`
}

// HasCoordinates reports whether both latitude and longitude are known.
func (a Address) HasCoordinates() bool { return a.Latitude != nil && a.Longitude != nil }

// Explanation records why one line went where it went.
type Explanation struct {
	LineID     string      `json:"line_id"`
	SKU        string      `json:"sku"`
	Summary    string      `json:"summary"`
	Candidates []Candidate `json:"candidates"`
}

// Candidate is one source considered for a line, its rank and the reason.
type Candidate struct {
	Source string `json:"source"`
	Kind   string `json:"kind"` // warehouse, 3pl, supplier
	Rank   int    `json:"rank"`
	Chosen bool   `json:"chosen"`
	Reason string `json:"reason"`
}

// Event kinds in an order's timeline.
const (
	EventCreated     = "created"
	EventTransition  = "transition"
	EventNote        = "note"
	EventRouted      = "routed"
	EventBackorder   = "backorder"
	EventHeld        = "held" // units routing could not place, waiting for the operator
	EventCancelled   = "line_cancelled"
	EventFulfillment = "fulfillment"
	EventWebhook     = "webhook"
	EventWriteBack   = "write_back"
)

// OrderEvent is one entry in an order's audit trail. A status transition
// carries From and To; other kinds leave them empty.
type OrderEvent struct {
	ID         int64           `json:"id"`
	OrderID    string          `json:"order_id"`
	Kind       string          `json:"kind"`
	From       Status          `json:"from,omitempty"`
	To         Status          `json:"to,omitempty"`
	Actor      string          `json:"actor"`
	Note       string          `json:"note,omitempty"`
	Data       json.RawMessage `json:"data,omitempty"`
	OccurredAt time.Time       `json:"occurred_at"`
}

// ReplayStatus folds a timeline, oldest first, into the status it leads to.
// A "created" event sets the starting status; each transition must start
// where the previous one ended and follow the state machine.
func ReplayStatus(events []OrderEvent) (Status, error) {
	var cur Status
	for _, e := range events {
		if e.Kind == EventCreated {
			cur = e.To
			continue
		}
		if e.Kind != EventTransition {
			continue
		}
		if e.From != cur {
			return cur, Errorf(EConflict, "event %d moves from %s but the order was %s", e.ID, e.From, cur)
		}
		if err := CheckTransition(e.From, e.To); err != nil {
			return cur, err
		}
		cur = e.To
	}
	return cur, nil
}
