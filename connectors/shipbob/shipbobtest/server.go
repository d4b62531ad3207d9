// Package shipbobtest is an in-process fake of the ShipBob API for tests
// and `orderhub demo`: a loopback HTTP server that follows the documented
// paths, auth, error shapes and rate-limit headers (PLATFORMS.md §4), with
// in-memory, goroutine-safe state.
//
// It serves, under /{version}/ (2026-01, 2025-07, 1.0, ...):
//
//   - POST order: validates the required fields and answers 201 with the
//     Order view model; a second order with the same reference_id on the
//     same shipbob_channel_id is a 422, as ShipBob documents;
//   - GET order (ReferenceIds, IDs, HasTracking, IsTrackingUploaded, Page,
//     Limit ≤ 250, with total-pages / total-count headers) and GET
//     order/{id};
//   - POST shipment:batchUpdateTrackingUpload;
//   - GET, POST webhook and DELETE webhook/{id} (the V2 subscription
//     model: topics, url, secret).
//
// Every request needs "Authorization: Bearer <token>"; a wrong one gets
// 401. Failures can be injected: FailNext (5xx), RateLimitNext (429 with
// x-retry-after and ShipBob's body), TimeoutNext (hang, then drop the
// connection unprocessed), SlowNext (answer late but process). Every
// request is logged (Requests, RequestsTo), and Created counts the orders
// made. The warehouse side moves orders along (Ship, Deliver, Exception,
// Cancel) and posts the matching webhook to the hub, signed per Standard
// Webhooks with the subscription secret (ShipOrder, DeliverOrder, ...).
package shipbobtest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/orderhub/orderhub"
	"github.com/orderhub/orderhub/connectors/apiclient/fakeplatform"
	"github.com/orderhub/orderhub/connectors/shipbob"
)

// Defaults of Options.
const (
	DefaultToken      = "shipbob-fake-pat-0123456789abcdef"
	DefaultChannelID  = "12345"
	DefaultAPIVersion = shipbob.DefaultAPIVersion
	// DefaultWebhookSecret is a subscription secret of the shape ShipBob
	// requires: whsec_ and 32 base64 characters (24 key bytes).
	DefaultWebhookSecret = "whsec_ZmFrZS1zaGlwYm9iLXdlYmhvb2sta2V5"
)

// Options configure a fake account. The zero value uses the defaults.
type Options struct {
	Token     string // the personal access token the fake accepts
	ChannelID string // the channel orders are created in
	// WebhookSecret signs deliveries that are not for a subscription (Post,
	// ShipOrder...); subscriptions sign with their own secret.
	WebhookSecret string
	Now           func() time.Time
	// HTTPClient sends deliveries; nil means a client with a 10 s timeout.
	HTTPClient *http.Client
}

// Server is a running fake ShipBob account. Its methods are safe for
// concurrent use.
type Server struct {
	*fakeplatform.Recorder
	// URL is the base URL to configure as the provider's api_base_url.
	URL string

	o   Options
	srv *httptest.Server
	fakeplatform.Faults

	mu         sync.Mutex
	orders     map[int64]*order
	byRef      map[string]int64 // channel + "\x00" + reference_id
	nextOrder  int64
	nextShip   int64
	nextProd   int64
	subs       []*subscription
	nextSub    int64
	created    int
	deliveries int
}

type order struct {
	channel string
	o       shipbob.Order
}

type subscription struct {
	hook   shipbob.Webhook
	secret string
}

// New starts a fake for a test and closes it when the test ends.
func New(t testing.TB, o Options) *Server {
	t.Helper()
	s := NewServer(o)
	t.Cleanup(s.Close)
	return s
}

// NewServer starts a fake outside a test (the demo); Close stops it.
func NewServer(o Options) *Server {
	if o.Token == "" {
		o.Token = DefaultToken
	}
	if o.ChannelID == "" {
		o.ChannelID = DefaultChannelID
	}
	if o.WebhookSecret == "" {
		o.WebhookSecret = DefaultWebhookSecret
	}
	s := &Server{o: o, orders: map[int64]*order{}, byRef: map[string]int64{}, nextOrder: 100000001, nextShip: 200000001, nextProd: 300000001, nextSub: 1}
	s.Recorder = &fakeplatform.Recorder{ErrorBody: errorBody, Now: o.Now}
	s.srv = fakeplatform.Start(s.Faults.Wrap(s.Recorder.Wrap(s.routes())))
	s.URL = s.srv.URL
	return s
}

// Close stops the server.
func (s *Server) Close() { s.srv.Close() }

// Options returns the options in effect, defaults filled in.
func (s *Server) Options() Options { return s.o }

// errorBody is ShipBob's plain error shape, as its 429 documents it.
func errorBody(status int, message string) []byte {
	b, _ := json.Marshal(map[string]any{"statusCode": status, "message": message})
	return b
}

// validationBody is the problem-details shape of a 400/422.
func validationBody(status int, field, message string) []byte {
	b, _ := json.Marshal(map[string]any{
		"type": "https://tools.ietf.org/html/rfc4918#section-11.2", "title": "One or more validation errors occurred.",
		"status": status, "errors": map[string][]string{field: {message}},
	})
	return b
}

// RateLimitNext makes the next n requests answer 429 with x-retry-after
// seconds, ShipBob's body and x-remaining-calls 0.
func (s *Server) RateLimitNext(n int, seconds int) {
	h := http.Header{}
	h.Set("x-retry-after", strconv.Itoa(seconds))
	h.Set("x-remaining-calls", "0")
	s.InjectFailure(n, fakeplatform.Failure{Status: http.StatusTooManyRequests, Header: h,
		Body: errorBody(429, fmt.Sprintf("Rate limit is exceeded. Try again in %d seconds.", seconds))})
}

var versionRE = regexp.MustCompile(`^(\d{4}-\d{2}|\d\.\d)$`)

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /{version}/order", s.createOrder)
	mux.HandleFunc("GET /{version}/order", s.listOrders)
	mux.HandleFunc("GET /{version}/order/{id}", s.getOrder)
	mux.HandleFunc("POST /{version}/shipment:batchUpdateTrackingUpload", s.batchTrackingUpload)
	mux.HandleFunc("GET /{version}/webhook", s.listWebhooks)
	mux.HandleFunc("POST /{version}/webhook", s.createWebhook)
	mux.HandleFunc("DELETE /{version}/webhook/{id}", s.deleteWebhook)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.WriteError(w, http.StatusNotFound, "Not Found")
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+s.o.Token {
			s.WriteError(w, http.StatusUnauthorized, "Authorization has been denied for this request.")
			return
		}
		v, _, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
		if !versionRE.MatchString(v) {
			s.WriteError(w, http.StatusNotFound, "Not Found")
			return
		}
		w.Header().Set("x-remaining-calls", "149")
		mux.ServeHTTP(w, r)
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	w.Write(b)
}

func writeRaw(w http.ResponseWriter, status int, b []byte) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	w.Write(b)
}

func decode(r *http.Request, out any) error {
	dec := json.NewDecoder(r.Body)
	dec.UseNumber()
	return dec.Decode(out)
}

func refKey(channel, ref string) string { return channel + "\x00" + ref }

func (s *Server) createOrder(w http.ResponseWriter, r *http.Request) {
	channel := r.Header.Get(shipbob.HeaderChannelID)
	if channel == "" {
		writeRaw(w, http.StatusBadRequest, validationBody(400, shipbob.HeaderChannelID, "The shipbob_channel_id header is required."))
		return
	}
	if channel != s.o.ChannelID {
		s.WriteError(w, http.StatusForbidden, "No access to channel "+channel)
		return
	}
	var in shipbob.CreateOrderRequest
	if err := decode(r, &in); err != nil {
		writeRaw(w, http.StatusBadRequest, validationBody(400, "body", "The request body is not valid JSON."))
		return
	}
	if field, msg := validateOrder(in); field != "" {
		writeRaw(w, http.StatusUnprocessableEntity, validationBody(422, field, msg))
		return
	}
	s.mu.Lock()
	if _, dup := s.byRef[refKey(channel, in.ReferenceID)]; dup {
		s.mu.Unlock()
		writeRaw(w, http.StatusUnprocessableEntity, validationBody(422, "reference_id",
			fmt.Sprintf("An order with reference id %s already exists for channel %s.", in.ReferenceID, channel)))
		return
	}
	id := s.nextOrder
	s.nextOrder++
	products := make([]shipbob.Product, len(in.Products))
	for i, p := range in.Products {
		p.ID = s.nextProd
		s.nextProd++
		products[i] = p
	}
	rec := in.Recipient
	o := shipbob.Order{ID: id, ReferenceID: in.ReferenceID, OrderNumber: in.OrderNumber, Status: shipbob.StatusProcessing,
		Products: products, Recipient: &rec, CreatedDate: s.Clock().UTC().Format(time.RFC3339),
		Shipments: []shipbob.Shipment{{ID: s.nextShip, OrderID: id, ReferenceID: in.ReferenceID, Status: shipbob.StatusProcessing}}}
	s.nextShip++
	s.orders[id] = &order{channel: channel, o: o}
	s.byRef[refKey(channel, in.ReferenceID)] = id
	s.created++
	out := cloneOrder(o)
	s.mu.Unlock()
	writeJSON(w, http.StatusCreated, out)
}

func validateOrder(in shipbob.CreateOrderRequest) (field, msg string) {
	switch {
	case strings.TrimSpace(in.ReferenceID) == "":
		return "reference_id", "The reference_id field is required."
	case strings.TrimSpace(in.ShippingMethod) == "":
		return "shipping_method", "The shipping_method field is required."
	case in.Type == "":
		return "type", "The type field is required."
	case strings.TrimSpace(in.Recipient.Name) == "":
		return "recipient.name", "The name field is required."
	case in.Recipient.Address.Address1 == "" || in.Recipient.Address.City == "" || in.Recipient.Address.Country == "":
		return "recipient.address", "address1, city and country are required."
	case len(in.Products) == 0:
		return "products", "At least one product is required."
	}
	for i, p := range in.Products {
		if p.ReferenceID == "" && p.ID == 0 {
			return fmt.Sprintf("products[%d].reference_id", i), "A product needs a reference_id or an id."
		}
		if p.Quantity <= 0 {
			return fmt.Sprintf("products[%d].quantity", i), "The quantity must be positive."
		}
	}
	return "", ""
}

func cloneOrder(o shipbob.Order) shipbob.Order {
	b, _ := json.Marshal(o)
	var c shipbob.Order
	_ = json.Unmarshal(b, &c)
	return c
}

func hasTracking(o shipbob.Order) bool {
	for _, sh := range o.Shipments {
		if sh.Tracking.Number() != "" {
			return true
		}
	}
	return false
}

func trackingUploaded(o shipbob.Order) bool {
	for _, sh := range o.Shipments {
		if sh.Tracking.Number() != "" && !sh.IsTrackingUploaded {
			return false
		}
	}
	return true
}

func (s *Server) listOrders(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit, page := 50, 1
	if v := q.Get("Limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > shipbob.MaxPageSize {
			writeRaw(w, http.StatusBadRequest, validationBody(400, "Limit", "The field Limit must be between 1 and 250."))
			return
		}
		limit = n
	}
	if v := q.Get("Page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			writeRaw(w, http.StatusBadRequest, validationBody(400, "Page", "The field Page must be positive."))
			return
		}
		page = n
	}
	boolFilter := func(name string) (*bool, bool) {
		v := q.Get(name)
		if v == "" {
			return nil, true
		}
		b, err := strconv.ParseBool(v)
		return &b, err == nil
	}
	hasT, ok1 := boolFilter("HasTracking")
	upl, ok2 := boolFilter("IsTrackingUploaded")
	if !ok1 || !ok2 {
		writeRaw(w, http.StatusBadRequest, validationBody(400, "HasTracking", "The value is not a boolean."))
		return
	}
	refs := splitList(q.Get("ReferenceIds"))
	ids := splitList(q.Get("IDs"))
	channel := r.Header.Get(shipbob.HeaderChannelID)

	s.mu.Lock()
	keys := make([]int64, 0, len(s.orders))
	for id := range s.orders {
		keys = append(keys, id)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i] < keys[j] })
	var match []shipbob.Order
	for _, id := range keys {
		o := s.orders[id]
		switch {
		case channel != "" && o.channel != channel:
		case refs != nil && !refs[o.o.ReferenceID]:
		case ids != nil && !ids[strconv.FormatInt(id, 10)]:
		case hasT != nil && hasTracking(o.o) != *hasT:
		case upl != nil && (!hasTracking(o.o) || trackingUploaded(o.o) != *upl):
		default:
			match = append(match, cloneOrder(o.o))
		}
	}
	s.mu.Unlock()
	total := len(match)
	pages := (total + limit - 1) / limit
	from := min((page-1)*limit, total)
	to := min(from+limit, total)
	out := match[from:to]
	if out == nil {
		out = []shipbob.Order{}
	}
	w.Header().Set("total-count", strconv.Itoa(total))
	w.Header().Set("total-pages", strconv.Itoa(pages))
	w.Header().Set("page-number", strconv.Itoa(page))
	writeJSON(w, http.StatusOK, out)
}

func splitList(v string) map[string]bool {
	if v == "" {
		return nil
	}
	out := map[string]bool{}
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out[p] = true
		}
	}
	return out
}

func (s *Server) getOrder(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		s.WriteError(w, http.StatusNotFound, "Not Found")
		return
	}
	s.mu.Lock()
	o, ok := s.orders[id]
	var out shipbob.Order
	if ok {
		out = cloneOrder(o.o)
	}
	s.mu.Unlock()
	if !ok {
		s.WriteError(w, http.StatusNotFound, "Order not found")
		return
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) batchTrackingUpload(w http.ResponseWriter, r *http.Request) {
	var in struct {
		IsTrackingUploaded *bool   `json:"is_tracking_uploaded"`
		ShipmentIDs        []int64 `json:"shipment_ids"`
	}
	if err := decode(r, &in); err != nil || in.IsTrackingUploaded == nil || len(in.ShipmentIDs) == 0 {
		writeRaw(w, http.StatusBadRequest, validationBody(400, "shipment_ids", "is_tracking_uploaded and shipment_ids are required."))
		return
	}
	want := map[int64]bool{}
	for _, id := range in.ShipmentIDs {
		want[id] = true
	}
	s.mu.Lock()
	for _, o := range s.orders {
		for i := range o.o.Shipments {
			if want[o.o.Shipments[i].ID] {
				o.o.Shipments[i].IsTrackingUploaded = *in.IsTrackingUploaded
			}
		}
	}
	s.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) listWebhooks(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	items := make([]shipbob.Webhook, len(s.subs))
	for i, sub := range s.subs {
		items[i] = sub.hook
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"items": items, "next": nil, "prev": nil})
}

// allowedTopics are the topics a V2 subscription may name.
var allowedTopics = map[string]bool{
	shipbob.TopicOrderShipped: true, shipbob.TopicOrderDelivered: true, shipbob.TopicShipmentDelivered: true,
	shipbob.TopicShipmentException: true, shipbob.TopicShipmentOnHold: true, shipbob.TopicShipmentCancelled: true,
	shipbob.TopicTrackingUpdated: true, "return.created": true, "return.updated": true, "return.completed": true,
}

func (s *Server) createWebhook(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Topics      []string `json:"topics"`
		URL         string   `json:"url"`
		Description string   `json:"description"`
		Secret      *string  `json:"secret"`
	}
	if err := decode(r, &in); err != nil {
		writeRaw(w, http.StatusBadRequest, validationBody(400, "body", "The request body is not valid JSON."))
		return
	}
	if len(in.Topics) == 0 {
		writeRaw(w, http.StatusUnprocessableEntity, validationBody(422, "topics", "At least one topic is required."))
		return
	}
	for _, t := range in.Topics {
		if !allowedTopics[t] {
			writeRaw(w, http.StatusUnprocessableEntity, validationBody(422, "topics", "Unknown topic "+t))
			return
		}
	}
	if !strings.HasPrefix(in.URL, "http://") && !strings.HasPrefix(in.URL, "https://") {
		writeRaw(w, http.StatusUnprocessableEntity, validationBody(422, "url", "The url must be an absolute URL."))
		return
	}
	secret := s.o.WebhookSecret
	if in.Secret != nil {
		if !shipbob.ValidSubscriptionSecret(*in.Secret) {
			writeRaw(w, http.StatusUnprocessableEntity, validationBody(422, "secret", "The secret must match ^whsec_[a-zA-Z0-9+/]{32}$."))
			return
		}
		secret = *in.Secret
	}
	s.mu.Lock()
	sub := &subscription{secret: secret, hook: shipbob.Webhook{ID: strconv.FormatInt(s.nextSub, 10), Topics: in.Topics, URL: in.URL,
		Description: in.Description, CreatedAt: s.Clock().UTC().Truncate(time.Second)}}
	s.nextSub++
	s.subs = append(s.subs, sub)
	out := sub.hook
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"id": out.ID, "topics": out.Topics, "url": out.URL, "description": out.Description,
		"created_at": out.CreatedAt, "secret": secret})
}

func (s *Server) deleteWebhook(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, sub := range s.subs {
		if sub.hook.ID == id {
			s.subs = append(s.subs[:i], s.subs[i+1:]...)
			w.WriteHeader(http.StatusNoContent)
			return
		}
	}
	s.WriteError(w, http.StatusNotFound, "Webhook not found")
}

// ---- state, for tests ----

// Created returns how many orders the fake created: the count a test
// checks for "never a second order".
func (s *Server) Created() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.created
}

// Orders returns every order, oldest first.
func (s *Server) Orders() []shipbob.Order {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]shipbob.Order, 0, len(s.orders))
	for _, o := range s.orders {
		out = append(out, cloneOrder(o.o))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// OrderByReference returns the order with reference_id ref.
func (s *Server) OrderByReference(ref string) (shipbob.Order, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id, ok := s.byRef[refKey(s.o.ChannelID, ref)]
	if !ok {
		return shipbob.Order{}, false
	}
	return cloneOrder(s.orders[id].o), true
}

// Subscriptions returns the webhook subscriptions.
func (s *Server) Subscriptions() []shipbob.Webhook {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]shipbob.Webhook, len(s.subs))
	for i, sub := range s.subs {
		out[i] = sub.hook
	}
	return out
}

// update changes the first shipment of the order with reference ref.
func (s *Server) update(ref string, fn func(o *shipbob.Order, sh *shipbob.Shipment)) (shipbob.Order, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id, ok := s.byRef[refKey(s.o.ChannelID, ref)]
	if !ok {
		return shipbob.Order{}, orderhub.Errorf(orderhub.ENotFound, "shipbobtest: no order with reference id %s", ref)
	}
	o := &s.orders[id].o
	fn(o, &o.Shipments[0])
	return cloneOrder(*o), nil
}

// Ship marks the order with reference ref as shipped with tracking t (a
// label bought, printed and scanned), not yet uploaded to the merchant:
// what the HasTracking poll finds. It posts nothing.
func (s *Server) Ship(ref string, t shipbob.Tracking) (shipbob.Order, error) {
	return s.update(ref, func(o *shipbob.Order, sh *shipbob.Shipment) {
		o.Status, sh.Status = shipbob.StatusCompleted, shipbob.StatusCompleted
		tt := t
		sh.Tracking, sh.IsTrackingUploaded = &tt, false
	})
}

// SetStatus sets the first shipment's status (Delivered, Exception,
// Cancelled, OnHold, ...) without posting anything.
func (s *Server) SetStatus(ref, status string) (shipbob.Order, error) {
	return s.update(ref, func(o *shipbob.Order, sh *shipbob.Shipment) { sh.Status = status })
}
