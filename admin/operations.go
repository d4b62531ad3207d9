package admin

import (
	"context"
	"encoding/base64"
	"net/http"
	"sort"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/orderhub/orderhub"
	"github.com/orderhub/orderhub/admin/live"
	"github.com/orderhub/orderhub/allocator"
	"github.com/orderhub/orderhub/httpjson"
	"github.com/orderhub/orderhub/store"
)

// Allocator is what the inventory, backorder and cancellation routes need
// from the allocator.
type Allocator interface {
	SetStock(ctx context.Context, p store.SetStockParams) (orderhub.StockLevel, []allocator.Fill, error)
	AdjustStock(ctx context.Context, p store.AdjustStockParams) (orderhub.StockLevel, []allocator.Fill, error)
	Decide(ctx context.Context, backorderID string, d allocator.Decision, actor string) (orderhub.Backorder, *allocator.Refund, error)
	Cancel(ctx context.Context, req allocator.CancelRequest) (allocator.Refund, error)
}

var _ Allocator = (*allocator.Allocator)(nil)

// operationRoutes adds inventory, backorders and cancellations.
func (s *Server) operationRoutes(r chi.Router) {
	r.Get("/inventory", s.listInventory)
	r.Put("/inventory/{location}/{sku}", s.setInventory)
	r.Post("/inventory/{location}/{sku}/adjustments", s.adjustInventory)
	r.Get("/backorders", s.listBackorders)
	r.Post("/backorders/{id}/decision", s.decideBackorder)
	r.Post("/orders/{id}/cancellations", s.cancelLines)
}

// locationInScope reports whether the caller may see a location's stock.
// Locations serve every shop of the deployment, so only a token for every
// shop sees them; a scoped token finds them absent.
func (s *Server) locationInScope(ctx context.Context, location string) error {
	if !ScopeFrom(ctx).all {
		return orderhub.Errorf(orderhub.ENotFound, "location %s not found", location)
	}
	if s.Locations != nil {
		if _, ok := s.Locations[location]; !ok {
			return orderhub.Errorf(orderhub.ENotFound, "location %s not found", location)
		}
	}
	return nil
}

type stockAnswer struct {
	orderhub.StockLevel
	Available int64            `json:"available"`
	Filled    []allocator.Fill `json:"backorders_filled"`
}

func (s *Server) stockAnswer(l orderhub.StockLevel, fills []allocator.Fill) stockAnswer {
	safety := int64(0)
	if loc, ok := s.Locations[l.LocationID]; ok {
		safety = loc.SafetyStock
	}
	if fills == nil {
		fills = []allocator.Fill{}
	}
	return stockAnswer{StockLevel: l, Available: l.Available(safety), Filled: fills}
}

// stockCursor makes an opaque cursor from the last level of a page.
func stockCursor(l orderhub.StockLevel) string {
	return base64.RawURLEncoding.EncodeToString([]byte(l.LocationID + "\n" + l.SKU))
}

// stockPage lists stock levels sorted by location then SKU, after the
// cursor, in pages of limit.
func (s *Server) stockPage(ctx context.Context, p store.ListStockParams, after string, limit int) ([]stockAnswer, string, error) {
	levels, err := s.Store.ListStock(ctx, p)
	if err != nil {
		return nil, "", err
	}
	sort.Slice(levels, func(i, j int) bool {
		if levels[i].LocationID != levels[j].LocationID {
			return levels[i].LocationID < levels[j].LocationID
		}
		return levels[i].SKU < levels[j].SKU
	})
	if after != "" {
		raw, err := base64.RawURLEncoding.DecodeString(after)
		loc, sku, ok := strings.Cut(string(raw), "\n")
		if err != nil || !ok {
			return nil, "", orderhub.Errorf(orderhub.EInvalid, "after: %q is not a cursor this list gave", after)
		}
		i := sort.Search(len(levels), func(i int) bool {
			l := levels[i]
			return l.LocationID > loc || (l.LocationID == loc && l.SKU > sku)
		})
		levels = levels[i:]
	}
	limit = store.ListLimit(limit)
	next := ""
	if len(levels) > limit {
		levels = levels[:limit]
		next = stockCursor(levels[limit-1])
	}
	out := make([]stockAnswer, 0, len(levels))
	for _, l := range levels {
		out = append(out, s.stockAnswer(l, nil))
	}
	return out, next, nil
}

func (s *Server) listInventory(w http.ResponseWriter, r *http.Request) {
	if !ScopeFrom(r.Context()).all {
		httpjson.Write(w, http.StatusOK, map[string]any{"inventory": []any{}, "next": ""})
		return
	}
	q := r.URL.Query()
	p := store.ListStockParams{}
	if sku := q.Get("sku"); sku != "" {
		p.SKUs = strings.Split(sku, ",")
	}
	if loc := q.Get("location"); loc != "" {
		p.LocationIDs = strings.Split(loc, ",")
	}
	limit := 0
	if l := q.Get("limit"); l != "" {
		n, err := parsePositive(l)
		if err != nil {
			s.fail(w, r, orderhub.Errorf(orderhub.EInvalid, "limit: %q is not a positive whole number", l))
			return
		}
		limit = n
	}
	out, next, err := s.stockPage(r.Context(), p, q.Get("after"), limit)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	httpjson.Write(w, http.StatusOK, map[string]any{"inventory": out, "next": next})
}

// stockChanged tells the live dashboards about a stock change and the
// orders its backorder fills touched.
func (s *Server) stockChanged(ctx context.Context, l orderhub.StockLevel, fills []allocator.Fill) {
	s.logger().InfoContext(ctx, "stock changed by an operator", "location", l.LocationID, "sku", l.SKU, "on_hand", l.OnHand, "backorders_filled", len(fills))
	s.publish(ctx, live.Event{Type: live.StockChanged, Note: l.LocationID + " " + l.SKU})
	seen := map[string]bool{}
	for _, f := range fills {
		if seen[f.OrderID] {
			continue
		}
		seen[f.OrderID] = true
		if o, err := s.Store.GetOrder(ctx, f.OrderID); err == nil {
			s.orderChanged(ctx, o, "backorder filled")
		}
	}
}

type setStockRequest struct {
	OnHand *int64 `json:"on_hand"`
	Reason string `json:"reason"`
	Actor  string `json:"actor"` // accepted, ignored: the actor is the token's name
}

// SetInventory sets a location's on-hand count of a SKU for a caller that
// sees every shop, filling backorders the new stock allows.
func (s *Server) SetInventory(ctx context.Context, p store.SetStockParams) (orderhub.StockLevel, []allocator.Fill, error) {
	if err := s.locationInScope(ctx, p.LocationID); err != nil {
		return orderhub.StockLevel{}, nil, err
	}
	if p.OnHand < 0 {
		return orderhub.StockLevel{}, nil, orderhub.Errorf(orderhub.EInvalid, "on_hand: %d is negative", p.OnHand)
	}
	l, fills, err := s.Allocator.SetStock(ctx, p)
	if err != nil {
		return l, fills, err
	}
	s.stockChanged(ctx, l, fills)
	return l, fills, nil
}

// AdjustInventory adds delta to a location's on-hand count of a SKU for a
// caller that sees every shop, filling backorders a restock allows.
func (s *Server) AdjustInventory(ctx context.Context, p store.AdjustStockParams) (orderhub.StockLevel, []allocator.Fill, error) {
	if err := s.locationInScope(ctx, p.LocationID); err != nil {
		return orderhub.StockLevel{}, nil, err
	}
	if p.Delta == 0 {
		return orderhub.StockLevel{}, nil, orderhub.Errorf(orderhub.EInvalid, "delta: is required and must not be zero")
	}
	if strings.TrimSpace(p.Reason) == "" {
		return orderhub.StockLevel{}, nil, orderhub.Errorf(orderhub.EInvalid, "reason: is required (e.g. restock, damaged, count)")
	}
	l, fills, err := s.Allocator.AdjustStock(ctx, p)
	if err != nil {
		return l, fills, err
	}
	s.stockChanged(ctx, l, fills)
	return l, fills, nil
}

func (s *Server) setInventory(w http.ResponseWriter, r *http.Request) {
	loc, sku := chi.URLParam(r, "location"), chi.URLParam(r, "sku")
	if err := s.locationInScope(r.Context(), loc); err != nil {
		s.fail(w, r, err)
		return
	}
	var req setStockRequest
	if err := decode(r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	if req.OnHand == nil {
		s.fail(w, r, orderhub.Errorf(orderhub.EInvalid, "on_hand: is required"))
		return
	}
	l, fills, err := s.SetInventory(r.Context(), store.SetStockParams{LocationID: loc, SKU: sku, OnHand: *req.OnHand, Reason: req.Reason, Actor: ScopeFrom(r.Context()).Actor()})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	httpjson.Write(w, http.StatusOK, s.stockAnswer(l, fills))
}

type adjustRequest struct {
	Delta  *int64 `json:"delta"`
	Reason string `json:"reason"`
	Actor  string `json:"actor"` // accepted, ignored: the actor is the token's name
}

func (s *Server) adjustInventory(w http.ResponseWriter, r *http.Request) {
	loc, sku := chi.URLParam(r, "location"), chi.URLParam(r, "sku")
	if err := s.locationInScope(r.Context(), loc); err != nil {
		s.fail(w, r, err)
		return
	}
	var req adjustRequest
	if err := decode(r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	if req.Delta == nil {
		s.fail(w, r, orderhub.Errorf(orderhub.EInvalid, "delta: is required and must not be zero"))
		return
	}
	l, fills, err := s.AdjustInventory(r.Context(), store.AdjustStockParams{LocationID: loc, SKU: sku, Delta: *req.Delta, Reason: req.Reason, Actor: ScopeFrom(r.Context()).Actor()})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	httpjson.Write(w, http.StatusOK, s.stockAnswer(l, fills))
}

func (s *Server) listBackorders(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	p := store.ListBackordersParams{ShopIDs: ScopeFrom(r.Context()).ShopIDs(), SKU: q.Get("sku"), OrderID: q.Get("order_id"), After: q.Get("after")}
	if st := q.Get("status"); st != "" {
		switch bs := orderhub.BackorderStatus(st); bs {
		case orderhub.BackorderPending, orderhub.BackorderWaiting, orderhub.BackorderFilled, orderhub.BackorderCancelled:
			p.Status = bs
		default:
			s.fail(w, r, orderhub.Errorf(orderhub.EInvalid, "status: %q is not one of pending, waiting, filled, cancelled", st))
			return
		}
	}
	if l := q.Get("limit"); l != "" {
		n, err := parsePositive(l)
		if err != nil {
			s.fail(w, r, orderhub.Errorf(orderhub.EInvalid, "limit: %q is not a positive whole number", l))
			return
		}
		p.Limit = n
	}
	page, err := s.Store.ListBackorders(r.Context(), p)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if page.Backorders == nil {
		page.Backorders = []orderhub.Backorder{}
	}
	httpjson.Write(w, http.StatusOK, map[string]any{"backorders": page.Backorders, "next": page.Next})
}

type decisionRequest struct {
	Decision string `json:"decision"`
	Actor    string `json:"actor"` // accepted, ignored: the actor is the token's name
}

// DecideBackorder records a customer's decision on a backorder in the
// caller's scope; actor is who recorded it ("customer" when empty).
func (s *Server) DecideBackorder(ctx context.Context, id string, d allocator.Decision, actor string) (orderhub.Backorder, *allocator.Refund, error) {
	if d != allocator.DecisionWait && d != allocator.DecisionCancel {
		return orderhub.Backorder{}, nil, orderhub.Errorf(orderhub.EInvalid, "decision: %q is not one of wait, cancel", d)
	}
	b, err := s.Store.GetBackorder(ctx, id)
	if err == nil && !ScopeFrom(ctx).CanSee(b.ShopID) {
		err = orderhub.Errorf(orderhub.ENotFound, "backorder %s not found", id)
	}
	if err != nil {
		return b, nil, err
	}
	if actor == "" {
		actor = "customer"
	}
	b, refund, err := s.Allocator.Decide(ctx, id, d, actor)
	if err != nil {
		return b, nil, err
	}
	s.publish(ctx, live.Event{Type: live.OrderChanged, OrderID: b.OrderID, ShopID: b.ShopID, Note: "backorder " + string(d)})
	return b, refund, nil
}

func (s *Server) decideBackorder(w http.ResponseWriter, r *http.Request) {
	var req decisionRequest
	if err := decode(r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	b, refund, err := s.DecideBackorder(r.Context(), chi.URLParam(r, "id"), allocator.Decision(req.Decision), ScopeFrom(r.Context()).Actor())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	httpjson.Write(w, http.StatusOK, map[string]any{"backorder": b, "refund": refund})
}

type cancelRequest struct {
	Lines  []allocator.LineQuantity `json:"lines"`
	Reason string                   `json:"reason"`
	Actor  string                   `json:"actor"` // accepted, ignored: the actor is the token's name
}

func (s *Server) cancelLines(w http.ResponseWriter, r *http.Request) {
	id := chi.URLParam(r, "id")
	var req cancelRequest
	if err := decode(r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	o, err := OrderInScope(r.Context(), s.Store, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	refund, err := s.Allocator.Cancel(r.Context(), allocator.CancelRequest{OrderID: id, Lines: req.Lines, Reason: req.Reason, Actor: ScopeFrom(r.Context()).Actor()})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.orderChanged(r.Context(), o, "lines cancelled")
	httpjson.Write(w, http.StatusOK, refund)
}
