// Package admin is orderhub's operator surface: the JSON admin API under
// /api/v1 (documented in api/openapi.yaml) and the server-rendered web
// dashboard under /ui. Every request carries an admin token scoped to
// shops, as a bearer header for the API or a sign-in cookie for the
// dashboard: a token never sees or changes another shop's orders,
// inventory, backorders or dead letters, and what it may not see answers
// 404, as if it did not exist.
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
	"io"
	"log/slog"
	"net/http"
	"net/url"
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

	engineOnce sync.Once
	engine     *routing.Engine
	engineErr  error

	tplOnce sync.Once
	tpl     *dashboard
	tplErr  error
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

// Scope is what the caller's token may see.
type Scope struct {
	all   bool
	shops []string
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

// Routes returns the /api/v1 handler.
func (s *Server) Routes() http.Handler {
	r := chi.NewRouter()
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
// constant time and puts the token's scope in the context.
func (s *Server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := r.Header.Get("Authorization")
		raw, ok := strings.CutPrefix(h, "Bearer ")
		if !ok || strings.TrimSpace(raw) == "" {
			w.Header().Set("WWW-Authenticate", `Bearer realm="orderhub"`)
			s.fail(w, r, orderhub.Errorf(orderhub.EUnauthorized, "missing bearer token: send Authorization: Bearer <token>"))
			return
		}
		sc, ok := s.scopeOf(strings.TrimSpace(raw))
		if !ok {
			w.Header().Set("WWW-Authenticate", `Bearer realm="orderhub", error="invalid_token"`)
			s.fail(w, r, orderhub.Errorf(orderhub.EUnauthorized, "bearer token is not valid"))
			return
		}
		next.ServeHTTP(w, r.WithContext(WithScope(r.Context(), sc)))
	})
}

// scopeOf checks token against every configured token in constant time
// and returns its scope.
func (s *Server) scopeOf(token string) (Scope, bool) {
	if token == "" {
		return Scope{}, false
	}
	got := sha256.Sum256([]byte(token))
	var match *Token
	for i := range s.Tokens {
		want := sha256.Sum256([]byte(s.Tokens[i].Token))
		if subtle.ConstantTimeCompare(got[:], want[:]) == 1 && match == nil && s.Tokens[i].Token != "" {
			match = &s.Tokens[i]
		}
	}
	if match == nil {
		return Scope{}, false
	}
	sc := Scope{}
	for _, shop := range match.Shops {
		if shop == "*" {
			sc.all = true
		}
	}
	if !sc.all {
		sc.shops = append([]string{}, match.Shops...)
	}
	return sc, true
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
// errors that say what is wrong.
func decode(r *http.Request, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(nil, r.Body, 1<<20))
	dec.DisallowUnknownFields()
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		if err == io.EOF {
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
	Actor string `json:"actor"`
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
	if strings.TrimSpace(req.Actor) == "" {
		s.fail(w, r, orderhub.Errorf(orderhub.EInvalid, "actor: is required (who is making this change)"))
		return
	}
	id := chi.URLParam(r, "id")
	if _, err := OrderInScope(r.Context(), s.Store, id); err != nil {
		s.fail(w, r, err)
		return
	}
	o, ev, err := s.Store.TransitionOrder(r.Context(), store.TransitionParams{OrderID: id, To: to, Actor: req.Actor, Note: req.Note})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.orderChanged(r.Context(), o, "moved to "+string(o.Status))
	httpjson.Write(w, http.StatusOK, map[string]any{"order": orderInScope(ScopeFrom(r.Context()), o), "event": ev})
}

type noteRequest struct {
	Actor string `json:"actor"`
	Note  string `json:"note"`
}

func (s *Server) addNote(w http.ResponseWriter, r *http.Request) {
	var req noteRequest
	if err := decode(r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	if strings.TrimSpace(req.Note) == "" || strings.TrimSpace(req.Actor) == "" {
		s.fail(w, r, orderhub.Errorf(orderhub.EInvalid, "actor and note are required"))
		return
	}
	id := chi.URLParam(r, "id")
	o, err := OrderInScope(r.Context(), s.Store, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	ev, err := s.Store.AddEvent(r.Context(), orderhub.OrderEvent{OrderID: id, Kind: orderhub.EventNote, Actor: req.Actor, Note: req.Note})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.orderChanged(r.Context(), o, "note added")
	httpjson.Write(w, http.StatusCreated, ev)
}
