package woocommercetest

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

// Webhook is one webhook of the fake store, secret included.
type Webhook struct {
	ID           int64
	Name         string
	Status       string // active, paused or disabled
	Topic        string // e.g. order.created
	DeliveryURL  string
	Secret       string
	FailureCount int
	Created      time.Time
	Modified     time.Time
}

// json renders the webhook as GET /webhooks/{id} does: the secret is
// write-only and never shown.
func (w *Webhook) json(s *Server) map[string]any {
	res, ev, _ := strings.Cut(w.Topic, ".")
	return map[string]any{
		"id": w.ID, "name": w.Name, "status": w.Status, "topic": w.Topic,
		"resource": res, "event": ev, "hooks": hooksFor(w.Topic),
		"delivery_url": w.DeliveryURL, "api_version": "wp_api_v3",
		"date_created": s.local(w.Created), "date_created_gmt": gmt(w.Created),
		"date_modified": s.local(w.Modified), "date_modified_gmt": gmt(w.Modified),
		"_links": map[string]any{
			"self":       []any{map[string]any{"href": fmt.Sprintf("%s/wp-json/wc/v3/webhooks/%d", s.o.SiteURL, w.ID)}},
			"collection": []any{map[string]any{"href": s.o.SiteURL + "/wp-json/wc/v3/webhooks"}},
		},
	}
}

func hooksFor(topic string) []string {
	switch topic {
	case "order.created":
		return []string{"woocommerce_new_order"}
	case "order.updated":
		return []string{"woocommerce_update_order", "woocommerce_order_refunded"}
	case "order.deleted":
		return []string{"wp_trash_post"}
	case "order.restored":
		return []string{"untrashed_post"}
	}
	return []string{}
}

// validTopic follows wc_is_webhook_valid_topic: resource.event for the
// core resources and events, or a custom action.*.
func validTopic(t string) bool {
	if strings.HasPrefix(t, "action.") && len(t) > len("action.") {
		return true
	}
	res, ev, ok := strings.Cut(t, ".")
	if !ok {
		return false
	}
	resOK := res == "order" || res == "product" || res == "customer" || res == "coupon"
	evOK := ev == "created" || ev == "updated" || ev == "deleted" || ev == "restored"
	return resOK && evOK
}

// AddOrder stores an order: v3 order JSON with an integer id. Missing
// date_created/date_modified (and their _gmt forms) default to now. Adding
// an id again replaces the order. It returns the id.
func (s *Server) AddOrder(raw []byte) (int64, error) {
	var o map[string]any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&o); err != nil {
		return 0, orderhub.WrapError(orderhub.EInvalid, err, "woocommercetest: order is not a JSON object")
	}
	id := fakeplatform.IDOf(o)
	if id <= 0 {
		return 0, orderhub.Errorf(orderhub.EInvalid, "woocommercetest: order has no integer id")
	}
	now := s.Clock()
	for _, k := range []string{"date_created", "date_modified"} {
		if fakeplatform.JSONString(o[k+"_gmt"]) == "" {
			if loc := fakeplatform.JSONString(o[k]); loc != "" {
				if t, err := parseWooTime(loc, s.o.Location); err == nil {
					o[k+"_gmt"] = gmt(t)
					continue
				}
			}
			o[k], o[k+"_gmt"] = s.local(now), gmt(now)
		} else if fakeplatform.JSONString(o[k]) == "" {
			t, _ := parseWooTime(fakeplatform.JSONString(o[k+"_gmt"]), time.UTC)
			o[k] = s.local(t)
		}
	}
	delete(o, "_links")
	s.mu.Lock()
	defer s.mu.Unlock()
	s.orders[id] = o
	return id, nil
}

func (s *Server) hasOrder(id int64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.orders[id]
	return ok
}

// Order returns a stored order as v3 JSON (Go-encoded, without _links).
func (s *Server) Order(id int64) (json.RawMessage, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.orders[id]
	if !ok {
		return nil, false
	}
	b, _ := json.Marshal(o)
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

// UpdateOrder changes a stored order through f, then stamps
// date_modified(_gmt) with now unless f changed it, and keeps
// date_completed and date_paid as WooCommerce does when the status moves
// to completed or to a paid status. An unknown id is a NotFound error.
func (s *Server) UpdateOrder(id int64, f func(order map[string]any)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.orders[id]
	if !ok {
		return orderhub.Errorf(orderhub.ENotFound, "woocommercetest: no order %d", id)
	}
	before := fakeplatform.JSONString(o["date_modified_gmt"])
	f(o)
	now := s.Clock()
	if fakeplatform.JSONString(o["date_modified_gmt"]) == before {
		o["date_modified"], o["date_modified_gmt"] = s.local(now), gmt(now)
	}
	switch fakeplatform.JSONString(o["status"]) {
	case "completed":
		if fakeplatform.JSONString(o["date_completed_gmt"]) == "" {
			o["date_completed"], o["date_completed_gmt"] = s.local(now), gmt(now)
		}
		fallthrough
	case "processing":
		if fakeplatform.JSONString(o["date_paid_gmt"]) == "" {
			o["date_paid"], o["date_paid_gmt"] = s.local(now), gmt(now)
		}
	}
	return nil
}

// Notes returns an order's notes, oldest first.
func (s *Server) Notes(orderID int64) []Note {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Note(nil), s.notes[orderID]...)
}

// Trackings returns an order's shipment trackings, oldest first.
func (s *Server) Trackings(orderID int64) []Tracking {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Tracking{}, s.trackings[orderID]...)
}

// Subscriptions returns the webhooks, oldest first, secrets included.
func (s *Server) Subscriptions() []Webhook {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Webhook, len(s.hooks))
	for i, h := range s.hooks {
		out[i] = *h
	}
	return out
}

// AddSubscription creates a webhook directly, as if made earlier in the
// admin, and returns it. status "" means active.
func (s *Server) AddSubscription(topic, deliveryURL, secret, status string) Webhook {
	if status == "" {
		status = "active"
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	h := s.addHookLocked("Webhook created on "+s.Clock().Format("Jan 02, 2006 @ 15:04"), topic, deliveryURL, secret, status)
	return *h
}

func (s *Server) addHookLocked(name, topic, deliveryURL, secret, status string) *Webhook {
	now := s.Clock()
	h := &Webhook{ID: s.nextHook, Name: name, Status: status, Topic: topic, DeliveryURL: deliveryURL, Secret: secret, Created: now, Modified: now}
	s.nextHook++
	s.hooks = append(s.hooks, h)
	return h
}

// SetSubscriptionStatus sets a webhook's status (active, paused,
// disabled); it reports whether the webhook exists.
func (s *Server) SetSubscriptionStatus(id int64, status string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, h := range s.hooks {
		if h.ID == id {
			h.Status, h.Modified = status, s.Clock()
			return true
		}
	}
	return false
}

func (s *Server) findHookLocked(id int64) (*Webhook, int) {
	for i, h := range s.hooks {
		if h.ID == id {
			return h, i
		}
	}
	return nil, -1
}

func (s *Server) invalidHook(w http.ResponseWriter) {
	s.fail(w, http.StatusNotFound, "woocommerce_rest_webhook_invalid_id", "Invalid ID.")
}

func (s *Server) listWebhooks(w http.ResponseWriter, r *http.Request) {
	status := r.URL.Query().Get("status")
	s.mu.Lock()
	var list []*Webhook
	for _, h := range s.hooks {
		if status == "" || status == "all" || h.Status == status {
			list = append(list, h)
		}
	}
	s.mu.Unlock()
	lo, hi, ok := s.paginate(w, r, len(list))
	if !ok {
		return
	}
	out := make([]any, 0, hi-lo)
	s.mu.Lock()
	for _, h := range list[lo:hi] {
		out = append(out, h.json(s))
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) getWebhook(w http.ResponseWriter, r *http.Request) {
	id, _ := pathID(r)
	s.mu.Lock()
	h, _ := s.findHookLocked(id)
	var out map[string]any
	if h != nil {
		out = h.json(s)
	}
	s.mu.Unlock()
	if h == nil {
		s.invalidHook(w)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

type hookInput struct {
	Name        *string `json:"name"`
	Topic       *string `json:"topic"`
	DeliveryURL *string `json:"delivery_url"`
	Secret      *string `json:"secret"`
	Status      *string `json:"status"`
}

func validStatus(s string) bool { return s == "active" || s == "paused" || s == "disabled" }

func (s *Server) createWebhook(w http.ResponseWriter, r *http.Request) {
	var in hookInput
	if err := fakeplatform.DecodeBody(r, &in); err != nil {
		s.fail(w, http.StatusBadRequest, "rest_invalid_json", "Invalid JSON body passed.")
		return
	}
	if in.Topic == nil || !validTopic(*in.Topic) {
		s.fail(w, http.StatusBadRequest, "woocommerce_rest_webhook_invalid_topic", "Webhook topic is required and must be valid.")
		return
	}
	if in.DeliveryURL == nil {
		s.fail(w, http.StatusBadRequest, "rest_missing_callback_param", "Missing parameter(s): delivery_url")
		return
	}
	if u, err := url.Parse(*in.DeliveryURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		s.fail(w, http.StatusBadRequest, "rest_invalid_param", "Invalid parameter(s): delivery_url")
		return
	}
	status := "active"
	if in.Status != nil {
		if !validStatus(*in.Status) {
			s.fail(w, http.StatusBadRequest, "rest_invalid_param", "Invalid parameter(s): status")
			return
		}
		status = *in.Status
	}
	name := "Webhook created on " + s.Clock().Format("Jan 02, 2006 @ 15:04")
	if in.Name != nil && *in.Name != "" {
		name = *in.Name
	}
	secret := ""
	if in.Secret != nil {
		secret = *in.Secret
	}
	s.mu.Lock()
	h := s.addHookLocked(name, *in.Topic, *in.DeliveryURL, secret, status)
	id := h.ID
	s.mu.Unlock()
	if s.o.PingOnCreate {
		body := []byte("webhook_id=" + strconv.FormatInt(id, 10))
		hdr := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}
		d, err := fakeplatform.Post(r.Context(), s.o.HTTPClient, *in.DeliveryURL, hdr, body)
		if err != nil || d.Status != http.StatusOK {
			s.mu.Lock()
			if _, i := s.findHookLocked(id); i >= 0 {
				s.hooks = append(s.hooks[:i:i], s.hooks[i+1:]...)
			}
			s.mu.Unlock()
			msg := "Error: Delivery URL cannot be reached"
			if err == nil {
				msg = fmt.Sprintf("Error: Delivery URL returned response code: %d", d.Status)
			}
			s.fail(w, http.StatusBadRequest, "woocommerce_rest_webhook_delivery_failed", msg)
			return
		}
	}
	s.mu.Lock()
	out := h.json(s)
	s.mu.Unlock()
	writeJSON(w, http.StatusCreated, out)
}

func (s *Server) updateWebhook(w http.ResponseWriter, r *http.Request) {
	id, _ := pathID(r)
	var in hookInput
	if err := fakeplatform.DecodeBody(r, &in); err != nil {
		s.fail(w, http.StatusBadRequest, "rest_invalid_json", "Invalid JSON body passed.")
		return
	}
	if in.Topic != nil && !validTopic(*in.Topic) {
		s.fail(w, http.StatusBadRequest, "woocommerce_rest_webhook_invalid_topic", "Webhook topic is required and must be valid.")
		return
	}
	if in.Status != nil && !validStatus(*in.Status) {
		s.fail(w, http.StatusBadRequest, "rest_invalid_param", "Invalid parameter(s): status")
		return
	}
	s.mu.Lock()
	h, _ := s.findHookLocked(id)
	if h == nil {
		s.mu.Unlock()
		s.invalidHook(w)
		return
	}
	if in.Name != nil {
		h.Name = *in.Name
	}
	if in.Topic != nil {
		h.Topic = *in.Topic
	}
	if in.DeliveryURL != nil {
		h.DeliveryURL = *in.DeliveryURL
	}
	if in.Secret != nil {
		h.Secret = *in.Secret
	}
	if in.Status != nil {
		h.Status = *in.Status
		if h.Status == "active" {
			h.FailureCount = 0
		}
	}
	h.Modified = s.Clock()
	out := h.json(s)
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) deleteWebhook(w http.ResponseWriter, r *http.Request) {
	id, _ := pathID(r)
	if f := r.URL.Query().Get("force"); f != "true" && f != "1" {
		s.fail(w, http.StatusNotImplemented, "woocommerce_rest_trash_not_supported", "Webhooks do not support trashing.")
		return
	}
	s.mu.Lock()
	h, i := s.findHookLocked(id)
	if h == nil {
		s.mu.Unlock()
		s.invalidHook(w)
		return
	}
	out := h.json(s)
	s.hooks = append(s.hooks[:i:i], s.hooks[i+1:]...)
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, out)
}

// ---- helpers ----

const wooTime = "2006-01-02T15:04:05"

func (s *Server) local(t time.Time) string { return t.In(s.o.Location).Format(wooTime) }

func gmt(t time.Time) string { return t.UTC().Format(wooTime) }

// parseWooTime reads an ISO 8601 time; one without an offset is in loc.
func parseWooTime(v string, loc *time.Location) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return t, nil
	}
	for _, layout := range []string{wooTime, "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, v, loc); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("bad time %q", v)
}

func gmtTime(o map[string]any, key string) time.Time {
	t, _ := parseWooTime(fakeplatform.JSONString(o[key]), time.UTC)
	return t
}
