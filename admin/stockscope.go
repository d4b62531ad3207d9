package admin

import (
	"context"
	"encoding/json"
	"regexp"

	"github.com/orderhub/orderhub"
	"github.com/orderhub/orderhub/routing"
	"github.com/orderhub/orderhub/store"
)

// What stock a token may see. Locations serve every shop of the
// deployment, so their stock belongs to no shop: a token for every shop
// sees all of it, and a token scoped to shops sees none, on every route.
// GET /inventory lists nothing for it and the stock routes answer 404;
// shipment previews and routing simulations plan for it on no location
// stock (they ship from suppliers or backorder), because a plan made on
// real stock tells whoever reads it how much there is; and the routing
// explanations stored with its own orders keep their ranks and choices but
// lose the quantities other locations held.
const (
	// StockScopeAll is the stock_scope of an answer planned on every
	// location's stock.
	StockScopeAll = "all"
	// StockScopeNone is the stock_scope of an answer planned on no
	// location's stock, because the token may see none.
	StockScopeNone = "none"
)

// stockScope names the location stock the caller may see.
func stockScope(sc Scope) string {
	if sc.all {
		return StockScopeAll
	}
	return StockScopeNone
}

// stockInScope returns the stock levels of skus that the caller may see:
// all of them for a token for every shop, none for a scoped token.
func (s *Server) stockInScope(ctx context.Context, skus []string) ([]orderhub.StockLevel, error) {
	if !ScopeFrom(ctx).all {
		return nil, nil
	}
	return s.Store.ListStock(ctx, store.ListStockParams{SKUs: skus})
}

// locationsInScope returns the locations whose stock the caller may plan
// on: every one for a token for every shop, none for a scoped token, so
// that its plans neither use nor name a location's stock.
func (s *Server) locationsInScope(ctx context.Context) []orderhub.Location {
	if !ScopeFrom(ctx).all {
		return nil
	}
	return s.locationList()
}

// previewEngine returns the engine of the rules in force over the
// locations the caller may plan on.
func (s *Server) previewEngine(ctx context.Context) (*routing.Engine, error) {
	if ScopeFrom(ctx).all {
		return s.routingEngine()
	}
	return routing.NewEngine(nil, s.Suppliers, s.Rules)
}

// stockQuantities rewrite the phrases of a routing explanation that state
// how much a location held, leaving what the order itself shipped (which
// its fulfillments show anyway). The last one catches any phrase of that
// form the routing engine may come to write.
var stockQuantities = []struct {
	re   *regexp.Regexp
	with string
}{
	{regexp.MustCompile(`\bhas \d+ of (\d+), ships (\d+)`), "ships ${2} of ${1}"},
	{regexp.MustCompile(`\bhas \d+ of (\d+), line split not allowed`), "cannot ship all ${1}, line split not allowed"},
	{regexp.MustCompile(`\bhas \d+, not needed`), "not needed"},
	{regexp.MustCompile(`\bno stock left, its \d+ went to earlier lines`), "no stock left after earlier lines"},
	{regexp.MustCompile(`\bno stock \((?:all on hand reserved|safety stock \d+)\)`), "no stock"},
	{regexp.MustCompile(`\bhas \d+(?: of \d+)?`), "has stock"},
}

func withoutQuantities(s string) string {
	for _, q := range stockQuantities {
		s = q.re.ReplaceAllString(s, q.with)
	}
	return s
}

// explanationsInScope returns explanations as the caller may read them: as
// they are for a token for every shop, without the locations' quantities
// for a scoped token.
func explanationsInScope(sc Scope, ex []orderhub.Explanation) []orderhub.Explanation {
	if sc.all || ex == nil {
		return ex
	}
	out := make([]orderhub.Explanation, len(ex))
	for i, e := range ex {
		e.Summary = withoutQuantities(e.Summary)
		cands := make([]orderhub.Candidate, len(e.Candidates))
		for j, c := range e.Candidates {
			c.Reason = withoutQuantities(c.Reason)
			cands[j] = c
		}
		e.Candidates = cands
		out[i] = e
	}
	return out
}

// orderInScope returns an order as the caller may read it.
func orderInScope(sc Scope, o orderhub.Order) orderhub.Order {
	o.Explanations = explanationsInScope(sc, o.Explanations)
	return o
}

// ordersInScope returns orders as the caller may read them.
func ordersInScope(sc Scope, orders []orderhub.Order) []orderhub.Order {
	if sc.all {
		return orders
	}
	out := make([]orderhub.Order, len(orders))
	for i, o := range orders {
		out[i] = orderInScope(sc, o)
	}
	return out
}

// eventsInScope returns a timeline as the caller may read it: a routing
// event carries the explanations in its data.
func eventsInScope(sc Scope, evs []orderhub.OrderEvent) []orderhub.OrderEvent {
	if sc.all {
		return evs
	}
	out := make([]orderhub.OrderEvent, len(evs))
	for i, e := range evs {
		e.Note = withoutQuantities(e.Note)
		if e.Kind == orderhub.EventRouted && len(e.Data) > 0 {
			var ex []orderhub.Explanation
			if err := json.Unmarshal(e.Data, &ex); err == nil {
				e.Data, _ = json.Marshal(explanationsInScope(sc, ex))
			} else {
				e.Data = nil // data of a shape we cannot read is not shown
			}
		}
		out[i] = e
	}
	return out
}
