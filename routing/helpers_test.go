package routing

import (
	"fmt"
	"math"
	"math/bits"
	"slices"
	"strings"
	"testing"

	"github.com/orderhub/orderhub"
)

func ptr(v float64) *float64 { return &v }

func addr(country, province string, lat, lon float64) orderhub.Address {
	return orderhub.Address{Country: country, Province: province, Latitude: ptr(lat), Longitude: ptr(lon)}
}

// Well-known places, so distances in expected reasons can be checked on a
// map.
var (
	nycAddr    = addr("US", "NY", 40.7128, -74.0060)
	chiAddr    = addr("US", "IL", 41.8781, -87.6298)
	laAddr     = addr("US", "CA", 34.0522, -118.2437)
	torAddr    = addr("CA", "ON", 43.6532, -79.3832)
	bostonAddr = addr("US", "MA", 42.3601, -71.0589)
)

func location(id string, a orderhub.Address, priority int) orderhub.Location {
	return orderhub.Location{ID: id, Kind: orderhub.LocationWarehouse, Address: a, Priority: priority}
}

// fourLocations is nyc, chi, la (all US) and tor (Canada), priorities 1–4
// in that order.
func fourLocations() []orderhub.Location {
	return []orderhub.Location{
		location("nyc", nycAddr, 1), location("chi", chiAddr, 2),
		location("la", laAddr, 3), location("tor", torAddr, 4),
	}
}

func line(id, sku string, qty int64) orderhub.Line {
	return orderhub.Line{ID: id, SKU: sku, Quantity: qty}
}

func level(loc, sku string, onHand int64) orderhub.StockLevel {
	return orderhub.StockLevel{LocationID: loc, SKU: sku, OnHand: onHand}
}

func supplier(id string, skus map[string]string, lead int) orderhub.Supplier {
	s := orderhub.Supplier{ID: id, SKUs: map[string]orderhub.SupplierSKU{}}
	for sku, cost := range skus {
		s.SKUs[sku] = orderhub.SupplierSKU{Cost: orderhub.MustParseMoney(cost, "USD"), LeadDays: lead}
	}
	return s
}

// describe renders a plan's decisions compactly, one string per line, e.g.
// "L1: nyc=2 chi=3 backordered=1".
func describe(p Plan) []string {
	out := make([]string, len(p.Lines))
	for i, lp := range p.Lines {
		parts := []string{lp.LineID + ":"}
		for _, a := range lp.Assignments {
			parts = append(parts, fmt.Sprintf("%s=%d", a.SourceID, a.Quantity))
		}
		if lp.Backordered > 0 {
			parts = append(parts, fmt.Sprintf("backordered=%d", lp.Backordered))
		}
		if lp.Unfilled > 0 {
			parts = append(parts, fmt.Sprintf("unfilled=%d", lp.Unfilled))
		}
		if lp.Held > 0 {
			parts = append(parts, fmt.Sprintf("held=%d", lp.Held))
		}
		if lp.NotShipped > 0 {
			parts = append(parts, fmt.Sprintf("not-shipped=%d", lp.NotShipped))
		}
		out[i] = strings.Join(parts, " ")
	}
	return out
}

// explanationText renders every explanation as text: the summary, then one
// line per candidate.
func explanationText(p Plan) string {
	var b strings.Builder
	for _, ex := range p.Explanations() {
		fmt.Fprintf(&b, "%s %s: %s\n", ex.LineID, ex.SKU, ex.Summary)
		for _, c := range ex.Candidates {
			chosen := ""
			if c.Chosen {
				chosen = " chosen"
			}
			fmt.Fprintf(&b, "  #%d %s %s%s | %s\n", c.Rank, c.Source, c.Kind, chosen, c.Reason)
		}
	}
	return b.String()
}

// checkInvariants asserts what every plan must satisfy, whatever the
// input. It recomputes availability from the raw input, independently of
// the engine.
func checkInvariants(t testing.TB, in Input, p Plan) {
	t.Helper()
	if len(p.Lines) != len(in.Lines) {
		t.Fatalf("plan has %d lines, order has %d", len(p.Lines), len(in.Lines))
	}
	locs := map[string]orderhub.Location{}
	for _, l := range in.Locations {
		locs[l.ID] = l
	}
	carries := map[string]bool{} // supplier|sku
	for _, s := range in.Suppliers {
		for sku := range s.SKUs {
			carries[s.ID+"|"+sku] = true
		}
	}
	avail := func(loc, sku string) int64 {
		lv, _ := in.Stock.Level(loc, sku)
		return available(lv.OnHand, lv.Reserved, locs[loc].SafetyStock)
	}
	taken := map[[2]string]uint64{}
	takenOK := map[[2]string]bool{}
	deny := in.Rules.Backorders == BackorderDeny
	var sumOpen, sumAlloc, sumDrop, sumBack, sumUnfilled, sumHeld uint64
	overflow := false
	acc := func(sum *uint64, n int64) {
		var c uint64
		*sum, c = bits.Add64(*sum, uint64(n), 0)
		overflow = overflow || c != 0 || *sum > math.MaxInt64
	}
	for i, lp := range p.Lines {
		ln := in.Lines[i]
		open := ln.Quantity - ln.Cancelled
		if lp.LineID != ln.ID || lp.SKU != ln.SKU || lp.Quantity != open {
			t.Fatalf("line %d: plan says %q %q %d, order says %q %q %d", i, lp.LineID, lp.SKU, lp.Quantity, ln.ID, ln.SKU, open)
		}
		total, ok := uint64(0), true
		add := func(n int64) {
			if n < 0 {
				t.Fatalf("line %s: negative quantity %d", ln.ID, n)
			}
			var carry uint64
			total, carry = bits.Add64(total, uint64(n), 0)
			ok = ok && carry == 0
		}
		for _, a := range lp.Assignments {
			if a.Quantity <= 0 {
				t.Fatalf("line %s: assignment %+v has no quantity", ln.ID, a)
			}
			add(a.Quantity)
			switch a.SourceKind {
			case orderhub.SourceSupplier:
				if !in.Rules.Dropship {
					t.Fatalf("line %s: dropshipped by %s with dropship disabled", ln.ID, a.SourceID)
				}
				if !carries[a.SourceID+"|"+ln.SKU] {
					t.Fatalf("line %s: supplier %s does not carry %s", ln.ID, a.SourceID, ln.SKU)
				}
				acc(&sumDrop, a.Quantity)
			default:
				l, known := locs[a.SourceID]
				if !known || l.Kind != a.SourceKind {
					t.Fatalf("line %s: assignment to unknown location %s (%s)", ln.ID, a.SourceID, a.SourceKind)
				}
				k := [2]string{a.SourceID, ln.SKU}
				var c uint64
				taken[k], c = bits.Add64(taken[k], uint64(a.Quantity), 0)
				if c != 0 {
					takenOK[k] = false
				}
				acc(&sumAlloc, a.Quantity)
			}
		}
		add(lp.Backordered)
		add(lp.Unfilled)
		add(lp.Held)
		if lp.NotShipped != 0 {
			t.Fatalf("line %s: Plan left %d units unshipped", ln.ID, lp.NotShipped)
		}
		if !ok || total != uint64(open) {
			t.Fatalf("line %s: assigned+backordered+unfilled+held = %d (overflow %v), open quantity %d", ln.ID, total, !ok, open)
		}
		if held := !ln.HasSKU() && open > 0; held != (lp.Held > 0) || held && lp.Held != open {
			t.Fatalf("line %s with SKU %q: %d of %d held; every unit of a line without a SKU, and only those, is held", ln.ID, ln.SKU, lp.Held, open)
		}
		if deny && lp.Backordered != 0 {
			t.Fatalf("line %s: %d backordered under policy deny", ln.ID, lp.Backordered)
		}
		if !deny && lp.Unfilled != 0 {
			t.Fatalf("line %s: %d unfilled under policy notify", ln.ID, lp.Unfilled)
		}
		if (lp.Backordered > 0 || lp.Unfilled > 0 || lp.Held > 0) != (lp.ShortReason != "") {
			t.Fatalf("line %s: short reason %q with %d backordered, %d unfilled, %d held", ln.ID, lp.ShortReason, lp.Backordered, lp.Unfilled, lp.Held)
		}
		if !in.Rules.AllowLineSplit && len(lp.Assignments) > 1 {
			t.Fatalf("line %s: split across %v without line split", ln.ID, lp.Assignments)
		}
		if !in.Rules.AllowLineSplit && len(lp.Assignments) == 1 && lp.Assignments[0].Quantity != open {
			t.Fatalf("line %s: partly shipped %v without line split", ln.ID, lp.Assignments)
		}
		acc(&sumOpen, open)
		acc(&sumBack, lp.Backordered)
		acc(&sumUnfilled, lp.Unfilled)
		acc(&sumHeld, lp.Held)
	}
	for k, n := range taken {
		if ok, seen := takenOK[k]; seen && !ok {
			t.Fatalf("%s/%s: allocations overflow", k[0], k[1])
		}
		if a := avail(k[0], k[1]); n > uint64(a) {
			t.Fatalf("%s/%s: allocated %d of %d available", k[0], k[1], n, a)
		}
	}
	// Own stock first: with line split, a line only goes elsewhere once no
	// location has any of its SKU left. Later lines only take more, so the
	// final leftover must be zero.
	if in.Rules.AllowLineSplit {
		for _, lp := range p.Lines {
			if lp.Quantity == lp.Allocated() || lp.Held > 0 {
				continue
			}
			for id := range locs {
				if left := avail(id, lp.SKU) - int64(taken[[2]string{id, lp.SKU}]); left > 0 {
					t.Fatalf("line %s: %d not allocated although %s has %d of %s left", lp.LineID, lp.Quantity-lp.Allocated(), id, left, lp.SKU)
				}
			}
		}
	}
	// Dropship only when own stock cannot: without line split, a dropshipped
	// or backordered line had no single location with all of it.
	if !in.Rules.AllowLineSplit {
		for _, lp := range p.Lines {
			if lp.Quantity == 0 || lp.Allocated() == lp.Quantity || lp.Held > 0 {
				continue
			}
			for id := range locs {
				// The final leftover is a lower bound on what was left when
				// this line was planned.
				if left := avail(id, lp.SKU) - int64(taken[[2]string{id, lp.SKU}]); left >= lp.Quantity {
					t.Fatalf("line %s: not allocated although %s has %d of %s left", lp.LineID, id, left, lp.SKU)
				}
			}
		}
	}

	// Totals, shipments and reservations agree with the lines.
	tot := p.Totals()
	if !overflow && (uint64(tot.Open) != sumOpen || uint64(tot.Allocated) != sumAlloc ||
		uint64(tot.Dropshipped) != sumDrop || uint64(tot.Backordered) != sumBack || uint64(tot.Unfilled) != sumUnfilled ||
		uint64(tot.Held) != sumHeld || tot.NotShipped != 0) {
		t.Fatalf("totals %+v disagree with lines: open %d alloc %d drop %d back %d unfilled %d held %d", tot, sumOpen, sumAlloc, sumDrop, sumBack, sumUnfilled, sumHeld)
	}
	ships := p.Shipments()
	sources := map[string]bool{}
	var shipped uint64
	for _, s := range ships {
		key := s.SourceKind + "|" + s.SourceID
		if sources[key] {
			t.Fatalf("source %s has two shipments", key)
		}
		sources[key] = true
		for _, fl := range s.Lines {
			shipped += uint64(fl.Quantity)
		}
	}
	if p.SplitCount() != len(sources) {
		t.Fatalf("SplitCount %d, %d distinct sources", p.SplitCount(), len(sources))
	}
	if !overflow && shipped != sumAlloc+sumDrop {
		t.Fatalf("shipments hold %d units, assignments %d", shipped, sumAlloc+sumDrop)
	}
	res := p.Reservations()
	for i, r := range res {
		if r.Quantity <= 0 || uint64(r.Quantity) != taken[[2]string{r.LocationID, r.SKU}] {
			t.Fatalf("reservation %+v, allocated %d", r, taken[[2]string{r.LocationID, r.SKU}])
		}
		if i > 0 && (res[i-1].LocationID > r.LocationID || res[i-1].LocationID == r.LocationID && res[i-1].SKU >= r.SKU) {
			t.Fatalf("reservations out of order: %+v then %+v", res[i-1], r)
		}
	}
	if len(res) != len(taken) {
		t.Fatalf("%d reservations for %d location/SKU pairs", len(res), len(taken))
	}

	// Explanations: one per line, listing every location and every supplier
	// of the SKU once, chosen exactly where assigned, ranks 1..k.
	exs := p.Explanations()
	if len(exs) != len(p.Lines) {
		t.Fatalf("%d explanations for %d lines", len(exs), len(p.Lines))
	}
	for i, ex := range exs {
		lp := p.Lines[i]
		if ex.LineID != lp.LineID || ex.SKU != lp.SKU || ex.Summary == "" {
			t.Fatalf("explanation %d: %+v for line %s", i, ex, lp.LineID)
		}
		if lp.Quantity == 0 {
			if len(ex.Candidates) != 0 || len(lp.Assignments) != 0 {
				t.Fatalf("line %s has no open quantity but candidates %v", lp.LineID, ex.Candidates)
			}
			continue
		}
		if lp.Held > 0 {
			if len(ex.Candidates) != 0 || !strings.Contains(ex.Summary, "held for the operator (no SKU") {
				t.Fatalf("held line %s: summary %q, candidates %v", lp.LineID, ex.Summary, ex.Candidates)
			}
			continue
		}
		nSup := 0
		for _, s := range in.Suppliers {
			if _, ok := s.SKUs[lp.SKU]; ok {
				nSup++
			}
		}
		if len(ex.Candidates) != len(locs)+nSup {
			t.Fatalf("line %s: %d candidates, want %d locations + %d suppliers", lp.LineID, len(ex.Candidates), len(locs), nSup)
		}
		var ranks []int
		chosen := map[string]bool{}
		for _, c := range ex.Candidates {
			if c.Reason == "" || !strings.HasPrefix(c.Reason, c.Source+": ") {
				t.Fatalf("line %s: candidate %+v has no reason of its own", lp.LineID, c)
			}
			if c.Rank > 0 {
				ranks = append(ranks, c.Rank)
			}
			if c.Chosen {
				chosen[c.Kind+"|"+c.Source] = true
			}
		}
		for j, r := range ranks {
			if r != j+1 {
				t.Fatalf("line %s: ranks %v are not 1..%d in order", lp.LineID, ranks, len(ranks))
			}
		}
		if len(chosen) != len(lp.Assignments) {
			t.Fatalf("line %s: %d chosen candidates, %d assignments", lp.LineID, len(chosen), len(lp.Assignments))
		}
		for _, a := range lp.Assignments {
			if !chosen[a.SourceKind+"|"+a.SourceID] {
				t.Fatalf("line %s: assignment to %s not marked chosen", lp.LineID, a.SourceID)
			}
		}
	}
}

// chooser is where generated inputs get their choices: a seeded PRNG for
// property tests, the fuzzer's bytes for FuzzPlan.
type chooser interface {
	intn(n int) int
}

var skuPool = []string{"SKU-A", "SKU-B", "SKU-C", "SKU-D", ""}

// genInput builds a small, adversarial routing input: few SKUs and
// locations so lines collide on stock, optional coordinates, stock at
// unknown locations, negative stock numbers, odd quantities.
func genInput(c chooser) Input {
	var in Input
	ids := []string{"a", "b", "c", "d", "e", "f"}
	nLoc := c.intn(len(ids) + 1)
	for _, id := range ids[:nLoc] {
		l := orderhub.Location{ID: id, Kind: orderhub.LocationWarehouse, Priority: c.intn(3), SafetyStock: int64(c.intn(3))}
		if c.intn(3) == 0 {
			l.Kind = orderhub.Location3PL
		}
		l.Address.Country = []string{"US", "CA", ""}[c.intn(3)]
		l.Address.Province = []string{"NY", "ON", ""}[c.intn(3)]
		if c.intn(4) > 0 {
			l.Address.Latitude = ptr(float64(c.intn(181) - 90))
			l.Address.Longitude = ptr(float64(c.intn(361) - 180))
		}
		in.Locations = append(in.Locations, l)
	}
	for _, id := range []string{"s1", "s2", "s3"}[:c.intn(4)] {
		s := orderhub.Supplier{ID: id, SKUs: map[string]orderhub.SupplierSKU{}}
		for _, sku := range skuPool {
			if c.intn(2) == 0 {
				s.SKUs[sku] = orderhub.SupplierSKU{Cost: orderhub.Money{Amount: int64(c.intn(4)) * 100, Currency: "USD"}, LeadDays: c.intn(3)}
			}
		}
		in.Suppliers = append(in.Suppliers, s)
	}
	qty := func() int64 {
		switch c.intn(16) {
		case 15:
			return math.MaxInt64 - int64(c.intn(3))
		case 14:
			return 0
		}
		return int64(c.intn(7))
	}
	in.Stock = &Stock{}
	for range c.intn(20) {
		loc := append(ids, "ghost")[c.intn(len(ids)+1)]
		onHand, reserved := qty(), int64(c.intn(4))
		if c.intn(8) == 0 {
			onHand = -onHand
		}
		if c.intn(8) == 0 {
			reserved = -reserved
		}
		in.Stock.Set(loc, skuPool[c.intn(len(skuPool))], onHand, reserved)
	}
	for i := range c.intn(6) {
		q := qty()
		ln := line(fmt.Sprintf("L%d", i+1), skuPool[c.intn(len(skuPool))], q)
		if q > 0 && c.intn(4) == 0 {
			ln.Cancelled = int64(c.intn(int(min(q, 4)) + 1))
		}
		in.Lines = append(in.Lines, ln)
	}
	in.ShipTo.Country = []string{"US", "CA", ""}[c.intn(3)]
	in.ShipTo.Province = []string{"NY", "ON", ""}[c.intn(3)]
	if c.intn(3) > 0 {
		in.ShipTo.Latitude = ptr(float64(c.intn(181) - 90))
		in.ShipTo.Longitude = ptr(float64(c.intn(361) - 180))
	}
	all := AllRules()
	for _, i := range permutation(c, len(all))[:c.intn(len(all)+1)] {
		in.Rules.Order = append(in.Rules.Order, all[i])
	}
	in.Rules.AllowLineSplit = c.intn(2) == 0
	in.Rules.Dropship = c.intn(2) == 0
	in.Rules.Backorders = []BackorderPolicy{BackorderNotify, BackorderDeny, ""}[c.intn(3)]
	return in
}

func permutation(c chooser, n int) []int {
	p := make([]int, n)
	for i := range p {
		p[i] = i
	}
	for i := n - 1; i > 0; i-- {
		j := c.intn(i + 1)
		p[i], p[j] = p[j], p[i]
	}
	return p
}

// shuffled returns in with locations, suppliers and stock in another order,
// which must not change the plan.
func shuffled(c chooser, in Input) Input {
	out := in
	out.Locations = nil
	for _, i := range permutation(c, len(in.Locations)) {
		out.Locations = append(out.Locations, in.Locations[i])
	}
	out.Suppliers = nil
	for _, i := range permutation(c, len(in.Suppliers)) {
		out.Suppliers = append(out.Suppliers, in.Suppliers[i])
	}
	var levels []orderhub.StockLevel
	for sku, es := range in.Stock.bySKU {
		for _, e := range es {
			levels = append(levels, orderhub.StockLevel{LocationID: in.Stock.locIDs[e.loc], SKU: sku, OnHand: e.onHand, Reserved: e.reserved})
		}
	}
	slices.SortFunc(levels, func(a, b orderhub.StockLevel) int {
		return strings.Compare(a.SKU+"|"+a.LocationID, b.SKU+"|"+b.LocationID)
	})
	out.Stock = &Stock{}
	for _, i := range permutation(c, len(levels)) {
		l := levels[i]
		out.Stock.Set(l.LocationID, l.SKU, l.OnHand, l.Reserved)
	}
	return out
}
