// Package notify tells customers what happens to their orders: that part
// of an order is backordered, with an estimate and signed links to wait or
// cancel, and that a shipment left, with what is in it and what is still
// to come. It owns the notices' outbox, their templates, their delivery by
// mail (SMTP) or by a POST to the merchant's endpoint (a Klaviyo-style
// event), and the pages behind the wait/cancel links, which expire, act
// once, and are signed with a key kept in the database that can be
// rotated.
//
// Each notice goes out once. The allocator's hooks store it in the outbox
// in the transaction of the change that causes it, under an idempotency
// key, with the job that delivers it. The job claims the notice, sends it
// and marks it sent; a second run, or a second job for the same notice,
// finds it claimed or sent and sends nothing. Between a send and its mark
// a crash can still repeat a delivery, so every delivery carries the
// notice's key (Message-ID, Idempotency-Key, the event's unique_id) for the
// receiver to drop a repeat. Without a channel, the notice is marked
// skipped and the order's timeline says the customer was not told.
//
// It must not decide anything about the order: a customer's wait or cancel
// goes to the allocator.
package notify

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/orderhub/orderhub"
	"github.com/orderhub/orderhub/store"
)

// Notice kinds.
const (
	KindBackorder = "backorder"
	KindShipment  = "shipment"
)

// ActorNotify is the actor of the timeline events this package writes.
const ActorNotify = "orderhub-notify"

// Item is a quantity of an order line in a notice.
type Item struct {
	LineID      string `json:"line_id"`
	SKU         string `json:"sku"`
	Name        string `json:"name"`
	Quantity    int64  `json:"quantity"`
	BackorderID string `json:"backorder_id,omitempty"`
	// ETA is the estimated ship date (YYYY-MM-DD), empty when unknown.
	ETA       string `json:"eta,omitempty"`
	ETASource string `json:"eta_source,omitempty"`
	// Status says how an item still to come will come: "in another
	// shipment" or "backordered".
	Status string `json:"status,omitempty"`
}

// Label is the item's name, or its SKU when it has none.
func (i Item) Label() string {
	if strings.TrimSpace(i.Name) != "" {
		return i.Name
	}
	return i.SKU
}

// Payload is what a notice says, stored with it in the outbox and rendered
// by the templates when it is sent.
type Payload struct {
	// Backorder notice: the backordered items.
	Backordered []Item `json:"backordered,omitempty"`
	// Shipment notice: the shipment, its items and what is still to come.
	FulfillmentID  string `json:"fulfillment_id,omitempty"`
	Carrier        string `json:"carrier,omitempty"`
	TrackingNumber string `json:"tracking_number,omitempty"`
	TrackingURL    string `json:"tracking_url,omitempty"`
	Shipped        []Item `json:"shipped,omitempty"`
	ToCome         []Item `json:"to_come,omitempty"`
}

// Message is a rendered notice, ready for a channel.
type Message struct {
	Kind           string            `json:"kind"`
	IdempotencyKey string            `json:"idempotency_key"`
	NoticeID       string            `json:"notice_id"`
	ShopID         string            `json:"shop_id"`
	OrderID        string            `json:"order_id"`
	OrderNumber    string            `json:"order_number"`
	Customer       orderhub.Customer `json:"customer"`
	Subject        string            `json:"subject"`
	Text           string            `json:"text"`
	HTML           string            `json:"html"`
	Payload        Payload           `json:"payload"`
	// Links are the backorder decision links by backorder id and
	// decision ("wait", "cancel").
	Links map[string]map[string]string `json:"links,omitempty"`
}

// Sender delivers a message on one channel.
type Sender interface {
	Send(ctx context.Context, m Message) error
	// Channel names the channel for the timeline, e.g. "mail".
	Channel() string
}

// outbox returns the outbox operations of a store or transaction. store.Tx
// embeds store.OutboxTx; the assertion keeps this package working while it
// is being wired in.
func outbox(x any) (store.OutboxTx, error) {
	ob, ok := x.(store.OutboxTx)
	if !ok {
		return nil, orderhub.Errorf(orderhub.EInternal, "%T has no notice outbox", x)
	}
	return ob, nil
}

// BackorderKey is the idempotency key of the backorder notice of an
// order's backorders.
func BackorderKey(orderID string, backorderIDs []string) string {
	ids := append([]string(nil), backorderIDs...)
	sort.Strings(ids)
	return "backorder:" + orderID + ":" + strings.Join(ids, ",")
}

// ShipmentKey is the idempotency key of a fulfillment's shipment notice.
func ShipmentKey(fulfillmentID string) string { return "shipment:" + fulfillmentID }

func decodePayload(n store.Notice) (Payload, error) {
	var p Payload
	if len(n.Payload) == 0 || string(n.Payload) == "null" {
		return p, nil
	}
	if err := json.Unmarshal(n.Payload, &p); err != nil {
		return p, fmt.Errorf("notice %s: payload: %w", n.ID, err)
	}
	return p, nil
}

func orderLabel(o orderhub.Order) string {
	if strings.TrimSpace(o.ExternalNumber) != "" {
		return o.ExternalNumber
	}
	return o.ExternalID
}
