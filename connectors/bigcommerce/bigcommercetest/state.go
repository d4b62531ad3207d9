package bigcommercetest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/orderhub/orderhub"
	"github.com/orderhub/orderhub/connectors/apiclient/fakeplatform"
)

// StatusNames are the v2 order statuses by status_id.
var StatusNames = map[int64]string{
	0: "Incomplete", 1: "Pending", 2: "Shipped", 3: "Partially Shipped", 4: "Refunded",
	5: "Cancelled", 6: "Declined", 7: "Awaiting Payment", 8: "Awaiting Pickup",
	9: "Awaiting Shipment", 10: "Completed", 11: "Awaiting Fulfillment",
	12: "Manual Verification Required", 13: "Disputed", 14: "Partially Refunded",
}

// Scopes are the webhook scopes the fake accepts.
var Scopes = []string{
	"store/order/*", "store/order/created", "store/order/updated", "store/order/archived",
	"store/order/statusUpdated", "store/order/message/created", "store/order/refund/created",
	"store/shipment/*", "store/shipment/created", "store/shipment/updated", "store/shipment/deleted",
	"store/product/inventory/order/updated", "store/sku/inventory/order/updated", "store/app/uninstalled",
}

// ShippingProviders are the shipping_provider values a shipment may name.
var ShippingProviders = []string{"", "auspost", "canadapost", "endicia", "usps", "fedex", "royalmail", "ups", "upsready", "shipperhq"}

type order struct {
	id        int64
	data      map[string]any
	products  []map[string]any
	addresses []map[string]any
	shipments []map[string]any
}

// Hook is one webhook of the fake store.
type Hook struct {
	ID          int64
	Scope       string
	Destination string
	Headers     map[string]string
	IsActive    bool
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

func (h *Hook) json(s *Server) map[string]any {
	headers := map[string]string{}
	for k, v := range h.Headers {
		headers[k] = v
	}
	return map[string]any{
		"id": h.ID, "client_id": "fake-client-id", "store_hash": s.o.StoreHash,
		"scope": h.Scope, "destination": h.Destination, "headers": headers, "is_active": h.IsActive,
		"created_at": h.CreatedAt.Unix(), "updated_at": h.UpdatedAt.Unix(),
	}
}

func decodeObjects(what string, raw []byte) ([]map[string]any, error) {
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil, nil
	}
	var v []map[string]any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return nil, orderhub.WrapError(orderhub.EInvalid, err, "bigcommercetest: %s is not a JSON array of objects", what)
	}
	return v, nil
}

// AddOrder stores an order from its three v2 resources: the order, its
// products and its shipping addresses (either may be nil or "[]"). The
// order needs an integer id; date_created and date_modified default to
// now, and the products/shipping_addresses links are pointed at this fake.
// Adding an id again replaces the order. It returns the id.
func (s *Server) AddOrder(orderJSON, products, shippingAddresses []byte) (int64, error) {
	var o map[string]any
	dec := json.NewDecoder(bytes.NewReader(orderJSON))
	dec.UseNumber()
	if err := dec.Decode(&o); err != nil {
		return 0, orderhub.WrapError(orderhub.EInvalid, err, "bigcommercetest: order is not a JSON object")
	}
	id := fakeplatform.IDOf(o)
	if id <= 0 {
		return 0, orderhub.Errorf(orderhub.EInvalid, "bigcommercetest: order has no integer id")
	}
	ps, err := decodeObjects("products", products)
	if err != nil {
		return 0, err
	}
	as, err := decodeObjects("shipping addresses", shippingAddresses)
	if err != nil {
		return 0, err
	}
	now := s.Clock().UTC().Format(time.RFC1123Z)
	for _, k := range []string{"date_created", "date_modified"} {
		if fakeplatform.JSONString(o[k]) == "" {
			o[k] = now
		}
	}
	base := fmt.Sprintf("%s/stores/%s/v2/orders/%d", s.URL, s.o.StoreHash, id)
	o["products"] = map[string]any{"url": base + "/products", "resource": fmt.Sprintf("/orders/%d/products", id)}
	o["shipping_addresses"] = map[string]any{"url": base + "/shipping_addresses", "resource": fmt.Sprintf("/orders/%d/shipping_addresses", id)}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.orders[id] = &order{id: id, data: o, products: ps, addresses: as}
	return id, nil
}

// Order returns the three v2 resources of a stored order.
func (s *Server) Order(id int64) (orderJSON, products, shippingAddresses []byte, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.orders[id]
	if !ok {
		return nil, nil, nil, false
	}
	orderJSON, _ = json.Marshal(o.data)
	products, _ = json.Marshal(nonNil(o.products))
	shippingAddresses, _ = json.Marshal(nonNil(o.addresses))
	return orderJSON, products, shippingAddresses, true
}

func nonNil(v []map[string]any) []map[string]any {
	if v == nil {
		return []map[string]any{}
	}
	return v
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

// UpdateOrder changes a stored v2 order through f, then stamps
// date_modified with now unless f changed it, and keeps status in line
// with status_id. An unknown id is a NotFound error.
func (s *Server) UpdateOrder(id int64, f func(order map[string]any)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.orders[id]
	if !ok {
		return orderhub.Errorf(orderhub.ENotFound, "bigcommercetest: no order %d", id)
	}
	s.updateLocked(o, f)
	return nil
}

func (s *Server) updateLocked(o *order, f func(order map[string]any)) {
	before := fakeplatform.JSONString(o.data["date_modified"])
	f(o.data)
	if fakeplatform.JSONString(o.data["date_modified"]) == before {
		o.data["date_modified"] = s.Clock().UTC().Format(time.RFC1123Z)
	}
	if sid, err := strconv.ParseInt(fakeplatform.JSONString(o.data["status_id"]), 10, 64); err == nil {
		if name, ok := StatusNames[sid]; ok {
			o.data["status"] = name
		}
	}
}

// Shipments returns an order's shipments as v2 JSON objects.
func (s *Server) Shipments(orderID int64) []json.RawMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.orders[orderID]
	if !ok {
		return nil
	}
	out := make([]json.RawMessage, len(o.shipments))
	for i, sh := range o.shipments {
		out[i], _ = json.Marshal(sh)
	}
	return out
}

// Subscriptions returns the hooks, oldest first.
func (s *Server) Subscriptions() []Hook {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Hook, len(s.hooks))
	for i, h := range s.hooks {
		c := *h
		c.Headers = map[string]string{}
		for k, v := range h.Headers {
			c.Headers[k] = v
		}
		out[i] = c
	}
	return out
}

// AddSubscription creates a hook directly, as if made earlier, and
// returns it.
func (s *Server) AddSubscription(scope, destination string, headers map[string]string, active bool) Hook {
	s.mu.Lock()
	defer s.mu.Unlock()
	return *s.addHookLocked(scope, destination, headers, active)
}

func (s *Server) addHookLocked(scope, destination string, headers map[string]string, active bool) *Hook {
	now := s.Clock().UTC()
	h := &Hook{ID: s.nextHook, Scope: scope, Destination: destination, Headers: map[string]string{}, IsActive: active, CreatedAt: now, UpdatedAt: now}
	for k, v := range headers {
		h.Headers[k] = v
	}
	s.nextHook++
	s.hooks = append(s.hooks, h)
	return h
}

// SetSubscriptionActive sets a hook's is_active, as BigCommerce does after
// 48 h of failed callbacks; it reports whether the hook exists.
func (s *Server) SetSubscriptionActive(id int64, active bool) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, h := range s.hooks {
		if h.ID == id {
			h.IsActive, h.UpdatedAt = active, s.Clock().UTC()
			return true
		}
	}
	return false
}

// ---- v2 orders ----

func (s *Server) listOrders(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	type bound struct {
		key   string
		field string
		min   bool
		t     time.Time
		set   bool
	}
	bounds := []*bound{
		{key: "min_date_modified", field: "date_modified", min: true},
		{key: "max_date_modified", field: "date_modified"},
		{key: "min_date_created", field: "date_created", min: true},
		{key: "max_date_created", field: "date_created"},
	}
	for _, b := range bounds {
		if v := q.Get(b.key); v != "" {
			t, err := parseBCTime(v)
			if err != nil {
				s.badRequest(w, fmt.Sprintf("The field '%s' is invalid.", b.key))
				return
			}
			b.t, b.set = t, true
		}
	}
	var statusID *int64
	if v := q.Get("status_id"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			s.badRequest(w, "The field 'status_id' is invalid.")
			return
		}
		statusID = &n
	}
	minID, _ := strconv.ParseInt(q.Get("min_id"), 10, 64)
	maxID, _ := strconv.ParseInt(q.Get("max_id"), 10, 64)
	sortKey, dir, _ := strings.Cut(q.Get("sort"), ":")
	if sortKey == "" {
		sortKey = "id"
	}
	desc := strings.EqualFold(dir, "desc")

	s.mu.Lock()
	var list []*order
	for _, o := range s.orders {
		if statusID != nil && fakeplatform.JSONString(o.data["status_id"]) != strconv.FormatInt(*statusID, 10) {
			continue
		}
		if (minID > 0 && o.id < minID) || (maxID > 0 && o.id > maxID) {
			continue
		}
		keep := true
		for _, b := range bounds {
			if !b.set {
				continue
			}
			t, err := parseBCTime(fakeplatform.JSONString(o.data[b.field]))
			if err != nil || (b.min && t.Before(b.t)) || (!b.min && t.After(b.t)) {
				keep = false
			}
		}
		if keep {
			list = append(list, o)
		}
	}
	sort.Slice(list, func(i, j int) bool {
		a, b := list[i], list[j]
		less := a.id < b.id
		switch sortKey {
		case "date_modified", "date_created":
			ta, _ := parseBCTime(fakeplatform.JSONString(a.data[sortKey]))
			tb, _ := parseBCTime(fakeplatform.JSONString(b.data[sortKey]))
			if !ta.Equal(tb) {
				less = ta.Before(tb)
			}
		}
		if desc {
			return !less
		}
		return less
	})
	items := make([]any, len(list))
	for i, o := range list {
		items[i] = o.data
	}
	b, _ := json.Marshal(items)
	s.mu.Unlock()
	var copied []any
	_ = json.Unmarshal(b, &copied)
	writeV2List(w, r, copied)
}

// withOrder runs f on the order of the path's id under the lock, or
// answers 404.
func (s *Server) withOrder(w http.ResponseWriter, r *http.Request, f func(o *order)) bool {
	id, ok := pathID(r)
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.orders[id]
	if !ok || o == nil {
		s.notFound(w)
		return false
	}
	f(o)
	return true
}

func (s *Server) getOrder(w http.ResponseWriter, r *http.Request) {
	var b []byte
	if s.withOrder(w, r, func(o *order) { b, _ = json.Marshal(o.data) }) {
		writeRaw(w, http.StatusOK, b)
	}
}

func (s *Server) putOrder(w http.ResponseWriter, r *http.Request) {
	var in map[string]any
	if err := fakeplatform.DecodeBody(r, &in); err != nil {
		s.badRequest(w, "The request body is not valid JSON.")
		return
	}
	if v, has := in["status_id"]; has {
		n, err := strconv.ParseInt(fakeplatform.JSONString(v), 10, 64)
		if _, known := StatusNames[n]; err != nil || !known {
			s.badRequest(w, "The field 'status_id' is invalid.")
			return
		}
	}
	var b []byte
	if s.withOrder(w, r, func(o *order) {
		s.updateLocked(o, func(d map[string]any) {
			for _, k := range []string{"status_id", "staff_notes", "customer_message"} {
				if v, has := in[k]; has {
					d[k] = v
				}
			}
		})
		b, _ = json.Marshal(o.data)
	}) {
		writeRaw(w, http.StatusOK, b)
	}
}

func (s *Server) listSub(w http.ResponseWriter, r *http.Request, pick func(o *order) []map[string]any) {
	var items []any
	if !s.withOrder(w, r, func(o *order) {
		b, _ := json.Marshal(nonNil(pick(o)))
		_ = json.Unmarshal(b, &items)
	}) {
		return
	}
	writeV2List(w, r, items)
}

func (s *Server) listProducts(w http.ResponseWriter, r *http.Request) {
	s.listSub(w, r, func(o *order) []map[string]any { return o.products })
}

func (s *Server) listAddresses(w http.ResponseWriter, r *http.Request) {
	s.listSub(w, r, func(o *order) []map[string]any { return o.addresses })
}

func (s *Server) listShipments(w http.ResponseWriter, r *http.Request) {
	s.listSub(w, r, func(o *order) []map[string]any { return o.shipments })
}

// createShipment follows POST /v2/orders/{id}/shipments: order_address_id
// and items[{order_product_id, quantity}] are required and checked.
func (s *Server) createShipment(w http.ResponseWriter, r *http.Request) {
	var in struct {
		OrderAddressID   json.Number `json:"order_address_id"`
		TrackingNumber   string      `json:"tracking_number"`
		ShippingMethod   string      `json:"shipping_method"`
		ShippingProvider *string     `json:"shipping_provider"`
		TrackingCarrier  string      `json:"tracking_carrier"`
		TrackingLink     string      `json:"tracking_link"`
		Comments         string      `json:"comments"`
		Items            []struct {
			OrderProductID json.Number `json:"order_product_id"`
			Quantity       json.Number `json:"quantity"`
		} `json:"items"`
	}
	if err := fakeplatform.DecodeBody(r, &in); err != nil {
		s.badRequest(w, "The request body is not valid JSON.")
		return
	}
	if in.OrderAddressID == "" {
		s.badRequest(w, "The required field 'order_address_id' was not supplied.")
		return
	}
	if len(in.Items) == 0 {
		s.badRequest(w, "The required field 'items' was not supplied.")
		return
	}
	if in.ShippingProvider != nil {
		ok := strings.HasPrefix(*in.ShippingProvider, "carrier_")
		for _, p := range ShippingProviders {
			ok = ok || p == *in.ShippingProvider
		}
		if !ok {
			s.badRequest(w, "The field 'shipping_provider' is invalid.")
			return
		}
	}
	var out map[string]any
	status, msg := 0, ""
	if !s.withOrder(w, r, func(o *order) {
		var addr map[string]any
		for _, a := range o.addresses {
			if fakeplatform.JSONString(a["id"]) == in.OrderAddressID.String() {
				addr = a
			}
		}
		if addr == nil {
			status, msg = 400, "The field 'order_address_id' is invalid."
			return
		}
		type take struct {
			p   map[string]any
			qty int64
		}
		var takes []take
		for _, it := range in.Items {
			var p map[string]any
			for _, x := range o.products {
				if fakeplatform.JSONString(x["id"]) == it.OrderProductID.String() {
					p = x
				}
			}
			qty, err := it.Quantity.Int64()
			if p == nil || err != nil || qty <= 0 {
				status, msg = 400, "The field 'items' is invalid."
				return
			}
			ordered, _ := strconv.ParseInt(fakeplatform.JSONString(p["quantity"]), 10, 64)
			shipped, _ := strconv.ParseInt(fakeplatform.JSONString(p["quantity_shipped"]), 10, 64)
			if qty > ordered-shipped {
				status, msg = 400, "The quantity specified is greater than the quantity of the product that is available to ship."
				return
			}
			takes = append(takes, take{p, qty})
		}
		items := []any{}
		for _, t := range takes {
			shipped, _ := strconv.ParseInt(fakeplatform.JSONString(t.p["quantity_shipped"]), 10, 64)
			t.p["quantity_shipped"] = shipped + t.qty
			items = append(items, map[string]any{"order_product_id": fakeplatform.IDOf(t.p), "product_id": t.p["product_id"], "quantity": t.qty})
		}
		var totalQty, totalShipped int64
		for _, p := range o.products {
			q, _ := strconv.ParseInt(fakeplatform.JSONString(p["quantity"]), 10, 64)
			sh, _ := strconv.ParseInt(fakeplatform.JSONString(p["quantity_shipped"]), 10, 64)
			totalQty += q
			totalShipped += sh
		}
		provider := ""
		if in.ShippingProvider != nil {
			provider = *in.ShippingProvider
		}
		now := s.Clock().UTC().Format(time.RFC1123Z)
		out = map[string]any{
			"id": s.nextShip, "order_id": o.id, "customer_id": o.data["customer_id"],
			"order_address_id": fakeplatform.IDOf(addr), "date_created": now,
			"tracking_number": in.TrackingNumber, "merchant_shipping_cost": "0.0000",
			"shipping_method": in.ShippingMethod, "comments": in.Comments,
			"shipping_provider": provider, "tracking_carrier": in.TrackingCarrier, "tracking_link": in.TrackingLink,
			"billing_address": o.data["billing_address"], "shipping_address": addr, "items": items,
			"shipping_provider_display_name": strings.ToUpper(provider), "generated_tracking_link": in.TrackingLink,
		}
		s.nextShip++
		o.shipments = append(o.shipments, out)
		s.updateLocked(o, func(d map[string]any) {
			d["items_shipped"] = totalShipped
			if totalShipped >= totalQty {
				d["status_id"] = int64(2)
				d["date_shipped"] = now
			} else {
				d["status_id"] = int64(3)
			}
		})
		status = http.StatusCreated
	}) {
		return
	}
	if status != http.StatusCreated {
		s.badRequest(w, msg)
		return
	}
	writeJSON(w, http.StatusCreated, out)
}

// ---- v3 hooks ----

func (s *Server) v3Fail(w http.ResponseWriter, status int, title string) {
	writeRaw(w, status, v3Error(status, title))
}

func (s *Server) listHooks(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit, page := 50, 1
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 250 {
			s.v3Fail(w, http.StatusUnprocessableEntity, "The field 'limit' is invalid.")
			return
		}
		limit = n
	}
	if v := q.Get("page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			s.v3Fail(w, http.StatusUnprocessableEntity, "The field 'page' is invalid.")
			return
		}
		page = n
	}
	s.mu.Lock()
	var list []*Hook
	for _, h := range s.hooks {
		if sc := q.Get("scope"); sc != "" && h.Scope != sc {
			continue
		}
		if d := q.Get("destination"); d != "" && h.Destination != d {
			continue
		}
		list = append(list, h)
	}
	lo := min((page-1)*limit, len(list))
	hi := min(lo+limit, len(list))
	data := make([]any, 0, hi-lo)
	for _, h := range list[lo:hi] {
		data = append(data, h.json(s))
	}
	s.mu.Unlock()
	pages := (len(list) + limit - 1) / limit
	links := map[string]any{"current": fmt.Sprintf("?page=%d&limit=%d", page, limit)}
	if page < pages {
		links["next"] = fmt.Sprintf("?page=%d&limit=%d", page+1, limit)
	}
	if page > 1 {
		links["previous"] = fmt.Sprintf("?page=%d&limit=%d", page-1, limit)
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": data, "meta": map[string]any{"pagination": map[string]any{
		"total": len(list), "count": len(data), "per_page": limit, "current_page": page, "total_pages": pages, "links": links,
	}}})
}

type hookInput struct {
	Scope       *string           `json:"scope"`
	Destination *string           `json:"destination"`
	IsActive    *bool             `json:"is_active"`
	Headers     map[string]string `json:"headers"`
}

func (s *Server) checkHook(w http.ResponseWriter, in hookInput) bool {
	if in.Scope != nil {
		known := false
		for _, sc := range Scopes {
			known = known || sc == *in.Scope
		}
		if !known {
			s.v3Fail(w, http.StatusUnprocessableEntity, "Invalid scope: "+*in.Scope)
			return false
		}
	}
	if in.Destination != nil {
		u, err := url.Parse(*in.Destination)
		if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
			s.v3Fail(w, http.StatusUnprocessableEntity, "Invalid destination")
			return false
		}
		if s.o.RequireHTTPS && (u.Scheme != "https" || (u.Port() != "" && u.Port() != "443")) {
			s.v3Fail(w, http.StatusUnprocessableEntity, "Destination must use https on port 443")
			return false
		}
	}
	return true
}

func (s *Server) createHook(w http.ResponseWriter, r *http.Request) {
	var in hookInput
	if err := fakeplatform.DecodeBody(r, &in); err != nil {
		s.v3Fail(w, http.StatusBadRequest, "The request body is not valid JSON.")
		return
	}
	if in.Scope == nil || in.Destination == nil {
		s.v3Fail(w, http.StatusUnprocessableEntity, "scope and destination are required")
		return
	}
	if !s.checkHook(w, in) {
		return
	}
	active := true
	if in.IsActive != nil {
		active = *in.IsActive
	}
	s.mu.Lock()
	h := s.addHookLocked(*in.Scope, *in.Destination, in.Headers, active)
	out := h.json(s)
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"data": out, "meta": map[string]any{}})
}

func (s *Server) findHookLocked(r *http.Request) (*Hook, int) {
	id, _ := pathID(r)
	for i, h := range s.hooks {
		if h.ID == id {
			return h, i
		}
	}
	return nil, -1
}

func (s *Server) getHook(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	h, _ := s.findHookLocked(r)
	var out map[string]any
	if h != nil {
		out = h.json(s)
	}
	s.mu.Unlock()
	if h == nil {
		s.v3Fail(w, http.StatusNotFound, "Hook not found")
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": out, "meta": map[string]any{}})
}

func (s *Server) updateHook(w http.ResponseWriter, r *http.Request) {
	var in hookInput
	if err := fakeplatform.DecodeBody(r, &in); err != nil {
		s.v3Fail(w, http.StatusBadRequest, "The request body is not valid JSON.")
		return
	}
	if !s.checkHook(w, in) {
		return
	}
	s.mu.Lock()
	h, _ := s.findHookLocked(r)
	if h == nil {
		s.mu.Unlock()
		s.v3Fail(w, http.StatusNotFound, "Hook not found")
		return
	}
	if in.Scope != nil {
		h.Scope = *in.Scope
	}
	if in.Destination != nil {
		h.Destination = *in.Destination
	}
	if in.IsActive != nil {
		h.IsActive = *in.IsActive
	}
	if in.Headers != nil {
		h.Headers = map[string]string{}
		for k, v := range in.Headers {
			h.Headers[k] = v
		}
	}
	h.UpdatedAt = s.Clock().UTC()
	out := h.json(s)
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"data": out, "meta": map[string]any{}})
}

func (s *Server) deleteHook(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	h, i := s.findHookLocked(r)
	if h == nil {
		s.mu.Unlock()
		s.v3Fail(w, http.StatusNotFound, "Hook not found")
		return
	}
	out := h.json(s)
	s.hooks = append(s.hooks[:i:i], s.hooks[i+1:]...)
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"data": out, "meta": map[string]any{}})
}

// ---- helpers ----

func parseBCTime(v string) (time.Time, error) {
	for _, layout := range []string{time.RFC1123Z, time.RFC1123, time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, strings.TrimSpace(v)); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("bad time %q", v)
}
