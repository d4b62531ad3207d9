package bigcommerce

// Write-back through the v2 orders API: a shipment per fulfillment with
// its order products and tracking, the order status Partially Shipped or
// Shipped, and notes appended to the order's staff notes.
//
// Exactly once. POST /shipments is not idempotent. Every shipment orderhub
// creates carries a marker "[orderhub fulfillment ID]" in its comments,
// which BigCommerce keeps and lists, so before creating the Writer lists
// the order's shipments and adopts the one with our marker, or, failing
// that, one with our tracking number that no other orderhub fulfillment of
// the order has claimed. BigCommerce also refuses to ship more units than
// are left, so a duplicate cannot slip past the list either.
//
// Notes: there is no write API for order messages, and staff_notes is one
// field that PUT overwrites, so a note is read, appended to and written
// back, skipped when its marker line is there, and read again afterwards
// to notice a concurrent writer.

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/orderhub/orderhub"
	"github.com/orderhub/orderhub/connectors/apiclient"
)

// ShipmentItem is a quantity of one order product in a shipment.
type ShipmentItem struct {
	OrderProductID json.Number `json:"order_product_id"`
	Quantity       json.Number `json:"quantity"`
}

// Shipment is a v2 order shipment.
type Shipment struct {
	ID               json.Number    `json:"id"`
	OrderID          json.Number    `json:"order_id"`
	OrderAddressID   json.Number    `json:"order_address_id"`
	TrackingNumber   string         `json:"tracking_number"`
	ShippingProvider string         `json:"shipping_provider"`
	TrackingCarrier  string         `json:"tracking_carrier"`
	TrackingLink     string         `json:"tracking_link"`
	Comments         string         `json:"comments"`
	Items            []ShipmentItem `json:"items"`
}

// ShipmentInput creates or updates a shipment. OrderAddressID and Items are
// required to create and ignored by an update.
type ShipmentInput struct {
	OrderAddressID   string
	Items            []ShipmentItem
	TrackingNumber   string
	ShippingProvider string // one of BigCommerce's providers, or ""
	TrackingLink     string
	Comments         string
}

func (in ShipmentInput) body(create bool) (map[string]any, error) {
	b := map[string]any{"tracking_number": in.TrackingNumber, "shipping_provider": in.ShippingProvider, "comments": in.Comments}
	if in.TrackingLink != "" {
		b["tracking_link"] = in.TrackingLink
	}
	if !create {
		return b, nil
	}
	if !isDigits(in.OrderAddressID) {
		return nil, orderhub.Errorf(orderhub.EInvalid, "bigcommerce shipment: order_address_id %q is not a number", in.OrderAddressID)
	}
	if len(in.Items) == 0 {
		return nil, orderhub.Errorf(orderhub.EInvalid, "bigcommerce shipment: no items")
	}
	for _, it := range in.Items {
		if !isDigits(it.OrderProductID.String()) || !isDigits(it.Quantity.String()) {
			return nil, orderhub.Errorf(orderhub.EInvalid, "bigcommerce shipment: item %s × %s is not numeric", it.Quantity, it.OrderProductID)
		}
	}
	b["order_address_id"] = json.Number(in.OrderAddressID)
	b["items"] = in.Items
	return b, nil
}

func checkOrderID(id string) error {
	if !isDigits(id) {
		return orderhub.Errorf(orderhub.EInvalid, "bigcommerce API: order id %q is not a number", id)
	}
	return nil
}

// ListShipments returns every shipment of an order.
func (c *Client) ListShipments(ctx context.Context, orderID string) ([]Shipment, error) {
	if err := checkOrderID(orderID); err != nil {
		return nil, err
	}
	raws, err := c.listV2(ctx, "/v2/orders/"+orderID+"/shipments", nil)
	if err != nil {
		return nil, err
	}
	out := make([]Shipment, 0, len(raws))
	for _, r := range raws {
		var s Shipment
		if err := decodeNumbers(r, &s); err != nil {
			return nil, orderhub.WrapError(orderhub.EUnavailable, err, "bigcommerce API: a shipment of order %s is not the expected JSON", orderID)
		}
		out = append(out, s)
	}
	return out, nil
}

func decodeNumbers(b []byte, out any) error {
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.UseNumber()
	return dec.Decode(out)
}

// CreateShipment creates a shipment. It is not idempotent, so it is not
// retried after a failure that may have followed its effect; Writer checks
// the order's shipments first.
func (c *Client) CreateShipment(ctx context.Context, orderID string, in ShipmentInput) (Shipment, error) {
	if err := checkOrderID(orderID); err != nil {
		return Shipment{}, err
	}
	body, err := in.body(true)
	if err != nil {
		return Shipment{}, err
	}
	b, err := json.Marshal(body)
	if err != nil {
		return Shipment{}, orderhub.WrapError(orderhub.EInvalid, err, "bigcommerce API: cannot encode the shipment")
	}
	r := apiclient.Request{Method: http.MethodPost, URL: c.store + "/v2/orders/" + orderID + "/shipments", Header: http.Header{}, Body: b, Unsafe: true}
	r.Header.Set(HeaderAuthToken, c.token)
	r.Header.Set("Accept", "application/json")
	r.Header.Set("Content-Type", "application/json")
	resp, err := c.api.Do(ctx, r)
	if err != nil {
		return Shipment{}, err
	}
	var s Shipment
	if err := c.api.DecodeJSON(resp, "POST shipments", &s); err != nil {
		return Shipment{}, err
	}
	return s, nil
}

// UpdateShipment changes a shipment's tracking and comments.
func (c *Client) UpdateShipment(ctx context.Context, orderID, shipmentID string, in ShipmentInput) (Shipment, error) {
	if err := checkOrderID(orderID); err != nil {
		return Shipment{}, err
	}
	if !isDigits(shipmentID) {
		return Shipment{}, orderhub.Errorf(orderhub.EInvalid, "bigcommerce API: shipment id %q is not a number", shipmentID)
	}
	body, _ := in.body(false)
	resp, err := c.do(ctx, http.MethodPut, "/v2/orders/"+orderID+"/shipments/"+shipmentID, nil, body)
	if err != nil {
		return Shipment{}, err
	}
	var s Shipment
	if err := c.api.DecodeJSON(resp, "PUT shipments", &s); err != nil {
		return Shipment{}, err
	}
	return s, nil
}

// ShippingAddressIDs returns the ids of an order's shipping addresses, in
// BigCommerce's order.
func (c *Client) ShippingAddressIDs(ctx context.Context, orderID string) ([]string, error) {
	if err := checkOrderID(orderID); err != nil {
		return nil, err
	}
	raws, err := c.listV2(ctx, "/v2/orders/"+orderID+"/shipping_addresses", nil)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, r := range raws {
		var a struct {
			ID json.Number `json:"id"`
		}
		if err := decodeNumbers(r, &a); err != nil {
			return nil, orderhub.WrapError(orderhub.EUnavailable, err, "bigcommerce API: a shipping address of order %s is not the expected JSON", orderID)
		}
		out = append(out, a.ID.String())
	}
	return out, nil
}

// OrderSummary is what write-back reads of an order.
type OrderSummary struct {
	StatusID   int64
	StaffNotes string
}

// GetOrderSummary reads an order's status and staff notes.
func (c *Client) GetOrderSummary(ctx context.Context, orderID string) (OrderSummary, error) {
	if err := checkOrderID(orderID); err != nil {
		return OrderSummary{}, err
	}
	resp, err := c.do(ctx, http.MethodGet, "/v2/orders/"+orderID, nil, nil)
	if err != nil {
		return OrderSummary{}, err
	}
	var o struct {
		StatusID   json.Number `json:"status_id"`
		StaffNotes *string     `json:"staff_notes"`
	}
	if err := c.api.DecodeJSON(resp, "GET order", &o); err != nil {
		return OrderSummary{}, err
	}
	var s OrderSummary
	s.StatusID, _ = o.StatusID.Int64()
	if o.StaffNotes != nil {
		s.StaffNotes = *o.StaffNotes
	}
	return s, nil
}

// UpdateOrder sets fields of an order (PUT /v2/orders/{id}), such as
// status_id or staff_notes, which overwrites.
func (c *Client) UpdateOrder(ctx context.Context, orderID string, fields map[string]any) error {
	if err := checkOrderID(orderID); err != nil {
		return err
	}
	_, err := c.do(ctx, http.MethodPut, "/v2/orders/"+orderID, nil, fields)
	return err
}

// NoteMarker starts every orderhub note (and shipment comment) with key.
func NoteMarker(key string) string { return "[orderhub " + key + "]" }

// ShipmentMarker is the marker in the comments of the shipment of a
// fulfillment.
func ShipmentMarker(fulfillmentID string) string { return NoteMarker("fulfillment " + fulfillmentID) }

// ShippingProvider maps a carrier name to BigCommerce's shipping_provider,
// or "" when it has none for it (the tracking link then says where to
// track).
func ShippingProvider(carrier string) string {
	switch strings.ToLower(strings.NewReplacer(" ", "", "-", "", "_", "").Replace(carrier)) {
	case "usps":
		return "usps"
	case "ups":
		return "ups"
	case "fedex":
		return "fedex"
	case "canadapost":
		return "canadapost"
	case "auspost", "australiapost":
		return "auspost"
	case "royalmail":
		return "royalmail"
	}
	return ""
}

// Writer writes orderhub's fulfillments and notes back to one store.
type Writer struct {
	Client *Client
}

// WriteFulfillment makes the order on BigCommerce show f as a shipment
// with its order products and tracking, once: it updates the shipment f
// is written as (f.PlatformID), adopts one already there (see the file
// comment) or creates it, then sets the status to Shipped when the whole
// order has shipped (o.Status fulfilled or delivered), else Partially
// Shipped. It returns the shipment id.
func (w *Writer) WriteFulfillment(ctx context.Context, o orderhub.Order, f orderhub.Fulfillment, siblings []orderhub.Fulfillment) (string, error) {
	marker := ShipmentMarker(f.ID)
	in := ShipmentInput{TrackingNumber: f.TrackingNumber, ShippingProvider: ShippingProvider(f.Carrier), TrackingLink: f.TrackingURL,
		Comments: marker + " " + shipmentComment(f)}
	id := f.PlatformID
	if id == "" {
		shipments, err := w.Client.ListShipments(ctx, o.ExternalID)
		if err != nil {
			return "", err
		}
		claimed := map[string]bool{}
		for _, s := range siblings {
			if s.ID != f.ID && s.PlatformID != "" {
				claimed[s.PlatformID] = true
			}
		}
		var found *Shipment
		for i, s := range shipments {
			if strings.Contains(s.Comments, marker) {
				found = &shipments[i]
				break
			}
		}
		if found == nil && f.TrackingNumber != "" {
			for i, s := range shipments {
				if !claimed[s.ID.String()] && strings.EqualFold(strings.TrimSpace(s.TrackingNumber), strings.TrimSpace(f.TrackingNumber)) {
					found = &shipments[i]
					break
				}
			}
		}
		if found == nil {
			created, err := w.create(ctx, o, f, in)
			if err != nil {
				return "", err
			}
			id = created.ID.String()
		} else {
			id = found.ID.String()
			if found.TrackingNumber != f.TrackingNumber || (f.TrackingURL != "" && found.TrackingLink != f.TrackingURL) {
				if _, err := w.Client.UpdateShipment(ctx, o.ExternalID, id, in); err != nil {
					return "", err
				}
			}
		}
	} else if f.TrackingNumber != "" {
		if _, err := w.Client.UpdateShipment(ctx, o.ExternalID, id, in); err != nil {
			return "", err
		}
	}
	if err := w.syncStatus(ctx, o); err != nil {
		return "", err
	}
	return id, nil
}

func (w *Writer) create(ctx context.Context, o orderhub.Order, f orderhub.Fulfillment, in ShipmentInput) (Shipment, error) {
	ext := map[string]string{}
	for _, l := range o.Lines {
		ext[l.ID] = l.ExternalID
	}
	qty := map[string]int64{}
	var order []string
	for _, fl := range f.Lines {
		pid := ext[fl.LineID]
		if pid == "" {
			return Shipment{}, orderhub.Errorf(orderhub.EInvalid, "fulfillment %s: line %s has no BigCommerce order product id", f.ID, fl.LineID)
		}
		if _, seen := qty[pid]; !seen {
			order = append(order, pid)
		}
		qty[pid] += fl.Quantity
	}
	for _, pid := range order {
		in.Items = append(in.Items, ShipmentItem{OrderProductID: json.Number(pid), Quantity: json.Number(fmt.Sprint(qty[pid]))})
	}
	in.OrderAddressID = o.ShippingAddr.ExternalID
	if in.OrderAddressID == "" {
		ids, err := w.Client.ShippingAddressIDs(ctx, o.ExternalID)
		if err != nil {
			return Shipment{}, err
		}
		if len(ids) == 0 {
			return Shipment{}, orderhub.Errorf(orderhub.EInvalid, "bigcommerce order %s has no shipping address to ship to", o.ExternalID)
		}
		// The normaliser takes the first shipping address as the order's.
		in.OrderAddressID = ids[0]
	}
	return w.Client.CreateShipment(ctx, o.ExternalID, in)
}

func shipmentComment(f orderhub.Fulfillment) string {
	var parts []string
	for _, l := range f.Lines {
		parts = append(parts, fmt.Sprintf("%d × %s", l.Quantity, l.SKU))
	}
	s := "shipped " + strings.Join(parts, ", ")
	if f.SourceID != "" {
		s += " from " + f.SourceID
	}
	return s
}

// finalStatuses are statuses write-back never moves an order out of.
var finalStatuses = map[int64]bool{StatusShipped: true, StatusRefunded: true, StatusCancelled: true, StatusDeclined: true,
	StatusCompleted: true, StatusDisputed: true, StatusPartiallyRefunded: true}

func (w *Writer) syncStatus(ctx context.Context, o orderhub.Order) error {
	want := int64(StatusPartiallyShipped)
	if o.Status == orderhub.StatusFulfilled || o.Status == orderhub.StatusDelivered {
		want = StatusShipped
	}
	cur, err := w.Client.GetOrderSummary(ctx, o.ExternalID)
	if err != nil {
		return err
	}
	if cur.StatusID == want || finalStatuses[cur.StatusID] {
		return nil
	}
	return w.Client.UpdateOrder(ctx, o.ExternalID, map[string]any{"status_id": want})
}

// AppendNote returns notes with "[orderhub key] text" on a line of its
// own.
func AppendNote(notes, key, text string) string {
	text = strings.TrimSpace(text)
	if r := []rune(text); len(r) > 1000 {
		text = string(r[:999]) + "…"
	}
	line := NoteMarker(key) + " " + text
	notes = strings.TrimRight(notes, "\n ")
	if notes == "" {
		return line
	}
	return notes + "\n" + line
}

// AddNote appends "[orderhub key] text" to the order's staff notes unless
// the marker is there already, and reads them back to make sure a
// concurrent writer did not drop it (up to three tries).
func (w *Writer) AddNote(ctx context.Context, o orderhub.Order, key, text string) error {
	marker := NoteMarker(key)
	for range 3 {
		cur, err := w.Client.GetOrderSummary(ctx, o.ExternalID)
		if err != nil {
			return err
		}
		if strings.Contains(cur.StaffNotes, marker) {
			return nil
		}
		if err := w.Client.UpdateOrder(ctx, o.ExternalID, map[string]any{"staff_notes": AppendNote(cur.StaffNotes, key, text)}); err != nil {
			return err
		}
		after, err := w.Client.GetOrderSummary(ctx, o.ExternalID)
		if err != nil {
			return err
		}
		if strings.Contains(after.StaffNotes, marker) {
			return nil
		}
	}
	return orderhub.Errorf(orderhub.EConflict, "bigcommerce order %s: note %s was overwritten by another writer three times", o.ExternalID, marker)
}
