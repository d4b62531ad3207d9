package woocommerce

// Write-back through the REST API v3: a private order note per shipment
// and per routing decision, the Shipment Tracking extension's tracking item
// where the store runs it, and status completed once everything shipped.
//
// Exactly once. Notes are not idempotent: posting twice shows twice. Every
// orderhub note starts with a marker "[orderhub KEY]", and before posting
// the Writer lists the order's notes and skips one whose marker is there
// already, so a retry after a lost answer adds nothing. Tracking items are
// matched by tracking number the same way, and the status is set only when
// it is not completed yet.

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/orderhub/orderhub"
)

// ShipmentTrackingPath is where the Shipment Tracking extension's REST API
// lives under a site's URL.
const ShipmentTrackingPath = "/wp-json/wc-shipment-tracking/v3"

// OrderNote is a note on an order.
type OrderNote struct {
	ID           json.Number `json:"id"`
	Note         string      `json:"note"`
	CustomerNote bool        `json:"customer_note"`
	DateCreated  string      `json:"date_created_gmt,omitempty"`
}

// ShipmentTracking is one tracking item of the Shipment Tracking extension.
type ShipmentTracking struct {
	TrackingID             string `json:"tracking_id,omitempty"`
	TrackingProvider       string `json:"tracking_provider,omitempty"`
	CustomTrackingProvider string `json:"custom_tracking_provider,omitempty"`
	CustomTrackingLink     string `json:"custom_tracking_link,omitempty"`
	TrackingLink           string `json:"tracking_link,omitempty"`
	TrackingNumber         string `json:"tracking_number"`
	DateShipped            string `json:"date_shipped,omitempty"` // YYYY-MM-DD
}

func checkID(id string) error {
	if !isDigits(id) {
		return orderhub.Errorf(orderhub.EInvalid, "woocommerce API: order id %q is not a number", id)
	}
	return nil
}

// ListOrderNotes returns every note of an order, newest first, as
// WooCommerce lists them.
func (c *Client) ListOrderNotes(ctx context.Context, orderID string) ([]OrderNote, error) {
	if err := checkID(orderID); err != nil {
		return nil, err
	}
	var out []OrderNote
	if _, err := c.do(ctx, http.MethodGet, "/orders/"+orderID+"/notes", nil, nil, &out); err != nil {
		return nil, err
	}
	return out, nil
}

// AddOrderNote posts a note on an order: private unless customerNote,
// which also emails the customer. It is not idempotent, so it is not
// retried after a failure that may have followed its effect; Writer checks
// the notes first.
func (c *Client) AddOrderNote(ctx context.Context, orderID, note string, customerNote bool) (OrderNote, error) {
	if err := checkID(orderID); err != nil {
		return OrderNote{}, err
	}
	r, err := c.request(http.MethodPost, "/orders/"+orderID+"/notes", nil,
		map[string]any{"note": note, "customer_note": customerNote, "added_by_user": false})
	if err != nil {
		return OrderNote{}, err
	}
	r.Unsafe = true
	resp, err := c.api.Do(ctx, r)
	if err != nil {
		return OrderNote{}, err
	}
	var out OrderNote
	if err := c.api.DecodeJSON(resp, "POST notes", &out); err != nil {
		return OrderNote{}, err
	}
	return out, nil
}

// OrderStatus returns an order's status, e.g. processing.
func (c *Client) OrderStatus(ctx context.Context, orderID string) (string, error) {
	if err := checkID(orderID); err != nil {
		return "", err
	}
	var o struct {
		Status string `json:"status"`
	}
	if _, err := c.do(ctx, http.MethodGet, "/orders/"+orderID, nil, nil, &o); err != nil {
		return "", err
	}
	return o.Status, nil
}

// SetOrderStatus sets an order's status (PUT /orders/{id}). Completing an
// order makes WooCommerce send its "Completed order" email.
func (c *Client) SetOrderStatus(ctx context.Context, orderID, status string) error {
	if err := checkID(orderID); err != nil {
		return err
	}
	_, err := c.do(ctx, http.MethodPut, "/orders/"+orderID, nil, map[string]any{"status": status}, nil)
	return err
}

func (c *Client) trackingURL(orderID string) string {
	return strings.TrimSuffix(c.base, APIPath) + ShipmentTrackingPath + "/orders/" + orderID + "/shipment-trackings"
}

func (c *Client) doURL(ctx context.Context, method, url string, in, out any) error {
	r, err := c.request(method, "", nil, in)
	if err != nil {
		return err
	}
	r.URL, r.Unsafe = url, method == http.MethodPost
	resp, err := c.api.Do(ctx, r)
	if err != nil {
		return err
	}
	if out != nil {
		return c.api.DecodeJSON(resp, method+" shipment-trackings", out)
	}
	return nil
}

// ListShipmentTrackings returns an order's Shipment Tracking items. A store
// without the extension answers 404 (NotFound).
func (c *Client) ListShipmentTrackings(ctx context.Context, orderID string) ([]ShipmentTracking, error) {
	if err := checkID(orderID); err != nil {
		return nil, err
	}
	var out []ShipmentTracking
	if err := c.doURL(ctx, http.MethodGet, c.trackingURL(orderID), nil, &out); err != nil {
		return nil, err
	}
	return out, nil
}

// AddShipmentTracking adds a tracking item (not idempotent; Writer checks
// first).
func (c *Client) AddShipmentTracking(ctx context.Context, orderID string, t ShipmentTracking) (ShipmentTracking, error) {
	if err := checkID(orderID); err != nil {
		return ShipmentTracking{}, err
	}
	var out ShipmentTracking
	if err := c.doURL(ctx, http.MethodPost, c.trackingURL(orderID), t, &out); err != nil {
		return ShipmentTracking{}, err
	}
	return out, nil
}

// NoteMarker starts every orderhub note with key, so the note is
// recognised when it is already there.
func NoteMarker(key string) string { return "[orderhub " + key + "]" }

// Writer writes orderhub's fulfillments and notes back to one store.
type Writer struct {
	Client *Client
	// ShipmentTracking says the store runs the Shipment Tracking extension
	// (the shop's shipment_tracking setting).
	ShipmentTracking bool
	// Now dates the tracking items; nil means time.Now.
	Now func() time.Time
}

// FulfillmentNoteKey is the note key of a fulfillment with its current
// tracking: a new tracking number is news worth a note of its own.
func FulfillmentNoteKey(f orderhub.Fulfillment) string {
	if f.TrackingNumber == "" {
		return "fulfillment " + f.ID + " shipped"
	}
	return "fulfillment " + f.ID + " tracking " + f.TrackingNumber
}

// ShipmentText describes a fulfillment for a note.
func ShipmentText(o orderhub.Order, f orderhub.Fulfillment) string {
	names := map[string]string{}
	for _, l := range o.Lines {
		names[l.ID] = l.SKU
		if names[l.ID] == "" {
			names[l.ID] = l.Name
		}
	}
	var parts []string
	for _, l := range f.Lines {
		sku := l.SKU
		if sku == "" {
			sku = names[l.LineID]
		}
		parts = append(parts, fmt.Sprintf("%d × %s", l.Quantity, sku))
	}
	text := "Shipped " + strings.Join(parts, ", ")
	if f.SourceID != "" {
		text += " from " + f.SourceID
	}
	switch {
	case f.TrackingNumber != "":
		text += "; tracking " + strings.TrimSpace(f.Carrier+" "+f.TrackingNumber)
		if f.TrackingURL != "" {
			text += " " + f.TrackingURL
		}
	default:
		text += "; no tracking number yet"
	}
	return text
}

// WriteFulfillment records a shipped fulfillment on the order once: a
// private note with its items and tracking, a Shipment Tracking item when
// the store has the extension, and status completed once the whole order
// has shipped (o.Status fulfilled or delivered). It returns the note's id.
func (w *Writer) WriteFulfillment(ctx context.Context, o orderhub.Order, f orderhub.Fulfillment, _ []orderhub.Fulfillment) (string, error) {
	id, err := w.addNoteOnce(ctx, o.ExternalID, FulfillmentNoteKey(f), ShipmentText(o, f))
	if err != nil {
		return "", err
	}
	if w.ShipmentTracking && f.TrackingNumber != "" {
		if err := w.trackOnce(ctx, o.ExternalID, f); err != nil {
			return "", err
		}
	}
	if o.Status == orderhub.StatusFulfilled || o.Status == orderhub.StatusDelivered {
		st, err := w.Client.OrderStatus(ctx, o.ExternalID)
		if err != nil {
			return "", err
		}
		switch st {
		case "pending", "processing", "on-hold":
			if err := w.Client.SetOrderStatus(ctx, o.ExternalID, "completed"); err != nil {
				return "", err
			}
		}
	}
	return id, nil
}

// AddNote posts "[orderhub key] text" as a private note unless a note with
// that marker is there already.
func (w *Writer) AddNote(ctx context.Context, o orderhub.Order, key, text string) error {
	_, err := w.addNoteOnce(ctx, o.ExternalID, key, text)
	return err
}

func (w *Writer) addNoteOnce(ctx context.Context, orderID, key, text string) (string, error) {
	marker := NoteMarker(key)
	notes, err := w.Client.ListOrderNotes(ctx, orderID)
	if err != nil {
		return "", err
	}
	for _, n := range notes {
		if strings.Contains(n.Note, marker) {
			return n.ID.String(), nil
		}
	}
	n, err := w.Client.AddOrderNote(ctx, orderID, marker+" "+strings.TrimSpace(text), false)
	if err != nil {
		return "", err
	}
	return n.ID.String(), nil
}

// trackingProviders are names the Shipment Tracking extension knows, keyed
// by lower case.
var trackingProviders = map[string]string{
	"ups": "UPS", "usps": "USPS", "fedex": "Fedex", "dhl": "DHL", "dhl express": "DHL", "canada post": "Canada Post",
	"royal mail": "Royal Mail", "australia post": "Australia Post",
}

func (w *Writer) trackOnce(ctx context.Context, orderID string, f orderhub.Fulfillment) error {
	items, err := w.Client.ListShipmentTrackings(ctx, orderID)
	if err != nil {
		return err
	}
	for _, it := range items {
		if strings.EqualFold(strings.TrimSpace(it.TrackingNumber), strings.TrimSpace(f.TrackingNumber)) {
			return nil
		}
	}
	now := time.Now
	if w.Now != nil {
		now = w.Now
	}
	t := ShipmentTracking{TrackingNumber: f.TrackingNumber, DateShipped: now().UTC().Format("2006-01-02")}
	if p, ok := trackingProviders[strings.ToLower(strings.TrimSpace(f.Carrier))]; ok {
		t.TrackingProvider = p
	} else {
		t.CustomTrackingProvider = f.Carrier
		t.CustomTrackingLink = f.TrackingURL
	}
	_, err = w.Client.AddShipmentTracking(ctx, orderID, t)
	return err
}
