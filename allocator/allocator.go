// Package allocator carries out routing decisions in the database: it
// reserves stock for a plan, creates the fulfillments and backorders, fills
// backorders oldest first when stock arrives, cancels unshipped quantities
// with an exact refund, and keeps an order's status in step with its
// fulfillments. Every operation runs in one transaction with its audit
// events and the jobs it causes.
//
// It must not decide where a line goes (package routing does, purely) nor
// talk to a platform (the connectors do). It works through store.Tx only.
package allocator

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"github.com/orderhub/orderhub"
	"github.com/orderhub/orderhub/routing"
	"github.com/orderhub/orderhub/store"
)

// ActorRouting is the actor of the events routing writes.
const ActorRouting = "orderhub-routing"

// Allocator holds the merchant's sources and rules.
type Allocator struct {
	store     store.Store
	engine    *routing.Engine
	locations map[string]orderhub.Location
	suppliers map[string]orderhub.Supplier
	now       func() time.Time
	logger    *slog.Logger
	// maxReplans bounds how often one routing run re-plans after losing a
	// race for stock before it gives up and lets the job retry.
	maxReplans int
	hooks      Hooks
}

// Hooks let other parts add work to the allocator's transactions, such as
// enqueueing write-back jobs; each runs inside the transaction of the change
// it follows, and an error rolls the change back.
type Hooks struct {
	// Routed follows a successful routing of an order.
	Routed func(ctx context.Context, tx store.Tx, o orderhub.Order, res RouteResult) error
	// Progressed follows a change to a fulfillment reported by its source.
	Progressed func(ctx context.Context, tx store.Tx, before, after orderhub.Fulfillment) error
	// Cancelled follows a cancellation of some or all of an order's units.
	Cancelled func(ctx context.Context, tx store.Tx, o orderhub.Order, r Refund) error
	// Filled follows a backorder fill from a restock.
	Filled func(ctx context.Context, tx store.Tx, f Fill) error
}

// Config is what New needs.
type Config struct {
	Store     store.Store
	Locations []orderhub.Location
	Suppliers []orderhub.Supplier
	Rules     routing.Rules
	Now       func() time.Time
	Logger    *slog.Logger
	Hooks     Hooks
}

// New checks the sources and rules and returns an Allocator.
func New(c Config) (*Allocator, error) {
	eng, err := routing.NewEngine(c.Locations, c.Suppliers, c.Rules)
	if err != nil {
		return nil, err
	}
	a := &Allocator{store: c.Store, engine: eng, now: c.Now, logger: c.Logger, maxReplans: 8, hooks: c.Hooks,
		locations: map[string]orderhub.Location{}, suppliers: map[string]orderhub.Supplier{}}
	if a.now == nil {
		a.now = time.Now
	}
	if a.logger == nil {
		a.logger = slog.New(slog.DiscardHandler)
	}
	for _, l := range c.Locations {
		a.locations[l.ID] = l
	}
	for _, s := range c.Suppliers {
		a.suppliers[s.ID] = s
	}
	return a, nil
}

// Engine returns the routing engine, for dry runs.
func (a *Allocator) Engine() *routing.Engine { return a.engine }

// errLostRace marks a reservation that failed because another transaction
// took the stock first; the caller re-plans.
var errLostRace = errors.New("lost a race for stock")

// openShipping returns the open units of o that need shipping: every one
// is placed, backordered or held by routing, and the order is not shipped
// until every one has shipped or been cancelled. A line without a SKU
// counts like any other.
func openShipping(o orderhub.Order) int64 {
	var n int64
	for _, l := range o.Lines {
		if l.RequiresShp && l.OpenQuantity() > 0 {
			n += l.OpenQuantity()
		}
	}
	return n
}

// stockSKUs returns the SKUs whose stock routing o reads: those of its open
// lines that need shipping and name a SKU.
func stockSKUs(o orderhub.Order) []string {
	seen := map[string]bool{}
	var out []string
	for _, l := range o.Lines {
		if l.RequiresShp && l.OpenQuantity() > 0 && l.HasSKU() && !seen[l.SKU] {
			seen[l.SKU] = true
			out = append(out, l.SKU)
		}
	}
	sort.Strings(out)
	return out
}

// RouteResult is what routing an order did.
type RouteResult struct {
	Plan         routing.Plan
	Fulfillments []orderhub.Fulfillment
	Backorders   []orderhub.Backorder
	Replans      int
	Skipped      string // why nothing was done, when nothing was
}

// Route routes a paid order: in one transaction it plans against a fresh
// stock snapshot, reserves the location stock (re-planning if another
// transaction took it first), creates one fulfillment per source and a
// backorder per unfilled quantity, stores the explanations and events,
// moves the order to awaiting_fulfillment and enqueues the fulfillment and
// customer-notice jobs. Routing an order that is not paid, or was routed
// already, does nothing and says why.
func (a *Allocator) Route(ctx context.Context, orderID string) (RouteResult, error) {
	var res RouteResult
	err := a.store.InTx(ctx, func(ctx context.Context, tx store.Tx) error {
		var err error
		res, err = a.RouteTx(ctx, tx, orderID)
		return err
	})
	return res, err
}

// RouteTx is Route inside the caller's transaction.
func (a *Allocator) RouteTx(ctx context.Context, tx store.Tx, orderID string) (RouteResult, error) {
	o, err := tx.GetOrder(ctx, orderID)
	if err != nil {
		return RouteResult{}, err
	}
	if o.Status != orderhub.StatusPaid {
		return RouteResult{Skipped: fmt.Sprintf("order is %s, not paid", o.Status)}, nil
	}
	existing, err := tx.ListFulfillments(ctx, o.ID)
	if err != nil {
		return RouteResult{}, err
	}
	if len(existing) > 0 {
		return RouteResult{Skipped: "order already has fulfillments"}, nil
	}
	skus := stockSKUs(o)
	var res RouteResult
	for attempt := 0; ; attempt++ {
		var levels []orderhub.StockLevel
		if len(skus) > 0 {
			if levels, err = tx.ListStock(ctx, store.ListStockParams{SKUs: skus}); err != nil {
				return res, err
			}
		}
		plan, err := a.engine.PlanOrder(o, routing.NewStock(levels))
		if err != nil {
			return res, fmt.Errorf("plan order %s: %w", o.ID, err)
		}
		done, err := a.reserve(ctx, tx, o, plan)
		if err == nil {
			res.Plan, res.Replans = plan, attempt
			break
		}
		if !errors.Is(err, errLostRace) {
			return res, err
		}
		// Undo this attempt's reservations and plan again on fresh stock.
		for _, r := range done {
			if rerr := tx.Release(ctx, store.StockMove{LocationID: r.LocationID, SKU: r.SKU, Quantity: r.Quantity, Ref: o.ID, Reason: "replan"}); rerr != nil {
				return res, rerr
			}
		}
		if attempt+1 >= a.maxReplans {
			return res, orderhub.Errorf(orderhub.EUnavailable, "order %s lost the race for stock %d times; will retry", o.ID, attempt+1)
		}
	}
	if err := a.apply(ctx, tx, o, res.Plan, &res); err != nil {
		return res, err
	}
	if a.hooks.Routed != nil {
		if err := a.hooks.Routed(ctx, tx, o, res); err != nil {
			return res, err
		}
	}
	return res, nil
}

// SetHooks replaces the allocator's hooks; call it before any work starts.
func (a *Allocator) SetHooks(h Hooks) { a.hooks = h }

// reserve takes the plan's location stock, in a fixed order so concurrent
// routers lock rows alike. It returns what it reserved and errLostRace when
// a guard refused.
func (a *Allocator) reserve(ctx context.Context, tx store.Tx, o orderhub.Order, plan routing.Plan) ([]routing.Reservation, error) {
	var done []routing.Reservation
	for _, r := range plan.Reservations() {
		loc := a.locations[r.LocationID]
		err := tx.Reserve(ctx, store.StockMove{LocationID: r.LocationID, SKU: r.SKU, Quantity: r.Quantity, SafetyStock: loc.SafetyStock, Ref: o.ID, Reason: "route"})
		if orderhub.ErrorCode(err) == orderhub.EConflict {
			return done, errLostRace
		}
		if err != nil {
			return done, err
		}
		done = append(done, r)
	}
	return done, nil
}

func eventData(v any) json.RawMessage {
	b, _ := json.Marshal(v)
	return b
}

// apply stores a reserved plan: fulfillments, backorders, refused units,
// explanations, events, the status change and the jobs.
func (a *Allocator) apply(ctx context.Context, tx store.Tx, o orderhub.Order, plan routing.Plan, res *RouteResult) error {
	for _, sh := range plan.Shipments() {
		f, err := tx.CreateFulfillment(ctx, orderhub.Fulfillment{OrderID: o.ID, ShopID: o.ShopID, SourceKind: sh.SourceKind, SourceID: sh.SourceID, Lines: sh.Lines})
		if err != nil {
			return err
		}
		res.Fulfillments = append(res.Fulfillments, f)
		if _, err := tx.InsertJob(ctx, orderhub.FulfillmentArgs{FulfillmentID: f.ID}, &river.InsertOpts{Queue: QueueFulfillment}); err != nil {
			return err
		}
	}
	paidAt := a.now().UTC()
	if o.PaidAt != nil {
		paidAt = *o.PaidAt
	}
	lineByID := map[string]orderhub.Line{}
	for _, l := range o.Lines {
		lineByID[l.ID] = l
	}
	var notice orderhub.BackorderNoticeArgs
	var refused []LineQuantity
	for _, lp := range plan.Lines {
		if lp.Backordered > 0 {
			eta, source := a.estimate(lp.SKU)
			b := orderhub.Backorder{OrderID: o.ID, ShopID: o.ShopID, LineID: lp.LineID, SKU: lp.SKU, Quantity: lp.Backordered, PaidAt: paidAt, ETA: eta}
			b, err := tx.CreateBackorder(ctx, b)
			if err != nil {
				return err
			}
			res.Backorders = append(res.Backorders, b)
			item := orderhub.BackorderNoticeItem{BackorderID: b.ID, LineID: lp.LineID, SKU: lp.SKU, Name: lineByID[lp.LineID].Name, Quantity: lp.Backordered, ETASource: source}
			if eta != nil {
				item.ETA = eta.Format("2006-01-02")
			}
			notice.Items = append(notice.Items, item)
			note := fmt.Sprintf("%d × %s backordered: %s", lp.Backordered, lp.SKU, lp.ShortReason)
			if item.ETA != "" {
				note += fmt.Sprintf("; estimated %s (%s)", item.ETA, source)
			}
			if _, err := tx.AddEvent(ctx, orderhub.OrderEvent{OrderID: o.ID, Kind: orderhub.EventBackorder, Actor: ActorRouting, Note: note, Data: eventData(b)}); err != nil {
				return err
			}
		}
		if lp.Unfilled > 0 {
			refused = append(refused, LineQuantity{LineID: lp.LineID, Quantity: lp.Unfilled})
		}
		if lp.Held > 0 {
			// Nothing can place these units: they stay open on the order,
			// which cannot be fulfilled until the operator ships them by
			// hand or cancels them, and the timeline says so.
			l := lineByID[lp.LineID]
			note := fmt.Sprintf("%d × %q (%s) held: %s; ship by hand or cancel the line", lp.Held, l.Name, skuOrNone(lp.SKU), lp.ShortReason)
			data := eventData(HeldUnits{LineID: lp.LineID, SKU: lp.SKU, Name: l.Name, Quantity: lp.Held, Reason: lp.ShortReason})
			if _, err := tx.AddEvent(ctx, orderhub.OrderEvent{OrderID: o.ID, Kind: orderhub.EventHeld, Actor: ActorRouting, Note: note, Data: data}); err != nil {
				return err
			}
		}
	}
	ex := plan.Explanations()
	if err := tx.SetExplanations(ctx, o.ID, ex); err != nil {
		return err
	}
	var summary []string
	for _, e := range ex {
		summary = append(summary, skuOrNone(e.SKU)+": "+e.Summary)
	}
	t := plan.Totals()
	note := fmt.Sprintf("routed %d units: %d from own stock, %d dropshipped, %d backordered, %d refused, %d held, in %d shipment(s)",
		t.Open, t.Allocated, t.Dropshipped, t.Backordered, t.Unfilled, t.Held, len(res.Fulfillments))
	if t.NotShipped > 0 {
		note += fmt.Sprintf("; %d left out (no shipping needed)", t.NotShipped)
	}
	note += ". " + strings.Join(summary, "; ")
	if _, err := tx.AddEvent(ctx, orderhub.OrderEvent{OrderID: o.ID, Kind: orderhub.EventRouted, Actor: ActorRouting, Note: note, Data: eventData(ex)}); err != nil {
		return err
	}
	if len(notice.Items) > 0 {
		notice.OrderID = o.ID
		if _, err := tx.InsertJob(ctx, notice, &river.InsertOpts{Queue: QueueNotices}); err != nil {
			return err
		}
	}
	if _, _, err := tx.TransitionOrder(ctx, store.TransitionParams{OrderID: o.ID, From: orderhub.StatusPaid, To: orderhub.StatusAwaitingFulfillment, Actor: ActorRouting, Note: "routed"}); err != nil {
		return err
	}
	if len(refused) > 0 {
		// Backorders are denied: the units nobody can ship are cancelled and
		// refunded rather than dropped silently.
		if _, err := a.CancelTx(ctx, tx, CancelRequest{OrderID: o.ID, Lines: refused, Reason: "out of stock and backorders are denied", Actor: ActorRouting}); err != nil {
			return fmt.Errorf("cancel refused units: %w", err)
		}
	}
	return nil
}

// HeldUnits is the data of a "held" event: units of a line that routing
// could place nowhere, waiting for the operator.
type HeldUnits struct {
	LineID   string `json:"line_id"`
	SKU      string `json:"sku"`
	Name     string `json:"name"`
	Quantity int64  `json:"quantity"`
	Reason   string `json:"reason"`
}

// skuOrNone names a SKU in a note, or says there is none.
func skuOrNone(sku string) string {
	if strings.TrimSpace(sku) == "" {
		return "no SKU"
	}
	return sku
}

// estimate returns when a backordered SKU is likely to ship: the fastest
// supplier's lead time when one carries it.
func (a *Allocator) estimate(sku string) (*time.Time, string) {
	best := -1
	for _, id := range sortedKeys(a.suppliers) {
		if s, ok := a.suppliers[id].SKUs[sku]; ok && (best < 0 || s.LeadDays < best) {
			best = s.LeadDays
		}
	}
	if best < 0 {
		return nil, ""
	}
	t := a.now().UTC().AddDate(0, 0, best).Truncate(24 * time.Hour)
	return &t, "supplier lead time"
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Queues the allocator's jobs go to.
const (
	QueueFulfillment = "fulfillment"
	QueueNotices     = "notices"
)
