// Package admin is orderhub's operator surface: the JSON admin API under
// /api/v1 (documented in api/openapi.yaml) and the server-rendered web
// dashboard under /ui. Every API request carries a named admin token
// scoped to shops as a bearer header; the dashboard signs in with one and
// then holds a server-side session (sessions.go), which is not a bearer
// token. A token never sees or changes another shop's orders, inventory,
// backorders or dead letters, what it may not see answers 404, as if it
// did not exist, and what it changes is recorded with the token's name as
// the actor. Failed credentials are throttled per client address.
//
// It must not hold business rules: it decodes requests, checks scope, calls
// the store, the routing engine (for previews and simulations, which
// reserve nothing) or the services it is given, and answers JSON through
// httpjson or HTML through its embedded templates.
package admin

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/orderhub/orderhub"
	"github.com/orderhub/orderhub/admin/live"
	"github.com/orderhub/orderhub/alerts"
	"github.com/orderhub/orderhub/httpjson"
	"github.com/orderhub/orderhub/routing"
	"github.com/orderhub/orderhub/store"
)

// Token is one admin bearer token and the shops it may see; "*" is every
// shop.
type Token struct {
	// Name is who the token is, recorded as the actor of what it does;
	// "token-N" for the Nth token (from 1) when empty.
	Name  string
	Token string
	Shops []string
}

// Server serves the admin API.
type Server struct {
	Store  store.Store
	Tokens []Token
	Logger *slog.Logger
	Now    func() time.Time
	// Allocator runs stock changes, backorder decisions and cancellations.
	Allocator Allocator
	// Locations are the configured locations by id; stock at any other
	// place is not found.
	Locations map[string]orderhub.Location
	// Mount lets other parts add routes to the authenticated /api/v1 router.
	Mount []func(r chi.Router)

	// Suppliers are the dropship suppliers, for shipment previews and
	// routing simulations.
	Suppliers []orderhub.Supplier
	// Rules are the routing rules in force: what a shipment preview plans
	// with, and the baseline of a simulation.
	Rules routing.Rules
	// StuckAfter is how long an order may wait in awaiting_fulfillment
	// before it counts as stuck; 24h when 0.
	StuckAfter time.Duration
	// Jobs reaches the job queue's dead letters; nil lists none.
	Jobs Jobs
	// Live hears about every change made through the admin API or the
	// dashboard, for the dashboards' live updates; nil tells nobody.
	Live live.Publisher
	// Broker is where the dashboard's server-sent events come from; nil
	// turns live updates off.
	Broker *live.Broker
	// JobsUI, when set, is the River job UI, mounted under /ui/jobs for
	// tokens that see every shop.
	JobsUI http.Handler
	// DashboardTitle names the deployment in the dashboard's header.
	DashboardTitle string
	// Shops are the configured shop ids, offered as the dashboard's shop
	// filter to tokens that see every shop.
	Shops []string

	// SessionIdle ends a dashboard session unused for this long, and
	// SessionMaxAge ends it this long after sign-in; 8 hours and 7 days
	// when 0.
	SessionIdle, SessionMaxAge time.Duration
	// Throttle counts failed sign-ins and bad bearer tokens per client
	// address; nil throttles nothing.
	Throttle Throttle
	// TrustedProxies are the peers whose X-Forwarded-For (and
	// X-Forwarded-Proto) are believed; none by default, so the client is
	// the connection's peer.
	TrustedProxies []netip.Prefix
	// PublicURL is where operators reach orderhub; when it is https the
	// session cookie is Secure even if TLS ends at a proxy.
	PublicURL string

	engineOnce sync.Once
	engine     *routing.Engine
	engineErr  error

	tplOnce sync.Once
	tpl     *dashboard
	tplErr  error

	// heartbeat is how often a live stream pings (and checks that its
	// session goes on); 25 s when 0.
	heartbeat time.Duration
}

func (s *Server) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

func (s *Server) stuckAfter() time.Duration {
	if s.StuckAfter > 0 {
		return s.StuckAfter
	}
	return alerts.DefaultStuckAfter
}

// publish tells the live dashboards about a change.
func (s *Server) publish(ctx context.Context, e live.Event) {
	if s.Live != nil {
		s.Live.Publish(ctx, e)
	}
}

func (s *Server) orderChanged(ctx context.Context, o orderhub.Order, note string) {
	s.logger().InfoContext(ctx, "order changed by an operator", "order_id", o.ID, "shop", o.ShopID, "change", note)
	s.publish(ctx, live.Event{Type: live.OrderChanged, OrderID: o.ID, ShopID: o.ShopID, Status: string(o.Status), Note: note})
}

// Scope is what the caller's token may see, and who the token is.
type Scope struct {
	all   bool
	shops []string
	actor string
}

// Actor is the name of the token the scope comes from: the actor recorded
// for what the caller does; "admin" when a caller that authenticated on its
// own gave no name.
func (s Scope) Actor() string {
	if s.actor == "" {
		return "admin"
	}
	return s.actor
}

// CanSee reports whether the scope includes shop.
func (s Scope) CanSee(shop string) bool {
	if s.all {
		return true
	}
	for _, id := range s.shops {
		if id == shop {
			return true
		}
	}
	return false
}

// ShopIDs returns the shops in scope, or nil for every shop (the form
// store.ListOrdersParams takes).
func (s Scope) ShopIDs() []string {
	if s.all {
		return nil
	}
	return append([]string{}, s.shops...)
}

type scopeKey struct{}

// ScopeFrom returns the caller's scope; an unauthenticated context sees
// nothing.
func ScopeFrom(ctx context.Context) Scope {
	s, _ := ctx.Value(scopeKey{}).(Scope)
	return s
}

// apiBodyLimit caps every admin API request body.
const apiBodyLimit = 1 << 20

// Routes returns the /api/v1 handler.
func (s *Server) Routes() http.Handler {
	r := chi.NewRouter()
	r.Use(capBody(apiBodyLimit))
	r.Use(s.authenticate)
	r.Get("/orders", s.listOrders)
	r.Get("/orders/{id}", s.getOrder)
	r.Post("/orders/{id}/transitions", s.transition)
	r.Post("/orders/{id}/notes", s.addNote)
	if s.Allocator != nil {
		s.operationRoutes(r)
	}
	r.Post("/shipment-preview", s.shipmentPreview)
	r.Post("/routing/simulate", s.simulateRouting)
	r.Get("/dead-letters", s.listDeadLetters)
	r.Post("/dead-letters/{id}/replay", s.replayDeadLetter)
	for _, m := range s.Mount {
		m(r)
	}
	r.NotFound(func(w http.ResponseWriter, r *http.Request) {
		s.fail(w, r, orderhub.Errorf(orderhub.ENotFound, "no route %s %s", r.Method, r.URL.Path))
	})
	return r
}

// authenticate checks the bearer token against every configured token in
// constant time and puts the token's scope in the context. A client that
// has sent too many bad tokens (or failed sign-ins) is answered 429 before
// its token is even looked at, so a throttled guess learns nothing.
func (s *Server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := r.Header.Get("Authorization")
		raw, ok := strings.CutPrefix(h, "Bearer ")
		if !ok || strings.TrimSpace(raw) == "" {
			w.Header().Set("WWW-Authenticate", `Bearer realm="orderhub"`)
			s.fail(w, r, orderhub.Errorf(orderhub.EUnauthorized, "missing bearer token: send Authorization: Bearer <token>"))
			return
		}
		client := s.clientAddr(r)
		if wait := s.throttleWait(r.Context(), client); wait > 0 {
			s.throttled(w, r, client, wait)
			return
		}
		tok, ok := s.tokenOf(strings.TrimSpace(raw))
		if !ok {
			s.throttleFail(r.Context(), client)
			w.Header().Set("WWW-Authenticate", `Bearer realm="orderhub", error="invalid_token"`)
			s.fail(w, r, orderhub.Errorf(orderhub.EUnauthorized, "bearer token is not valid"))
			return
		}
		next.ServeHTTP(w, r.WithContext(WithScope(r.Context(), scopeOf(tok))))
	})
}

// throttled answers a client that must wait: 429 with Retry-After.
func (s *Server) throttled(w http.ResponseWriter, r *http.Request, client netip.Addr, wait time.Duration) {
	secs := retryAfter(wait)
	s.logger().DebugContext(r.Context(), "admin credentials throttled", "client", client.String(), "retry_after_s", secs)
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	s.fail(w, r, orderhub.Errorf(orderhub.ERateLimited, "too many failed attempts from this address: try again in %d s", secs))
}

// tokenOf checks raw against every configured token in constant time and
// returns the one it is, with its name filled in.
func (s *Server) tokenOf(raw string) (Token, bool) {
	if raw == "" {
		return Token{}, false
	}
	got := sha256.Sum256([]byte(raw))
	match := -1
	for i := range s.Tokens {
		want := sha256.Sum256([]byte(s.Tokens[i].Token))
		if subtle.ConstantTimeCompare(got[:], want[:]) == 1 && match < 0 && s.Tokens[i].Token != "" {
			match = i
		}
	}
	if match < 0 {
		return Token{}, false
	}
	return s.token(match), true
}

// token returns the ith configured token with its name filled in.
func (s *Server) token(i int) Token {
	t := s.Tokens[i]
	if strings.TrimSpace(t.Name) == "" {
		t.Name = fmt.Sprintf("token-%d", i+1)
	}
	return t
}

// tokenNamed returns the configured token with the given name.
func (s *Server) tokenNamed(name string) (Token, bool) {
	for i := range s.Tokens {
		if t := s.token(i); t.Name == name && t.Token != "" {
			return t, true
		}
	}
	return Token{}, false
}

// scopeOf returns what a token may see.
func scopeOf(t Token) Scope {
	sc := Scope{actor: t.Name}
	for _, shop := range t.Shops {
		if shop == "*" {
			sc.all = true
		}
	}
	if !sc.all {
		sc.shops = append([]string{}, t.Shops...)
	}
	return sc
}

// WithScope returns ctx carrying sc, for callers that authenticate on
// their own.
func WithScope(ctx context.Context, sc Scope) context.Context {
	return context.WithValue(ctx, scopeKey{}, sc)
}

// All reports whether the scope includes every shop, and so the shared
// locations and the job queue.
func (s Scope) All() bool { return s.all }

func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	httpjson.Error(w, r, s.Logger, err)
}

// decode reads a JSON body strictly: unknown fields and trailing data are
// errors that say what is wrong, and a body over the cap is too large.
func decode(r *http.Request, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(nil, r.Body, apiBodyLimit))
	dec.DisallowUnknownFields()
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		var tooLarge *http.MaxBytesError
		switch {
		case errors.As(err, &tooLarge):
			return orderhub.Errorf(orderhub.ETooLarge, "request body is over %d bytes", tooLarge.Limit)
		case err == io.EOF:
			return orderhub.Errorf(orderhub.EInvalid, "request body is empty; expected JSON")
		}
		return orderhub.Errorf(orderhub.EInvalid, "request body: %v", err)
	}
	if dec.More() {
		return orderhub.Errorf(orderhub.EInvalid, "request body has data after the JSON value")
	}
	return nil
}

// OrderInScope loads an order and answers NotFound when the caller's scope
// does not include its shop, so other tenants' orders look absent.
func OrderInScope(ctx context.Context, st store.Tx, id string) (orderhub.Order, error) {
	o, err := st.GetOrder(ctx, id)
	if err != nil {
		return o, err
	}
	if !ScopeFrom(ctx).CanSee(o.ShopID) {
		return orderhub.Order{}, orderhub.Errorf(orderhub.ENotFound, "order %s not found", id)
	}
	return o, nil
}

// OrderSummary is an order in a list, with whether it is stuck.
type OrderSummary struct {
	orderhub.Order
	Stuck bool `json:"stuck"`
}

// ordersQuery is what the orders list filters by, from the query string.
type ordersQuery struct {
	Shop, Status, ExternalID, After string
	Stuck                           bool
	Limit                           int
}

func parseOrdersQuery(q url.Values) (ordersQuery, error) {
	oq := ordersQuery{Shop: q.Get("shop"), Status: q.Get("status"), ExternalID: q.Get("external_id"), After: q.Get("after")}
	switch st := q.Get("stuck"); st {
	case "", "false", "0":
	case "true", "1":
		oq.Stuck = true
	default:
		return oq, orderhub.Errorf(orderhub.EInvalid, "stuck: %q is not true or false", st)
	}
	if oq.Status != "" {
		if _, err := orderhub.ParseStatus(oq.Status); err != nil {
			return oq, err
		}
	}
	if l := q.Get("limit"); l != "" {
		n, err := parsePositive(l)
		if err != nil {
			return oq, orderhub.Errorf(orderhub.EInvalid, "limit: %q is not a positive whole number", l)
		}
		oq.Limit = n
	}
	return oq, nil
}

// listParams turns a query into store parameters within the caller's
// scope. A shop outside the scope, or a status that contradicts stuck,
// matches nothing.
func (s *Server) listParams(ctx context.Context, oq ordersQuery) store.ListOrdersParams {
	sc := ScopeFrom(ctx)
	p := store.ListOrdersParams{ShopIDs: sc.ShopIDs(), ExternalID: oq.ExternalID, After: oq.After, Limit: oq.Limit, Status: orderhub.Status(oq.Status)}
	if oq.Shop != "" {
		if !sc.CanSee(oq.Shop) {
			p.ShopIDs = []string{}
		} else {
			p.ShopIDs = []string{oq.Shop}
		}
	}
	if oq.Stuck {
		if p.Status != "" && p.Status != orderhub.StatusAwaitingFulfillment {
			p.ShopIDs = []string{}
		}
		p.Status = orderhub.StatusAwaitingFulfillment
		p.StatusSince = s.now().Add(-s.stuckAfter())
	}
	return p
}

func (s *Server) summaries(orders []orderhub.Order) []OrderSummary {
	now, after := s.now(), s.stuckAfter()
	out := make([]OrderSummary, 0, len(orders))
	for _, o := range orders {
		out = append(out, OrderSummary{Order: o, Stuck: alerts.IsStuck(o, now, after)})
	}
	return out
}

func (s *Server) listOrders(w http.ResponseWriter, r *http.Request) {
	oq, err := parseOrdersQuery(r.URL.Query())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	page, err := s.Store.ListOrders(r.Context(), s.listParams(r.Context(), oq))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	orders := ordersInScope(ScopeFrom(r.Context()), page.Orders)
	httpjson.Write(w, http.StatusOK, map[string]any{"orders": s.summaries(orders), "next": page.Next})
}

func parsePositive(s string) (int, error) {
	n := 0
	for _, c := range s {
		if c < '0' || c > '9' || n > 1_000_000 {
			return 0, orderhub.Errorf(orderhub.EInvalid, "not a number")
		}
		n = n*10 + int(c-'0')
	}
	if n == 0 {
		return 0, orderhub.Errorf(orderhub.EInvalid, "zero")
	}
	return n, nil
}

// OrderDetail is GET /orders/{id}: the order, its lines and its timeline.
type OrderDetail struct {
	orderhub.Order
	Stuck        bool                   `json:"stuck"`
	Fulfillments []orderhub.Fulfillment `json:"fulfillments"`
	Backorders   []orderhub.Backorder   `json:"backorders"`
	Events       []orderhub.OrderEvent  `json:"events"`
}

// orderDetail loads an order in the caller's scope with its fulfillments,
// backorders and timeline.
func (s *Server) orderDetail(ctx context.Context, id string) (OrderDetail, error) {
	o, err := OrderInScope(ctx, s.Store, id)
	if err != nil {
		return OrderDetail{}, err
	}
	sc := ScopeFrom(ctx)
	d := OrderDetail{Order: orderInScope(sc, o), Stuck: alerts.IsStuck(o, s.now(), s.stuckAfter())}
	if d.Events, err = s.Store.ListEvents(ctx, o.ID); err != nil {
		return d, err
	}
	d.Events = eventsInScope(sc, d.Events)
	if d.Fulfillments, err = s.Store.ListFulfillments(ctx, o.ID); err != nil {
		return d, err
	}
	page, err := s.Store.ListBackorders(ctx, store.ListBackordersParams{OrderID: o.ID, Limit: 500})
	if err != nil {
		return d, err
	}
	d.Backorders = page.Backorders
	if d.Fulfillments == nil {
		d.Fulfillments = []orderhub.Fulfillment{}
	}
	if d.Backorders == nil {
		d.Backorders = []orderhub.Backorder{}
	}
	if d.Events == nil {
		d.Events = []orderhub.OrderEvent{}
	}
	return d, nil
}

func (s *Server) getOrder(w http.ResponseWriter, r *http.Request) {
	d, err := s.orderDetail(r.Context(), chi.URLParam(r, "id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	httpjson.Write(w, http.StatusOK, d)
}

type transitionRequest struct {
	To    string `json:"to"`
	Actor string `json:"actor"` // accepted, ignored: the actor is the token's name
	Note  string `json:"note"`
}

func (s *Server) transition(w http.ResponseWriter, r *http.Request) {
	var req transitionRequest
	if err := decode(r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	to, err := orderhub.ParseStatus(req.To)
	if err != nil {
		s.fail(w, r, orderhub.Errorf(orderhub.EInvalid, "to: %v", orderhub.ErrorMessage(err)))
		return
	}
	id := chi.URLParam(r, "id")
	if _, err := OrderInScope(r.Context(), s.Store, id); err != nil {
		s.fail(w, r, err)
		return
	}
	// The actor is the token's name; the request's own actor field is
	// accepted for older clients and not believed.
	o, ev, err := s.Store.TransitionOrder(r.Context(), store.TransitionParams{OrderID: id, To: to, Actor: ScopeFrom(r.Context()).Actor(), Note: req.Note})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.orderChanged(r.Context(), o, "moved to "+string(o.Status))
	httpjson.Write(w, http.StatusOK, map[string]any{"order": orderInScope(ScopeFrom(r.Context()), o), "event": ev})
}

type noteRequest struct {
	Actor string `json:"actor"` // accepted, ignored: the actor is the token's name
	Note  string `json:"note"`
}

func (s *Server) addNote(w http.ResponseWriter, r *http.Request) {
	var req noteRequest
	if err := decode(r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	if strings.TrimSpace(req.Note) == "" {
		s.fail(w, r, orderhub.Errorf(orderhub.EInvalid, "note: is required"))
		return
	}
	id := chi.URLParam(r, "id")
	o, err := OrderInScope(r.Context(), s.Store, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	ev, err := s.Store.AddEvent(r.Context(), orderhub.OrderEvent{OrderID: id, Kind: orderhub.EventNote, Actor: ScopeFrom(r.Context()).Actor(), Note: req.Note})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.orderChanged(r.Context(), o, "note added")
	httpjson.Write(w, http.StatusCreated, ev)
}
