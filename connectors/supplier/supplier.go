// Package supplier is orderhub's dropship-supplier protocol: the purchase
// order orderhub posts to a supplier, and the tracking callbacks the
// supplier posts back to /webhooks/supplier/{supplier id}. Both directions
// are JSON signed per Standard Webhooks with the supplier's
// delivery.secret (a whsec_ secret is base64-decoded; any other is used as
// raw bytes).
//
// Purchase order (orderhub → supplier), POST delivery.webhook_url:
//
//	webhook-id: <fulfillment id>   stable across retries: dedupe on it
//	webhook-timestamp, webhook-signature
//	{"type": "purchase_order.created", "purchase_order": {"id": <fulfillment id>, "order_id", "order_number",
//	 "supplier_id", "created_at", "ship_to": {...}, "lines": [{"line_id", "sku", "name", "quantity",
//	 "unit_cost": {"amount": "4.20", "currency": "USD"}}], "callback_url"}}
//
// Any 2xx accepts it; the answer may carry {"reference": "<supplier PO
// number>"}. A retried delivery carries the same webhook-id and body.
//
// Callback (supplier → orderhub), POST /webhooks/supplier/{supplier id}:
//
//	webhook-id: <unique per event>  webhook-timestamp, webhook-signature
//	{"type": "purchase_order.shipped", "purchase_order_id": <fulfillment id>,
//	 "carrier": "UPS", "tracking_number": "1Z...", "tracking_url": "...", "note": "..."}
//
// with type one of purchase_order.accepted, .shipped, .delivered,
// .rejected or .cancelled. This package owns that wire format and a thin
// client on connectors/apiclient; it touches no store and imports no other
// connector.
package supplier

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/orderhub/orderhub"
	"github.com/orderhub/orderhub/connectors/apiclient"
	"github.com/orderhub/orderhub/connectors/standardwebhooks"
)

// Types of the messages.
const (
	TypePurchaseOrderCreated = "purchase_order.created"
	TypeAccepted             = "purchase_order.accepted"
	TypeShipped              = "purchase_order.shipped"
	TypeDelivered            = "purchase_order.delivered"
	TypeRejected             = "purchase_order.rejected"
	TypeCancelled            = "purchase_order.cancelled"
)

// Address is where a purchase order ships to.
type Address struct {
	Name     string `json:"name,omitempty"`
	Company  string `json:"company,omitempty"`
	Address1 string `json:"address1,omitempty"`
	Address2 string `json:"address2,omitempty"`
	City     string `json:"city,omitempty"`
	Province string `json:"province,omitempty"`
	Zip      string `json:"zip,omitempty"`
	Country  string `json:"country,omitempty"`
	Phone    string `json:"phone,omitempty"`
	Email    string `json:"email,omitempty"`
}

// Cost is an exact decimal amount.
type Cost struct {
	Amount   string `json:"amount"`
	Currency string `json:"currency"`
}

// Line is one SKU of a purchase order.
type Line struct {
	LineID   string `json:"line_id"`
	SKU      string `json:"sku"`
	Name     string `json:"name,omitempty"`
	Quantity int64  `json:"quantity"`
	UnitCost *Cost  `json:"unit_cost,omitempty"`
}

// PurchaseOrder asks a supplier to ship lines to a customer.
type PurchaseOrder struct {
	ID          string    `json:"id"` // orderhub's fulfillment id
	OrderID     string    `json:"order_id"`
	OrderNumber string    `json:"order_number,omitempty"`
	ShopID      string    `json:"shop_id,omitempty"`
	SupplierID  string    `json:"supplier_id"`
	CreatedAt   time.Time `json:"created_at"`
	ShipTo      Address   `json:"ship_to"`
	Lines       []Line    `json:"lines"`
	// CallbackURL is where the supplier posts tracking, when orderhub
	// knows its public URL.
	CallbackURL string `json:"callback_url,omitempty"`
}

// Message is the body of a purchase order delivery.
type Message struct {
	Type          string        `json:"type"`
	PurchaseOrder PurchaseOrder `json:"purchase_order"`
}

// Ack is the supplier's answer to a purchase order.
type Ack struct {
	Reference string `json:"reference,omitempty"` // the supplier's own PO number
	Status    string `json:"status,omitempty"`
}

// EncodePO returns the body of a purchase order delivery.
func EncodePO(po PurchaseOrder) ([]byte, error) {
	b, err := json.Marshal(Message{Type: TypePurchaseOrderCreated, PurchaseOrder: po})
	if err != nil {
		return nil, orderhub.WrapError(orderhub.EInvalid, err, "supplier: cannot encode purchase order %s", po.ID)
	}
	return b, nil
}

// SignHeaders returns the Standard Webhooks headers of body with id at t,
// signed with secret.
func SignHeaders(secret, id string, t time.Time, body []byte) (http.Header, error) {
	key, err := standardwebhooks.DecodeSecret(secret)
	if err != nil {
		return nil, err
	}
	h := standardwebhooks.SignHeaders(key, id, t, body)
	h.Set("Content-Type", "application/json")
	return h, nil
}

// Client posts purchase orders. It is safe for concurrent use.
type Client struct {
	api *apiclient.Client
	now func() time.Time
}

// NewClient returns a Client; o tunes retries and the clock (Platform is
// set to "supplier").
func NewClient(o apiclient.Options) *Client {
	o.Platform = "supplier"
	now := o.Now
	if now == nil {
		now = time.Now
	}
	return &Client{api: apiclient.New(o), now: now}
}

// SendPO posts po to url signed with secret, webhook-id = po.ID, and
// returns the supplier's acknowledgement. Retries repeat the same id and
// body, so the supplier can drop duplicates.
func (c *Client) SendPO(ctx context.Context, url, secret string, po PurchaseOrder) (Ack, error) {
	if po.ID == "" {
		return Ack{}, orderhub.Errorf(orderhub.EInvalid, "supplier: purchase order without an id")
	}
	body, err := EncodePO(po)
	if err != nil {
		return Ack{}, err
	}
	h, err := SignHeaders(secret, po.ID, c.now(), body)
	if err != nil {
		return Ack{}, orderhub.WrapError(orderhub.EInvalid, err, "supplier %s: delivery secret is not usable", po.SupplierID)
	}
	resp, err := c.api.Do(ctx, apiclient.Request{Method: http.MethodPost, URL: url, Header: h, Body: body})
	if err != nil {
		return Ack{}, err
	}
	var ack Ack
	if b := bytes.TrimSpace(resp.Body); len(b) > 0 && b[0] == '{' {
		_ = json.Unmarshal(b, &ack) // an answer without JSON is still an acceptance
	}
	return ack, nil
}

// VerifyCallback checks a supplier callback's Standard Webhooks signature
// with the supplier's secret at now, and returns its webhook-id (the key
// to dedupe on). Failures are Unauthorized errors that never quote the
// secret.
func VerifyCallback(h http.Header, body []byte, secret string, now time.Time) (standardwebhooks.Message, error) {
	key, err := standardwebhooks.DecodeSecret(secret)
	if err != nil {
		return standardwebhooks.Message{}, orderhub.WrapError(orderhub.EUnauthorized, err, "supplier callback secret is not usable")
	}
	return standardwebhooks.Verify(h, body, now, 0, key)
}

// Update is a decoded supplier callback.
type Update struct {
	Type            string    `json:"type"`
	PurchaseOrderID string    `json:"purchase_order_id"`
	Carrier         string    `json:"carrier,omitempty"`
	TrackingNumber  string    `json:"tracking_number,omitempty"`
	TrackingURL     string    `json:"tracking_url,omitempty"`
	Note            string    `json:"note,omitempty"`
	OccurredAt      time.Time `json:"occurred_at,omitzero"`
}

// maxDecodeBytes caps what DecodeCallback reads.
const maxDecodeBytes = 1 << 20

// DecodeCallback reads a verified callback. A body that is not an object
// with a known type and a purchase_order_id, or a shipped update without
// a tracking number, is an Invalid error; it never panics.
func DecodeCallback(body []byte) (Update, error) {
	body = bytes.TrimSpace(body)
	if len(body) > maxDecodeBytes {
		return Update{}, orderhub.Errorf(orderhub.EInvalid, "supplier callback: body is too large")
	}
	if len(body) == 0 || body[0] != '{' {
		return Update{}, orderhub.Errorf(orderhub.EInvalid, "supplier callback: the body is not a JSON object")
	}
	var u Update
	if err := json.Unmarshal(body, &u); err != nil {
		return Update{}, orderhub.WrapError(orderhub.EInvalid, err, "supplier callback: the body is not the expected JSON")
	}
	u.PurchaseOrderID = strings.TrimSpace(u.PurchaseOrderID)
	if u.PurchaseOrderID == "" {
		return Update{}, orderhub.Errorf(orderhub.EInvalid, "supplier callback: purchase_order_id is required")
	}
	switch u.Type {
	case TypeAccepted, TypeDelivered, TypeRejected, TypeCancelled:
	case TypeShipped:
		if strings.TrimSpace(u.TrackingNumber) == "" {
			return Update{}, orderhub.Errorf(orderhub.EInvalid, "supplier callback: a shipped update needs a tracking_number")
		}
	default:
		return Update{}, orderhub.Errorf(orderhub.EInvalid, "supplier callback: type %q is not one of purchase_order.accepted, .shipped, .delivered, .rejected, .cancelled", u.Type)
	}
	return u, nil
}
