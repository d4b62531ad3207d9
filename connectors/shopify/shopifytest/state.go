package shopifytest

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"time"

	"github.com/orderhub/orderhub"
	"github.com/orderhub/orderhub/connectors/apiclient/fakeplatform"
)

// Subscription is one webhook subscription created through the API.
type Subscription struct {
	ID          string // gid://shopify/WebhookSubscription/N
	Topic       string // REST form, e.g. "orders/create"
	CallbackURL string
	Format      string // JSON
	CreatedAt   time.Time
}

// FulfillmentOrder is the fake's fulfillment order for an order: one per
// order, at one location, holding every line that requires shipping.
type FulfillmentOrder struct {
	ID                 int64
	OrderID            int64
	AssignedLocationID int64
	Status             string // open, in_progress, closed
	LineItems          []FulfillmentOrderLineItem
}

// GID returns the GraphQL id.
func (f FulfillmentOrder) GID() string { return fmt.Sprintf("gid://shopify/FulfillmentOrder/%d", f.ID) }

// FulfillmentOrderLineItem is a line of a fulfillment order. Its ID is not
// the order line's id (LineItemID): fulfilling needs this one.
type FulfillmentOrderLineItem struct {
	ID                  int64
	LineItemID          int64
	SKU                 string
	Quantity            int64 // total on the fulfillment order
	FulfillableQuantity int64 // what is left to fulfil
}

// GID returns the GraphQL id.
func (l FulfillmentOrderLineItem) GID() string {
	return fmt.Sprintf("gid://shopify/FulfillmentOrderLineItem/%d", l.ID)
}

// Fulfillment is one fulfillment created through fulfillmentCreate.
type Fulfillment struct {
	ID              int64
	OrderID         int64
	Status          string // success
	TrackingCompany string
	TrackingNumber  string
	TrackingURL     string
	NotifyCustomer  bool
	LineItems       []FulfilledLine
	CreatedAt       time.Time
}

// GID returns the GraphQL id.
func (f Fulfillment) GID() string { return fmt.Sprintf("gid://shopify/Fulfillment/%d", f.ID) }

// FulfilledLine is how much of one fulfillment order line a fulfillment
// shipped.
type FulfilledLine struct {
	FulfillmentOrderID         int64
	FulfillmentOrderLineItemID int64
	LineItemID                 int64
	Quantity                   int64
}

// AddOrder stores an order: REST Order JSON, bare (as webhooks carry it)
// or wrapped in {"order": ...}. It needs an integer id; updated_at (and
// created_at) default to now. Adding an id again replaces the order. It
// returns the id.
func (s *Server) AddOrder(raw []byte) (int64, error) {
	var env map[string]json.RawMessage
	if err := json.Unmarshal(raw, &env); err == nil && len(env) == 1 && env["order"] != nil {
		raw = env["order"]
	}
	var o map[string]any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&o); err != nil {
		return 0, orderhub.WrapError(orderhub.EInvalid, err, "shopifytest: order is not a JSON object")
	}
	id := fakeplatform.IDOf(o)
	if id <= 0 {
		return 0, orderhub.Errorf(orderhub.EInvalid, "shopifytest: order has no integer id")
	}
	now := s.Clock().UTC().Format(time.RFC3339)
	if fakeplatform.JSONString(o["created_at"]) == "" {
		o["created_at"] = now
	}
	if fakeplatform.JSONString(o["updated_at"]) == "" {
		o["updated_at"] = now
	}
	if _, ok := o["admin_graphql_api_id"]; !ok {
		o["admin_graphql_api_id"] = fmt.Sprintf("gid://shopify/Order/%d", id)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	od := &order{id: id, data: o}
	od.fos = s.newFulfillmentOrders(od)
	s.orders[id] = od
	return id, nil
}

// newFulfillmentOrders builds the one open fulfillment order of an order.
func (s *Server) newFulfillmentOrders(o *order) []*fulfillmentOrder {
	fo := &fulfillmentOrder{FulfillmentOrder{ID: s.nextFOID, OrderID: o.id, AssignedLocationID: 905684977, Status: "open"}}
	s.nextFOID++
	lines, _ := o.data["line_items"].([]any)
	for _, l := range lines {
		lm, ok := l.(map[string]any)
		if !ok {
			continue
		}
		if rs, ok := lm["requires_shipping"].(bool); ok && !rs {
			continue
		}
		q, _ := strconv.ParseInt(fakeplatform.JSONString(lm["quantity"]), 10, 64)
		lid := fakeplatform.IDOf(lm)
		s.nextFOLine++
		fo.LineItems = append(fo.LineItems, FulfillmentOrderLineItem{
			ID: s.nextFOLine, LineItemID: lid, SKU: fakeplatform.JSONString(lm["sku"]), Quantity: q, FulfillableQuantity: q,
		})
	}
	if len(fo.LineItems) == 0 {
		fo.Status = "closed"
	}
	return []*fulfillmentOrder{fo}
}

type fulfillmentOrder struct{ FulfillmentOrder }

func (f *fulfillmentOrder) copy() FulfillmentOrder {
	c := f.FulfillmentOrder
	c.LineItems = append([]FulfillmentOrderLineItem(nil), f.LineItems...)
	return c
}

// rest renders the REST FulfillmentOrder resource.
func (f FulfillmentOrder) rest() map[string]any {
	lines := make([]any, len(f.LineItems))
	for i, l := range f.LineItems {
		lines[i] = map[string]any{
			"id": l.ID, "fulfillment_order_id": f.ID, "line_item_id": l.LineItemID,
			"quantity": l.Quantity, "fulfillable_quantity": l.FulfillableQuantity,
		}
	}
	actions := []string{"create_fulfillment", "hold", "move"}
	if f.Status == "closed" {
		actions = []string{}
	}
	return map[string]any{
		"id": f.ID, "order_id": f.OrderID, "assigned_location_id": f.AssignedLocationID,
		"status": f.Status, "request_status": "unsubmitted", "line_items": lines,
		"supported_actions": actions, "fulfillment_holds": []any{},
	}
}

// Order returns the stored order as bare REST JSON.
func (s *Server) Order(id int64) (json.RawMessage, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.orders[id]
	if !ok {
		return nil, false
	}
	b, _ := json.Marshal(o.data)
	return b, true
}

// OrderIDs returns the stored order ids, ascending.
func (s *Server) OrderIDs() []int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	ids := make([]int64, 0, len(s.orders))
	for id := range s.orders {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	return ids
}

// UpdateOrder changes a stored order through f, which gets the decoded
// order (numbers as json.Number), then sets updated_at to now unless f
// changed it. An unknown id is a NotFound error.
func (s *Server) UpdateOrder(id int64, f func(order map[string]any)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.orders[id]
	if !ok {
		return orderhub.Errorf(orderhub.ENotFound, "shopifytest: no order %d", id)
	}
	before := fakeplatform.JSONString(o.data["updated_at"])
	f(o.data)
	if fakeplatform.JSONString(o.data["updated_at"]) == before {
		o.data["updated_at"] = s.Clock().UTC().Format(time.RFC3339)
	}
	return nil
}

// FulfillmentOrders returns the fulfillment orders of an order.
func (s *Server) FulfillmentOrders(orderID int64) ([]FulfillmentOrder, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.orders[orderID]
	if !ok {
		return nil, false
	}
	out := make([]FulfillmentOrder, len(o.fos))
	for i, fo := range o.fos {
		out[i] = fo.copy()
	}
	return out, true
}

// Fulfillments returns every fulfillment created, oldest first.
func (s *Server) Fulfillments() []Fulfillment {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Fulfillment, len(s.fulfillment))
	for i, f := range s.fulfillment {
		f.LineItems = append([]FulfilledLine(nil), f.LineItems...)
		out[i] = f
	}
	return out
}

// Subscriptions returns the webhook subscriptions, oldest first.
func (s *Server) Subscriptions() []Subscription {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Subscription(nil), s.subs...)
}

// AddSubscription creates a subscription directly, as if made earlier by
// another tool, and returns it.
func (s *Server) AddSubscription(topic, callbackURL string) Subscription {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addSubscriptionLocked(topic, callbackURL)
}

func (s *Server) addSubscriptionLocked(topic, callbackURL string) Subscription {
	sub := Subscription{
		ID:          fmt.Sprintf("gid://shopify/WebhookSubscription/%d", s.nextSubID),
		Topic:       topic,
		CallbackURL: callbackURL,
		Format:      "JSON",
		CreatedAt:   s.Clock().UTC(),
	}
	s.nextSubID++
	s.subs = append(s.subs, sub)
	return sub
}

// RemoveSubscription deletes a subscription by id, as Shopify does after
// repeated failed deliveries; it reports whether one was removed.
func (s *Server) RemoveSubscription(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, sub := range s.subs {
		if sub.ID == id {
			s.subs = append(s.subs[:i:i], s.subs[i+1:]...)
			return true
		}
	}
	return false
}

// ---- helpers ----

func parseTime(s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("bad time %q", s)
}

func encodeCursor(c pageCursor) string {
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeCursor(s string, c *pageCursor) error {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, c)
}
