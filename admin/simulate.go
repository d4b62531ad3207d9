package admin

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"strings"

	"github.com/orderhub/orderhub"
	"github.com/orderhub/orderhub/httpjson"
	"github.com/orderhub/orderhub/routing"
	"github.com/orderhub/orderhub/store"
)

// SimulateRequest is the body of POST /routing/simulate. Omitted fields
// keep the rules in force.
type SimulateRequest struct {
	Rules          []string `json:"rules"`
	AllowLineSplit *bool    `json:"allow_line_split"`
	Dropship       *bool    `json:"dropship"`
	Backorders     string   `json:"backorders"`
	// Limit is how many of the most recent routed orders to replay: 50
	// when 0, at most 500.
	Limit int `json:"limit"`
	// Shop narrows the replay to one shop in the caller's scope.
	Shop string `json:"shop"`
}

// RoutingStats sums one side of a simulation.
type RoutingStats struct {
	Orders    int   `json:"orders"`
	Shipments int   `json:"shipments"`
	Units     int64 `json:"units"`
	// SplitRate is the share of orders that ship from more than one source.
	SplitRate float64 `json:"split_rate"`
	// MeanDistanceKm is the mean distance from source to customer over the
	// shipments from locations where both have coordinates.
	MeanDistanceKm float64 `json:"mean_distance_km"`
	// DropshipShare and BackorderShare are shares of all units.
	DropshipShare  float64 `json:"dropship_share"`
	BackorderShare float64 `json:"backorder_share"`
	// Refused units are those a deny policy would cancel.
	Refused int64 `json:"refused_units"`

	split, dropship, backordered int64
	distSum                      float64
	distN                        int
}

func (st *RoutingStats) add(o orderLayout, km func(sourceID string) (float64, bool)) {
	st.Orders++
	sources := o.sources()
	st.Shipments += len(sources)
	if len(sources) > 1 {
		st.split++
	}
	for _, l := range o.lines {
		for _, a := range l.assign {
			st.Units += a.qty
			if a.kind == orderhub.SourceSupplier {
				st.dropship += a.qty
			}
		}
		st.Units += l.backordered + l.refused
		st.backordered += l.backordered
		st.Refused += l.refused
	}
	for _, src := range sources {
		if d, ok := km(src); ok {
			st.distSum += d
			st.distN++
		}
	}
}

func (st *RoutingStats) finish() {
	if st.Orders > 0 {
		st.SplitRate = round3(float64(st.split) / float64(st.Orders))
	}
	if st.distN > 0 {
		st.MeanDistanceKm = round1(st.distSum / float64(st.distN))
	}
	if st.Units > 0 {
		st.DropshipShare = round3(float64(st.dropship) / float64(st.Units))
		st.BackorderShare = round3(float64(st.backordered) / float64(st.Units))
	}
}

func round1(v float64) float64 { return float64(int64(v*10+0.5)) / 10 }
func round3(v float64) float64 { return float64(int64(v*1000+0.5)) / 1000 }

// LineDifference is one line that would ship differently.
type LineDifference struct {
	LineID   string `json:"line_id"`
	SKU      string `json:"sku"`
	Current  string `json:"current"`
	Proposed string `json:"proposed"`
	// Why is the proposed rules' explanation of the line.
	Why string `json:"why"`
}

// OrderDifference is one replayed order that would be routed differently.
type OrderDifference struct {
	OrderID           string           `json:"order_id"`
	ShopID            string           `json:"shop_id"`
	ExternalNumber    string           `json:"external_number"`
	CurrentShipments  int              `json:"current_shipments"`
	ProposedShipments int              `json:"proposed_shipments"`
	Lines             []LineDifference `json:"lines"`
}

// RulesView is a routing configuration as the API shows it.
type RulesView struct {
	Rules          []string `json:"rules"`
	AllowLineSplit bool     `json:"allow_line_split"`
	Dropship       bool     `json:"dropship"`
	Backorders     string   `json:"backorders"`
}

func rulesView(r routing.Rules) RulesView {
	v := RulesView{Rules: []string{}, AllowLineSplit: r.AllowLineSplit, Dropship: r.Dropship, Backorders: string(r.Backorders)}
	for _, x := range r.Order {
		v.Rules = append(v.Rules, string(x))
	}
	if v.Backorders == "" {
		v.Backorders = string(routing.BackorderNotify)
	}
	return v
}

// Simulation is what POST /routing/simulate answers.
type Simulation struct {
	CurrentRules  RulesView         `json:"current_rules"`
	ProposedRules RulesView         `json:"proposed_rules"`
	Replayed      int               `json:"orders_replayed"`
	Changed       int               `json:"orders_changed"`
	Current       RoutingStats      `json:"current"`
	Proposed      RoutingStats      `json:"proposed"`
	Differences   []OrderDifference `json:"differences"`
	// StockScope is the location stock the replay used: "all" for a
	// token for every shop, "none" for a token scoped to shops, which sees
	// no location's stock.
	StockScope string `json:"stock_scope"`
}

// routedStatuses are the statuses of orders that routing has acted on.
var routedStatuses = map[orderhub.Status]bool{
	orderhub.StatusAwaitingFulfillment: true, orderhub.StatusPartiallyFulfilled: true,
	orderhub.StatusFulfilled: true, orderhub.StatusDelivered: true,
}

// proposedRules applies a request to the rules in force.
func (s *Server) proposedRules(req SimulateRequest) (routing.Rules, error) {
	r := s.Rules
	r.Order = append([]routing.Rule(nil), s.Rules.Order...)
	if req.Rules != nil {
		order, err := routing.ParseRules(req.Rules)
		if err != nil {
			return r, err
		}
		r.Order = order
	}
	if req.AllowLineSplit != nil {
		r.AllowLineSplit = *req.AllowLineSplit
	}
	if req.Dropship != nil {
		r.Dropship = *req.Dropship
	}
	if req.Backorders != "" {
		p, err := routing.ParseBackorderPolicy(req.Backorders)
		if err != nil {
			return r, err
		}
		r.Backorders = p
	}
	return r, r.Validate()
}

// assignment is a quantity of a line at one source.
type assignment struct {
	source, kind string
	qty          int64
}

type lineLayout struct {
	id, sku     string
	assign      []assignment
	backordered int64
	refused     int64
}

func (l lineLayout) String() string {
	var parts []string
	for _, a := range l.assign {
		parts = append(parts, fmt.Sprintf("%s ×%d", a.source, a.qty))
	}
	sort.Strings(parts)
	if l.backordered > 0 {
		parts = append(parts, fmt.Sprintf("backorder ×%d", l.backordered))
	}
	if l.refused > 0 {
		parts = append(parts, fmt.Sprintf("refused ×%d", l.refused))
	}
	if len(parts) == 0 {
		return "nothing"
	}
	return strings.Join(parts, ", ")
}

// orderLayout is where an order's lines ship from, stored or planned.
type orderLayout struct {
	lines []lineLayout
}

func (o orderLayout) sources() []string {
	seen := map[string]bool{}
	var out []string
	for _, l := range o.lines {
		for _, a := range l.assign {
			if !seen[a.source] {
				seen[a.source] = true
				out = append(out, a.source)
			}
		}
	}
	return out
}

// Simulate replays the most recent routed orders in the caller's scope
// under proposed rules, against the current stock the caller may see plus
// each order's own reservations, and compares with what was stored. It
// reserves nothing. A token scoped to shops sees no location's stock, so
// its replay ships from suppliers or backorders.
func (s *Server) Simulate(ctx context.Context, req SimulateRequest) (Simulation, error) {
	proposed, err := s.proposedRules(req)
	if err != nil {
		return Simulation{}, err
	}
	eng, err := routing.NewEngine(s.locationsInScope(ctx), s.Suppliers, proposed)
	if err != nil {
		return Simulation{}, err
	}
	limit := store.ListLimit(req.Limit)
	orders, err := s.recentRouted(ctx, req.Shop, limit)
	if err != nil {
		return Simulation{}, err
	}
	sim := Simulation{CurrentRules: rulesView(s.Rules), ProposedRules: rulesView(eng.Rules()), Differences: []OrderDifference{},
		StockScope: stockScope(ScopeFrom(ctx))}
	if len(orders) == 0 {
		return sim, nil
	}
	skuSet := map[string]bool{}
	for _, o := range orders {
		for _, l := range o.Lines {
			skuSet[l.SKU] = true
		}
	}
	skus := make([]string, 0, len(skuSet))
	for k := range skuSet {
		skus = append(skus, k)
	}
	sort.Strings(skus)
	levels, err := s.stockInScope(ctx, skus)
	if err != nil {
		return Simulation{}, err
	}
	for _, o := range orders {
		cur, reserved, err := s.storedLayout(ctx, o)
		if err != nil {
			return Simulation{}, err
		}
		lines := routable(o)
		plan, err := eng.Plan(lines, o.ShippingAddr, routing.NewStock(freeOwn(levels, reserved)))
		if err != nil {
			return Simulation{}, fmt.Errorf("simulate order %s: %w", o.ID, err)
		}
		prop := planLayout(plan)
		km := func(src string) (float64, bool) {
			loc, ok := s.Locations[src]
			if !ok {
				return 0, false
			}
			return routing.Distance(loc.Address, o.ShippingAddr)
		}
		sim.Current.add(cur, km)
		sim.Proposed.add(prop, km)
		sim.Replayed++
		if d, changed := difference(o, cur, prop, plan); changed {
			sim.Changed++
			sim.Differences = append(sim.Differences, d)
		}
	}
	sim.Current.finish()
	sim.Proposed.finish()
	return sim, nil
}

// recentRouted returns up to limit of the newest orders routing acted on.
func (s *Server) recentRouted(ctx context.Context, shop string, limit int) ([]orderhub.Order, error) {
	sc := ScopeFrom(ctx)
	p := store.ListOrdersParams{ShopIDs: sc.ShopIDs(), Limit: 200}
	if shop != "" {
		if !sc.CanSee(shop) {
			return nil, orderhub.Errorf(orderhub.ENotFound, "shop %s not found", shop)
		}
		p.ShopIDs = []string{shop}
	}
	var out []orderhub.Order
	// Scan at most ten pages' worth per order wanted, so a store of mostly
	// unrouted orders cannot make one simulation read everything.
	for scanned := 0; len(out) < limit && scanned < limit*10+200; {
		page, err := s.Store.ListOrders(ctx, p)
		if err != nil {
			return nil, err
		}
		for _, o := range page.Orders {
			scanned++
			if routedStatuses[o.Status] && len(out) < limit {
				out = append(out, o)
			}
		}
		if page.Next == "" {
			break
		}
		p.After = page.Next
	}
	return out, nil
}

// routable returns the lines routing plans, as the allocator chooses them.
func routable(o orderhub.Order) []orderhub.Line {
	var out []orderhub.Line
	for _, l := range o.Lines {
		if l.RequiresShp && l.OpenQuantity() > 0 && l.SKU != "" {
			out = append(out, l)
		}
	}
	return out
}

type locSKU struct{ loc, sku string }

// storedLayout reads where an order's lines ship from now, and the stock
// its unshipped location fulfillments hold reserved.
func (s *Server) storedLayout(ctx context.Context, o orderhub.Order) (orderLayout, map[locSKU]int64, error) {
	fs, err := s.Store.ListFulfillments(ctx, o.ID)
	if err != nil {
		return orderLayout{}, nil, err
	}
	bp, err := s.Store.ListBackorders(ctx, store.ListBackordersParams{OrderID: o.ID, Limit: 500})
	if err != nil {
		return orderLayout{}, nil, err
	}
	byLine := map[string]*lineLayout{}
	var layout orderLayout
	for _, l := range routable(o) {
		layout.lines = append(layout.lines, lineLayout{id: l.ID, sku: l.SKU})
	}
	for i := range layout.lines {
		byLine[layout.lines[i].id] = &layout.lines[i]
	}
	reserved := map[locSKU]int64{}
	for _, f := range fs {
		if f.Status == orderhub.FulfillmentCancelled {
			continue
		}
		holds := f.SourceKind != orderhub.SourceSupplier && (f.Status == orderhub.FulfillmentPending || f.Status == orderhub.FulfillmentSubmitted || f.Status == orderhub.FulfillmentFailed)
		for _, fl := range f.Lines {
			if holds {
				reserved[locSKU{f.SourceID, fl.SKU}] += fl.Quantity
			}
			if ll := byLine[fl.LineID]; ll != nil {
				ll.assign = mergeAssign(ll.assign, assignment{source: f.SourceID, kind: f.SourceKind, qty: fl.Quantity})
			}
		}
	}
	for _, b := range bp.Backorders {
		if ll := byLine[b.LineID]; ll != nil && b.Status.Open() {
			ll.backordered += b.Remaining()
		}
	}
	return layout, reserved, nil
}

func mergeAssign(as []assignment, a assignment) []assignment {
	for i := range as {
		if as[i].source == a.source && as[i].kind == a.kind {
			as[i].qty += a.qty
			return as
		}
	}
	return append(as, a)
}

// freeOwn returns levels with an order's own reservations released, so
// the order competes for stock as it did when it was routed.
func freeOwn(levels []orderhub.StockLevel, reserved map[locSKU]int64) []orderhub.StockLevel {
	out := make([]orderhub.StockLevel, len(levels))
	copy(out, levels)
	if len(reserved) == 0 {
		return out
	}
	for i := range out {
		if n := reserved[locSKU{out[i].LocationID, out[i].SKU}]; n > 0 {
			out[i].Reserved = max(out[i].Reserved-n, 0)
		}
	}
	return out
}

func planLayout(p routing.Plan) orderLayout {
	var o orderLayout
	for _, lp := range p.Lines {
		ll := lineLayout{id: lp.LineID, sku: lp.SKU, backordered: lp.Backordered, refused: lp.Unfilled}
		for _, a := range lp.Assignments {
			ll.assign = mergeAssign(ll.assign, assignment{source: a.SourceID, kind: a.SourceKind, qty: a.Quantity})
		}
		o.lines = append(o.lines, ll)
	}
	return o
}

func difference(o orderhub.Order, cur, prop orderLayout, plan routing.Plan) (OrderDifference, bool) {
	d := newDifference(o, len(cur.sources()), len(prop.sources()))
	why := map[string]string{}
	for _, e := range plan.Explanations() {
		why[e.LineID] = e.Summary
	}
	propByID := map[string]lineLayout{}
	for _, l := range prop.lines {
		propByID[l.id] = l
	}
	for _, cl := range cur.lines {
		pl := propByID[cl.id]
		if cl.String() != pl.String() {
			d.Lines = append(d.Lines, LineDifference{LineID: cl.id, SKU: cl.sku, Current: cl.String(), Proposed: pl.String(), Why: why[cl.id]})
		}
	}
	return d, len(d.Lines) > 0
}

// newDifference starts the difference record of an order.
func newDifference(o orderhub.Order, cur, prop int) OrderDifference {
	return OrderDifference{OrderID: o.ID, ShopID: o.ShopID, ExternalNumber: o.ExternalNumber, CurrentShipments: cur, ProposedShipments: prop, Lines: []LineDifference{}}
}

func (s *Server) simulateRouting(w http.ResponseWriter, r *http.Request) {
	var req SimulateRequest
	if err := decode(r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	sim, err := s.Simulate(r.Context(), req)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	httpjson.Write(w, http.StatusOK, sim)
}
