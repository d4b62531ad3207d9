package sqlcore

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/orderhub/orderhub"
	"github.com/orderhub/orderhub/store"
)

// Receipt claims: defaults and bounds.
const (
	defaultClaimLimit = 100
	maxClaimLimit     = 1000
	defaultLease      = 5 * time.Minute
)

// InsertReceipt implements store.Tx.
func (c *Core) InsertReceipt(ctx context.Context, p store.InsertReceiptParams) (store.Receipt, error) {
	rs, errs, err := c.InsertReceipts(ctx, []store.InsertReceiptParams{p})
	if err != nil {
		return store.Receipt{}, err
	}
	return rs[0], errs[0]
}

// newReceipt validates p and builds its pending receipt.
func newReceipt(p store.InsertReceiptParams, now time.Time) (store.Receipt, error) {
	switch {
	case p.Platform == "":
		return store.Receipt{}, orderhub.Errorf(orderhub.EInvalid, "receipt has no platform")
	case p.ShopID == "":
		return store.Receipt{}, orderhub.Errorf(orderhub.EInvalid, "receipt has no shop")
	case p.DedupeKey == "":
		return store.Receipt{}, orderhub.Errorf(orderhub.EInvalid, "receipt has no dedupe key")
	}
	r := store.Receipt{
		ID: NewID(), Platform: p.Platform, ShopID: p.ShopID, DedupeKey: p.DedupeKey, Topic: p.Topic,
		Headers: p.Headers, Body: p.Body, BodySize: len(p.Body), Status: store.ReceiptPending,
		NextAttemptAt: now, ReceivedAt: now,
	}
	if r.Headers == nil {
		r.Headers = map[string]string{}
	}
	if r.Body == nil {
		r.Body = []byte{}
	}
	if !p.TriggeredAt.IsZero() {
		t := p.TriggeredAt.UTC().Truncate(time.Microsecond)
		r.TriggeredAt = &t
	}
	return r, nil
}

func alreadyStored(r store.Receipt) error {
	return orderhub.Errorf(orderhub.EConflict, "%s receipt %s of shop %s is already stored", r.Platform, r.DedupeKey, r.ShopID)
}

// InsertReceipts implements store.IntakeTx. Where the dialect has
// IntakeInsertReceipts (PostgreSQL: one INSERT over arrays) the receipts
// go in one round trip; elsewhere one INSERT each, which costs nothing
// more in-process (SQLite). Either way the drain is armed once.
func (c *Core) InsertReceipts(ctx context.Context, ps []store.InsertReceiptParams) ([]store.Receipt, []error, error) {
	now := c.now().UTC().Truncate(time.Microsecond)
	rs := make([]store.Receipt, len(ps))
	errs := make([]error, len(ps))
	var todo []int
	for i, p := range ps {
		if rs[i], errs[i] = newReceipt(p, now); errs[i] == nil {
			todo = append(todo, i)
		}
	}
	if len(todo) == 0 {
		return rs, errs, nil
	}
	err := c.write(ctx, func(tc *Core) error {
		inserted := 0
		if batch, ok := tc.d.Queries["IntakeInsertReceipts"]; ok && len(todo) > 1 {
			var ids, platforms, shops, keys, topics, headers []string
			var bodies [][]byte
			var triggered []*int64
			for _, i := range todo {
				r := rs[i]
				ids, platforms, shops, keys = append(ids, r.ID), append(platforms, r.Platform), append(shops, r.ShopID), append(keys, r.DedupeKey)
				topics, headers = append(topics, r.Topic), append(headers, mustJSON(r.Headers))
				bodies, triggered = append(bodies, r.Body), append(triggered, nullMicros(r.TriggeredAt))
			}
			rows, err := tc.q.Query(ctx, batch, ids, platforms, shops, keys, topics, headers, bodies, triggered, micros(now))
			if err != nil {
				return tc.mapErr(err)
			}
			stored := map[string]bool{}
			for rows.Next() {
				var id string
				if err := rows.Scan(&id); err != nil {
					rows.Close()
					return tc.mapErr(err)
				}
				stored[id] = true
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return tc.mapErr(err)
			}
			for _, i := range todo {
				if stored[rs[i].ID] {
					inserted++
				} else {
					errs[i] = alreadyStored(rs[i])
				}
			}
		} else {
			for _, i := range todo {
				r := rs[i]
				var id string
				err := tc.q.QueryRow(ctx, tc.sql("IntakeInsertReceipt"), r.ID, r.Platform, r.ShopID, r.DedupeKey, r.Topic,
					mustJSON(r.Headers), r.Body, micros(now), nullMicros(r.TriggeredAt)).Scan(&id)
				switch {
				case err == nil:
					inserted++
				case tc.d.IsNoRows(err): // ON CONFLICT DO NOTHING: already stored
					errs[i] = alreadyStored(r)
				default:
					return tc.mapErr(err)
				}
			}
		}
		if inserted == 0 {
			return nil
		}
		return tc.armDrain(ctx)
	})
	if err != nil {
		return nil, nil, fmt.Errorf("insert receipts: %w", err)
	}
	for i := range rs {
		if errs[i] != nil {
			rs[i] = store.Receipt{}
		}
	}
	return rs, errs, nil
}

func (c *Core) armDrain(ctx context.Context) error {
	n, err := c.q.Exec(ctx, c.sql("IntakeArmDrain"))
	if err != nil {
		return c.mapErr(err)
	}
	if n == 0 {
		return nil // a drain job is on its way and will see this receipt
	}
	_, err = c.InsertJob(ctx, orderhub.ProcessReceiptsArgs{}, nil)
	return err
}

// FinishDrain implements store.Tx.
func (c *Core) FinishDrain(ctx context.Context) (bool, error) {
	idle := false
	err := c.write(ctx, func(tc *Core) error {
		var due int64
		if err := tc.q.QueryRow(ctx, tc.sql("IntakeAnyDue"), micros(tc.now())).Scan(&due); err != nil {
			return tc.mapErr(err)
		}
		if idle = due == 0; !idle {
			return nil
		}
		_, err := tc.q.Exec(ctx, tc.sql("IntakeDisarmDrain"))
		return tc.mapErr(err)
	})
	return idle, err
}

func (c *Core) scanReceipt(row Row) (store.Receipt, error) {
	var r store.Receipt
	var headers, status string
	var size, attempts, next, received int64
	var triggered, processed *int64
	err := row.Scan(&r.ID, &r.Platform, &r.ShopID, &r.DedupeKey, &r.Topic, &headers, &r.Body, &size, &status, &attempts,
		&next, &r.LastError, &r.Outcome, &r.OrderID, &received, &triggered, &processed)
	if err != nil {
		return r, err
	}
	if err := json.Unmarshal([]byte(headers), &r.Headers); err != nil {
		return r, fmt.Errorf("receipt %s: decode stored headers: %w", r.ID, err)
	}
	if r.Body == nil {
		r.Body = []byte{}
	}
	r.BodySize = int(size)
	r.Status = store.ReceiptStatus(status)
	r.Attempts = int(attempts)
	r.NextAttemptAt = fromMicros(next)
	r.ReceivedAt = fromMicros(received)
	if triggered != nil {
		t := fromMicros(*triggered)
		r.TriggeredAt = &t
	}
	if processed != nil {
		t := fromMicros(*processed)
		r.ProcessedAt = &t
	}
	return r, nil
}

// GetReceipt implements store.Tx.
func (c *Core) GetReceipt(ctx context.Context, id string) (store.Receipt, error) {
	r, err := c.scanReceipt(c.q.QueryRow(ctx, c.sql("IntakeGetReceipt"), id))
	if err != nil {
		if c.d.IsNoRows(err) {
			return store.Receipt{}, orderhub.Errorf(orderhub.ENotFound, "receipt %s not found", id)
		}
		return store.Receipt{}, c.mapErr(err)
	}
	return r, nil
}

// ClaimReceipts implements store.Tx.
func (c *Core) ClaimReceipts(ctx context.Context, p store.ClaimReceiptsParams) ([]store.Receipt, error) {
	limit := p.Limit
	switch {
	case limit <= 0:
		limit = defaultClaimLimit
	case limit > maxClaimLimit:
		limit = maxClaimLimit
	}
	lease := p.Lease
	if lease <= 0 {
		lease = defaultLease
	}
	claimant := p.Claimant
	if claimant == "" {
		claimant = c.process
	}
	now := c.now().UTC()
	var out []store.Receipt
	err := c.write(ctx, func(tc *Core) error {
		out = out[:0]
		rows, err := tc.q.Query(ctx, tc.sql("IntakeClaimReceipts"), micros(now), micros(now.Add(lease)), limit, claimant)
		if err != nil {
			return tc.mapErr(err)
		}
		defer rows.Close()
		for rows.Next() {
			r, err := tc.scanReceipt(rows)
			if err != nil {
				return err
			}
			out = append(out, r)
		}
		return tc.mapErr(rows.Err())
	})
	if err != nil {
		return nil, fmt.Errorf("claim receipts: %w", err)
	}
	// RETURNING gives no order; ids are time-ordered, so this is oldest first.
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// CompleteReceipt implements store.Tx.
func (c *Core) CompleteReceipt(ctx context.Context, p store.CompleteReceiptParams) error {
	return c.write(ctx, func(tc *Core) error {
		n, err := tc.q.Exec(ctx, tc.sql("IntakeCompleteReceipt"), p.ID, p.Outcome, p.OrderID, micros(tc.now()))
		if err != nil {
			return tc.mapErr(err)
		}
		if n == 0 {
			return orderhub.Errorf(orderhub.ENotFound, "receipt %s not found", p.ID)
		}
		return nil
	})
}

// FailReceipt implements store.Tx.
func (c *Core) FailReceipt(ctx context.Context, p store.FailReceiptParams) (store.Receipt, error) {
	status := store.ReceiptFailed
	retry := p.RetryAt
	if p.Dead {
		status = store.ReceiptDead
		retry = c.now()
	}
	var out store.Receipt
	err := c.write(ctx, func(tc *Core) error {
		n, err := tc.q.Exec(ctx, tc.sql("IntakeFailReceipt"), p.ID, string(status), p.Error, micros(retry))
		if err != nil {
			return tc.mapErr(err)
		}
		if n == 0 {
			return orderhub.Errorf(orderhub.ENotFound, "receipt %s not found", p.ID)
		}
		out, err = tc.GetReceipt(ctx, p.ID)
		return err
	})
	return out, err
}

// ListReceipts implements store.Tx.
func (c *Core) ListReceipts(ctx context.Context, p store.ListReceiptsParams) (store.ReceiptPage, error) {
	limit := store.ListLimit(p.Limit)
	rows, err := c.q.Query(ctx, c.sql("IntakeListReceipts"),
		string(p.Status), p.ShopIDs == nil, mustJSON(nonNil(p.ShopIDs)), p.After, limit+1)
	if err != nil {
		return store.ReceiptPage{}, c.mapErr(err)
	}
	defer rows.Close()
	var page store.ReceiptPage
	for rows.Next() {
		r, err := c.scanReceipt(rows)
		if err != nil {
			return store.ReceiptPage{}, err
		}
		r.Body = nil
		page.Receipts = append(page.Receipts, r)
	}
	if err := rows.Err(); err != nil {
		return store.ReceiptPage{}, c.mapErr(err)
	}
	if len(page.Receipts) > limit {
		page.Receipts = page.Receipts[:limit]
		page.Next = page.Receipts[limit-1].ID
	}
	return page, nil
}

// ListDeadReceipts implements store.Tx.
func (c *Core) ListDeadReceipts(ctx context.Context, p store.ListReceiptsParams) (store.ReceiptPage, error) {
	p.Status = store.ReceiptDead
	return c.ListReceipts(ctx, p)
}

// ReplayReceipt implements store.Tx.
func (c *Core) ReplayReceipt(ctx context.Context, id string) (store.Receipt, error) {
	var out store.Receipt
	err := c.write(ctx, func(tc *Core) error {
		n, err := tc.q.Exec(ctx, tc.sql("IntakeReplayReceipt"), id, micros(tc.now()))
		if err != nil {
			return tc.mapErr(err)
		}
		if n == 0 {
			var status string
			if err := tc.q.QueryRow(ctx, tc.sql("IntakeGetReceiptStatus"), id).Scan(&status); err != nil {
				if tc.d.IsNoRows(err) {
					return orderhub.Errorf(orderhub.ENotFound, "receipt %s not found", id)
				}
				return tc.mapErr(err)
			}
			return orderhub.Errorf(orderhub.EConflict, "receipt %s is %s: only dead or failed receipts can be replayed", id, status)
		}
		if err := tc.armDrain(ctx); err != nil {
			return err
		}
		out, err = tc.GetReceipt(ctx, id)
		return err
	})
	return out, err
}

// GetReconcileCursor implements store.Tx.
func (c *Core) GetReconcileCursor(ctx context.Context, shopID string) (time.Time, error) {
	var at int64
	if err := c.q.QueryRow(ctx, c.sql("IntakeGetCursor"), shopID).Scan(&at); err != nil {
		if c.d.IsNoRows(err) {
			return time.Time{}, nil
		}
		return time.Time{}, c.mapErr(err)
	}
	return fromMicros(at), nil
}

// SetReconcileCursor implements store.Tx.
func (c *Core) SetReconcileCursor(ctx context.Context, shopID string, at time.Time) error {
	if shopID == "" {
		return orderhub.Errorf(orderhub.EInvalid, "cursor has no shop")
	}
	return c.write(ctx, func(tc *Core) error {
		_, err := tc.q.Exec(ctx, tc.sql("IntakeSetCursor"), shopID, micros(at), micros(tc.now()))
		return tc.mapErr(err)
	})
}

// routedStatus reports whether only routing (or what follows it) moves an
// order into s.
func routedStatus(s orderhub.Status) bool {
	switch s {
	case orderhub.StatusAwaitingFulfillment, orderhub.StatusPartiallyFulfilled, orderhub.StatusFulfilled,
		orderhub.StatusDelivered, orderhub.StatusRefunded:
		return true
	}
	return false
}

// OrderHasRoutedWork implements store.Tx.
func (c *Core) OrderHasRoutedWork(ctx context.Context, orderID string) (bool, error) {
	var status string
	if err := c.q.QueryRow(ctx, c.sql("GetOrderStatus"), orderID).Scan(&status); err != nil {
		if c.d.IsNoRows(err) {
			return false, orderhub.Errorf(orderhub.ENotFound, "order %s not found", orderID)
		}
		return false, c.mapErr(err)
	}
	if routedStatus(orderhub.Status(status)) {
		return true, nil
	}
	return c.hasFulfillmentsOrBackorders(ctx, orderID)
}

func (c *Core) hasFulfillmentsOrBackorders(ctx context.Context, orderID string) (bool, error) {
	var n int64
	if err := c.q.QueryRow(ctx, c.sql("IntakeRoutedWork"), orderID).Scan(&n); err != nil {
		return false, c.mapErr(err)
	}
	return n != 0, nil
}

// UpsertPlatformOrder implements store.Tx.
func (c *Core) UpsertPlatformOrder(ctx context.Context, p store.UpsertPlatformOrderParams) (store.UpsertPlatformOrderResult, error) {
	o := p.Order
	if o.Platform == "" {
		return store.UpsertPlatformOrderResult{}, orderhub.Errorf(orderhub.EInvalid, "order has no platform")
	}
	if o.Status == "" {
		return store.UpsertPlatformOrderResult{}, orderhub.Errorf(orderhub.EInvalid, "order %s has no status", o.ExternalID)
	}
	if err := validateOrder(o); err != nil {
		return store.UpsertPlatformOrderResult{}, err
	}
	actor := p.Actor
	if actor == "" {
		actor = o.Platform
	}
	var res store.UpsertPlatformOrderResult
	err := c.write(ctx, func(tc *Core) error {
		res = store.UpsertPlatformOrderResult{}
		var id string
		err := tc.q.QueryRow(ctx, tc.sql("IntakeLockOrder"), o.ShopID, o.ExternalID).Scan(&id)
		switch {
		case err != nil && tc.d.IsNoRows(err):
			return tc.createPlatformOrder(ctx, p, actor, &res)
		case err != nil:
			return tc.mapErr(err)
		}
		cur, err := tc.GetOrder(ctx, id)
		if err != nil {
			return err
		}
		return tc.updatePlatformOrder(ctx, p, actor, cur, &res)
	})
	if err != nil {
		return store.UpsertPlatformOrderResult{}, fmt.Errorf("upsert %s order %s of shop %s: %w", o.Platform, o.ExternalID, o.ShopID, err)
	}
	return res, nil
}

func (c *Core) createPlatformOrder(ctx context.Context, p store.UpsertPlatformOrderParams, actor string, res *store.UpsertPlatformOrderResult) error {
	o := p.Order
	target := o.Status
	o.ID, o.Status = "", orderhub.StatusPending
	o.Lines = slices.Clone(o.Lines) // ids are ours to give; the caller's slice stays as it was
	for i := range o.Lines {
		o.Lines[i].ID = ""
	}
	created, err := c.CreateOrder(ctx, store.CreateOrderParams{Order: o, Actor: actor, Note: receivedNote(p)})
	if err != nil {
		return err
	}
	res.Created = true
	if err := c.walk(ctx, created.ID, orderhub.StatusPending, target, actor, o.PlatformStatus, res); err != nil {
		return err
	}
	res.Order, err = c.GetOrder(ctx, created.ID)
	return err
}

func receivedNote(p store.UpsertPlatformOrderParams) string {
	s := "received from " + p.Order.Platform
	if p.Topic != "" {
		s += " (" + p.Topic + ")"
	}
	return s
}

// walk moves an order from its status along PathTo(target), one recorded
// transition per step. A target it cannot reach is an error: callers check
// first.
func (c *Core) walk(ctx context.Context, orderID string, from, target orderhub.Status, actor, platformStatus string, res *store.UpsertPlatformOrderResult) error {
	path, ok := from.PathTo(target)
	if !ok {
		return orderhub.Errorf(orderhub.EConflict, "order cannot move from %s to %s", from, target)
	}
	note := actor + " reports " + string(target)
	if platformStatus != "" {
		note = fmt.Sprintf("%s reports %s (%s)", actor, platformStatus, target)
	}
	for _, to := range path {
		if err := orderhub.CheckTransition(from, to); err != nil {
			return err
		}
		now := c.now().UTC()
		n, err := c.q.Exec(ctx, c.sql("UpdateOrderStatus"), orderID, string(from), string(to), micros(now))
		if err != nil {
			return c.mapErr(err)
		}
		if n == 0 {
			return orderhub.Errorf(orderhub.EConflict, "order %s moved concurrently: cannot move from %s to %s", orderID, from, to)
		}
		if _, err := c.addEvent(ctx, orderhub.OrderEvent{
			OrderID: orderID, Kind: orderhub.EventTransition, From: from, To: to, Actor: actor, Note: note, OccurredAt: now,
		}); err != nil {
			return err
		}
		res.Entered = append(res.Entered, to)
		from = to
	}
	return nil
}

// webhookEvent records a platform event in the timeline.
func (c *Core) webhookEvent(ctx context.Context, orderID, actor, note string, p store.UpsertPlatformOrderParams) error {
	data := map[string]any{"platform_status": p.Order.PlatformStatus}
	if p.Topic != "" {
		data["topic"] = p.Topic
	}
	if p.ReceiptID != "" {
		data["receipt_id"] = p.ReceiptID
	}
	if !p.Order.PlatformUpdate.IsZero() {
		data["platform_updated_at"] = p.Order.PlatformUpdate.UTC().Format(time.RFC3339Nano)
	}
	_, err := c.addEvent(ctx, orderhub.OrderEvent{
		OrderID: orderID, Kind: orderhub.EventWebhook, Actor: actor, Note: note, Data: json.RawMessage(mustJSON(data)),
	})
	return err
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return "(none)"
	}
	return t.UTC().Format(time.RFC3339Nano)
}

func (c *Core) updatePlatformOrder(ctx context.Context, p store.UpsertPlatformOrderParams, actor string, cur orderhub.Order, res *store.UpsertPlatformOrderResult) error {
	in := p.Order
	if in.Platform != cur.Platform {
		return orderhub.Errorf(orderhub.EConflict, "order %s of shop %s came from %s, not %s", cur.ExternalID, cur.ShopID, cur.Platform, in.Platform)
	}
	if in.Currency != cur.Currency {
		return orderhub.Errorf(orderhub.EInvalid, "order %s changed currency from %s to %s", cur.ExternalID, cur.Currency, in.Currency)
	}
	incoming, stored := in.PlatformUpdate, cur.PlatformUpdate
	newer := !incoming.IsZero() && incoming.After(stored)
	if !incoming.IsZero() && incoming.Before(stored) {
		res.Stale = true
		res.Order = cur
		return c.webhookEvent(ctx, cur.ID, actor, fmt.Sprintf("stale update from %s ignored: updated_at %s older than %s",
			in.Platform, stamp(incoming), stamp(stored)), p)
	}
	routed := routedStatus(cur.Status)
	if !routed {
		var err error
		if routed, err = c.hasFulfillmentsOrBackorders(ctx, cur.ID); err != nil {
			return err
		}
	}
	if newer {
		if err := c.overwritePlatformFields(ctx, cur, in, routed); err != nil {
			return err
		}
		res.Updated = true
		note := fmt.Sprintf("updated from %s", in.Platform)
		if p.Topic != "" {
			note += " (" + p.Topic + ")"
		}
		if err := c.webhookEvent(ctx, cur.ID, actor, note+": updated_at "+stamp(incoming), p); err != nil {
			return err
		}
		if routed && linesDiffer(cur.Lines, in.Lines) {
			if err := c.webhookEvent(ctx, cur.ID, actor, fmt.Sprintf(
				"lines changed on %s after routing; not applied: re-route or cancel lines by hand", in.Platform), p); err != nil {
				return err
			}
		}
	}
	target := in.Status
	switch {
	case target == cur.Status:
	case target == orderhub.StatusCancelled && cur.Status.CanTransition(orderhub.StatusCancelled):
		res.CancelRequested = true
	default:
		if _, ok := cur.Status.PathTo(target); ok {
			if err := c.walk(ctx, cur.ID, cur.Status, target, actor, in.PlatformStatus, res); err != nil {
				return err
			}
			break
		}
		// The platform is merely behind orderhub (it still calls a routed
		// order paid) when its own status did not change: nothing to say.
		_, behind := target.PathTo(cur.Status)
		if !newer || (behind && in.PlatformStatus == cur.PlatformStatus) {
			break
		}
		res.Ignored = target
		if err := c.webhookEvent(ctx, cur.ID, actor, fmt.Sprintf("%s status %q (%s) ignored: the order is %s and cannot move back",
			in.Platform, in.PlatformStatus, target, cur.Status), p); err != nil {
			return err
		}
	}
	var err error
	res.Order, err = c.GetOrder(ctx, cur.ID)
	return err
}

func (c *Core) overwritePlatformFields(ctx context.Context, cur, in orderhub.Order, routed bool) error {
	t := in.Totals
	now := c.now().UTC()
	n, err := c.q.Exec(ctx, c.sql("IntakeUpdateOrderFields"), cur.ID,
		in.ExternalNumber, in.PlatformStatus, mustJSON(in.Customer), mustJSON(in.ShippingAddr), mustJSON(nonNil(in.Shipping)),
		mustJSON(nonNil(in.Attributes)), mustJSON(nonNil(in.Tags)), in.Note,
		t.Subtotal.Amount, t.Discount.Amount, t.Shipping.Amount, t.Tax.Amount, t.Total.Amount, t.Refunded.Amount, in.TaxesIncluded,
		nullMicros(in.PaidAt), micros(in.PlatformUpdate), micros(now))
	if err != nil {
		return c.mapErr(err)
	}
	if n == 0 {
		return orderhub.Errorf(orderhub.ENotFound, "order %s not found", cur.ID)
	}
	if routed || !linesDiffer(cur.Lines, in.Lines) {
		return nil
	}
	// Not routed yet, so nothing refers to the lines: replace them, keeping
	// the ids of lines the platform still has.
	ids := map[string]string{}
	for _, l := range cur.Lines {
		if l.ExternalID != "" {
			ids[l.ExternalID] = l.ID
		}
	}
	if _, err := c.q.Exec(ctx, c.sql("IntakeDeleteOrderLines"), cur.ID); err != nil {
		return c.mapErr(err)
	}
	for i, l := range in.Lines {
		id := ids[l.ExternalID]
		delete(ids, l.ExternalID) // a repeated external id gets a fresh id
		if id == "" {
			id = NewID()
		}
		_, err := c.q.Exec(ctx, c.sql("InsertOrderLine"),
			id, cur.ID, i, l.ExternalID, l.SKU, l.Name, l.ProductID, l.VariantID, l.Quantity, l.Cancelled,
			l.UnitPrice.Amount, l.Discount.Amount, l.Tax.Amount, l.RequiresShp, mustJSON(nonNil(l.Properties)), l.NoShippingReason)
		if err != nil {
			return c.mapErr(err)
		}
	}
	return nil
}

// linesDiffer compares what the platform owns of each line.
func linesDiffer(a, b []orderhub.Line) bool {
	if len(a) != len(b) {
		return true
	}
	for i := range a {
		x, y := a[i], b[i]
		if x.ExternalID != y.ExternalID || x.SKU != y.SKU || x.Name != y.Name || x.ProductID != y.ProductID ||
			x.VariantID != y.VariantID || x.Quantity != y.Quantity || x.Cancelled != y.Cancelled ||
			x.UnitPrice.Amount != y.UnitPrice.Amount || x.Discount.Amount != y.Discount.Amount ||
			x.Tax.Amount != y.Tax.Amount || x.RequiresShp != y.RequiresShp || x.NoShippingReason != y.NoShippingReason ||
			mustJSON(nonNil(x.Properties)) != mustJSON(nonNil(y.Properties)) {
			return true
		}
	}
	return false
}

// PruneReceipts implements store.IntakeTx.
func (c *Core) PruneReceipts(ctx context.Context, olderThan time.Time, limit int) (int, error) {
	if limit <= 0 {
		limit = 1000
	}
	n, err := c.q.Exec(ctx, c.sql("PruneReceipts"), MinIDAt(olderThan), limit)
	if err != nil {
		return 0, c.mapErr(err)
	}
	return int(n), nil
}

// MinIDAt returns the smallest id NewID could have made at t: ids made
// before t sort below it.
func MinIDAt(t time.Time) string {
	ms := uint64(t.UnixMilli())
	return fmt.Sprintf("%08x-%04x-7000-8000-000000000000", ms>>16, ms&0xffff)
}
