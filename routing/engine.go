package routing

import (
	"cmp"
	"math"
	"slices"
	"strings"

	"github.com/orderhub/orderhub"
)

// Engine plans orders over a fixed set of locations, suppliers and rules.
// NewEngine does the per-configuration work once (sorting, coordinates,
// each SKU's suppliers in rank order), so planning many orders is fast. An
// Engine is immutable and safe for concurrent use.
type Engine struct {
	rules  Rules
	codes  []uint8 // the location rules of rules.Order, as codes: key k of a candidate is codes[k]'s
	locs   []engineLocation
	index  map[string]int32 // location id → index in locs
	sups   []string         // supplier ids, sorted
	offers map[string][]offer

	useCover bool // minimize_splits is configured
}

// engineLocation is a Location reduced to what ranking reads. Locations are
// sorted by id, so comparing indexes compares ids.
type engineLocation struct {
	id, kind string
	priority int
	safety   int64
	country  string
	province string
	pt       point
	hasPt    bool
}

// offer is one supplier's terms for one SKU.
type offer struct {
	sup  int32 // index in Engine.sups
	cost orderhub.Money
	lead int
}

// Input is everything one routing decision needs, for callers that plan a
// single order; callers planning many orders keep an Engine instead.
type Input struct {
	Lines     []orderhub.Line     // the order's lines; cancelled units are not routed
	ShipTo    orderhub.Address    // coordinates optional
	Locations []orderhub.Location // own warehouses and 3PL locations
	Suppliers []orderhub.Supplier // dropship suppliers
	Stock     *Stock              // nil means no stock anywhere
	Rules     Rules
}

// Route builds an Engine for in's sources and rules and plans in's lines.
func Route(in Input) (Plan, error) {
	e, err := NewEngine(in.Locations, in.Suppliers, in.Rules)
	if err != nil {
		return Plan{}, err
	}
	return e.Plan(in.Lines, in.ShipTo, in.Stock)
}

// NewEngine checks the sources and rules and precomputes what planning
// needs. An Invalid error names the offending location, supplier or rule.
func NewEngine(locations []orderhub.Location, suppliers []orderhub.Supplier, rules Rules) (*Engine, error) {
	if err := rules.Validate(); err != nil {
		return nil, err
	}
	rules.Order = slices.Clone(rules.Order)
	if rules.Backorders == "" {
		rules.Backorders = BackorderNotify
	}
	e := &Engine{
		rules:    rules,
		index:    make(map[string]int32, len(locations)),
		offers:   make(map[string][]offer),
		useCover: rules.has(RuleMinimizeSplits),
	}
	for _, r := range rules.Order {
		if r != RuleCheapestDropship {
			e.codes = append(e.codes, ruleCode(r))
		}
	}

	e.locs = make([]engineLocation, 0, len(locations))
	for i, l := range locations {
		switch {
		case l.ID == "":
			return nil, orderhub.Errorf(orderhub.EInvalid, "locations[%d]: id is empty", i)
		case l.Kind != orderhub.LocationWarehouse && l.Kind != orderhub.Location3PL:
			return nil, orderhub.Errorf(orderhub.EInvalid, "location %q: kind %q is not one of warehouse, 3pl", l.ID, l.Kind)
		case l.SafetyStock < 0:
			return nil, orderhub.Errorf(orderhub.EInvalid, "location %q: safety stock %d is negative", l.ID, l.SafetyStock)
		}
		el := engineLocation{
			id: l.ID, kind: l.Kind, priority: l.Priority, safety: l.SafetyStock,
			country: l.Address.Country, province: l.Address.Province,
		}
		el.pt, el.hasPt = toPoint(l.Address)
		e.locs = append(e.locs, el)
	}
	slices.SortFunc(e.locs, func(a, b engineLocation) int { return strings.Compare(a.id, b.id) })
	for i, l := range e.locs {
		if i > 0 && e.locs[i-1].id == l.id {
			return nil, orderhub.Errorf(orderhub.EInvalid, "location %q is declared twice", l.id)
		}
		e.index[l.id] = int32(i)
	}

	sorted := slices.Clone(suppliers)
	slices.SortFunc(sorted, func(a, b orderhub.Supplier) int { return strings.Compare(a.ID, b.ID) })
	for i, s := range sorted {
		if s.ID == "" {
			return nil, orderhub.Errorf(orderhub.EInvalid, "supplier id is empty")
		}
		if i > 0 && sorted[i-1].ID == s.ID {
			return nil, orderhub.Errorf(orderhub.EInvalid, "supplier %q is declared twice", s.ID)
		}
		e.sups = append(e.sups, s.ID)
		for sku, terms := range s.SKUs {
			if terms.LeadDays < 0 {
				return nil, orderhub.Errorf(orderhub.EInvalid, "supplier %q: sku %q: lead days %d is negative", s.ID, sku, terms.LeadDays)
			}
			e.offers[sku] = append(e.offers[sku], offer{sup: int32(i), cost: terms.Cost, lead: terms.LeadDays})
		}
	}
	for _, offers := range e.offers {
		slices.SortFunc(offers, e.compareOffers)
	}
	return e, nil
}

// Rules returns the engine's rules, with an empty backorder policy resolved
// to notify.
func (e *Engine) Rules() Rules {
	r := e.rules
	r.Order = slices.Clone(r.Order)
	return r
}

// compareOffers ranks suppliers: by cost then lead days under
// cheapest_dropship, else by lead days; then by supplier id. Costs in
// different currencies cannot be compared, so they order by currency code
// first, which is deterministic but says nothing about price.
func (e *Engine) compareOffers(a, b offer) int {
	if _, c := e.offerRule(a, b); c != 0 {
		return c
	}
	return cmp.Compare(a.sup, b.sup)
}

// offerRule returns which term ("cost" or "lead") orders a against b, and
// the order; "" and 0 when only the supplier id does.
func (e *Engine) offerRule(a, b offer) (string, int) {
	if e.rules.has(RuleCheapestDropship) {
		if c := strings.Compare(a.cost.Currency, b.cost.Currency); c != 0 {
			return "cost", c
		}
		if c := cmp.Compare(a.cost.Amount, b.cost.Amount); c != 0 {
			return "cost", c
		}
	}
	if c := cmp.Compare(a.lead, b.lead); c != 0 {
		return "lead", c
	}
	return "", 0
}

// planState is one order's planning data. Plan keeps it, read-only, so the
// explanation can be rendered later without re-planning.
type planState struct {
	eng    *Engine
	shipTo shipTo
	skus   []orderSKU
	locs   []candLoc
	cells  []cell  // len(locs) × len(skus): cells[p*len(skus)+s]
	slot   []int32 // engine location index → index in locs, or -1
	order  []int32 // locations with stock for some SKU of the order, best first
	whole  bool    // some location can ship the whole order
	capped bool    // the greedy cover stopped at maxCoverPicks
}

// shipTo is the part of the ship-to address that ranking and explanations
// read.
type shipTo struct {
	country, province string
	hasPt             bool
}

// orderSKU is one distinct SKU of the order.
type orderSKU struct {
	sku     string
	demand  int64 // open units across the order's lines
	entries []stockEntry
}

// candLoc is a location holding a stock record for one of the order's SKUs,
// with its rule keys for this ship-to.
type candLoc struct {
	// key holds the location's key under each location rule, in
	// Engine.codes order, as unsigned integers that order like the keys, so
	// ranking compares integers. See setKeys.
	key     [maxLocationRules]uint64
	loc     int32 // index in Engine.locs
	stocked bool  // available > 0 for some SKU of the order
}

// maxLocationRules is the number of rules that rank locations.
const maxLocationRules = 4

// notInCover is the minimize_splits key of a location the cover did not
// pick.
const notInCover = math.MaxInt32

// maxCoverPicks bounds the greedy cover, whose every pick scans every
// location: an order that needs more sources than this is split anyway, and
// the other rules order the rest. It keeps a plan under a millisecond at
// 1,000 locations even when each holds a unit or two.
const maxCoverPicks = 8

// cell is one location's stock of one SKU.
type cell struct {
	avail int64 // at the start of the order
	// left is what remains after the lines planned so far. When avail is
	// zero it holds instead why (leftNoStock, leftAllReserved or
	// leftSafetyStock), for the explanation; all are ≤ 0, which the
	// allocation loop reads as nothing left.
	left int64
}

// Why a location has nothing available.
const (
	leftNoStock     = 0  // nothing on hand, or no record
	leftAllReserved = -1 // what is on hand is reserved
	leftSafetyStock = -2 // what is free is held back as safety stock
)

// Plan decides where every open unit of lines goes when shipping to the
// address to, given the stock snapshot (nil means no stock). Every line is
// taken to need shipping; PlanOrder plans a whole order, leaving out the
// lines that do not. Lines are planned in order, and lines sharing a SKU
// share its stock. Locations in the snapshot but unknown to the engine are
// ignored; a line whose SKU no location or supplier knows is backordered
// or unfilled, and a line with no SKU at all is held for the operator,
// whatever the snapshot or the suppliers say of an empty SKU: no unit is
// ever dropped. It returns an Invalid error for a line with a negative or
// over-cancelled quantity, or for repeated line ids.
//
// Plan is pure: after losing a race for stock, call it again with a fresh
// snapshot.
func (e *Engine) Plan(lines []orderhub.Line, to orderhub.Address, stock *Stock) (Plan, error) {
	if err := checkLines(lines); err != nil {
		return Plan{}, err
	}
	return e.plan(lines, to, stock), nil
}

// PlanOrder plans every line of o, in order, as Plan does, except that a
// line that needs no shipping (RequiresShp false) is left out on purpose:
// its open units are NotShipped, with the line's NoShippingReason, and it
// takes no stock. Live routing and dry runs both plan through it, so they
// place every unit alike and explain it alike.
func (e *Engine) PlanOrder(o orderhub.Order, stock *Stock) (Plan, error) {
	if err := checkLines(o.Lines); err != nil {
		return Plan{}, err
	}
	ship := o.Lines
	for _, l := range o.Lines {
		if !l.RequiresShp {
			ship = make([]orderhub.Line, 0, len(o.Lines))
			break
		}
	}
	if len(ship) == len(o.Lines) {
		return e.plan(ship, o.ShippingAddr, stock), nil
	}
	for _, l := range o.Lines {
		if l.RequiresShp {
			ship = append(ship, l)
		}
	}
	p := e.plan(ship, o.ShippingAddr, stock)
	out := make([]LinePlan, 0, len(o.Lines))
	j := 0
	for i := range o.Lines {
		l := &o.Lines[i]
		if l.RequiresShp {
			out = append(out, p.Lines[j])
			j++
			continue
		}
		reason := strings.TrimSpace(l.NoShippingReason)
		if reason == "" {
			reason = noShippingDefault
		}
		open := l.OpenQuantity()
		out = append(out, LinePlan{LineID: l.ID, SKU: l.SKU, Quantity: open, NotShipped: open, NoShippingReason: reason, sku: -1})
	}
	p.Lines = out
	return p, nil
}

// plan is Plan on checked lines.
func (e *Engine) plan(lines []orderhub.Line, to orderhub.Address, stock *Stock) Plan {
	st := &planState{eng: e, shipTo: shipTo{country: to.Country, province: to.Province, hasPt: to.HasCoordinates()}}
	out := make([]LinePlan, len(lines))

	// The order's distinct SKUs, the demand for each and their stock, looked
	// up once. Suppliers are looked up only for lines that need them.
	var skuMap map[string]int32
	if len(lines) > 16 {
		skuMap = make(map[string]int32, len(lines))
	}
	st.skus = make([]orderSKU, 0, len(lines))
	maxEntries := 0
	for i := range lines {
		sku := lines[i].SKU
		if !lines[i].HasSKU() {
			out[i].sku = -1 // held: no stock or supplier is looked up for it
			continue
		}
		s := int32(-1)
		if skuMap != nil {
			if v, ok := skuMap[sku]; ok {
				s = v
			}
		} else {
			for j := range st.skus {
				if st.skus[j].sku == sku {
					s = int32(j)
					break
				}
			}
		}
		if s < 0 {
			s = int32(len(st.skus))
			os := orderSKU{sku: sku}
			if stock != nil {
				os.entries = stock.bySKU[sku]
				maxEntries = max(maxEntries, len(os.entries))
			}
			st.skus = append(st.skus, os)
			if skuMap != nil {
				skuMap[sku] = s
			}
		}
		out[i].sku = s
		st.skus[s].demand = satAdd(st.skus[s].demand, lines[i].OpenQuantity())
	}
	d := len(st.skus)

	// Gather the stock of those SKUs, one row of cells per location. slot
	// and order share one allocation.
	n := min(maxEntries*d, len(e.locs))
	ints := make([]int32, len(e.locs), len(e.locs)+n)
	st.slot, st.order = ints, ints[len(ints):]
	for i := range st.slot {
		st.slot[i] = -1
	}
	if maxEntries > 0 {
		xlate := stock.binding(e)
		st.locs = make([]candLoc, 0, n)
		st.cells = make([]cell, 0, n*d)
		for s := range st.skus {
			for _, en := range st.skus[s].entries {
				li := xlate[en.loc]
				if li < 0 {
					continue
				}
				p := st.slot[li]
				if p < 0 {
					p = int32(len(st.locs))
					st.slot[li] = p
					st.locs = append(st.locs, candLoc{loc: li})
					st.cells = st.cells[:len(st.cells)+d]
				}
				c := &st.cells[int(p)*d+s]
				c.avail = available(en.onHand, en.reserved, e.locs[li].safety)
				c.left = c.avail
				switch {
				case c.avail > 0:
					st.locs[p].stocked = true
				case en.onHand <= 0:
					c.left = leftNoStock
				case en.onHand <= en.reserved:
					c.left = leftAllReserved
				default:
					c.left = leftSafetyStock
				}
			}
		}
	}

	// Rank the locations that have something to give.
	shipPt, shipHasPt := toPoint(to)
	for p := range st.locs {
		if st.locs[p].stocked {
			st.order = append(st.order, int32(p))
			st.setKeys(&st.locs[p], shipPt, shipHasPt)
		}
	}
	if e.useCover && !st.markWhole() {
		st.computeCover(lines, out)
	}
	st.sortOrder()

	// Size the shared assignment array so that the sub-slices handed to
	// lines never move: a line takes at most one assignment per stocked
	// location, or per unit, plus one supplier.
	nAsg := 0
	for i := range lines {
		if open := lines[i].OpenQuantity(); open > 0 {
			nAsg += int(min(int64(len(st.order)), open)) + 1
		}
	}
	asg := make([]Assignment, 0, nAsg)

	// Route each line: the best-ranked locations with stock left, then the
	// best supplier, then backorder. Explanations replay this loop later
	// (see lineCands), so it records nothing else.
	split, dropship, deny := e.rules.AllowLineSplit, e.rules.Dropship, e.rules.Backorders == BackorderDeny
	for i := range lines {
		ln, lp := &lines[i], &out[i]
		open := ln.OpenQuantity()
		lp.LineID, lp.SKU, lp.Quantity = ln.ID, ln.SKU, open
		if open == 0 {
			continue
		}
		if lp.sku < 0 {
			lp.Held, lp.ShortReason = open, noSKUReason
			continue
		}
		s, need := int(lp.sku), open
		a0 := len(asg)
		anyStock := false
		for _, p := range st.order {
			if need == 0 {
				break
			}
			c := &st.cells[int(p)*d+s]
			if c.left <= 0 {
				continue
			}
			anyStock = true
			var take int64
			if split {
				take = min(c.left, need)
			} else if c.left >= need {
				take = need
			}
			if take > 0 {
				c.left -= take
				need -= take
				el := &e.locs[st.locs[p].loc]
				asg = append(asg, Assignment{SourceID: el.id, SourceKind: el.kind, Quantity: take})
			}
		}
		if need > 0 {
			fromStock, offers := open-need, e.offers[ln.SKU]
			if dropship && len(offers) > 0 {
				asg = append(asg, Assignment{SourceID: e.sups[offers[0].sup], SourceKind: orderhub.SourceSupplier, Quantity: need})
			} else {
				recorded := len(st.skus[s].entries) > 0
				lp.ShortReason = shortReason(open, fromStock, anyStock, recorded, split, len(offers) > 0, dropship, deny, ln.SKU)
				if deny {
					lp.Unfilled = need
				} else {
					lp.Backordered = need
				}
			}
		}
		if len(asg) > a0 {
			lp.Assignments = asg[a0:len(asg):len(asg)]
		}
	}
	return Plan{Lines: out, st: st}
}

// Encodings of the closest key: a known distance is the bits of its
// squared chord, a non-negative float whose bits order like it; an unknown
// one sorts after every known one, by region tier (0 same province, 1 same
// country, 2 elsewhere).
const (
	unknownDistance  = 1 << 63
	tierSameProvince = 0
	tierSameCountry  = 1
	tierElsewhere    = 2
)

// setKeys encodes a location's rule keys, all but minimize_splits, which
// markWhole and computeCover set.
func (st *planState) setKeys(cl *candLoc, shipPt point, shipHasPt bool) {
	el := &st.eng.locs[cl.loc]
	shipTo := &st.shipTo
	for k, code := range st.eng.codes {
		var v uint64
		switch code {
		case codeClosest:
			switch {
			case shipHasPt && el.hasPt:
				v = math.Float64bits(chord2(shipPt, el.pt))
			case !sameCountry(shipTo.country, el.country):
				v = unknownDistance | tierElsewhere
			case shipTo.province != "" && strings.EqualFold(shipTo.province, el.province):
				v = unknownDistance | tierSameProvince
			default:
				v = unknownDistance | tierSameCountry
			}
		case codePriority:
			v = uint64(int64(el.priority)) ^ 1<<63
		case codeStayInMarket:
			if !sameCountry(shipTo.country, el.country) {
				v = 1
			}
		}
		cl.key[k] = v
	}
}

// keyOf returns location p's key under the rule with code.
func (st *planState) keyOf(p int32, code uint8) uint64 {
	for k, c := range st.eng.codes {
		if c == code {
			return st.locs[p].key[k]
		}
	}
	return 0
}

// cover returns location p's minimize_splits key.
func (st *planState) cover(p int32) int32 { return int32(uint32(st.keyOf(p, codeMinimizeSplits))) }

// setCover records a location's minimize_splits key.
func (st *planState) setCover(p int32, cover int32) {
	for k, code := range st.eng.codes {
		if code == codeMinimizeSplits {
			st.locs[p].key[k] = uint64(uint32(cover))
		}
	}
}

// compareLoc orders two candidate locations by their keys, then by id.
// Unused key slots are zero in both, so comparing all four is harmless.
func compareLoc(a, b *candLoc) int {
	for k := range a.key {
		if a.key[k] != b.key[k] {
			if a.key[k] < b.key[k] {
				return -1
			}
			return 1
		}
	}
	return cmp.Compare(a.loc, b.loc)
}

// less reports whether location a ranks before b.
func less(a, b *candLoc) bool { return compareLoc(a, b) < 0 }

// compare is compareLoc on indexes into st.locs.
func (st *planState) compare(a, b int32) int { return compareLoc(&st.locs[a], &st.locs[b]) }

// sortOrder ranks st.order best first. Orders usually have few candidate
// locations, which an insertion sort over a stack copy of the keys ranks
// fastest.
func (st *planState) sortOrder() {
	o := st.order
	const small = 32
	if len(o) > small {
		slices.SortFunc(o, st.compare)
		return
	}
	var buf [small]candLoc
	var idx [small]int32
	for i, p := range o {
		buf[i], idx[i] = st.locs[p], p
	}
	for i := 1; i < len(o); i++ {
		c, ci := buf[i], idx[i]
		j := i
		for ; j > 0 && less(&c, &buf[j-1]); j-- {
			buf[j], idx[j] = buf[j-1], idx[j-1]
		}
		buf[j], idx[j] = c, ci
	}
	copy(o, idx[:len(o)])
}

// decide returns the first rule that tells a from b, or 0 when only their
// ids do.
func (st *planState) decide(a, b int32) uint8 {
	la, lb := &st.locs[a], &st.locs[b]
	for k, code := range st.eng.codes {
		if la.key[k] != lb.key[k] {
			return code
		}
	}
	return 0
}

// markWhole gives every stocked location its minimize_splits key when one
// of them can ship the whole order: 0 for those that can, 1 for the rest.
// It reports whether any can.
func (st *planState) markWhole() bool {
	d := len(st.skus)
	for _, p := range st.order {
		whole := true
		for s := range d {
			if st.cells[int(p)*d+s].avail < st.skus[s].demand {
				whole = false
				break
			}
		}
		if whole {
			st.setCover(p, 0)
			st.whole = true
		} else {
			st.setCover(p, 1)
		}
	}
	return st.whole
}

// computeCover sets the minimize_splits keys when no location can ship the
// whole order. A greedy set cover picks, again and again, the location that
// ships the most remaining lines in full (then the most units), ties going
// to the other rules, then the id; picks
// get keys 1, 2, …, up to maxCoverPicks, and locations the cover did not
// pick get notInCover. The cover follows the line-split option, so without
// splitting a location only covers lines it can ship whole.
func (st *planState) computeCover(lines []orderhub.Line, out []LinePlan) {
	d, nl := len(st.skus), len(lines)
	// rem is each line's units not yet covered, tmp a location's units as a
	// pick consumes them, lineSKU each line's SKU index.
	scratch := make([]int64, 2*nl+d)
	rem, lineSKU, tmp := scratch[:nl], scratch[nl:2*nl], scratch[2*nl:]
	for i := range lines {
		rem[i], lineSKU[i] = lines[i].OpenQuantity(), int64(out[i].sku)
		if out[i].sku < 0 {
			rem[i] = 0 // held: nothing to cover
		}
	}
	split := st.eng.rules.AllowLineSplit
	// active holds the locations still worth scoring: a location's coverage
	// only shrinks as lines get covered, so once zero it stays zero.
	active := slices.Clone(st.order)
	for _, p := range active {
		st.setCover(p, notInCover)
	}
	for step := int32(1); len(active) > 0; step++ {
		if step > maxCoverPicks {
			st.capped = true
			return
		}
		best, bestAt := int32(-1), -1
		var bestFull, bestUnits int64
		kept := active[:0]
		for _, p := range active {
			full, units := st.coverage(p, rem, lineSKU, tmp, split, false)
			if units == 0 {
				continue
			}
			kept = append(kept, p)
			// Unpicked locations tie on minimize_splits, so less breaks
			// ties by the other rules, then the id.
			if best < 0 || full > bestFull || (full == bestFull && (units > bestUnits ||
				units == bestUnits && less(&st.locs[p], &st.locs[best]))) {
				best, bestAt, bestFull, bestUnits = p, len(kept)-1, full, units
			}
		}
		active = kept
		if best < 0 {
			return
		}
		st.coverage(best, rem, lineSKU, tmp, split, true)
		st.setCover(best, step)
		active = slices.Delete(active, bestAt, bestAt+1)
	}
}

// coverage returns how many of the uncovered lines location p would ship
// in full, and how many uncovered units in all; with apply it also marks
// them covered.
func (st *planState) coverage(p int32, rem, lineSKU, tmp []int64, split, apply bool) (full, units int64) {
	d := len(tmp)
	row := st.cells[int(p)*d : int(p)*d+d]
	for s := range row {
		tmp[s] = row[s].avail
	}
	for i, r := range rem {
		if r == 0 {
			continue
		}
		s := lineSKU[i]
		var take int64
		if split {
			take = min(tmp[s], r)
		} else if tmp[s] >= r {
			take = r
		}
		if take == 0 {
			continue
		}
		if take == r {
			full++
		}
		units = satAdd(units, take)
		tmp[s] -= take
		if apply {
			rem[i] -= take
		}
	}
	return full, units
}

// checkLines rejects lines whose open quantity is undefined, and repeated
// line ids, which would make shipments ambiguous.
func checkLines(lines []orderhub.Line) error {
	for i := range lines {
		l := &lines[i]
		if l.Quantity < 0 || l.Cancelled < 0 || l.Cancelled > l.Quantity {
			return orderhub.Errorf(orderhub.EInvalid, "line %q: quantity %d with %d cancelled leaves no valid open quantity", l.ID, l.Quantity, l.Cancelled)
		}
	}
	if len(lines) <= 16 {
		for i := range lines {
			for j := range i {
				if lines[j].ID == lines[i].ID {
					return orderhub.Errorf(orderhub.EInvalid, "line id %q appears twice", lines[i].ID)
				}
			}
		}
		return nil
	}
	seen := make(map[string]struct{}, len(lines))
	for i := range lines {
		if _, dup := seen[lines[i].ID]; dup {
			return orderhub.Errorf(orderhub.EInvalid, "line id %q appears twice", lines[i].ID)
		}
		seen[lines[i].ID] = struct{}{}
	}
	return nil
}

// shortReason says why a line's remaining units found no source. recorded
// says whether any location has a stock record of the SKU at all: one that
// none has and no supplier carries is likely a SKU the catalogue does not
// know, which the reason says in so many words.
func shortReason(open, fromStock int64, anyStock, recorded, split, carried, dropship, deny bool, sku string) string {
	var b []byte
	if deny {
		b = append(b, "backorders denied: "...)
	}
	if !recorded && !carried {
		b = append(b, "SKU "...)
		b = append(b, sku...)
		b = append(b, " not stocked anywhere nor carried by a supplier"...)
		return string(b)
	}
	switch {
	case fromStock > 0:
		b = append(b, "only "...)
		b = appendInt(b, fromStock)
		b = append(b, " of "...)
		b = appendInt(b, open)
		b = append(b, " in stock"...)
	case anyStock && !split:
		b = append(b, "no single location has all "...)
		b = appendInt(b, open)
		b = append(b, ", line split not allowed"...)
	default:
		b = append(b, "no stock"...)
	}
	if !carried {
		b = append(b, ", no supplier carries "...)
		b = append(b, sku...)
	} else if !dropship {
		b = append(b, ", dropship disabled"...)
	}
	return string(b)
}

// sameCountry reports whether two country codes name the same, known
// country.
func sameCountry(a, b string) bool { return a != "" && strings.EqualFold(a, b) }

// satAdd adds non-negative counts, saturating instead of overflowing.
func satAdd(a, b int64) int64 {
	if s := a + b; s >= a {
		return s
	}
	return math.MaxInt64
}
