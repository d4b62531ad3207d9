package routing

import (
	"slices"
	"strings"

	"github.com/orderhub/orderhub"
)

// Plan is the routing decision for one order: where each line's open units
// ship from, what is backordered or refused, and why. The caller reserves
// the location assignments (see Reservations), creates one fulfillment per
// Shipment, records backorders, and stores the Explanations, all in one
// transaction.
type Plan struct {
	// Lines holds one entry per order line, in the order's line order.
	Lines []LinePlan

	st *planState
}

// LinePlan is where one line's open units go. Quantity always equals the
// sum of the assignments plus Backordered, Unfilled, Held and NotShipped:
// no unit is ever dropped.
type LinePlan struct {
	LineID string // the order line's id
	SKU    string // the line's SKU
	// Quantity is the line's open quantity when it was planned.
	Quantity int64
	// Assignments are the sources shipping the line, best-ranked first;
	// every one has a positive quantity.
	Assignments []Assignment
	// Backordered units wait for stock (policy notify).
	Backordered int64
	// Unfilled units are refused because backorders are denied; the caller
	// must reject or cancel them, never drop them silently.
	Unfilled int64
	// Held units need shipping but no source can be asked for them,
	// whatever the backorder policy: the line has no SKU. They wait for
	// the operator, who ships them by hand or cancels them; the caller
	// must show them on the order and count them as open.
	Held int64
	// ShortReason says why own stock and dropship fell short, whenever
	// Backordered, Unfilled or Held is positive.
	ShortReason string
	// NotShipped units need no shipping (a digital product, a gift card):
	// the line is left out on purpose, with NoShippingReason saying why.
	// Only PlanOrder sets them, all of a line's units or none.
	NotShipped       int64
	NoShippingReason string

	sku int32 // index in planState.skus; -1 for a line without one
}

// noSKUReason is the ShortReason of held units.
const noSKUReason = "no SKU, so no location or supplier can be asked for it"

// noShippingDefault is the NoShippingReason of a line that needs no
// shipping when its connector gave no reason.
const noShippingDefault = "the platform says the line needs no shipping"

// Assignment is a quantity of a line given to one source.
type Assignment struct {
	// SourceID is the location or supplier id.
	SourceID string
	// SourceKind is orderhub.SourceWarehouse, orderhub.Source3PL or
	// orderhub.SourceSupplier.
	SourceKind string
	// Quantity is positive.
	Quantity int64
}

// Dropship reports whether a supplier ships the assignment.
func (a Assignment) Dropship() bool { return a.SourceKind == orderhub.SourceSupplier }

// Allocated returns the units the line takes from own locations.
func (l LinePlan) Allocated() int64 { return l.sum(false) }

// Dropshipped returns the units suppliers ship for the line.
func (l LinePlan) Dropshipped() int64 { return l.sum(true) }

func (l LinePlan) sum(dropship bool) int64 {
	var n int64
	for _, a := range l.Assignments {
		if a.Dropship() == dropship {
			n += a.Quantity
		}
	}
	return n
}

// Shipment is what one source ships for the order: one fulfillment.
type Shipment struct {
	SourceID   string                     // the location or supplier id
	SourceKind string                     // as in Assignment
	Lines      []orderhub.FulfillmentLine // in line order
}

// Shipments groups the assignments by source, one shipment per source, in
// the order the sources first appear in the plan (line order, best-ranked
// first within a line).
func (p Plan) Shipments() []Shipment {
	var out []Shipment
	for _, lp := range p.Lines {
		for _, a := range lp.Assignments {
			i := slices.IndexFunc(out, func(s Shipment) bool {
				return s.SourceID == a.SourceID && s.SourceKind == a.SourceKind
			})
			if i < 0 {
				i = len(out)
				out = append(out, Shipment{SourceID: a.SourceID, SourceKind: a.SourceKind})
			}
			out[i].Lines = append(out[i].Lines, orderhub.FulfillmentLine{LineID: lp.LineID, SKU: lp.SKU, Quantity: a.Quantity})
		}
	}
	return out
}

// SplitCount returns the number of distinct sources shipping the order;
// backorders do not count.
func (p Plan) SplitCount() int { return len(p.Shipments()) }

// Totals counts an order's units by destination. Open is the sum of
// Allocated, Dropshipped, Backordered, Unfilled and Held.
type Totals struct {
	Open        int64 // open units that need shipping
	Allocated   int64 // from own locations
	Dropshipped int64 // by suppliers
	Backordered int64
	Unfilled    int64
	Held        int64 // waiting for the operator
	NotShipped  int64 // open units that need no shipping, left out on purpose
}

// Totals sums the plan's units by destination.
func (p Plan) Totals() Totals {
	var t Totals
	for _, lp := range p.Lines {
		t.NotShipped = satAdd(t.NotShipped, lp.NotShipped)
		t.Open = satAdd(t.Open, lp.Quantity-lp.NotShipped)
		t.Allocated = satAdd(t.Allocated, lp.Allocated())
		t.Dropshipped = satAdd(t.Dropshipped, lp.Dropshipped())
		t.Backordered = satAdd(t.Backordered, lp.Backordered)
		t.Unfilled = satAdd(t.Unfilled, lp.Unfilled)
		t.Held = satAdd(t.Held, lp.Held)
	}
	return t
}

// Reservation is the stock the caller must reserve at one location for one
// SKU, summed over the lines that share the SKU.
type Reservation struct {
	LocationID string
	SKU        string
	Quantity   int64 // positive
}

// Reservations lists the units to reserve per location and SKU, sorted by
// location then SKU, so that concurrent callers lock rows in one order.
func (p Plan) Reservations() []Reservation {
	var out []Reservation
	for _, lp := range p.Lines {
		for _, a := range lp.Assignments {
			if a.Dropship() {
				continue
			}
			i := slices.IndexFunc(out, func(r Reservation) bool { return r.LocationID == a.SourceID && r.SKU == lp.SKU })
			if i < 0 {
				out = append(out, Reservation{LocationID: a.SourceID, SKU: lp.SKU})
				i = len(out) - 1
			}
			out[i].Quantity += a.Quantity
		}
	}
	slices.SortFunc(out, func(a, b Reservation) int {
		if c := strings.Compare(a.LocationID, b.LocationID); c != 0 {
			return c
		}
		return strings.Compare(a.SKU, b.SKU)
	})
	return out
}

// Explanations renders, for every line in order, every source considered
// (every location, then the suppliers of the line's SKU), its rank, whether
// it was chosen and why, plus a one-line summary. Plan records only the
// numbers and this replays them, so that planning stays fast; the result
// is the same every time, as long as the plan's lines are left as Plan
// returned them.
func (p Plan) Explanations() []orderhub.Explanation {
	out := make([]orderhub.Explanation, len(p.Lines))
	r := p.replay()
	for i := range p.Lines {
		out[i] = r.explain(i)
	}
	return out
}

// Explanation renders the explanation of the line with id lineID.
func (p Plan) Explanation(lineID string) (orderhub.Explanation, bool) {
	r := p.replay()
	for i := range p.Lines {
		ex := r.explain(i)
		if p.Lines[i].LineID == lineID {
			return ex, true
		}
	}
	return orderhub.Explanation{}, false
}
