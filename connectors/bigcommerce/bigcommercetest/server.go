// Package bigcommercetest is an in-process fake of the BigCommerce REST API
// for tests and `orderhub demo`: a loopback HTTP server that follows the
// documented paths under /stores/{store_hash}, auth, error shapes and
// rate-limit headers, with in-memory, goroutine-safe state.
//
// It serves:
//
//   - v2 GET /orders (min/max_date_modified and min/max_date_created in
//     RFC 2822 or ISO 8601, status_id, min_id/max_id, sort, limit ≤ 250,
//     page; 204 when empty), GET and PUT /orders/{id} (status_id with its
//     status name, staff_notes), GET /orders/{id}/products and
//     /orders/{id}/shipping_addresses (204 when empty), and GET/POST
//     /orders/{id}/shipments (order_address_id and items are checked
//     against the order; items_shipped and the status follow), and
//     PUT /orders/{id}/shipments/{shipment_id} (tracking and comments);
//   - v3 GET/POST /hooks and GET/PUT/DELETE /hooks/{id}, in the
//     {"data": ..., "meta": ...} envelope.
//
// Every request needs X-Auth-Token; a wrong or missing one gets a 401. Every
// answer carries X-Rate-Limit-Time-Window-Ms, -Time-Reset-Ms,
// -Requests-Quota and -Requests-Left from a real fixed window (Quota per
// Window); a spent window answers 429 with them. v2 errors are
// [{"status","message"}], v3 errors {"status","title","type","errors"}.
// Failures can be injected, every request is logged, and the platform side
// of a callback is here too: Deliver signs and posts one callback, Trigger
// posts a thin event to every active hook of its scope with the hook's
// custom headers.
package bigcommercetest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/orderhub/orderhub/connectors/apiclient/fakeplatform"
	"github.com/orderhub/orderhub/connectors/bigcommerce"
)

// Defaults of Options.
const (
	DefaultStoreHash    = "abc123"
	DefaultStoreID      = "1025646"
	DefaultAccessToken  = "fake-bigcommerce-access-token"
	DefaultClientSecret = "fake-bigcommerce-client-secret"
	DefaultQuota        = 150
	DefaultWindow       = 30 * time.Second
)

// Options configure a fake store. The zero value uses the defaults.
type Options struct {
	StoreHash    string
	StoreID      string // the numeric store id callbacks carry
	AccessToken  string // the X-Auth-Token the fake accepts
	ClientSecret string // the app's client secret; signs Trigger callbacks
	// Quota requests are allowed per Window; then 429 until the window
	// resets.
	Quota  int
	Window time.Duration
	// RequireHTTPS makes POST /v3/hooks refuse destinations that are not
	// https on port 443, as BigCommerce does; off by default so tests can
	// use loopback.
	RequireHTTPS bool
	Now          func() time.Time
	// HTTPClient sends callbacks; nil means a 10 s timeout.
	HTTPClient *http.Client
}

// Server is a running fake store. Its methods are safe for concurrent use.
type Server struct {
	*fakeplatform.Recorder
	// URL is the API host to configure as the shop's api_base_url.
	URL string

	o   Options
	srv *httptest.Server

	mu          sync.Mutex
	orders      map[int64]*order
	hooks       []*Hook
	nextHook    int64
	nextShip    int64
	windowStart time.Time
	used        int
	forcedLeft  *int
	forcedReset time.Duration
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
	if o.StoreHash == "" {
		o.StoreHash = DefaultStoreHash
	}
	if o.StoreID == "" {
		o.StoreID = DefaultStoreID
	}
	if o.AccessToken == "" {
		o.AccessToken = DefaultAccessToken
	}
	if o.ClientSecret == "" {
		o.ClientSecret = DefaultClientSecret
	}
	if o.Quota <= 0 {
		o.Quota = DefaultQuota
	}
	if o.Window <= 0 {
		o.Window = DefaultWindow
	}
	s := &Server{o: o, orders: make(map[int64]*order), nextHook: 18048287, nextShip: 11}
	s.Recorder = &fakeplatform.Recorder{ErrorBody: v3Error, Now: o.Now}
	s.srv = fakeplatform.Start(s.Recorder.Wrap(s.routes()))
	s.URL = s.srv.URL
	return s
}

// Close stops the server.
func (s *Server) Close() { s.srv.Close() }

// Options returns the options in effect, defaults filled in.
func (s *Server) Options() Options { return s.o }

func v3Error(status int, title string) []byte {
	b, _ := json.Marshal(map[string]any{
		"status": status, "title": title,
		"type":   "https://developer.bigcommerce.com/api-docs/getting-started/api-status-codes",
		"errors": map[string]any{},
	})
	return b
}

func v2Error(status int, msg string) []byte {
	b, _ := json.Marshal([]any{map[string]any{"status": status, "message": msg}})
	return b
}

func writeRaw(w http.ResponseWriter, status int, b []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(b)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	writeRaw(w, status, b)
}

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	p := "/stores/{hash}"
	mux.HandleFunc("GET "+p+"/v2/orders", s.listOrders)
	mux.HandleFunc("GET "+p+"/v2/orders/{id}", s.getOrder)
	mux.HandleFunc("PUT "+p+"/v2/orders/{id}", s.putOrder)
	mux.HandleFunc("GET "+p+"/v2/orders/{id}/products", s.listProducts)
	mux.HandleFunc("GET "+p+"/v2/orders/{id}/shipping_addresses", s.listAddresses)
	mux.HandleFunc("GET "+p+"/v2/orders/{id}/shipments", s.listShipments)
	mux.HandleFunc("POST "+p+"/v2/orders/{id}/shipments", s.createShipment)
	mux.HandleFunc("PUT "+p+"/v2/orders/{id}/shipments/{shipment_id}", s.updateShipment) // writeback.go
	mux.HandleFunc("GET "+p+"/v3/hooks", s.listHooks)
	mux.HandleFunc("POST "+p+"/v3/hooks", s.createHook)
	mux.HandleFunc("GET "+p+"/v3/hooks/{id}", s.getHook)
	mux.HandleFunc("PUT "+p+"/v3/hooks/{id}", s.updateHook)
	mux.HandleFunc("DELETE "+p+"/v3/hooks/{id}", s.deleteHook)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if strings.Contains(r.URL.Path, "/v2/") {
			writeRaw(w, http.StatusNotFound, v2Error(404, "The requested resource was not found."))
			return
		}
		writeRaw(w, http.StatusNotFound, v3Error(404, "The route is not found, check the URL"))
	})
	return s.guard(mux)
}

// guard checks the store hash and token, then counts the request against
// the rate-limit window and writes its headers.
func (s *Server) guard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hash, _, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/stores/"), "/")
		if !strings.HasPrefix(r.URL.Path, "/stores/") || hash != s.o.StoreHash {
			writeRaw(w, http.StatusNotFound, v3Error(404, "Store not found"))
			return
		}
		if r.Header.Get(bigcommerce.HeaderAuthToken) != s.o.AccessToken {
			writeRaw(w, http.StatusUnauthorized, v3Error(401, "Unauthorized: the X-Auth-Token is missing or invalid"))
			return
		}
		left, reset, ok := s.take()
		h := w.Header()
		h.Set("X-Rate-Limit-Time-Window-Ms", strconv.FormatInt(s.o.Window.Milliseconds(), 10))
		h.Set("X-Rate-Limit-Time-Reset-Ms", strconv.FormatInt(reset.Milliseconds(), 10))
		h.Set("X-Rate-Limit-Requests-Quota", strconv.Itoa(s.o.Quota))
		h.Set("X-Rate-Limit-Requests-Left", strconv.Itoa(left))
		if !ok {
			writeRaw(w, http.StatusTooManyRequests, v3Error(429, "Too many requests"))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// take counts one request in the current window.
func (s *Server) take() (left int, reset time.Duration, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.Clock()
	if s.forcedLeft != nil {
		left, reset = *s.forcedLeft, s.forcedReset
		s.forcedLeft = nil
		return left, reset, true
	}
	if s.windowStart.IsZero() || now.Sub(s.windowStart) >= s.o.Window {
		s.windowStart, s.used = now, 0
	}
	reset = s.o.Window - now.Sub(s.windowStart)
	if s.used >= s.o.Quota {
		return 0, reset, false
	}
	s.used++
	return s.o.Quota - s.used, reset, true
}

// SetRequestsLeft makes the next answer report left requests in the
// window and a reset in reset, as a nearly spent quota does.
func (s *Server) SetRequestsLeft(left int, reset time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.forcedLeft, s.forcedReset = &left, reset
}

// RateLimitNext makes the next n requests answer 429 with the
// X-Rate-Limit-* headers saying the window resets in reset.
func (s *Server) RateLimitNext(n int, reset time.Duration) {
	h := http.Header{}
	h.Set("X-Rate-Limit-Time-Window-Ms", strconv.FormatInt(s.o.Window.Milliseconds(), 10))
	h.Set("X-Rate-Limit-Time-Reset-Ms", strconv.FormatInt(reset.Milliseconds(), 10))
	h.Set("X-Rate-Limit-Requests-Quota", strconv.Itoa(s.o.Quota))
	h.Set("X-Rate-Limit-Requests-Left", "0")
	s.InjectFailure(n, fakeplatform.Failure{Status: http.StatusTooManyRequests, Header: h, Body: v3Error(429, "Too many requests")})
}

func pathID(r *http.Request) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	return id, err == nil && id > 0
}

func (s *Server) notFound(w http.ResponseWriter) {
	writeRaw(w, http.StatusNotFound, v2Error(404, "The requested resource was not found."))
}

func (s *Server) badRequest(w http.ResponseWriter, msg string) {
	writeRaw(w, http.StatusBadRequest, v2Error(400, msg))
}

// v2Paging reads limit (default 50, at most 250) and page.
func v2Paging(r *http.Request) (limit, page int, err error) {
	limit, page = 50, 1
	if v := r.URL.Query().Get("limit"); v != "" {
		if limit, err = strconv.Atoi(v); err != nil || limit < 1 || limit > 250 {
			return 0, 0, fmt.Errorf("The field 'limit' is invalid.")
		}
	}
	if v := r.URL.Query().Get("page"); v != "" {
		if page, err = strconv.Atoi(v); err != nil || page < 1 {
			return 0, 0, fmt.Errorf("The field 'page' is invalid.")
		}
	}
	return limit, page, nil
}

// writeV2List answers one page of a v2 collection: 204 when it is empty.
func writeV2List(w http.ResponseWriter, r *http.Request, items []any) {
	limit, page, err := v2Paging(r)
	if err != nil {
		writeRaw(w, http.StatusBadRequest, v2Error(400, err.Error()))
		return
	}
	lo := min((page-1)*limit, len(items))
	hi := min(lo+limit, len(items))
	if lo == hi {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	writeJSON(w, http.StatusOK, items[lo:hi])
}
