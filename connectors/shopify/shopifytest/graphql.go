package shopifytest

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/orderhub/orderhub/connectors/apiclient/fakeplatform"
	"github.com/orderhub/orderhub/connectors/shopify"
)

// KnownTopics are the webhook topics (REST form) the fake accepts.
var KnownTopics = []string{
	"orders/create", "orders/paid", "orders/updated", "orders/cancelled", "orders/fulfilled",
	"orders/partially_fulfilled", "orders/edited", "orders/delete", "refunds/create",
	"fulfillments/create", "fulfillments/update", "fulfillment_orders/cancellation_request_accepted",
	"app/uninstalled",
}

type gqlRequest struct {
	Query     string         `json:"query"`
	Variables map[string]any `json:"variables"`
}

type gqlError struct {
	Message    string         `json:"message"`
	Extensions map[string]any `json:"extensions,omitempty"`
}

// operations in match order: mutations first, so that a mutation's
// selection of "webhookSubscription" never reads as the list query.
var operations = []struct {
	re *regexp.Regexp
	fn func(s *Server, field string, a map[string]any) (any, []gqlError)
}{
	{regexp.MustCompile(`\bwebhookSubscriptionCreate\b`), (*Server).gqlCreateWebhook},
	{regexp.MustCompile(`\bwebhookSubscriptionDelete\b`), (*Server).gqlDeleteWebhook},
	{regexp.MustCompile(`\bfulfillmentCreate\b`), (*Server).gqlFulfillmentCreate},
	{regexp.MustCompile(`\bfulfillmentTrackingInfoUpdate\b`), (*Server).gqlTrackingUpdate},
	{regexp.MustCompile(`\borderUpdate\b`), (*Server).gqlOrderUpdate},
	{regexp.MustCompile(`\bwebhookSubscriptions\b`), (*Server).gqlListWebhooks},
	{regexp.MustCompile(`\border\s*\(`), (*Server).gqlOrder},
}

func (s *Server) graphql(w http.ResponseWriter, r *http.Request) {
	var q gqlRequest
	if err := fakeplatform.DecodeBody(r, &q); err != nil || strings.TrimSpace(q.Query) == "" {
		writeJSON(w, http.StatusBadRequest, map[string]any{"errors": "Bad Request: the body must be JSON with a query"})
		return
	}
	cost := map[string]any{
		"requestedQueryCost": 10, "actualQueryCost": 10,
		"throttleStatus": map[string]any{"maximumAvailable": 2000.0, "currentlyAvailable": 1990, "restoreRate": 100.0},
	}
	// Root fields live in the selection set: skip the operation name and
	// variable definitions before the first brace.
	sel := q.Query
	if i := strings.Index(sel, "{"); i >= 0 {
		sel = sel[i:]
	}
	for _, op := range operations {
		loc := op.re.FindStringIndex(sel)
		if loc == nil {
			continue
		}
		field := strings.TrimSpace(strings.TrimRight(sel[loc[0]:loc[1]], "("))
		data, errs := op.fn(s, field, args(sel[loc[0]+len(field):], q.Variables))
		out := map[string]any{"extensions": map[string]any{"cost": cost}}
		if len(errs) > 0 {
			out["errors"] = errs
		}
		if data != nil || len(errs) == 0 {
			out["data"] = data
		}
		writeJSON(w, http.StatusOK, out)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"errors": []gqlError{{Message: "shopifytest: unsupported operation", Extensions: map[string]any{"code": "undefinedField"}}},
	})
}

// args resolves the arguments of the root field: "name: $var" from
// variables, and simple literals (enums, strings, numbers) in place.
func args(rest string, variables map[string]any) map[string]any {
	out := map[string]any{}
	rest = strings.TrimLeft(rest, " \t\r\n")
	if !strings.HasPrefix(rest, "(") {
		return out
	}
	depth, end := 0, -1
	for j, c := range rest {
		if c == '(' {
			depth++
		} else if c == ')' {
			depth--
			if depth == 0 {
				end = j
				break
			}
		}
	}
	if end < 0 {
		return out
	}
	list := rest[1:end]
	for _, m := range varArgRE.FindAllStringSubmatch(list, -1) {
		out[m[1]] = variables[m[2]]
	}
	for _, m := range litArgRE.FindAllStringSubmatch(list, -1) {
		if _, ok := out[m[1]]; ok {
			continue
		}
		v := m[2]
		if uq, err := strconv.Unquote(v); err == nil {
			out[m[1]] = uq
		} else {
			out[m[1]] = v
		}
	}
	return out
}

var (
	varArgRE = regexp.MustCompile(`(\w+)\s*:\s*\$(\w+)`)
	litArgRE = regexp.MustCompile(`(\w+)\s*:\s*("(?:[^"\\]|\\.)*"|[A-Za-z_][A-Za-z0-9_]*|-?\d+)`)
)

func userError(field []string, msg string) map[string]any {
	return map[string]any{"field": field, "message": msg}
}

func gidNumber(gid, kind string) (int64, bool) {
	rest, ok := strings.CutPrefix(gid, "gid://shopify/"+kind+"/")
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseInt(rest, 10, 64)
	return n, err == nil
}

func intArg(v any) (int64, bool) {
	switch x := v.(type) {
	case json.Number:
		n, err := x.Int64()
		return n, err == nil
	case string:
		n, err := strconv.ParseInt(x, 10, 64)
		return n, err == nil
	case float64:
		return int64(x), true
	}
	return 0, false
}

func (sub Subscription) node() map[string]any {
	return map[string]any{
		"id":          sub.ID,
		"topic":       shopify.GraphQLTopic(sub.Topic),
		"format":      sub.Format,
		"callbackUrl": sub.CallbackURL,
		"uri":         sub.CallbackURL,
		"createdAt":   sub.CreatedAt.Format(time.RFC3339),
		"updatedAt":   sub.CreatedAt.Format(time.RFC3339),
		"endpoint":    map[string]any{"__typename": "WebhookHttpEndpoint", "callbackUrl": sub.CallbackURL},
	}
}

func (s *Server) gqlListWebhooks(field string, a map[string]any) (any, []gqlError) {
	first, ok := intArg(a["first"])
	if !ok || first < 1 || first > 250 {
		return nil, []gqlError{{Message: "you must provide one of first or last, at most 250", Extensions: map[string]any{"code": "BAD_REQUEST"}}}
	}
	start := 0
	if after, ok := a["after"].(string); ok && after != "" {
		b, err := base64.RawURLEncoding.DecodeString(after)
		n, err2 := strconv.Atoi(string(b))
		if err != nil || err2 != nil || n < 0 {
			return nil, []gqlError{{Message: "Invalid cursor for current pagination sort.", Extensions: map[string]any{"code": "BAD_REQUEST"}}}
		}
		start = n + 1
	}
	subs := s.Subscriptions()
	if t, ok := a["topics"].([]any); ok && len(t) > 0 {
		keep := map[string]bool{}
		for _, x := range t {
			keep[fmt.Sprint(x)] = true
		}
		var f []Subscription
		for _, sub := range subs {
			if keep[shopify.GraphQLTopic(sub.Topic)] {
				f = append(f, sub)
			}
		}
		subs = f
	}
	edges := []any{}
	nodes := []any{}
	end := start
	for i := start; i < len(subs) && int64(i-start) < first; i++ {
		n := subs[i].node()
		edges = append(edges, map[string]any{"cursor": base64.RawURLEncoding.EncodeToString([]byte(strconv.Itoa(i))), "node": n})
		nodes = append(nodes, n)
		end = i
	}
	hasNext := start+len(nodes) < len(subs)
	endCursor := any(nil)
	if len(nodes) > 0 {
		endCursor = base64.RawURLEncoding.EncodeToString([]byte(strconv.Itoa(end)))
	}
	return map[string]any{"webhookSubscriptions": map[string]any{
		"edges": edges, "nodes": nodes,
		"pageInfo": map[string]any{"hasNextPage": hasNext, "hasPreviousPage": start > 0, "endCursor": endCursor},
	}}, nil
}

func (s *Server) gqlCreateWebhook(field string, a map[string]any) (any, []gqlError) {
	topicEnum := fmt.Sprint(a["topic"])
	topic := shopify.RESTTopic(topicEnum)
	known := false
	for _, k := range KnownTopics {
		if k == topic && shopify.GraphQLTopic(k) == topicEnum {
			known = true
		}
	}
	if !known {
		return nil, []gqlError{{
			Message:    fmt.Sprintf("Variable $topic of type WebhookSubscriptionTopic! was provided invalid value: %q", topicEnum),
			Extensions: map[string]any{"code": "INVALID_VARIABLE"},
		}}
	}
	in, _ := a["webhookSubscription"].(map[string]any)
	cb := ""
	format := "JSON"
	if in != nil {
		cb = fakeplatform.JSONString(in["callbackUrl"])
		if cb == "" {
			cb = fakeplatform.JSONString(in["uri"])
		}
		if f := fakeplatform.JSONString(in["format"]); f != "" {
			format = f
		}
	} else if v, ok := a["callbackUrl"].(string); ok {
		cb = v
	}
	payload := func(sub any, errs ...any) any {
		if errs == nil {
			errs = []any{}
		}
		return map[string]any{field: map[string]any{"webhookSubscription": sub, "userErrors": errs}}
	}
	u, err := url.Parse(cb)
	if cb == "" || err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return payload(nil, userError([]string{"webhookSubscription", "callbackUrl"}, "Address is invalid")), nil
	}
	if s.o.RequireHTTPS && u.Scheme != "https" {
		return payload(nil, userError([]string{"webhookSubscription", "callbackUrl"}, "Address protocol http:// is not supported")), nil
	}
	s.mu.Lock()
	for _, sub := range s.subs {
		if sub.Topic == topic && sub.CallbackURL == cb {
			s.mu.Unlock()
			return payload(nil, userError([]string{"webhookSubscription", "callbackUrl"}, "Address for this topic has already been taken")), nil
		}
	}
	sub := s.addSubscriptionLocked(topic, cb)
	sub.Format = format
	s.subs[len(s.subs)-1].Format = format
	s.mu.Unlock()
	return payload(sub.node()), nil
}

func (s *Server) gqlDeleteWebhook(field string, a map[string]any) (any, []gqlError) {
	id := fakeplatform.JSONString(a["id"])
	if s.RemoveSubscription(id) {
		return map[string]any{field: map[string]any{"deletedWebhookSubscriptionId": id, "userErrors": []any{}}}, nil
	}
	return map[string]any{field: map[string]any{"deletedWebhookSubscriptionId": nil,
		"userErrors": []any{userError([]string{"id"}, "Webhook subscription does not exist")}}}, nil
}

// gqlOrder answers order(id:) with the fields write-back needs, its
// fulfillments included (see writeback.go).
func (s *Server) gqlOrder(field string, a map[string]any) (any, []gqlError) {
	gid := fakeplatform.JSONString(a["id"])
	id, ok := gidNumber(gid, "Order")
	if !ok {
		return map[string]any{"order": nil}, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.orders[id]
	if !ok {
		return map[string]any{"order": nil}, nil
	}
	fos := []any{}
	for _, fo := range o.fos {
		lines := []any{}
		for _, l := range fo.LineItems {
			lines = append(lines, map[string]any{
				"id": l.GID(), "totalQuantity": l.Quantity, "remainingQuantity": l.FulfillableQuantity,
				"lineItem": map[string]any{"id": fmt.Sprintf("gid://shopify/LineItem/%d", l.LineItemID), "sku": l.SKU},
			})
		}
		actions := []any{}
		for _, a := range fo.rest()["supported_actions"].([]string) {
			actions = append(actions, map[string]any{"action": strings.ToUpper(a)})
		}
		fos = append(fos, map[string]any{
			"id": fo.GID(), "status": strings.ToUpper(fo.Status),
			"assignedLocation": map[string]any{"location": map[string]any{"id": fmt.Sprintf("gid://shopify/Location/%d", fo.AssignedLocationID)}},
			"supportedActions": actions,
			"lineItems":        map[string]any{"nodes": lines, "edges": edgesOf(lines)},
		})
	}
	return map[string]any{"order": map[string]any{
		"id": gid, "legacyResourceId": strconv.FormatInt(id, 10), "name": fakeplatform.JSONString(o.data["name"]),
		"note": o.data["note"], "tags": splitTags(fakeplatform.JSONString(o.data["tags"])),
		"fulfillmentOrders": map[string]any{"nodes": fos, "edges": edgesOf(fos)},
		"fulfillments":      s.fulfillmentNodesLocked(id),
	}}, nil
}

func edgesOf(nodes []any) []any {
	out := make([]any, len(nodes))
	for i, n := range nodes {
		out[i] = map[string]any{"node": n}
	}
	return out
}

func splitTags(s string) []string {
	out := []string{}
	for _, t := range strings.Split(s, ",") {
		if t = strings.TrimSpace(t); t != "" {
			out = append(out, t)
		}
	}
	return out
}

// gqlFulfillmentCreate follows FulfillmentInput: lineItemsByFulfillmentOrder
// (fulfillmentOrderId, optional fulfillmentOrderLineItems {id, quantity}),
// notifyCustomer and trackingInfo {company, number, url}.
func (s *Server) gqlFulfillmentCreate(field string, a map[string]any) (any, []gqlError) {
	in, _ := a["fulfillment"].(map[string]any)
	fail := func(f []string, msg string) (any, []gqlError) {
		return map[string]any{field: map[string]any{"fulfillment": nil, "userErrors": []any{userError(f, msg)}}}, nil
	}
	if in == nil {
		return nil, []gqlError{{Message: "Variable $fulfillment of type FulfillmentInput! was provided invalid value", Extensions: map[string]any{"code": "INVALID_VARIABLE"}}}
	}
	groups, _ := in["lineItemsByFulfillmentOrder"].([]any)
	if len(groups) == 0 {
		return fail([]string{"fulfillment", "lineItemsByFulfillmentOrder"}, "Line items by fulfillment order can't be blank")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	type take struct {
		fo   *fulfillmentOrder
		line int
		qty  int64
	}
	var takes []take
	var orderID int64
	for _, g := range groups {
		gm, _ := g.(map[string]any)
		foID, ok := gidNumber(fakeplatform.JSONString(gm["fulfillmentOrderId"]), "FulfillmentOrder")
		fo := s.findFO(foID)
		if !ok || fo == nil {
			return fail([]string{"fulfillment"}, "Fulfillment order does not exist.")
		}
		if orderID != 0 && fo.OrderID != orderID {
			return fail([]string{"fulfillment"}, "Fulfillment orders must belong to the same order.")
		}
		orderID = fo.OrderID
		if fo.Status == "closed" {
			return fail([]string{"fulfillment"}, "Fulfillment order is not in a fulfillable state.")
		}
		items, has := gm["fulfillmentOrderLineItems"].([]any)
		if !has || len(items) == 0 {
			for i, l := range fo.LineItems {
				if l.FulfillableQuantity > 0 {
					takes = append(takes, take{fo, i, l.FulfillableQuantity})
				}
			}
			continue
		}
		for _, it := range items {
			im, _ := it.(map[string]any)
			lid, ok := gidNumber(fakeplatform.JSONString(im["id"]), "FulfillmentOrderLineItem")
			qty, qok := intArg(im["quantity"])
			idx := -1
			for i, l := range fo.LineItems {
				if ok && l.ID == lid {
					idx = i
				}
			}
			if idx < 0 {
				return fail([]string{"fulfillment"}, "Fulfillment order line item does not exist.")
			}
			if !qok || qty <= 0 || qty > fo.LineItems[idx].FulfillableQuantity {
				return fail([]string{"fulfillment"}, "Invalid fulfillment order line item quantity requested.")
			}
			takes = append(takes, take{fo, idx, qty})
		}
	}
	if len(takes) == 0 {
		return fail([]string{"fulfillment"}, "Fulfillment order is not in a fulfillable state.")
	}
	f := Fulfillment{ID: s.nextFulfID, OrderID: orderID, Status: "success", CreatedAt: s.Clock().UTC()}
	s.nextFulfID++
	if b, ok := in["notifyCustomer"].(bool); ok {
		f.NotifyCustomer = b
	}
	if ti, ok := in["trackingInfo"].(map[string]any); ok {
		f.TrackingCompany, f.TrackingNumber, f.TrackingURL = fakeplatform.JSONString(ti["company"]), fakeplatform.JSONString(ti["number"]), fakeplatform.JSONString(ti["url"])
		if f.TrackingNumber == "" {
			if ns, ok := ti["numbers"].([]any); ok && len(ns) > 0 {
				f.TrackingNumber = fakeplatform.JSONString(ns[0])
			}
		}
		if f.TrackingURL == "" {
			if us, ok := ti["urls"].([]any); ok && len(us) > 0 {
				f.TrackingURL = fakeplatform.JSONString(us[0])
			}
		}
	}
	for _, t := range takes {
		l := &t.fo.LineItems[t.line]
		l.FulfillableQuantity -= t.qty
		f.LineItems = append(f.LineItems, FulfilledLine{FulfillmentOrderID: t.fo.ID, FulfillmentOrderLineItemID: l.ID, LineItemID: l.LineItemID, Quantity: t.qty})
	}
	for _, t := range takes {
		t.fo.Status = "closed"
		for _, l := range t.fo.LineItems {
			if l.FulfillableQuantity > 0 {
				t.fo.Status = "in_progress"
			}
		}
	}
	s.fulfillment = append(s.fulfillment, f)
	s.markFulfillmentLocked(orderID)
	return map[string]any{field: map[string]any{"fulfillment": f.node(), "userErrors": []any{}}}, nil
}

func (f Fulfillment) node() map[string]any {
	return map[string]any{
		"id": f.GID(), "legacyResourceId": strconv.FormatInt(f.ID, 10), "status": strings.ToUpper(f.Status),
		"trackingInfo": []any{map[string]any{"company": f.TrackingCompany, "number": f.TrackingNumber, "url": f.TrackingURL}},
		"createdAt":    f.CreatedAt.Format(time.RFC3339),
	}
}

func (s *Server) findFO(id int64) *fulfillmentOrder {
	for _, o := range s.orders {
		for _, fo := range o.fos {
			if fo.ID == id {
				return fo
			}
		}
	}
	return nil
}

// markFulfillmentLocked updates the order's fulfillment_status and its
// lines' fulfillable_quantity after a fulfillment.
func (s *Server) markFulfillmentLocked(orderID int64) {
	o, ok := s.orders[orderID]
	if !ok {
		return
	}
	left := map[int64]int64{}
	var total, remaining int64
	for _, fo := range o.fos {
		for _, l := range fo.LineItems {
			left[l.LineItemID] += l.FulfillableQuantity
			total += l.Quantity
			remaining += l.FulfillableQuantity
		}
	}
	if lines, ok := o.data["line_items"].([]any); ok {
		for _, l := range lines {
			if lm, ok := l.(map[string]any); ok {
				if n, ok := left[fakeplatform.IDOf(lm)]; ok {
					lm["fulfillable_quantity"] = n
					if n == 0 {
						lm["fulfillment_status"] = "fulfilled"
					} else {
						lm["fulfillment_status"] = "partial"
					}
				}
			}
		}
	}
	switch {
	case remaining == 0 && total > 0:
		o.data["fulfillment_status"] = "fulfilled"
	case remaining < total:
		o.data["fulfillment_status"] = "partial"
	}
	o.data["updated_at"] = s.Clock().UTC().Format(time.RFC3339)
}

func (s *Server) gqlTrackingUpdate(field string, a map[string]any) (any, []gqlError) {
	id, ok := gidNumber(fakeplatform.JSONString(a["fulfillmentId"]), "Fulfillment")
	ti, _ := a["trackingInfoInput"].(map[string]any)
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range s.fulfillment {
		f := &s.fulfillment[i]
		if ok && f.ID == id {
			if ti != nil {
				if v := fakeplatform.JSONString(ti["company"]); v != "" {
					f.TrackingCompany = v
				}
				if v := fakeplatform.JSONString(ti["number"]); v != "" {
					f.TrackingNumber = v
				}
				if v := fakeplatform.JSONString(ti["url"]); v != "" {
					f.TrackingURL = v
				}
			}
			if b, ok := a["notifyCustomer"].(bool); ok {
				f.NotifyCustomer = b
			}
			return map[string]any{field: map[string]any{"fulfillment": f.node(), "userErrors": []any{}}}, nil
		}
	}
	return map[string]any{field: map[string]any{"fulfillment": nil,
		"userErrors": []any{userError([]string{"fulfillmentId"}, "Fulfillment does not exist.")}}}, nil
}

// gqlOrderUpdate follows OrderInput: note and tags overwrite.
func (s *Server) gqlOrderUpdate(field string, a map[string]any) (any, []gqlError) {
	in, _ := a["input"].(map[string]any)
	fail := func(msg string) (any, []gqlError) {
		return map[string]any{field: map[string]any{"order": nil, "userErrors": []any{userError([]string{"id"}, msg)}}}, nil
	}
	if in == nil {
		return fail("Order does not exist")
	}
	gid := fakeplatform.JSONString(in["id"])
	id, ok := gidNumber(gid, "Order")
	if !ok {
		return fail("Order does not exist")
	}
	err := s.UpdateOrder(id, func(o map[string]any) {
		if v, ok := in["note"]; ok {
			o["note"] = v
		}
		if v, ok := in["tags"]; ok {
			switch t := v.(type) {
			case []any:
				parts := make([]string, len(t))
				for i, x := range t {
					parts[i] = fakeplatform.JSONString(x)
				}
				o["tags"] = strings.Join(parts, ", ")
			default:
				o["tags"] = fakeplatform.JSONString(t)
			}
		}
	})
	if err != nil {
		return fail("Order does not exist")
	}
	raw, _ := s.Order(id)
	var o map[string]any
	_ = json.Unmarshal(raw, &o)
	return map[string]any{field: map[string]any{
		"order":      map[string]any{"id": gid, "note": o["note"], "tags": splitTags(fakeplatform.JSONString(o["tags"]))},
		"userErrors": []any{},
	}}, nil
}
