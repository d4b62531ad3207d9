package admin

import (
	"context"
	"net/http"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/orderhub/orderhub"
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
func (s *Server) locationInScope(r *http.Request, location string) error {
	if !ScopeFrom(r.Context()).all {
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

func (s *Server) listInventory(w http.ResponseWriter, r *http.Request) {
	if !ScopeFrom(r.Context()).all {
		httpjson.Write(w, http.StatusOK, map[string]any{"inventory": []any{}})
		return
	}
	p := store.ListStockParams{}
	if sku := r.URL.Query().Get("sku"); sku != "" {
		p.SKUs = strings.Split(sku, ",")
	}
	if loc := r.URL.Query().Get("location"); loc != "" {
		p.LocationIDs = strings.Split(loc, ",")
	}
	levels, err := s.Store.ListStock(r.Context(), p)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := make([]stockAnswer, 0, len(levels))
	for _, l := range levels {
		out = append(out, s.stockAnswer(l, nil))
	}
	httpjson.Write(w, http.StatusOK, map[string]any{"inventory": out})
}

type setStockRequest struct {
	OnHand *int64 `json:"on_hand"`
	Reason string `json:"reason"`
	Actor  string `json:"actor"`
}

func (s *Server) setInventory(w http.ResponseWriter, r *http.Request) {
	loc, sku := chi.URLParam(r, "location"), chi.URLParam(r, "sku")
	if err := s.locationInScope(r, loc); err != nil {
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
	l, fills, err := s.Allocator.SetStock(r.Context(), store.SetStockParams{LocationID: loc, SKU: sku, OnHand: *req.OnHand, Reason: req.Reason, Actor: req.Actor})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	httpjson.Write(w, http.StatusOK, s.stockAnswer(l, fills))
}

type adjustRequest struct {
	Delta  *int64 `json:"delta"`
	Reason string `json:"reason"`
	Actor  string `json:"actor"`
}

func (s *Server) adjustInventory(w http.ResponseWriter, r *http.Request) {
	loc, sku := chi.URLParam(r, "location"), chi.URLParam(r, "sku")
	if err := s.locationInScope(r, loc); err != nil {
		s.fail(w, r, err)
		return
	}
	var req adjustRequest
	if err := decode(r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	if req.Delta == nil || *req.Delta == 0 {
		s.fail(w, r, orderhub.Errorf(orderhub.EInvalid, "delta: is required and must not be zero"))
		return
	}
	if strings.TrimSpace(req.Reason) == "" {
		s.fail(w, r, orderhub.Errorf(orderhub.EInvalid, "reason: is required (e.g. restock, damaged, count)"))
		return
	}
	l, fills, err := s.Allocator.AdjustStock(r.Context(), store.AdjustStockParams{LocationID: loc, SKU: sku, Delta: *req.Delta, Reason: req.Reason, Actor: req.Actor})
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
	Actor    string `json:"actor"`
}

func (s *Server) decideBackorder(w http.ResponseWriter, r *http.Request) {
	id := chi.URLParam(r, "id")
	var req decisionRequest
	if err := decode(r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	d := allocator.Decision(req.Decision)
	if d != allocator.DecisionWait && d != allocator.DecisionCancel {
		s.fail(w, r, orderhub.Errorf(orderhub.EInvalid, "decision: %q is not one of wait, cancel", req.Decision))
		return
	}
	b, err := s.Store.GetBackorder(r.Context(), id)
	if err == nil && !ScopeFrom(r.Context()).CanSee(b.ShopID) {
		err = orderhub.Errorf(orderhub.ENotFound, "backorder %s not found", id)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	actor := req.Actor
	if actor == "" {
		actor = "customer"
	}
	b, refund, err := s.Allocator.Decide(r.Context(), id, d, actor)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	httpjson.Write(w, http.StatusOK, map[string]any{"backorder": b, "refund": refund})
}

type cancelRequest struct {
	Lines  []allocator.LineQuantity `json:"lines"`
	Reason string                   `json:"reason"`
	Actor  string                   `json:"actor"`
}

func (s *Server) cancelLines(w http.ResponseWriter, r *http.Request) {
	id := chi.URLParam(r, "id")
	var req cancelRequest
	if err := decode(r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	if _, err := OrderInScope(r.Context(), s.Store, id); err != nil {
		s.fail(w, r, err)
		return
	}
	refund, err := s.Allocator.Cancel(r.Context(), allocator.CancelRequest{OrderID: id, Lines: req.Lines, Reason: req.Reason, Actor: req.Actor})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	httpjson.Write(w, http.StatusOK, refund)
}
