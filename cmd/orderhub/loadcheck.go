package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/riverqueue/river/rivertype"

	"github.com/orderhub/orderhub"
	"github.com/orderhub/orderhub/config"
	"github.com/orderhub/orderhub/store"
)

// loadCheck is one invariant checked after a load run.
type loadCheck struct {
	Name   string
	OK     bool
	Detail string
}

// loadOrders reads every order of the hub, by shop and external id.
func loadOrders(ctx context.Context, st store.Store) (map[[2]string][]orderhub.Order, error) {
	out := map[[2]string][]orderhub.Order{}
	p := store.ListOrdersParams{Limit: 500}
	for {
		page, err := st.ListOrders(ctx, p)
		if err != nil {
			return nil, err
		}
		for _, o := range page.Orders {
			k := [2]string{o.ShopID, o.ExternalID}
			out[k] = append(out[k], o)
		}
		if page.Next == "" {
			return out, nil
		}
		p.After = page.Next
	}
}

// orderSpan is one acknowledged order's way from its first delivery to
// its routing; Routed is zero when it was never routed.
type orderSpan struct {
	Sent, Routed time.Time
}

// routedLatencies waits until every acknowledged order has been routed
// (it left paid), at most within, and returns each one's time from its
// first delivery to entering its routed status, sorted, the time of the
// last routing, how many were never routed, and every acknowledged
// order's span.
func routedLatencies(ctx context.Context, st store.Store, stats *loadStats, within time.Duration) ([]time.Duration, time.Time, int, []orderSpan, error) {
	deadline := time.Now().Add(within)
	var lastFull time.Time
	var fullTook time.Duration
	for {
		// Reading every order is costly and would weigh on the hub: do it
		// when nothing looks busy any more, or every few seconds.
		if quiet, err := routingQuiet(ctx, st); err != nil {
			return nil, time.Time{}, 0, nil, err
		} else if !quiet && time.Since(lastFull) < max(5*time.Second, 20*fullTook) && time.Now().Before(deadline) {
			select {
			case <-ctx.Done():
				return nil, time.Time{}, 0, nil, ctx.Err()
			case <-time.After(250 * time.Millisecond):
			}
			continue
		}
		lastFull = time.Now()
		orders, err := loadOrders(ctx, st)
		fullTook = time.Since(lastFull)
		if err != nil {
			return nil, time.Time{}, 0, nil, err
		}
		var lat []time.Duration
		var spans []orderSpan
		var last time.Time
		waiting := 0
		for _, lo := range stats.Orders {
			if !lo.Acked() {
				continue
			}
			os := orders[[2]string{lo.Shop, lo.ExternalID}]
			if len(os) == 0 || !routed(os[0].Status) {
				waiting++
				spans = append(spans, orderSpan{Sent: lo.FirstSent})
				continue
			}
			spans = append(spans, orderSpan{Sent: lo.FirstSent, Routed: os[0].StatusChanged})
			lat = append(lat, os[0].StatusChanged.Sub(lo.FirstSent))
			if os[0].StatusChanged.After(last) {
				last = os[0].StatusChanged
			}
		}
		if waiting == 0 || time.Now().After(deadline) {
			slices.Sort(lat)
			return lat, last, waiting, spans, nil
		}
		select {
		case <-ctx.Done():
			return nil, last, waiting, nil, ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// killRecovery is how the orders a kill touched fared: those in flight
// when it came (first sent before it, not yet routed) and those first sent
// after it, until the next kill.
type killRecovery struct {
	At       time.Time
	Orders   int
	Unrouted int
	P99, Max time.Duration // webhook to routed; unrouted orders count as endless
}

// killRecoveries measures each kill's orders from the spans of a run.
func killRecoveries(kills []time.Time, spans []orderSpan) []killRecovery {
	out := make([]killRecovery, len(kills))
	for k, at := range kills {
		next := time.Time{}
		if k+1 < len(kills) {
			next = kills[k+1]
		}
		var lat []time.Duration
		r := killRecovery{At: at}
		for _, sp := range spans {
			if !next.IsZero() && !sp.Sent.Before(next) || !sp.Routed.IsZero() && !sp.Routed.After(at) {
				continue
			}
			r.Orders++
			if sp.Routed.IsZero() {
				r.Unrouted++
				lat = append(lat, time.Duration(math.MaxInt64))
				continue
			}
			lat = append(lat, sp.Routed.Sub(sp.Sent))
		}
		slices.Sort(lat)
		r.P99, r.Max = percentile(lat, 0.99), percentile(lat, 1)
		out[k] = r
	}
	return out
}

// routingQuiet reports whether no intake or routing job is waiting or
// running.
func routingQuiet(ctx context.Context, st store.Store) (bool, error) {
	busy := []rivertype.JobState{rivertype.JobStateAvailable, rivertype.JobStateRunning, rivertype.JobStatePending, rivertype.JobStateRetryable}
	for _, k := range []string{orderhub.RouteOrderArgs{}.Kind(), orderhub.ProcessReceiptsArgs{}.Kind()} {
		n, err := st.Queue().CountJobs(ctx, k, busy...)
		if err != nil || n > 0 {
			return false, err
		}
	}
	return true, nil
}

func routed(s orderhub.Status) bool {
	switch s {
	case orderhub.StatusPending, orderhub.StatusPaymentProcessing, orderhub.StatusPaid:
		return false
	}
	return true
}

// checkLoad checks what a load run must leave behind: every acknowledged
// order stored once and routed exactly once, each line's units accounted
// for, stock conserved and never oversold, and no write-back done twice on
// the platforms' fakes.
func checkLoad(ctx context.Context, st store.Store, world *fakeWorld, stats *loadStats) ([]loadCheck, error) {
	orders, err := loadOrders(ctx, st)
	if err != nil {
		return nil, err
	}
	var checks []loadCheck
	add := func(name string, problems []string, ok string) {
		c := loadCheck{Name: name, OK: len(problems) == 0, Detail: ok}
		if !c.OK {
			c.Detail = fmt.Sprintf("%d problem(s): %s", len(problems), strings.Join(problems[:min(len(problems), 5)], "; "))
		}
		checks = append(checks, c)
	}

	// 1. Every acknowledged webhook is an order, stored once.
	var problems []string
	acked, unacked := 0, 0
	for _, lo := range stats.Orders {
		n := len(orders[[2]string{lo.Shop, lo.ExternalID}])
		if !lo.Acked() {
			if n > 0 {
				unacked++ // stored, but the answer was lost with a killed instance
			}
			continue
		}
		acked++
		if n != 1 {
			problems = append(problems, fmt.Sprintf("%s order %s stored %d times", lo.Platform, lo.ExternalID, n))
		}
	}
	detail := fmt.Sprintf("%d acknowledged orders, each stored once", acked)
	if unacked > 0 {
		detail += fmt.Sprintf("; %d more stored whose answer was lost", unacked)
	}
	add("every acknowledged webhook is an order", problems, detail)

	// 2. Routed exactly once, with every unit of every line placed once.
	problems = nil
	open := map[[2]string]int64{} // reserved by open fulfillments, by location and SKU
	events, placed := 0, 0
	shipped := map[string]int{} // fulfillments with tracking or shipped, by order: what may be written back
	var all []orderhub.Order
	for _, os := range orders {
		all = append(all, os...)
	}
	for _, o := range all {
		evs, err := st.ListEvents(ctx, o.ID)
		if err != nil {
			return nil, err
		}
		n := 0
		for _, e := range evs {
			if e.Kind == orderhub.EventRouted {
				n++
			}
		}
		events += n
		if routed(o.Status) && n != 1 || !routed(o.Status) && n != 0 {
			problems = append(problems, fmt.Sprintf("order %s (%s) has %d routed events", o.ID, o.Status, n))
		}
		fs, err := st.ListFulfillments(ctx, o.ID)
		if err != nil {
			return nil, err
		}
		units := map[string]int64{}
		for _, f := range fs {
			if f.TrackingNumber != "" || f.Status == orderhub.FulfillmentShipped || f.Status == orderhub.FulfillmentDelivered {
				shipped[o.ID]++
			}
			if f.Status == orderhub.FulfillmentCancelled || f.Status == orderhub.FulfillmentFailed {
				continue
			}
			for _, l := range f.Lines {
				units[l.LineID] += l.Quantity
				if f.SourceKind != orderhub.SourceSupplier && (f.Status == orderhub.FulfillmentPending || f.Status == orderhub.FulfillmentSubmitted) {
					open[[2]string{f.SourceID, l.SKU}] += l.Quantity
				}
			}
		}
		bp, err := st.ListBackorders(ctx, store.ListBackordersParams{OrderID: o.ID, Limit: 500})
		if err != nil {
			return nil, err
		}
		for _, b := range bp.Backorders {
			if b.Status.Open() {
				units[b.LineID] += b.Remaining()
			}
		}
		if !routed(o.Status) {
			continue
		}
		for _, l := range o.Lines {
			if !l.RequiresShp {
				continue
			}
			placed++
			if units[l.ID] != l.OpenQuantity() {
				problems = append(problems, fmt.Sprintf("order %s line %s: %d of %d units placed", o.ID, l.SKU, units[l.ID], l.OpenQuantity()))
			}
		}
	}
	add("every order routed exactly once, every unit placed once", problems,
		fmt.Sprintf("%d orders, %d routed events, %d lines each shipped, backordered or cancelled exactly", len(all), events, placed))

	// 3. Inventory conservation: the stock rows agree with the ledger of
	// movements, reserved agrees with the open fulfillments, nothing is
	// oversold.
	problems = nil
	var ledger, levels []orderhub.StockLevel
	err = st.InTx(ctx, func(ctx context.Context, tx store.Tx) error {
		var err error
		if ledger, err = tx.StockLedger(ctx); err != nil {
			return err
		}
		levels, err = tx.ListStock(ctx, store.ListStockParams{})
		return err
	})
	if err != nil {
		return nil, err
	}
	byKey := map[[2]string]orderhub.StockLevel{}
	for _, l := range ledger {
		byKey[[2]string{l.LocationID, l.SKU}] = l
	}
	for _, l := range levels {
		k := [2]string{l.LocationID, l.SKU}
		if g := byKey[k]; g.OnHand != l.OnHand || g.Reserved != l.Reserved {
			problems = append(problems, fmt.Sprintf("%s/%s: stock %d on hand %d reserved, ledger %d/%d", l.LocationID, l.SKU, l.OnHand, l.Reserved, g.OnHand, g.Reserved))
		}
		if l.Reserved != open[k] {
			problems = append(problems, fmt.Sprintf("%s/%s: %d reserved, open fulfillments hold %d", l.LocationID, l.SKU, l.Reserved, open[k]))
		}
		if l.Reserved < 0 || l.Reserved > l.OnHand {
			problems = append(problems, fmt.Sprintf("%s/%s oversold: %d reserved of %d on hand", l.LocationID, l.SKU, l.Reserved, l.OnHand))
		}
		delete(open, k)
	}
	for k, q := range open {
		problems = append(problems, fmt.Sprintf("%s/%s: open fulfillments hold %d with no stock row", k[0], k[1], q))
	}
	add("inventory conserved and never oversold", problems,
		fmt.Sprintf("%d location/SKU rows: on hand and reserved match the ledger and the open fulfillments", len(levels)))

	// 4. No write-back twice on the platforms.
	problems, detail = writeBackDuplicates(world, all, shipped)
	add("no duplicate write-back on the platforms", problems, detail)
	return checks, nil
}

// writeBackDuplicates looks at what the fakes hold for the orders: each
// "[orderhub …]" note marker once, no more platform fulfillments or
// shipments than orderhub has, and each tracking item once.
func writeBackDuplicates(world *fakeWorld, orders []orderhub.Order, shipped map[string]int) ([]string, string) {
	var problems []string
	notes, shipments := 0, 0
	for _, o := range orders {
		id, err := strconv.ParseInt(o.ExternalID, 10, 64)
		if err != nil {
			continue
		}
		var texts []string
		got := 0
		switch o.Platform {
		case config.PlatformShopify:
			f := world.shopify[o.ShopID]
			if f == nil {
				continue
			}
			if raw, ok := f.Order(id); ok {
				var v struct {
					Note string `json:"note"`
				}
				_ = json.Unmarshal(raw, &v)
				texts = append(texts, v.Note)
			}
			got = len(f.FulfillmentsOf(id))
		case config.PlatformWooCommerce:
			f := world.woo[o.ShopID]
			if f == nil {
				continue
			}
			for _, n := range f.Notes(id) {
				texts = append(texts, n.Note)
			}
			seen := map[string]int{}
			for _, t := range f.Trackings(id) {
				seen[t.TrackingNumber]++
				if seen[t.TrackingNumber] == 2 {
					problems = append(problems, fmt.Sprintf("woocommerce order %d: tracking %s added twice", id, t.TrackingNumber))
				}
			}
			got = len(seen)
		case config.PlatformBigCommerce:
			f := world.bc[o.ShopID]
			if f == nil {
				continue
			}
			if raw, _, _, ok := f.Order(id); ok {
				var v struct {
					StaffNotes string `json:"staff_notes"`
				}
				_ = json.Unmarshal(raw, &v)
				texts = append(texts, v.StaffNotes)
			}
			got = len(f.Shipments(id))
		}
		markers := map[string]int{}
		for _, t := range texts {
			for _, m := range noteMarkers(t) {
				markers[m]++
			}
		}
		for m, n := range markers {
			notes++
			if n > 1 {
				problems = append(problems, fmt.Sprintf("%s order %d: note %s written %d times", o.Platform, id, m, n))
			}
		}
		shipments += got
		if got > shipped[o.ID] {
			problems = append(problems, fmt.Sprintf("%s order %d: %d shipments on the platform for %d tracked or shipped", o.Platform, id, got, shipped[o.ID]))
		}
	}
	return problems, fmt.Sprintf("%d notes each written once; %d fulfillments, shipments or tracking items on the platforms", notes, shipments)
}

// noteMarkers returns the "[orderhub …]" markers in text, in order.
func noteMarkers(text string) []string {
	var out []string
	for {
		i := strings.Index(text, "[orderhub ")
		if i < 0 {
			return out
		}
		j := strings.IndexByte(text[i:], ']')
		if j < 0 {
			return out
		}
		out = append(out, text[i:i+j+1])
		text = text[i+j+1:]
	}
}
