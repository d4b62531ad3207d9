// Package admin is orderhub's JSON admin API under /api/v1 (and, later, the
// web dashboard). Every request carries a bearer token scoped to shops: a
// token never sees or changes another shop's orders, inventory or
// backorders, and what it may not see answers 404, as if it did not exist.
//
// It must not hold business rules: it decodes requests, checks scope, calls
// the store or the services it is given, and answers JSON through httpjson.
package admin

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/orderhub/orderhub"
	"github.com/orderhub/orderhub/httpjson"
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
		got := sha256.Sum256([]byte(strings.TrimSpace(raw)))
		var match *Token
		for i := range s.Tokens {
			want := sha256.Sum256([]byte(s.Tokens[i].Token))
			if subtle.ConstantTimeCompare(got[:], want[:]) == 1 && match == nil {
				match = &s.Tokens[i]
			}
		}
		if match == nil {
			w.Header().Set("WWW-Authenticate", `Bearer realm="orderhub", error="invalid_token"`)
			s.fail(w, r, orderhub.Errorf(orderhub.EUnauthorized, "bearer token is not valid"))
			return
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
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), scopeKey{}, sc)))
	})
}

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

func (s *Server) listOrders(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	sc := ScopeFrom(r.Context())
	p := store.ListOrdersParams{ShopIDs: sc.ShopIDs(), ExternalID: q.Get("external_id"), After: q.Get("after")}
	if shop := q.Get("shop"); shop != "" {
		if !sc.CanSee(shop) {
			p.ShopIDs = []string{}
		} else {
			p.ShopIDs = []string{shop}
		}
	}
	if st := q.Get("status"); st != "" {
		status, err := orderhub.ParseStatus(st)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		p.Status = status
	}
	if l := q.Get("limit"); l != "" {
		n, err := parsePositive(l)
		if err != nil {
			s.fail(w, r, orderhub.Errorf(orderhub.EInvalid, "limit: %q is not a positive whole number", l))
			return
		}
		p.Limit = n
	}
	page, err := s.Store.ListOrders(r.Context(), p)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if page.Orders == nil {
		page.Orders = []orderhub.Order{}
	}
	httpjson.Write(w, http.StatusOK, map[string]any{"orders": page.Orders, "next": page.Next})
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
	Fulfillments []orderhub.Fulfillment `json:"fulfillments"`
	Backorders   []orderhub.Backorder   `json:"backorders"`
	Events       []orderhub.OrderEvent  `json:"events"`
}

func (s *Server) getOrder(w http.ResponseWriter, r *http.Request) {
	o, err := OrderInScope(r.Context(), s.Store, chi.URLParam(r, "id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	d := OrderDetail{Order: o}
	var err2 error
	if d.Events, err2 = s.Store.ListEvents(r.Context(), o.ID); err2 == nil {
		if d.Fulfillments, err2 = s.Store.ListFulfillments(r.Context(), o.ID); err2 == nil {
			var page store.BackorderPage
			page, err2 = s.Store.ListBackorders(r.Context(), store.ListBackordersParams{OrderID: o.ID, Limit: 500})
			d.Backorders = page.Backorders
		}
	}
	if err2 != nil {
		s.fail(w, r, err2)
		return
	}
	if d.Fulfillments == nil {
		d.Fulfillments = []orderhub.Fulfillment{}
	}
	if d.Backorders == nil {
		d.Backorders = []orderhub.Backorder{}
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
	httpjson.Write(w, http.StatusOK, map[string]any{"order": o, "event": ev})
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
	if _, err := OrderInScope(r.Context(), s.Store, id); err != nil {
		s.fail(w, r, err)
		return
	}
	ev, err := s.Store.AddEvent(r.Context(), orderhub.OrderEvent{OrderID: id, Kind: orderhub.EventNote, Actor: req.Actor, Note: req.Note})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	httpjson.Write(w, http.StatusCreated, ev)
}
