// Package woocommercetest is an in-process fake of the WooCommerce REST API
// v3 for tests and `orderhub demo`: a loopback HTTP server that follows the
// documented paths, auth, error shapes and pagination headers, with
// in-memory, goroutine-safe state.
//
// It serves, under /wp-json/wc/v3:
//
//   - GET /orders (page, per_page ≤ 100, status, modified_after/before,
//     after/before, dates_are_gmt, orderby date|id|modified, order; with
//     X-WP-Total, X-WP-TotalPages and Link), GET and PUT /orders/{id}
//     (status, with date_completed and date_paid kept), and
//     GET/POST /orders/{id}/notes;
//   - GET/POST /webhooks, GET/PUT/DELETE /webhooks/{id} (the secret is
//     write-only, as in WooCommerce);
//   - the Shipment Tracking extension's
//     /wp-json/wc-shipment-tracking/v3/orders/{id}/shipment-trackings
//     (GET, POST).
//
// Auth is HTTP Basic with the consumer key and secret (or the
// consumer_key/consumer_secret query parameters); anything else gets
// WooCommerce's 401 {"code","message","data":{"status"}}. JSON answers are
// encoded as PHP's wp_json_encode does, slashes escaped as "\/", so a client
// that re-serialises a body before verifying it fails here as it would in
// production. Failures can be injected, every request is logged, and the
// platform side of a delivery is here too: Deliver signs and posts one
// webhook; Trigger posts an order event to every active webhook of its
// topic and disables a webhook after repeated failures, as WooCommerce
// does.
package woocommercetest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/orderhub/orderhub/connectors/apiclient/fakeplatform"
)

// Defaults of Options.
const (
	DefaultConsumerKey    = "ck_fake0123456789abcdef0123456789abcdef01"
	DefaultConsumerSecret = "cs_fake0123456789abcdef0123456789abcdef01"
	DefaultSiteURL        = "https://shop.example.com"
)

// MaxFailures is how many failed deliveries in a row WooCommerce tolerates
// before it disables a webhook (woocommerce_max_webhook_delivery_failures).
const MaxFailures = 5

// Options configure a fake store. The zero value uses the defaults.
type Options struct {
	ConsumerKey    string
	ConsumerSecret string
	// SiteURL is the store's own URL, sent as X-WC-Webhook-Source; the
	// API itself is served at Server.URL.
	SiteURL string
	// Location is the site's time zone: date_* fields are in it and
	// date_*_gmt in UTC. nil means UTC.
	Location *time.Location
	// PingOnCreate makes POST /webhooks ping the delivery URL with the
	// form body webhook_id=N first and fail unless it answers exactly 200,
	// as WooCommerce does.
	PingOnCreate bool
	Now          func() time.Time
	// HTTPClient sends deliveries and pings; nil means a 10 s timeout.
	HTTPClient *http.Client
}

// Server is a running fake store. Its methods are safe for concurrent use.
type Server struct {
	*fakeplatform.Recorder
	// URL is the site URL to configure as the shop's api_base_url; the API
	// is under URL + /wp-json/wc/v3.
	URL string

	o   Options
	srv *httptest.Server

	mu        sync.Mutex
	orders    map[int64]map[string]any
	notes     map[int64][]Note
	trackings map[int64][]Tracking
	hooks     []*Webhook
	nextHook  int64
	nextNote  int64
}

// New starts a fake store for a test and closes it when the test ends.
func New(t testing.TB, o Options) *Server {
	t.Helper()
	s := NewServer(o)
	t.Cleanup(s.Close)
	return s
}

// NewServer starts a fake store outside a test (the demo); Close stops it.
func NewServer(o Options) *Server {
	if o.ConsumerKey == "" {
		o.ConsumerKey = DefaultConsumerKey
	}
	if o.ConsumerSecret == "" {
		o.ConsumerSecret = DefaultConsumerSecret
	}
	if o.SiteURL == "" {
		o.SiteURL = DefaultSiteURL
	}
	if o.Location == nil {
		o.Location = time.UTC
	}
	s := &Server{
		o:         o,
		orders:    make(map[int64]map[string]any),
		notes:     make(map[int64][]Note),
		trackings: make(map[int64][]Tracking),
		nextHook:  142,
		nextNote:  281,
	}
	s.Recorder = &fakeplatform.Recorder{ErrorBody: func(status int, msg string) []byte {
		return errorJSON(status, errorCode(status), msg)
	}, Now: o.Now}
	s.srv = fakeplatform.Start(s.Recorder.Wrap(s.routes()))
	s.URL = s.srv.URL
	return s
}

// Close stops the server.
func (s *Server) Close() { s.srv.Close() }

// Options returns the options in effect, defaults filled in.
func (s *Server) Options() Options { return s.o }

func errorCode(status int) string {
	switch status {
	case http.StatusNotFound:
		return "rest_no_route"
	case http.StatusTooManyRequests:
		return "too_many_requests"
	case http.StatusUnauthorized:
		return "woocommerce_rest_cannot_view"
	}
	if status >= 500 {
		return "internal_server_error"
	}
	return "rest_invalid_param"
}

func errorJSON(status int, code, msg string) []byte {
	b, _ := phpJSON(map[string]any{"code": code, "message": msg, "data": map[string]any{"status": status}})
	return b
}

// phpJSON encodes v as wp_json_encode does: no HTML escaping, and "/"
// escaped as "\/" (a "/" can only occur inside strings in JSON).
func phpJSON(v any) ([]byte, error) {
	b, err := plainJSON(v)
	if err != nil {
		return nil, err
	}
	return bytes.ReplaceAll(b, []byte("/"), []byte(`\/`)), nil
}

// plainJSON encodes v without HTML escaping.
func plainJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := phpJSON(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(status)
	w.Write(b)
}

func (s *Server) fail(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(status)
	w.Write(errorJSON(status, code, msg))
}

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	const v3 = "/wp-json/wc/v3"
	mux.HandleFunc("GET "+v3+"/orders", s.listOrders)
	mux.HandleFunc("GET "+v3+"/orders/{id}", s.getOrder)
	mux.HandleFunc("PUT "+v3+"/orders/{id}", s.putOrder)
	mux.HandleFunc("POST "+v3+"/orders/{id}", s.putOrder) // WP REST takes POST for updates too
	mux.HandleFunc("GET "+v3+"/orders/{id}/notes", s.listNotes)
	mux.HandleFunc("POST "+v3+"/orders/{id}/notes", s.createNote)
	mux.HandleFunc("GET "+v3+"/webhooks", s.listWebhooks)
	mux.HandleFunc("POST "+v3+"/webhooks", s.createWebhook)
	mux.HandleFunc("GET "+v3+"/webhooks/{id}", s.getWebhook)
	mux.HandleFunc("PUT "+v3+"/webhooks/{id}", s.updateWebhook)
	mux.HandleFunc("POST "+v3+"/webhooks/{id}", s.updateWebhook)
	mux.HandleFunc("DELETE "+v3+"/webhooks/{id}", s.deleteWebhook)
	const st = "/wp-json/wc-shipment-tracking/v3/orders/{id}/shipment-trackings"
	mux.HandleFunc("GET "+st, s.listTrackings)
	mux.HandleFunc("POST "+st, s.createTracking)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.fail(w, http.StatusNotFound, "rest_no_route", "No route was found matching the URL and request method.")
	})
	return s.auth(mux)
}

// auth checks the consumer key and secret, from Basic auth or the query.
func (s *Server) auth(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key, sec, ok := r.BasicAuth()
		if !ok {
			key, sec = r.URL.Query().Get("consumer_key"), r.URL.Query().Get("consumer_secret")
		}
		switch {
		case key == "" && sec == "":
			msg := "Sorry, you cannot list resources."
			if r.Method != http.MethodGet {
				msg = "Sorry, you are not allowed to create resources."
			}
			s.fail(w, http.StatusUnauthorized, "woocommerce_rest_cannot_view", msg)
		case key != s.o.ConsumerKey:
			s.fail(w, http.StatusUnauthorized, "woocommerce_rest_authentication_error", "Consumer key is invalid.")
		case sec != s.o.ConsumerSecret:
			s.fail(w, http.StatusUnauthorized, "woocommerce_rest_authentication_error", "Consumer secret is invalid.")
		default:
			next.ServeHTTP(w, r)
		}
	})
}

// paginate writes X-WP-Total, X-WP-TotalPages and Link, and returns the
// slice bounds of the page, or ok=false after writing a 400.
func (s *Server) paginate(w http.ResponseWriter, r *http.Request, total int) (lo, hi int, ok bool) {
	q := r.URL.Query()
	per, page := 10, 1
	if v := q.Get("per_page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 100 {
			s.fail(w, http.StatusBadRequest, "rest_invalid_param", "Invalid parameter(s): per_page")
			return 0, 0, false
		}
		per = n
	}
	if v := q.Get("page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			s.fail(w, http.StatusBadRequest, "rest_invalid_param", "Invalid parameter(s): page")
			return 0, 0, false
		}
		page = n
	}
	pages := (total + per - 1) / per
	if page > pages && total > 0 {
		s.fail(w, http.StatusBadRequest, "rest_post_invalid_page_number", "The page number requested is larger than the number of pages available.")
		return 0, 0, false
	}
	w.Header().Set("X-WP-Total", strconv.Itoa(total))
	w.Header().Set("X-WP-TotalPages", strconv.Itoa(pages))
	var links []string
	link := func(p int, rel string) {
		qq := url.Values{}
		for k, v := range q {
			if k != "consumer_key" && k != "consumer_secret" {
				qq[k] = v
			}
		}
		qq.Set("page", strconv.Itoa(p))
		links = append(links, fmt.Sprintf(`<%s%s?%s>; rel="%s"`, s.URL, r.URL.Path, qq.Encode(), rel))
	}
	if page > 1 {
		link(page-1, "prev")
	}
	if page < pages {
		link(page+1, "next")
	}
	if len(links) > 0 {
		w.Header().Set("Link", strings.Join(links, ", "))
	}
	lo = min((page-1)*per, total)
	hi = min(lo+per, total)
	return lo, hi, true
}

func pathID(r *http.Request) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	return id, err == nil && id > 0
}

// ---- orders ----

func (s *Server) listOrders(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	gmt := q.Get("dates_are_gmt") == "true" || q.Get("dates_are_gmt") == "1"
	bound := func(name string) (time.Time, bool, bool) {
		v := q.Get(name)
		if v == "" {
			return time.Time{}, false, true
		}
		loc := s.o.Location
		if gmt {
			loc = time.UTC
		}
		t, err := parseWooTime(v, loc)
		if err != nil {
			s.fail(w, http.StatusBadRequest, "rest_invalid_param", "Invalid parameter(s): "+name)
			return time.Time{}, false, false
		}
		return t, true, true
	}
	modAfter, hasModAfter, ok := bound("modified_after")
	if !ok {
		return
	}
	modBefore, hasModBefore, ok := bound("modified_before")
	if !ok {
		return
	}
	after, hasAfter, ok := bound("after")
	if !ok {
		return
	}
	before, hasBefore, ok := bound("before")
	if !ok {
		return
	}
	statuses := map[string]bool{}
	for _, st := range strings.Split(q.Get("status"), ",") {
		if st = strings.TrimSpace(st); st != "" && st != "any" {
			statuses[st] = true
		}
	}
	orderby := q.Get("orderby")
	if orderby == "" {
		orderby = "date"
	}
	if orderby != "date" && orderby != "id" && orderby != "modified" && orderby != "include" && orderby != "title" && orderby != "slug" {
		s.fail(w, http.StatusBadRequest, "rest_invalid_param", "Invalid parameter(s): orderby")
		return
	}
	desc := q.Get("order") != "asc"

	s.mu.Lock()
	var list []map[string]any
	for _, o := range s.orders {
		if len(statuses) > 0 && !statuses[fakeplatform.JSONString(o["status"])] {
			continue
		}
		mod := gmtTime(o, "date_modified_gmt")
		cr := gmtTime(o, "date_created_gmt")
		if hasModAfter && !mod.After(modAfter) {
			continue
		}
		if hasModBefore && !mod.Before(modBefore) {
			continue
		}
		if hasAfter && !cr.After(after) {
			continue
		}
		if hasBefore && !cr.Before(before) {
			continue
		}
		list = append(list, o)
	}
	sort.SliceStable(list, func(i, j int) bool {
		a, b := list[i], list[j]
		var less bool
		switch orderby {
		case "id", "include", "title", "slug":
			less = fakeplatform.IDOf(a) < fakeplatform.IDOf(b)
		case "modified":
			less = gmtTime(a, "date_modified_gmt").Before(gmtTime(b, "date_modified_gmt")) ||
				(gmtTime(a, "date_modified_gmt").Equal(gmtTime(b, "date_modified_gmt")) && fakeplatform.IDOf(a) < fakeplatform.IDOf(b))
		default:
			less = gmtTime(a, "date_created_gmt").Before(gmtTime(b, "date_created_gmt")) ||
				(gmtTime(a, "date_created_gmt").Equal(gmtTime(b, "date_created_gmt")) && fakeplatform.IDOf(a) < fakeplatform.IDOf(b))
		}
		if desc {
			return !less && !(fakeplatform.IDOf(a) == fakeplatform.IDOf(b))
		}
		return less
	})
	s.mu.Unlock()
	lo, hi, ok := s.paginate(w, r, len(list))
	if !ok {
		return
	}
	page := make([]json.RawMessage, 0, hi-lo)
	s.mu.Lock()
	for _, o := range list[lo:hi] {
		page = append(page, s.renderLocked(o))
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, page)
}

// renderLocked encodes an order with its links while s.mu is held, so the
// answer is a snapshot that later updates cannot race with.
func (s *Server) renderLocked(o map[string]any) json.RawMessage {
	b, _ := plainJSON(s.withLinks(o))
	return b
}

func (s *Server) withLinks(o map[string]any) map[string]any {
	c := make(map[string]any, len(o)+1)
	for k, v := range o {
		c[k] = v
	}
	c["_links"] = map[string]any{
		"self":       []any{map[string]any{"href": fmt.Sprintf("%s/wp-json/wc/v3/orders/%d", s.o.SiteURL, fakeplatform.IDOf(o))}},
		"collection": []any{map[string]any{"href": s.o.SiteURL + "/wp-json/wc/v3/orders"}},
	}
	return c
}

func (s *Server) invalidOrder(w http.ResponseWriter) {
	s.fail(w, http.StatusNotFound, "woocommerce_rest_shop_order_invalid_id", "Invalid ID.")
}

func (s *Server) getOrder(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		s.invalidOrder(w)
		return
	}
	s.mu.Lock()
	o, ok := s.orders[id]
	var out json.RawMessage
	if ok {
		out = s.renderLocked(o)
	}
	s.mu.Unlock()
	if !ok {
		s.invalidOrder(w)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// OrderStatuses are the core order statuses.
var OrderStatuses = []string{"pending", "processing", "on-hold", "completed", "cancelled", "refunded", "failed", "trash", "checkout-draft"}

func (s *Server) putOrder(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		s.invalidOrder(w)
		return
	}
	var in map[string]any
	if err := fakeplatform.DecodeBody(r, &in); err != nil {
		s.fail(w, http.StatusBadRequest, "rest_invalid_json", "Invalid JSON body passed.")
		return
	}
	if st, has := in["status"]; has {
		valid := false
		for _, v := range OrderStatuses {
			if fakeplatform.JSONString(st) == v {
				valid = true
			}
		}
		if !valid {
			s.fail(w, http.StatusBadRequest, "rest_invalid_param", "Invalid parameter(s): status")
			return
		}
	}
	err := s.UpdateOrder(id, func(o map[string]any) {
		for _, k := range []string{"status", "customer_note", "meta_data", "transaction_id"} {
			if v, has := in[k]; has {
				o[k] = v
			}
		}
	})
	if err != nil {
		s.invalidOrder(w)
		return
	}
	s.mu.Lock()
	out := s.renderLocked(s.orders[id])
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, out)
}

// Note is an order note.
type Note struct {
	ID             int64     `json:"id"`
	Author         string    `json:"author"`
	DateCreated    string    `json:"date_created"`
	DateCreatedGMT string    `json:"date_created_gmt"`
	Note           string    `json:"note"`
	CustomerNote   bool      `json:"customer_note"`
	AddedByUser    bool      `json:"-"`
	At             time.Time `json:"-"`
}

func (s *Server) listNotes(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok || !s.hasOrder(id) {
		s.invalidOrder(w)
		return
	}
	notes := s.Notes(id)
	// Newest first, as WooCommerce lists them.
	out := make([]Note, 0, len(notes))
	for i := len(notes) - 1; i >= 0; i-- {
		out = append(out, notes[i])
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) createNote(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok || !s.hasOrder(id) {
		s.invalidOrder(w)
		return
	}
	var in struct {
		Note         string `json:"note"`
		CustomerNote bool   `json:"customer_note"`
		AddedByUser  bool   `json:"added_by_user"`
	}
	if err := fakeplatform.DecodeBody(r, &in); err != nil {
		s.fail(w, http.StatusBadRequest, "rest_invalid_json", "Invalid JSON body passed.")
		return
	}
	if strings.TrimSpace(in.Note) == "" {
		s.fail(w, http.StatusBadRequest, "rest_missing_callback_param", "Missing parameter(s): note")
		return
	}
	now := s.Clock()
	s.mu.Lock()
	n := Note{
		ID: s.nextNote, Author: "WooCommerce", Note: in.Note, CustomerNote: in.CustomerNote, AddedByUser: in.AddedByUser,
		DateCreated: s.local(now), DateCreatedGMT: gmt(now), At: now,
	}
	if in.AddedByUser {
		n.Author = "admin"
	}
	s.nextNote++
	s.notes[id] = append(s.notes[id], n)
	s.mu.Unlock()
	writeJSON(w, http.StatusCreated, n)
}

// Tracking is one item of the Shipment Tracking extension.
type Tracking struct {
	TrackingID             string `json:"tracking_id"`
	TrackingProvider       string `json:"tracking_provider"`
	TrackingLink           string `json:"tracking_link"`
	TrackingNumber         string `json:"tracking_number"`
	DateShipped            string `json:"date_shipped"`
	CustomTrackingProvider string `json:"custom_tracking_provider,omitempty"`
}

func (s *Server) listTrackings(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok || !s.hasOrder(id) {
		s.invalidOrder(w)
		return
	}
	writeJSON(w, http.StatusOK, s.Trackings(id))
}

func (s *Server) createTracking(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok || !s.hasOrder(id) {
		s.invalidOrder(w)
		return
	}
	var in struct {
		TrackingProvider       string `json:"tracking_provider"`
		TrackingNumber         string `json:"tracking_number"`
		DateShipped            string `json:"date_shipped"`
		CustomTrackingProvider string `json:"custom_tracking_provider"`
		CustomTrackingLink     string `json:"custom_tracking_link"`
	}
	if err := fakeplatform.DecodeBody(r, &in); err != nil {
		s.fail(w, http.StatusBadRequest, "rest_invalid_json", "Invalid JSON body passed.")
		return
	}
	if in.TrackingNumber == "" {
		s.fail(w, http.StatusBadRequest, "rest_missing_callback_param", "Missing parameter(s): tracking_number")
		return
	}
	if in.DateShipped != "" {
		if _, err := time.Parse("2006-01-02", in.DateShipped); err != nil {
			s.fail(w, http.StatusBadRequest, "rest_invalid_param", "Invalid parameter(s): date_shipped")
			return
		}
	}
	s.mu.Lock()
	n := len(s.trackings[id])
	t := Tracking{
		TrackingID:       fmt.Sprintf("%x", 0xa1b2c3d4+int64(n)+id),
		TrackingProvider: in.TrackingProvider, TrackingNumber: in.TrackingNumber,
		DateShipped: in.DateShipped, CustomTrackingProvider: in.CustomTrackingProvider,
		TrackingLink: in.CustomTrackingLink,
	}
	s.trackings[id] = append(s.trackings[id], t)
	s.mu.Unlock()
	writeJSON(w, http.StatusCreated, t)
}

// RateLimitNext makes the next n requests answer 429 with Retry-After
// retryAfter ("" sends none), as a host's WAF or a rate-limit plugin does;
// core WooCommerce documents no limit of its own.
func (s *Server) RateLimitNext(n int, retryAfter string) {
	h := http.Header{}
	if retryAfter != "" {
		h.Set("Retry-After", retryAfter)
	}
	s.InjectFailure(n, fakeplatform.Failure{Status: http.StatusTooManyRequests, Header: h,
		Body: errorJSON(http.StatusTooManyRequests, "too_many_requests", "Too many requests. Please try again later.")})
}
