package routing

import (
	"math"
	"strconv"
	"strings"

	"github.com/orderhub/orderhub"
)

// cand is one source considered for one line, as the replay recovers it.
type cand struct {
	src      int32 // index in planState.locs, or in the SKU's offers
	rank     int32 // 1-based; 0 when not in the running
	supplier bool
	have     int64 // a location's available units when the line was planned
	took     int64
}

// replayer re-runs a plan's allocation loop line by line to recover every
// candidate's rank and the stock it had then, which Plan does not store:
// that keeps string building and candidate bookkeeping out of the hot
// path. Lines must be explained in order.
type replayer struct {
	p    Plan
	left []int64 // each cell's units left, as the replay consumes them
}

func (p Plan) replay() *replayer {
	r := &replayer{p: p}
	if p.st != nil {
		r.left = make([]int64, len(p.st.cells))
		for i, c := range p.st.cells {
			r.left[i] = c.avail
		}
	}
	return r
}

// lineCands lists line lp's candidates: the locations that had its SKU
// left, in rank order, then the SKU's suppliers; and consumes what the
// line took.
func (r *replayer) lineCands(lp *LinePlan) []cand {
	st := r.p.st
	d, s := len(st.skus), int(lp.sku)
	offers := st.eng.offers[lp.SKU]
	cands := make([]cand, 0, len(st.order)+len(offers))
	took := func(kind, id string) int64 {
		for _, a := range lp.Assignments {
			if a.SourceKind == kind && a.SourceID == id {
				return a.Quantity
			}
		}
		return 0
	}
	rank := int32(0)
	for _, p := range st.order {
		k := int(p)*d + s
		if r.left[k] <= 0 {
			continue
		}
		rank++
		el := &st.eng.locs[st.locs[p].loc]
		c := cand{src: p, rank: rank, have: r.left[k], took: took(el.kind, el.id)}
		r.left[k] -= c.took
		cands = append(cands, c)
	}
	for j, o := range offers {
		c := cand{src: int32(j), supplier: true}
		if st.eng.rules.Dropship {
			rank++
			c.rank = rank
			c.took = took(orderhub.SourceSupplier, st.eng.sups[o.sup])
		}
		cands = append(cands, c)
	}
	return cands
}

// lineView renders one line's explanation from its replayed candidates.
type lineView struct {
	st                *planState
	lp                *LinePlan
	cands             []cand
	offers            []offer
	top, runner       *cand // the two best-ranked locations
	topSup, runnerSup *cand // the two best-ranked suppliers
	chosenSup         *cand
}

func (r *replayer) explain(i int) orderhub.Explanation {
	lp := &r.p.Lines[i]
	ex := orderhub.Explanation{LineID: lp.LineID, SKU: lp.SKU, Candidates: []orderhub.Candidate{}}
	st := r.p.st
	switch {
	case lp.NoShippingReason != "":
		// Left out on purpose: no source is considered.
		ex.Summary = "left out, needs no shipping: " + lp.NoShippingReason
		if lp.NotShipped > 0 {
			ex.Summary = strconv.FormatInt(lp.NotShipped, 10) + " " + ex.Summary
		}
		return ex
	case st == nil || lp.Quantity == 0:
		ex.Summary = "nothing to route: no open quantity"
		return ex
	case lp.Held > 0:
		// No source can be asked for a line without a SKU.
		ex.Summary = strconv.FormatInt(lp.Held, 10) + " held for the operator (" + lp.ShortReason + "); ship by hand or cancel"
		return ex
	}
	v := &lineView{st: st, lp: lp, cands: r.lineCands(lp), offers: st.eng.offers[lp.SKU]}
	for i := range v.cands {
		c := &v.cands[i]
		switch {
		case c.rank == 0:
		case !c.supplier && v.top == nil:
			v.top = c
		case !c.supplier && v.runner == nil:
			v.runner = c
		case c.supplier && v.topSup == nil:
			v.topSup = c
		case c.supplier && v.runnerSup == nil:
			v.runnerSup = c
		}
		if c.supplier && c.took > 0 {
			v.chosenSup = c
		}
	}
	ex.Summary = v.summary()

	eng := st.eng
	ranked := make([]bool, len(eng.locs))
	for i := range v.cands {
		if c := &v.cands[i]; !c.supplier {
			el := &eng.locs[st.locs[c.src].loc]
			ranked[st.locs[c.src].loc] = true
			ex.Candidates = append(ex.Candidates, orderhub.Candidate{
				Source: el.id, Kind: el.kind, Rank: int(c.rank), Chosen: c.took > 0, Reason: v.locationReason(c),
			})
		}
	}
	suppliers := func(rankedOnes bool) {
		for i := range v.cands {
			if c := &v.cands[i]; c.supplier && (c.rank > 0) == rankedOnes {
				ex.Candidates = append(ex.Candidates, orderhub.Candidate{
					Source: v.supplierID(c), Kind: orderhub.SourceSupplier,
					Rank: int(c.rank), Chosen: c.took > 0, Reason: v.supplierReason(c),
				})
			}
		}
	}
	suppliers(true)
	for li := range eng.locs {
		if !ranked[li] {
			ex.Candidates = append(ex.Candidates, orderhub.Candidate{
				Source: eng.locs[li].id, Kind: eng.locs[li].kind, Reason: v.noStockReason(int32(li)),
			})
		}
	}
	suppliers(false)
	return ex
}

// summary reads like "2 from nyc (closest with stock), 3 from chi; 1
// backordered (only 5 of 6 in stock, dropship disabled)".
func (v *lineView) summary() string {
	var parts []string
	firstLoc := true
	for i := range v.cands {
		c := &v.cands[i]
		if c.took == 0 {
			continue
		}
		n := strconv.FormatInt(c.took, 10)
		if c.supplier {
			parts = append(parts, n+" dropshipped by "+v.supplierID(c)+" ("+v.supplierPhrase()+")")
			continue
		}
		s := n + " from " + v.locID(c)
		if firstLoc {
			if c.rank == 1 {
				s += " (" + v.topPhrase(false) + ")"
			} else {
				s += " (first with all " + strconv.FormatInt(v.lp.Quantity, 10) + ")"
			}
			firstLoc = false
		}
		parts = append(parts, s)
	}
	head := strings.Join(parts, ", ")
	var tail string
	switch {
	case v.lp.Backordered > 0:
		tail = strconv.FormatInt(v.lp.Backordered, 10) + " backordered (" + v.lp.ShortReason + ")"
	case v.lp.Unfilled > 0:
		tail = strconv.FormatInt(v.lp.Unfilled, 10) + " unfilled (" + v.lp.ShortReason + ")"
	}
	switch {
	case head == "":
		return tail
	case tail == "":
		return head
	}
	return head + "; " + tail
}

func (v *lineView) locID(c *cand) string { return v.st.eng.locs[v.st.locs[c.src].loc].id }

func (v *lineView) supplierID(c *cand) string { return v.st.eng.sups[v.offers[c.src].sup] }

// locationReason explains a ranked location: its rank, what ranked it
// there, and what it shipped.
func (v *lineView) locationReason(c *cand) string {
	s := v.locID(c) + ": ranked " + ordinal(c.rank) + ", "
	if c == v.top {
		s += v.topPhrase(true)
	} else {
		s += v.versusTop(c)
	}
	return s + "; " + v.stockPhrase(c)
}

// topPhrase says what put the best location first: the first rule that
// tells it from the runner-up.
func (v *lineView) topPhrase(withValue bool) string {
	if v.runner == nil {
		return "only location with stock"
	}
	code := v.st.decide(v.top.src, v.runner.src)
	var s string
	switch code {
	case codeMinimizeSplits:
		if v.st.whole {
			return "ships the whole order"
		}
		if withValue {
			return "fewest shipments (" + v.ruleValue(code, v.top.src) + ")"
		}
		return "fewest shipments"
	case codeClosest:
		s = "closest with stock"
	case codePriority:
		s = "highest priority with stock"
	case codeStayInMarket:
		s = "in the ship-to market"
	default:
		return "first by id among equal locations"
	}
	if withValue {
		s += " (" + v.ruleValue(code, v.top.src) + ")"
	}
	return s
}

// versusTop compares c with the best location on the first rule that tells
// them apart, e.g. "3,940 km vs chi 1,150 km".
func (v *lineView) versusTop(c *cand) string {
	code := v.st.decide(v.top.src, c.src)
	top := v.locID(v.top)
	switch code {
	case 0:
		return "ties with " + top + " on every rule, ordered by id"
	case codeMinimizeSplits:
		switch cover := v.st.cover(c.src); {
		case v.st.whole:
			return "cannot ship the whole order, " + top + " can"
		case cover == notInCover && v.st.capped:
			return "not among the first " + strconv.Itoa(maxCoverPicks) + " picks to cover the order, " + top + " is"
		case cover == notInCover:
			return "not needed to cover the order, " + top + " is"
		default:
			return v.ruleValue(code, c.src) + ", " + top + " " + ordinal(v.st.cover(v.top.src))
		}
	}
	return v.ruleValue(code, c.src) + " vs " + v.locID(v.top) + " " + v.ruleValue(code, v.top.src)
}

// ruleValue is a location's key under one rule, in words.
func (v *lineView) ruleValue(code uint8, p int32) string {
	cl := &v.st.locs[p]
	country := v.st.shipTo.country
	switch code {
	case codeMinimizeSplits:
		switch cover := v.st.cover(p); {
		case cover == 0:
			return "ships the whole order"
		case v.st.whole:
			return "cannot ship the whole order"
		case cover == notInCover && v.st.capped:
			return "not among the first " + strconv.Itoa(maxCoverPicks) + " picks to cover the order"
		case cover == notInCover:
			return "not needed to cover the order"
		default:
			return "picked " + ordinal(cover) + " to cover the order"
		}
	case codeClosest:
		key := v.st.keyOf(p, codeClosest)
		if key&unknownDistance == 0 {
			return FormatKm(chordKm(math.Float64frombits(key)))
		}
		var s string
		switch key &^ unknownDistance {
		case tierSameProvince:
			s = "same province"
		case tierSameCountry:
			s = "same country"
		default:
			s = "outside the ship-to country"
		}
		if v.st.shipTo.hasPt {
			s += " (no coordinates)"
		}
		return s
	case codePriority:
		return "priority " + strconv.Itoa(v.st.eng.locs[cl.loc].priority)
	case codeStayInMarket:
		if country == "" {
			return "ship-to country unknown"
		}
		if v.st.keyOf(p, codeStayInMarket) == 0 {
			return "in " + country
		}
		return "outside " + country
	}
	return ""
}

// stockPhrase says what a ranked location had and shipped.
func (v *lineView) stockPhrase(c *cand) string {
	q := v.lp.Quantity
	switch {
	case c.took == q:
		return "ships all " + strconv.FormatInt(q, 10)
	case c.took > 0 && c.took == c.have:
		return "has " + strconv.FormatInt(c.have, 10) + " of " + strconv.FormatInt(q, 10) + ", ships " + strconv.FormatInt(c.took, 10)
	case c.took > 0:
		return "ships the remaining " + strconv.FormatInt(c.took, 10)
	case !v.st.eng.rules.AllowLineSplit && c.have < q:
		return "has " + strconv.FormatInt(c.have, 10) + " of " + strconv.FormatInt(q, 10) + ", line split not allowed"
	}
	return "has " + strconv.FormatInt(c.have, 10) + ", not needed"
}

// noStockReason explains a location that had nothing for the line.
func (v *lineView) noStockReason(li int32) string {
	el := &v.st.eng.locs[li]
	p := v.st.slot[li]
	if p < 0 {
		return el.id + ": no stock"
	}
	c := v.st.cells[int(p)*len(v.st.skus)+int(v.lp.sku)]
	if c.avail > 0 {
		return el.id + ": no stock left, its " + strconv.FormatInt(c.avail, 10) + " went to earlier lines"
	}
	switch c.left {
	case leftAllReserved:
		return el.id + ": no stock (all on hand reserved)"
	case leftSafetyStock:
		return el.id + ": no stock (safety stock " + strconv.FormatInt(el.safety, 10) + ")"
	}
	return el.id + ": no stock"
}

// supplierPhrase says what put the best supplier first.
func (v *lineView) supplierPhrase() string {
	if v.runnerSup == nil {
		return "only supplier of " + v.lp.SKU
	}
	rule, _ := v.st.eng.offerRule(v.offers[v.topSup.src], v.offers[v.runnerSup.src])
	switch rule {
	case "cost":
		return "cheapest supplier"
	case "lead":
		return "shortest lead time"
	}
	return "first by id among equal suppliers"
}

// supplierReason explains a supplier of the line's SKU.
func (v *lineView) supplierReason(c *cand) string {
	id := v.supplierID(c)
	if c.rank == 0 {
		return id + ": dropship disabled"
	}
	s := id + ": ranked " + ordinal(c.rank) + ", "
	o := v.offers[c.src]
	switch {
	case c.took > 0:
		return s + v.supplierPhrase() + " (" + costText(o.cost) + ", " + leadText(o.lead) + "); dropships " + strconv.FormatInt(c.took, 10)
	case v.chosenSup == nil:
		return s + "not needed: own stock ships the line"
	}
	top := v.offers[v.chosenSup.src]
	topID := v.supplierID(v.chosenSup)
	switch rule, _ := v.st.eng.offerRule(o, top); rule {
	case "cost":
		return s + costText(o.cost) + " vs " + topID + " " + costText(top.cost)
	case "lead":
		return s + leadText(o.lead) + " vs " + topID + " " + leadText(top.lead)
	}
	return s + "ties with " + topID + ", ordered by id"
}

func costText(m orderhub.Money) string { return strings.TrimSpace(m.Display()) }

func leadText(days int) string {
	if days == 1 {
		return "1 day lead"
	}
	return strconv.Itoa(days) + " days lead"
}

// ordinal formats 1 as "1st", 2 as "2nd", 11 as "11th", 23 as "23rd".
func ordinal(n int32) string {
	s := strconv.Itoa(int(n))
	if n%100 >= 11 && n%100 <= 13 {
		return s + "th"
	}
	switch n % 10 {
	case 1:
		return s + "st"
	case 2:
		return s + "nd"
	case 3:
		return s + "rd"
	}
	return s + "th"
}

func appendInt(b []byte, n int64) []byte { return strconv.AppendInt(b, n, 10) }
