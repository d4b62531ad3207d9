// Package easyposttest is an in-process fake of the EasyPost API for tests
// and `orderhub demo`: a loopback HTTP server that follows the documented
// paths, auth and error shapes (PLATFORMS.md §5), with in-memory,
// goroutine-safe state.
//
// It serves, under /v2/:
//
//   - POST shipments (to_address, from_address and parcel required; the
//     answer carries the configured rates), GET shipments (page_size,
//     before_id), GET shipments/{id};
//   - POST shipments/{id}/buy: a label, a tracking code and a tracker; a
//     second buy of a bought shipment is EasyPost's 422;
//   - GET trackers/{id};
//   - GET, POST webhooks, PATCH and DELETE webhooks/{id}.
//
// Every request needs HTTP Basic auth with the API key as the user name; a
// wrong one gets 401. Failures can be injected: FailNext (5xx),
// RateLimitNext (429 with Retry-After), TimeoutNext, SlowNext,
// LoseAnswerNext. Every request is logged; ShipmentsCreated and
// LabelsBought count what a test must see once. The carrier side moves a
// tracker along and posts tracker.updated to the hub, signed with
// X-Hmac-Signature (Track).
package easyposttest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/orderhub/orderhub"
	"github.com/orderhub/orderhub/connectors/apiclient/fakeplatform"
	"github.com/orderhub/orderhub/connectors/easypost"
)

// Defaults of Options.
const (
	DefaultAPIKey        = "EZTKfake0123456789abcdef"
	DefaultWebhookSecret = "fake-easypost-webhook-sécret"
)

// RateSpec is one rate every shipment is offered.
type RateSpec struct {
	Carrier      string
	Service      string
	Rate         string // decimal, e.g. "7.58"
	DeliveryDays int
}

// DefaultRates are offered when Options.Rates is empty: the cheapest is
// the slowest, so the cheapest and fastest rules pick different ones.
var DefaultRates = []RateSpec{
	{Carrier: "USPS", Service: "GroundAdvantage", Rate: "6.95", DeliveryDays: 5},
	{Carrier: "USPS", Service: "Priority", Rate: "9.80", DeliveryDays: 2},
	{Carrier: "UPS", Service: "NextDayAir", Rate: "38.10", DeliveryDays: 1},
}

// Options configure a fake account. The zero value uses the defaults.
type Options struct {
	APIKey        string
	WebhookSecret string // signs Track deliveries not sent to a registered webhook
	Rates         []RateSpec
	Now           func() time.Time
	// HTTPClient sends deliveries; nil means a client with a 10 s timeout.
	HTTPClient *http.Client
}

// Server is a running fake EasyPost account. Its methods are safe for
// concurrent use.
type Server struct {
	*fakeplatform.Recorder
	// URL is the base URL to configure as the provider's api_base_url.
	URL string

	o   Options
	srv *httptest.Server
	fakeplatform.Faults

	mu        sync.Mutex
	seq       int
	shipments map[string]*easypost.Shipment
	order     []string // shipment ids, oldest first
	trackers  map[string]*easypost.Tracker
	hooks     []*easypost.Webhook
	created   int
	bought    int
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
	if o.APIKey == "" {
		o.APIKey = DefaultAPIKey
	}
	if o.WebhookSecret == "" {
		o.WebhookSecret = DefaultWebhookSecret
	}
	if len(o.Rates) == 0 {
		o.Rates = DefaultRates
	}
	s := &Server{o: o, shipments: map[string]*easypost.Shipment{}, trackers: map[string]*easypost.Tracker{}}
	s.Recorder = &fakeplatform.Recorder{ErrorBody: errorBody, Now: o.Now}
	s.srv = fakeplatform.Start(s.Faults.Wrap(s.Recorder.Wrap(s.routes())))
	s.URL = s.srv.URL
	return s
}

// Close stops the server.
func (s *Server) Close() { s.srv.Close() }

// Options returns the options in effect, defaults filled in.
func (s *Server) Options() Options { return s.o }

func errorBody(status int, message string) []byte {
	return codeBody(codeFor(status), message)
}

func codeFor(status int) string {
	switch status {
	case http.StatusUnauthorized:
		return "APIKEY.INACTIVE"
	case http.StatusNotFound:
		return "NOT_FOUND"
	case http.StatusTooManyRequests:
		return "RATE_LIMITED"
	case http.StatusUnprocessableEntity:
		return "PARAMETER.INVALID"
	}
	if status >= 500 {
		return "INTERNAL_SERVER_ERROR"
	}
	return "BAD_REQUEST"
}

// codeBody is EasyPost's error shape.
func codeBody(code, message string) []byte {
	b, _ := json.Marshal(map[string]any{"error": map[string]any{"code": code, "message": message, "errors": []any{}}})
	return b
}

// RateLimitNext makes the next n requests answer 429 with Retry-After
// retryAfter (seconds; "" sends none).
func (s *Server) RateLimitNext(n int, retryAfter string) {
	h := http.Header{}
	if retryAfter != "" {
		h.Set("Retry-After", retryAfter)
	}
	s.InjectFailure(n, fakeplatform.Failure{Status: http.StatusTooManyRequests, Header: h,
		Body: codeBody("RATE_LIMITED", "You have exceeded the rate limit. Please retry later.")})
}

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v2/shipments", s.createShipment)
	mux.HandleFunc("GET /v2/shipments", s.listShipments)
	mux.HandleFunc("GET /v2/shipments/{id}", s.getShipment)
	mux.HandleFunc("POST /v2/shipments/{id}/buy", s.buyShipment)
	mux.HandleFunc("GET /v2/trackers/{id}", s.getTracker)
	mux.HandleFunc("GET /v2/webhooks", s.listWebhooks)
	mux.HandleFunc("POST /v2/webhooks", s.createWebhook)
	mux.HandleFunc("PATCH /v2/webhooks/{id}", s.updateWebhook)
	mux.HandleFunc("DELETE /v2/webhooks/{id}", s.deleteWebhook)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.WriteError(w, http.StatusNotFound, "The requested resource could not be found.")
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		user, _, ok := r.BasicAuth()
		if !ok || user != s.o.APIKey {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			w.Write(codeBody("APIKEY.REQUIRED", "Invalid or missing API Key."))
			return
		}
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

func (s *Server) invalid(w http.ResponseWriter, code, message string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusUnprocessableEntity)
	w.Write(codeBody(code, message))
}

// id returns a fresh id with EasyPost's prefix.
func (s *Server) id(prefix string) string {
	s.seq++
	return fmt.Sprintf("%s_%032x", prefix, s.seq)
}

func clone[T any](v *T) *T {
	b, _ := json.Marshal(v)
	out := new(T)
	_ = json.Unmarshal(b, out)
	return out
}

func (s *Server) now() *easypost.DateTime {
	t := easypost.DateTime(s.Clock().UTC().Truncate(time.Second))
	return &t
}

func (s *Server) createShipment(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Shipment *easypost.Shipment `json:"shipment"`
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil || in.Shipment == nil {
		s.invalid(w, "PARAMETER.REQUIRED", "Missing required parameter: shipment.")
		return
	}
	sh := in.Shipment
	switch {
	case sh.ToAddress == nil || sh.ToAddress.Street1 == "" || sh.ToAddress.Country == "":
		s.invalid(w, "SHIPMENT.INVALID_PARAMS", "to_address needs at least street1 and country.")
		return
	case sh.FromAddress == nil || sh.FromAddress.Street1 == "" || sh.FromAddress.Country == "":
		s.invalid(w, "SHIPMENT.INVALID_PARAMS", "from_address needs at least street1 and country.")
		return
	case sh.Parcel == nil || sh.Parcel.Weight <= 0:
		s.invalid(w, "SHIPMENT.INVALID_PARAMS", "parcel.weight must be positive.")
		return
	}
	s.mu.Lock()
	out := &easypost.Shipment{ID: s.id("shp"), Object: "Shipment", Mode: "test", Reference: sh.Reference, Status: "unknown",
		ToAddress: sh.ToAddress, FromAddress: sh.FromAddress, Parcel: sh.Parcel, CreatedAt: s.now(), UpdatedAt: s.now()}
	out.ToAddress.ID, out.FromAddress.ID, out.Parcel.ID = s.id("adr"), s.id("adr"), s.id("prcl")
	for _, rs := range s.o.Rates {
		out.Rates = append(out.Rates, &easypost.Rate{ID: s.id("rate"), Object: "Rate", Mode: "test", ShipmentID: out.ID, Carrier: rs.Carrier,
			Service: rs.Service, Rate: rs.Rate, Currency: "USD", DeliveryDays: rs.DeliveryDays, EstDeliveryDays: rs.DeliveryDays})
	}
	s.shipments[out.ID] = out
	s.order = append(s.order, out.ID)
	s.created++
	res := clone(out)
	s.mu.Unlock()
	writeJSON(w, http.StatusCreated, res)
}

func (s *Server) listShipments(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	size := 20
	if v := q.Get("page_size"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 100 {
			s.invalid(w, "PARAMETER.INVALID", "page_size must be between 1 and 100.")
			return
		}
		size = n
	}
	before := q.Get("before_id")
	s.mu.Lock()
	var out []*easypost.Shipment
	started := before == ""
	for i := len(s.order) - 1; i >= 0 && len(out) <= size; i-- {
		id := s.order[i]
		if !started {
			started = id == before
			continue
		}
		out = append(out, clone(s.shipments[id]))
	}
	s.mu.Unlock()
	more := len(out) > size
	if more {
		out = out[:size]
	}
	if out == nil {
		out = []*easypost.Shipment{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"shipments": out, "has_more": more})
}

func (s *Server) getShipment(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	sh, ok := s.shipments[r.PathValue("id")]
	var out *easypost.Shipment
	if ok {
		out = clone(sh)
	}
	s.mu.Unlock()
	if !ok {
		s.WriteError(w, http.StatusNotFound, "The requested resource could not be found.")
		return
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) buyShipment(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Rate *easypost.Rate `json:"rate"`
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil || in.Rate == nil || in.Rate.ID == "" {
		s.invalid(w, "PARAMETER.REQUIRED", "Missing required parameter: rate.")
		return
	}
	s.mu.Lock()
	sh, ok := s.shipments[r.PathValue("id")]
	if !ok {
		s.mu.Unlock()
		s.WriteError(w, http.StatusNotFound, "The requested resource could not be found.")
		return
	}
	if sh.PostageLabel != nil {
		s.mu.Unlock()
		s.invalid(w, "SHIPMENT.POSTAGE.EXISTS", "Shipment already has postage.")
		return
	}
	var rate *easypost.Rate
	for _, rt := range sh.Rates {
		if rt.ID == in.Rate.ID {
			rate = rt
		}
	}
	if rate == nil {
		s.mu.Unlock()
		s.invalid(w, "SHIPMENT.RATE.INVALID", "The rate does not belong to this shipment.")
		return
	}
	s.bought++
	code := fmt.Sprintf("EZ%018d", s.bought)
	trk := &easypost.Tracker{ID: s.id("trk"), Object: "Tracker", Mode: "test", TrackingCode: code, Status: easypost.TrackerPreTransit,
		Carrier: rate.Carrier, ShipmentID: sh.ID, PublicURL: "https://track.easypost.example/" + code, CreatedAt: s.now(), UpdatedAt: s.now()}
	s.trackers[trk.ID] = trk
	sh.SelectedRate = rate
	sh.TrackingCode = code
	sh.Status = "purchased"
	sh.Tracker = trk
	sh.PostageLabel = &easypost.PostageLabel{ID: s.id("pl"), Object: "PostageLabel", LabelFileType: "image/png",
		LabelURL: "https://labels.easypost.example/" + sh.ID + ".png", LabelDate: s.now()}
	out := clone(sh)
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) getTracker(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	t, ok := s.trackers[r.PathValue("id")]
	var out *easypost.Tracker
	if ok {
		out = clone(t)
	}
	s.mu.Unlock()
	if !ok {
		s.WriteError(w, http.StatusNotFound, "The requested resource could not be found.")
		return
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) listWebhooks(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	out := make([]*easypost.Webhook, len(s.hooks))
	for i, h := range s.hooks {
		out[i] = publicHook(h)
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"webhooks": out})
}

// publicHook is a webhook as the API shows it: without its secret.
func publicHook(h *easypost.Webhook) *easypost.Webhook {
	c := clone(h)
	c.WebhookSecret = ""
	return c
}

func (s *Server) createWebhook(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Webhook *easypost.Webhook `json:"webhook"`
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil || in.Webhook == nil || in.Webhook.URL == "" {
		s.invalid(w, "PARAMETER.REQUIRED", "Missing required parameter: webhook.url.")
		return
	}
	if !strings.HasPrefix(in.Webhook.URL, "http://") && !strings.HasPrefix(in.Webhook.URL, "https://") {
		s.invalid(w, "WEBHOOK.INVALID_URL", "The url is not valid.")
		return
	}
	s.mu.Lock()
	h := &easypost.Webhook{ID: s.id("hook"), Object: "Webhook", Mode: "test", URL: in.Webhook.URL, WebhookSecret: in.Webhook.WebhookSecret}
	s.hooks = append(s.hooks, h)
	out := publicHook(h)
	s.mu.Unlock()
	writeJSON(w, http.StatusCreated, out)
}

func (s *Server) updateWebhook(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Webhook *easypost.Webhook `json:"webhook"`
	}
	_ = json.NewDecoder(r.Body).Decode(&in)
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, h := range s.hooks {
		if h.ID == r.PathValue("id") {
			h.DisabledAt = nil // an update re-enables
			if in.Webhook != nil && in.Webhook.WebhookSecret != "" {
				h.WebhookSecret = in.Webhook.WebhookSecret
			}
			writeJSON(w, http.StatusOK, publicHook(h))
			return
		}
	}
	s.WriteError(w, http.StatusNotFound, "The requested resource could not be found.")
}

func (s *Server) deleteWebhook(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, h := range s.hooks {
		if h.ID == r.PathValue("id") {
			s.hooks = append(s.hooks[:i], s.hooks[i+1:]...)
			writeJSON(w, http.StatusOK, map[string]any{})
			return
		}
	}
	s.WriteError(w, http.StatusNotFound, "The requested resource could not be found.")
}

// ---- state, for tests ----

// ShipmentsCreated counts POST shipments that created one.
func (s *Server) ShipmentsCreated() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.created
}

// LabelsBought counts labels bought: the count a test checks for "never a
// second label".
func (s *Server) LabelsBought() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.bought
}

// Shipment returns a copy of a shipment.
func (s *Server) Shipment(id string) (*easypost.Shipment, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sh, ok := s.shipments[id]
	if !ok {
		return nil, false
	}
	return clone(sh), true
}

// Shipments returns every shipment, oldest first.
func (s *Server) Shipments() []*easypost.Shipment {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*easypost.Shipment, 0, len(s.order))
	for _, id := range s.order {
		out = append(out, clone(s.shipments[id]))
	}
	return out
}

// Webhooks returns the registered webhooks, secrets included.
func (s *Server) Webhooks() []easypost.Webhook {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]easypost.Webhook, len(s.hooks))
	for i, h := range s.hooks {
		out[i] = *clone(h)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// DisableWebhook marks a webhook disabled, as EasyPost does after failed
// deliveries.
func (s *Server) DisableWebhook(id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, h := range s.hooks {
		if h.ID == id {
			h.DisabledAt = s.now()
			return nil
		}
	}
	return orderhub.Errorf(orderhub.ENotFound, "easyposttest: no webhook %s", id)
}
