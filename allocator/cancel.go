package allocator

import (
	"context"
	"fmt"
	"strings"

	"github.com/orderhub/orderhub"
	"github.com/orderhub/orderhub/store"
)

// LineQuantity is a quantity of one order line.
type LineQuantity struct {
	LineID   string `json:"line_id"`
	Quantity int64  `json:"quantity"`
}

// CancelRequest asks for quantities of an order's lines to be cancelled.
type CancelRequest struct {
	OrderID string
	Lines   []LineQuantity
	Reason  string
	Actor   string
}

// Refund is the money owed back for cancelled quantities.
type Refund struct {
	OrderID string           `json:"order_id"`
	Amount  orderhub.Money   `json:"amount"`
	Lines   []RefundLine     `json:"lines"`
	Totals  orderhub.Totals  `json:"order_totals"` // the order's totals after the cancellation
	Status  orderhub.Status  `json:"order_status"`
	Reason  string           `json:"reason,omitempty"`
	Events  []int64          `json:"-"`
	Moves   []CancelledUnits `json:"cancelled"`
}

// RefundLine is the refund for one line: Subtotal − Discount + Tax, where
// Tax is added only when prices exclude it.
type RefundLine struct {
	LineID   string         `json:"line_id"`
	SKU      string         `json:"sku"`
	Quantity int64          `json:"quantity"`
	Subtotal orderhub.Money `json:"subtotal"` // unit price × quantity
	Discount orderhub.Money `json:"discount"` // this quantity's share of the line discount
	Tax      orderhub.Money `json:"tax"`      // this quantity's share of the line tax
	Amount   orderhub.Money `json:"amount"`
}

// CancelledUnits says where cancelled units were taken from.
type CancelledUnits struct {
	LineID   string `json:"line_id"`
	From     string `json:"from"` // unrouted, backorder, or a fulfillment id
	Quantity int64  `json:"quantity"`
}

// Cancel cancels quantities of lines that are not yet submitted to a 3PL,
// picked or shipped: their reservations are released, their backorders
// reduced, the refund computed exactly, the order's totals updated and the
// event recorded, all in one transaction. Asking for more than can be
// cancelled is a Conflict that says how much can.
func (a *Allocator) Cancel(ctx context.Context, req CancelRequest) (Refund, error) {
	var out Refund
	err := a.store.InTx(ctx, func(ctx context.Context, tx store.Tx) error {
		var err error
		out, err = a.CancelTx(ctx, tx, req)
		return err
	})
	return out, err
}

// lineState is how one line's open units are spread.
type lineState struct {
	line       orderhub.Line
	backorders []orderhub.Backorder   // open, with remaining units
	pending    []orderhub.Fulfillment // pending or failed, holding the line
	pendingQty map[string]int64       // fulfillment id → units of this line
	committed  int64                  // submitted, shipped or delivered
	unrouted   int64
}

func (s lineState) cancellable() int64 {
	n := s.unrouted
	for _, b := range s.backorders {
		n += b.Remaining()
	}
	for _, q := range s.pendingQty {
		n += q
	}
	return n
}

func cancellableFulfillment(st orderhub.FulfillmentStatus) bool {
	return st == orderhub.FulfillmentPending || st == orderhub.FulfillmentFailed
}

func (a *Allocator) lineStates(ctx context.Context, tx store.Tx, o orderhub.Order) (map[string]*lineState, []orderhub.Fulfillment, error) {
	fs, err := tx.ListFulfillments(ctx, o.ID)
	if err != nil {
		return nil, nil, err
	}
	page, err := tx.ListBackorders(ctx, store.ListBackordersParams{OrderID: o.ID, Limit: 500})
	if err != nil {
		return nil, nil, err
	}
	states := map[string]*lineState{}
	for _, l := range o.Lines {
		states[l.ID] = &lineState{line: l, pendingQty: map[string]int64{}}
	}
	for _, f := range fs {
		for _, fl := range f.Lines {
			s := states[fl.LineID]
			if s == nil || f.Status == orderhub.FulfillmentCancelled {
				continue
			}
			if cancellableFulfillment(f.Status) {
				if s.pendingQty[f.ID] == 0 {
					s.pending = append(s.pending, f)
				}
				s.pendingQty[f.ID] += fl.Quantity
			} else {
				s.committed += fl.Quantity
			}
		}
	}
	for _, b := range page.Backorders {
		if s := states[b.LineID]; s != nil && b.Status.Open() && b.Remaining() > 0 {
			s.backorders = append(s.backorders, b)
		}
	}
	for _, s := range states {
		s.unrouted = s.line.OpenQuantity() - s.committed - s.cancellable()
		if s.unrouted < 0 {
			s.unrouted = 0
		}
	}
	return states, fs, nil
}

// CancelTx is Cancel inside the caller's transaction.
func (a *Allocator) CancelTx(ctx context.Context, tx store.Tx, req CancelRequest) (Refund, error) {
	if len(req.Lines) == 0 {
		return Refund{}, orderhub.Errorf(orderhub.EInvalid, "lines: name at least one line and quantity to cancel")
	}
	o, err := tx.GetOrder(ctx, req.OrderID)
	if err != nil {
		return Refund{}, err
	}
	if o.Status == orderhub.StatusCancelled || o.Status == orderhub.StatusRefunded {
		return Refund{}, orderhub.Errorf(orderhub.EConflict, "order %s is %s; nothing is left to cancel", o.ID, o.Status)
	}
	states, fs, err := a.lineStates(ctx, tx, o)
	if err != nil {
		return Refund{}, err
	}
	// Check every requested line before changing anything.
	want := map[string]int64{}
	for i, lq := range req.Lines {
		s := states[lq.LineID]
		if s == nil {
			return Refund{}, orderhub.Errorf(orderhub.EInvalid, "lines[%d]: order %s has no line %q", i, o.ID, lq.LineID)
		}
		if lq.Quantity <= 0 {
			return Refund{}, orderhub.Errorf(orderhub.EInvalid, "lines[%d]: quantity %d is not positive", i, lq.Quantity)
		}
		want[lq.LineID] += lq.Quantity
		if c := s.cancellable(); want[lq.LineID] > c {
			return Refund{}, orderhub.Errorf(orderhub.EConflict,
				"line %s (%s): cannot cancel %d; %d can be cancelled, %d already submitted or shipped, %d cancelled before",
				lq.LineID, s.line.SKU, want[lq.LineID], c, s.committed, s.line.Cancelled)
		}
	}
	refund := Refund{OrderID: o.ID, Amount: orderhub.Zero(o.Currency), Reason: req.Reason}
	totals := o.Totals
	emptied := map[string]bool{}
	for _, lq := range req.Lines {
		s := states[lq.LineID]
		left := lq.Quantity
		take := func(n int64) int64 {
			if n > left {
				n = left
			}
			left -= n
			return n
		}
		if n := take(s.unrouted); n > 0 {
			s.unrouted -= n
			refund.Moves = append(refund.Moves, CancelledUnits{LineID: s.line.ID, From: "unrouted", Quantity: n})
		}
		for i := range s.backorders {
			b := &s.backorders[i]
			n := take(b.Remaining())
			if n == 0 {
				continue
			}
			p := store.UpdateBackorderParams{ID: b.ID, From: b.Status, Filled: b.Filled, Status: b.Status, Quantity: b.Quantity - n}
			if b.Remaining() == n {
				p.Status = orderhub.BackorderCancelled
				if b.Filled > 0 {
					// Keep what was filled; the rest is gone.
					p.Status = orderhub.BackorderFilled
				}
				if b.Filled == 0 {
					p.Quantity = b.Quantity
				}
			}
			nb, err := tx.UpdateBackorder(ctx, p)
			if err != nil {
				return Refund{}, err
			}
			*b = nb
			refund.Moves = append(refund.Moves, CancelledUnits{LineID: s.line.ID, From: "backorder " + b.ID, Quantity: n})
		}
		for _, f := range s.pending {
			n := take(s.pendingQty[f.ID])
			if n == 0 {
				continue
			}
			if err := tx.RemoveFulfillmentLine(ctx, f.ID, s.line.ID, n); err != nil {
				return Refund{}, err
			}
			s.pendingQty[f.ID] -= n
			if f.SourceKind != orderhub.SourceSupplier {
				if err := tx.Release(ctx, store.StockMove{LocationID: f.SourceID, SKU: s.line.SKU, Quantity: n, Ref: f.ID, Reason: "cancel"}); err != nil {
					return Refund{}, err
				}
			}
			emptied[f.ID] = true
			refund.Moves = append(refund.Moves, CancelledUnits{LineID: s.line.ID, From: "fulfillment " + f.ID, Quantity: n})
		}
		if left != 0 {
			return Refund{}, fmt.Errorf("cancel line %s: %d units unaccounted for", s.line.ID, left)
		}
		rl, err := refundLine(s.line, lq.Quantity, o.TaxesIncluded)
		if err != nil {
			return Refund{}, err
		}
		if err := tx.CancelLineQuantity(ctx, o.ID, s.line.ID, lq.Quantity); err != nil {
			return Refund{}, err
		}
		s.line.Cancelled += lq.Quantity
		refund.Lines = append(refund.Lines, rl)
		if refund.Amount, err = refund.Amount.Add(rl.Amount); err != nil {
			return Refund{}, err
		}
		if totals, err = subtractLine(totals, rl); err != nil {
			return Refund{}, err
		}
	}
	// Fulfillments left with nothing in them are cancelled.
	for _, f := range fs {
		if !emptied[f.ID] {
			continue
		}
		cur, err := tx.GetFulfillment(ctx, f.ID)
		if err != nil {
			return Refund{}, err
		}
		if len(cur.Lines) == 0 {
			if _, err := tx.UpdateFulfillment(ctx, store.UpdateFulfillmentParams{ID: f.ID, Status: orderhub.FulfillmentCancelled}); err != nil {
				return Refund{}, err
			}
		}
	}
	if err := tx.SetOrderTotals(ctx, o.ID, totals); err != nil {
		return Refund{}, err
	}
	refund.Totals = totals
	var parts []string
	for _, rl := range refund.Lines {
		parts = append(parts, fmt.Sprintf("%d × %s (refund %s)", rl.Quantity, rl.SKU, rl.Amount.Display()))
	}
	note := "cancelled " + strings.Join(parts, ", ") + "; total refund " + refund.Amount.Display()
	if req.Reason != "" {
		note += ": " + req.Reason
	}
	ev, err := tx.AddEvent(ctx, orderhub.OrderEvent{OrderID: o.ID, Kind: orderhub.EventCancelled, Actor: actorOr(req.Actor), Note: note, Data: eventData(refund)})
	if err != nil {
		return Refund{}, err
	}
	refund.Events = append(refund.Events, ev.ID)
	st, err := a.syncAfterCancel(ctx, tx, o.ID, req.Reason, actorOr(req.Actor))
	if err != nil {
		return Refund{}, err
	}
	refund.Status = st
	if a.hooks.Cancelled != nil {
		if err := a.hooks.Cancelled(ctx, tx, o, refund); err != nil {
			return Refund{}, err
		}
	}
	return refund, nil
}

func actorOr(s string) string {
	if strings.TrimSpace(s) == "" {
		return "orderhub"
	}
	return s
}

// refundLine computes the refund for q units of l: unit price × q, less
// q's cumulative share of the line discount, plus its share of the tax when
// prices exclude tax. Cumulative shares make repeated partial
// cancellations add up to the line's exact discount and tax.
func refundLine(l orderhub.Line, q int64, taxesIncluded bool) (RefundLine, error) {
	sub, err := l.UnitPrice.Mul(q)
	if err != nil {
		return RefundLine{}, err
	}
	cur := sub.Currency
	disc := l.Discount
	if disc.Currency == "" {
		disc.Currency = cur
	}
	tax := l.Tax
	if tax.Currency == "" {
		tax.Currency = cur
	}
	rl := RefundLine{LineID: l.ID, SKU: l.SKU, Quantity: q, Subtotal: sub,
		Discount: disc.CumulativeShare(l.Cancelled, q, l.Quantity),
		Tax:      tax.CumulativeShare(l.Cancelled, q, l.Quantity)}
	amt, err := sub.Sub(rl.Discount)
	if err != nil {
		return RefundLine{}, err
	}
	if !taxesIncluded {
		if amt, err = amt.Add(rl.Tax); err != nil {
			return RefundLine{}, err
		}
	}
	rl.Amount = amt
	return rl, nil
}

func subtractLine(t orderhub.Totals, rl RefundLine) (orderhub.Totals, error) {
	var err error
	fix := func(m orderhub.Money) orderhub.Money {
		if m.Currency == "" {
			m.Currency = rl.Amount.Currency
		}
		return m
	}
	t.Subtotal, t.Discount, t.Tax, t.Total, t.Refunded = fix(t.Subtotal), fix(t.Discount), fix(t.Tax), fix(t.Total), fix(t.Refunded)
	for _, step := range []struct {
		dst *orderhub.Money
		v   orderhub.Money
		sub bool
	}{{&t.Subtotal, rl.Subtotal, true}, {&t.Discount, rl.Discount, true}, {&t.Tax, rl.Tax, true}, {&t.Total, rl.Amount, true}, {&t.Refunded, rl.Amount, false}} {
		if step.sub {
			*step.dst, err = step.dst.Sub(step.v)
		} else {
			*step.dst, err = step.dst.Add(step.v)
		}
		if err != nil {
			return t, err
		}
	}
	return t, nil
}

// syncAfterCancel cancels the order when nothing of it is left to ship and
// nothing shipped; otherwise it brings the status in step with what has
// shipped.
func (a *Allocator) syncAfterCancel(ctx context.Context, tx store.Tx, orderID, reason, actor string) (orderhub.Status, error) {
	o, err := tx.GetOrder(ctx, orderID)
	if err != nil {
		return "", err
	}
	open := int64(0)
	for _, l := range o.Lines {
		open += l.OpenQuantity()
	}
	if open == 0 && o.Status.CanTransition(orderhub.StatusCancelled) {
		note := "every line cancelled"
		if reason != "" {
			note += ": " + reason
		}
		o, _, err = tx.TransitionOrder(ctx, store.TransitionParams{OrderID: o.ID, To: orderhub.StatusCancelled, Actor: actor, Note: note})
		return o.Status, err
	}
	return a.SyncStatusTx(ctx, tx, orderID, actor)
}

// CancelOrder cancels everything of an order that has not been submitted
// or shipped, as when the platform reports the order cancelled. Units that
// already went out are recorded in the timeline, since they cannot be
// called back.
func (a *Allocator) CancelOrder(ctx context.Context, tx store.Tx, orderID, actor, reason string) error {
	o, err := tx.GetOrder(ctx, orderID)
	if err != nil {
		return err
	}
	if o.Status == orderhub.StatusCancelled || o.Status == orderhub.StatusRefunded {
		return nil
	}
	states, _, err := a.lineStates(ctx, tx, o)
	if err != nil {
		return err
	}
	var req CancelRequest
	var committed int64
	for _, l := range o.Lines {
		s := states[l.ID]
		committed += s.committed
		if c := s.cancellable(); c > 0 {
			req.Lines = append(req.Lines, LineQuantity{LineID: l.ID, Quantity: c})
		}
	}
	if len(req.Lines) > 0 {
		req.OrderID, req.Actor, req.Reason = o.ID, actor, reason
		if _, err := a.CancelTx(ctx, tx, req); err != nil {
			return err
		}
	} else if o.Status.CanTransition(orderhub.StatusCancelled) {
		if _, _, err := tx.TransitionOrder(ctx, store.TransitionParams{OrderID: o.ID, To: orderhub.StatusCancelled, Actor: actor, Note: reason}); err != nil {
			return err
		}
	}
	if committed > 0 {
		_, err := tx.AddEvent(ctx, orderhub.OrderEvent{OrderID: o.ID, Kind: orderhub.EventNote, Actor: actor,
			Note: fmt.Sprintf("order cancelled on the platform, but %d units were already submitted or shipped and cannot be called back", committed)})
		return err
	}
	return nil
}
