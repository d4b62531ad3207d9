// Package shopifytest is an in-process fake of the Shopify Admin API for
// tests and `orderhub demo`: a loopback HTTP server that follows the
// documented paths, auth, error shapes and rate-limit headers, with
// in-memory, goroutine-safe state.
//
// It serves:
//
//   - REST GET /admin/api/{version}/orders.json (status, updated_at_min,
//     created_at_min, limit up to 250, cursor pagination through a Link
//     header whose page_info must not be combined with other filters),
//     GET and PUT orders/{id}.json (note and tags), and
//     GET orders/{id}/fulfillment_orders.json;
//   - POST /admin/api/{version}/graphql.json for webhookSubscriptions,
//     webhookSubscriptionCreate, webhookSubscriptionDelete, order (with
//     fulfillmentOrders), fulfillmentCreate and orderUpdate (note, tags).
//
// The GraphQL side is not a GraphQL engine: an operation is recognised by
// the name of its root field, inputs are read from variables (inline
// arguments only for the webhook topic and callbackUrl), and the answer
// carries a fixed superset of the fields a client would select.
//
// Every request needs X-Shopify-Access-Token; a wrong or missing one gets
// Shopify's 401. REST answers carry X-Shopify-Shop-Api-Call-Limit from a
// real leaky bucket (40, draining 2/s); an overflow is a 429 with
// Retry-After: 2.0. GraphQL answers carry extensions.cost. Failures can be
// injected (RateLimitNext, FailNext, ThrottleNext, InjectFailure), every
// request is logged (Requests), and the platform side of a delivery is
// here too: Deliver signs and posts one webhook, Trigger posts an event to
// every subscription of its topic.
package shopifytest

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

	"github.com/orderhub/orderhub/connectors/apiclient/fakeplatform"
	"github.com/orderhub/orderhub/connectors/shopify"
)

// Defaults of Options.
const (
	DefaultAccessToken   = "shpat_fake0123456789abcdef"
	DefaultAPIVersion    = "2025-07"
	DefaultShopDomain    = "acme.myshopify.com"
	DefaultWebhookSecret = "fake-shopify-client-secret"
	DefaultBucketSize    = 40
	DefaultLeakRate      = 2.0
)

// InvalidTokenMessage is Shopify's answer to a wrong or missing token.
const InvalidTokenMessage = "[API] Invalid API key or access token (unrecognized login or wrong password)"

// Options configure a fake shop. The zero value uses the defaults.
type Options struct {
	AccessToken   string // the Admin API token the fake accepts
	ShopDomain    string // sent as X-Shopify-Shop-Domain on deliveries
	APIVersion    string // sent as X-Shopify-API-Version on deliveries
	WebhookSecret string // the app's client secret; signs Trigger deliveries
	BucketSize    int    // REST leaky bucket size
	LeakRate      float64
	// RequireHTTPS makes webhookSubscriptionCreate refuse http:// callback
	// URLs, as Shopify does; off by default so tests can use loopback.
	RequireHTTPS bool
	Now          func() time.Time
	// HTTPClient sends deliveries; nil means a client with a 10 s timeout.
	HTTPClient *http.Client
}

// Server is a running fake shop. Its methods are safe for concurrent use.
type Server struct {
	*fakeplatform.Recorder
	// URL is the base URL to configure as the shop's api_base_url.
	URL string

	o   Options
	srv *httptest.Server

	mu          sync.Mutex
	orders      map[int64]*order
	subs        []Subscription
	nextSubID   int64
	nextFOID    int64
	nextFOLine  int64
	nextFulfID  int64
	level       float64 // REST bucket level
	levelAt     time.Time
	fulfillment []Fulfillment
}

type order struct {
	id   int64
	data map[string]any // the REST order, numbers as json.Number
	fos  []*fulfillmentOrder
}

// New starts a fake shop for a test and closes it when the test ends.
func New(t testing.TB, o Options) *Server {
	t.Helper()
	s := NewServer(o)
	t.Cleanup(s.Close)
	return s
}

// NewServer starts a fake shop outside a test (the demo); Close stops it.
func NewServer(o Options) *Server {
	if o.AccessToken == "" {
		o.AccessToken = DefaultAccessToken
	}
	if o.ShopDomain == "" {
		o.ShopDomain = DefaultShopDomain
	}
	if o.APIVersion == "" {
		o.APIVersion = DefaultAPIVersion
	}
	if o.WebhookSecret == "" {
		o.WebhookSecret = DefaultWebhookSecret
	}
	if o.BucketSize <= 0 {
		o.BucketSize = DefaultBucketSize
	}
	if o.LeakRate <= 0 {
		o.LeakRate = DefaultLeakRate
	}
	s := &Server{
		o:          o,
		orders:     make(map[int64]*order),
		nextSubID:  1000000001,
		nextFOID:   1046000001,
		nextFOLine: 1058000000,
		nextFulfID: 255858046,
	}
	s.Recorder = &fakeplatform.Recorder{ErrorBody: errorBody, Now: o.Now}
	s.srv = fakeplatform.Start(s.Recorder.Wrap(s.routes()))
	s.URL = s.srv.URL
	return s
}

// Close stops the server.
func (s *Server) Close() { s.srv.Close() }

// Options returns the options in effect, defaults filled in.
func (s *Server) Options() Options { return s.o }

func errorBody(status int, message string) []byte {
	b, _ := json.Marshal(map[string]any{"errors": message})
	return b
}

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /admin/api/{version}/orders.json", s.listOrders)
	mux.HandleFunc("GET /admin/api/{version}/orders/{file}", s.getOrder)
	mux.HandleFunc("PUT /admin/api/{version}/orders/{file}", s.putOrder)
	mux.HandleFunc("GET /admin/api/{version}/orders/{id}/fulfillment_orders.json", s.listFulfillmentOrders)
	mux.HandleFunc("POST /admin/api/{version}/graphql.json", s.graphql)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.WriteError(w, http.StatusNotFound, "Not Found")
	})
	return s.auth(mux)
}

var versionRE = regexp.MustCompile(`^/admin/api/(\d{4}-\d{2}|unstable)/`)

// auth checks the token, then the bucket for REST calls.
func (s *Server) auth(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get(shopify.HeaderAccessToken) != s.o.AccessToken {
			s.WriteError(w, http.StatusUnauthorized, InvalidTokenMessage)
			return
		}
		if !versionRE.MatchString(r.URL.Path) {
			s.WriteError(w, http.StatusNotFound, "Not Found")
			return
		}
		if !strings.HasSuffix(r.URL.Path, "/graphql.json") {
			used, ok := s.takeBucket()
			w.Header().Set("X-Shopify-Shop-Api-Call-Limit", fmt.Sprintf("%d/%d", used, s.o.BucketSize))
			if !ok {
				w.Header().Set("Retry-After", "2.0")
				s.WriteError(w, http.StatusTooManyRequests, "Exceeded 2 calls per second for api client. Reduce request rates to resume uninterrupted service.")
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// takeBucket drains the bucket to now and adds one call; ok is false when
// it would overflow.
func (s *Server) takeBucket() (used int, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.Clock()
	if !s.levelAt.IsZero() {
		s.level -= now.Sub(s.levelAt).Seconds() * s.o.LeakRate
		if s.level < 0 {
			s.level = 0
		}
	}
	s.levelAt = now
	if s.level+1 > float64(s.o.BucketSize) {
		return s.o.BucketSize, false
	}
	s.level++
	return int(s.level + 0.999), true
}

// SetCallLimit sets the REST bucket's level, as if used calls were in it.
func (s *Server) SetCallLimit(used int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.level, s.levelAt = float64(used), s.Clock()
}

// RateLimitNext makes the next n requests answer 429 with Retry-After
// retryAfter (e.g. "2.0"; "" sends none).
func (s *Server) RateLimitNext(n int, retryAfter string) {
	h := http.Header{}
	if retryAfter != "" {
		h.Set("Retry-After", retryAfter)
	}
	s.InjectFailure(n, fakeplatform.Failure{Status: http.StatusTooManyRequests, Header: h,
		Body: errorBody(429, "Exceeded 2 calls per second for api client. Reduce request rates to resume uninterrupted service.")})
}

// ThrottleNext makes the next n GraphQL calls answer 200 with a THROTTLED
// error, as Shopify's cost-based limit does. The cost extension says the
// bucket lacks 10 points at 100/s, so a client waits about 100 ms.
func (s *Server) ThrottleNext(n int) {
	body, _ := json.Marshal(map[string]any{
		"errors": []any{map[string]any{
			"message":    "Throttled",
			"extensions": map[string]any{"code": "THROTTLED", "documentation": "https://shopify.dev/api/usage/rate-limits"},
		}},
		"extensions": map[string]any{"cost": map[string]any{
			"requestedQueryCost": 10, "actualQueryCost": nil,
			"throttleStatus": map[string]any{"maximumAvailable": 2000.0, "currentlyAvailable": 0, "restoreRate": 100.0},
		}},
	})
	s.InjectFailure(n, fakeplatform.Failure{
		Status: http.StatusOK, Body: body,
		Match: func(r *http.Request) bool { return strings.HasSuffix(r.URL.Path, "/graphql.json") },
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

// ---- orders (REST) ----

// pageCursor is what a page_info token stands for.
type pageCursor struct {
	AfterID       int64  `json:"a"`
	Status        string `json:"s"`
	UpdatedAtMin  string `json:"u,omitempty"`
	CreatedAtMin  string `json:"c,omitempty"`
	FinancialStat string `json:"f,omitempty"`
}

func (s *Server) listOrders(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit := 50
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 250 {
			s.WriteError(w, http.StatusBadRequest, "limit must be between 1 and 250")
			return
		}
		limit = n
	}
	var cur pageCursor
	if pi := q.Get("page_info"); pi != "" {
		for k := range q {
			if k != "page_info" && k != "limit" && k != "fields" {
				writeJSON(w, http.StatusBadRequest, map[string]any{"errors": map[string]any{k: []string{"cannot be passed when page_info is present"}}})
				return
			}
		}
		if err := decodeCursor(pi, &cur); err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]any{"errors": map[string]any{"page_info": []string{"Invalid value."}}})
			return
		}
	} else {
		cur = pageCursor{Status: q.Get("status"), UpdatedAtMin: q.Get("updated_at_min"), CreatedAtMin: q.Get("created_at_min"), FinancialStat: q.Get("financial_status")}
		if cur.Status == "" {
			cur.Status = "open"
		}
	}
	var updMin, crMin time.Time
	var err error
	if cur.UpdatedAtMin != "" {
		if updMin, err = parseTime(cur.UpdatedAtMin); err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]any{"errors": map[string]any{"updated_at_min": []string{"is invalid"}}})
			return
		}
	}
	if cur.CreatedAtMin != "" {
		if crMin, err = parseTime(cur.CreatedAtMin); err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]any{"errors": map[string]any{"created_at_min": []string{"is invalid"}}})
			return
		}
	}

	s.mu.Lock()
	ids := make([]int64, 0, len(s.orders))
	for id := range s.orders {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	var page []map[string]any
	more := false
	for _, id := range ids {
		if id <= cur.AfterID {
			continue
		}
		o := s.orders[id].data
		if !matchStatus(o, cur.Status) {
			continue
		}
		if cur.FinancialStat != "" && cur.FinancialStat != "any" && fakeplatform.JSONString(o["financial_status"]) != cur.FinancialStat {
			continue
		}
		if !updMin.IsZero() {
			if t, err := parseTime(fakeplatform.JSONString(o["updated_at"])); err != nil || t.Before(updMin) {
				continue
			}
		}
		if !crMin.IsZero() {
			if t, err := parseTime(fakeplatform.JSONString(o["created_at"])); err != nil || t.Before(crMin) {
				continue
			}
		}
		if len(page) == limit {
			more = true
			break
		}
		page = append(page, o)
	}
	orders := make([]json.RawMessage, len(page))
	for i, o := range page {
		orders[i], _ = json.Marshal(o)
	}
	s.mu.Unlock()

	if more {
		next := cur
		next.AfterID = fakeplatform.IDOf(page[len(page)-1])
		link := fmt.Sprintf(`<%s%s?limit=%d&page_info=%s>; rel="next"`, s.URL, r.URL.Path, limit, encodeCursor(next))
		w.Header().Set("Link", link)
	}
	writeJSON(w, http.StatusOK, map[string]any{"orders": orders})
}

func matchStatus(o map[string]any, status string) bool {
	cancelled := o["cancelled_at"] != nil && fakeplatform.JSONString(o["cancelled_at"]) != ""
	closed := o["closed_at"] != nil && fakeplatform.JSONString(o["closed_at"]) != ""
	switch status {
	case "any":
		return true
	case "cancelled":
		return cancelled
	case "closed":
		return closed
	default: // open
		return !cancelled && !closed
	}
}

func orderID(file string) (int64, bool) {
	idStr, ok := strings.CutSuffix(file, ".json")
	if !ok {
		return 0, false
	}
	id, err := strconv.ParseInt(idStr, 10, 64)
	return id, err == nil && id > 0
}

func (s *Server) getOrder(w http.ResponseWriter, r *http.Request) {
	id, ok := orderID(r.PathValue("file"))
	if !ok {
		s.WriteError(w, http.StatusNotFound, "Not Found")
		return
	}
	raw, ok := s.Order(id)
	if !ok {
		s.WriteError(w, http.StatusNotFound, "Not Found")
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"order": raw})
}

// putOrder updates note and tags, which overwrite, as on Shopify.
func (s *Server) putOrder(w http.ResponseWriter, r *http.Request) {
	id, ok := orderID(r.PathValue("file"))
	if !ok {
		s.WriteError(w, http.StatusNotFound, "Not Found")
		return
	}
	var in struct {
		Order map[string]any `json:"order"`
	}
	if err := fakeplatform.DecodeBody(r, &in); err != nil || in.Order == nil {
		writeJSON(w, http.StatusBadRequest, map[string]any{"errors": map[string]any{"order": "Required parameter missing or invalid"}})
		return
	}
	err := s.UpdateOrder(id, func(o map[string]any) {
		for _, k := range []string{"note", "tags", "email", "phone", "note_attributes"} {
			if v, ok := in.Order[k]; ok {
				o[k] = v
			}
		}
	})
	if err != nil {
		s.WriteError(w, http.StatusNotFound, "Not Found")
		return
	}
	raw, _ := s.Order(id)
	writeJSON(w, http.StatusOK, map[string]any{"order": raw})
}

func (s *Server) listFulfillmentOrders(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		s.WriteError(w, http.StatusNotFound, "Not Found")
		return
	}
	fos, ok := s.FulfillmentOrders(id)
	if !ok {
		s.WriteError(w, http.StatusNotFound, "Not Found")
		return
	}
	out := make([]any, len(fos))
	for i, fo := range fos {
		out[i] = fo.rest()
	}
	writeJSON(w, http.StatusOK, map[string]any{"fulfillment_orders": out})
}
