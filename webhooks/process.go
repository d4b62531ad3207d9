package webhooks

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"github.com/orderhub/orderhub"
	"github.com/orderhub/orderhub/connectors/bigcommerce"
	"github.com/orderhub/orderhub/connectors/shopify"
	"github.com/orderhub/orderhub/connectors/woocommerce"
	"github.com/orderhub/orderhub/store"
)

// TopicReconcile is the topic of receipts a reconciliation pass stores: the
// body is the order itself as the platform's API returned it.
const TopicReconcile = "reconcile"

// Processing defaults.
const (
	DefaultBatchSize   = 100
	DefaultMaxAttempts = 8
	DefaultLease       = 5 * time.Minute
)

// Store is what the drain and reconciliation need: every store operation,
// and transactions around them. store.Store is one.
type Store interface {
	store.Tx
	InTx(ctx context.Context, fn func(ctx context.Context, tx store.Tx) error) error
}

// BigCommerceFetcher fetches what a BigCommerce callback only points at:
// GET /v2/orders/{id}, /v2/orders/{id}/products and
// /v2/orders/{id}/shipping_addresses with the shop's credentials, each
// collection joined into one JSON array. The composition root wires it to
// the BigCommerce API client.
type BigCommerceFetcher interface {
	FetchOrder(ctx context.Context, shopID, orderID string) (order, products, shippingAddresses []byte, err error)
}

// Canceller cancels an order that routing already acted on: it cancels the
// order's unshipped fulfillments, releases their reservations and moves the
// order to cancelled with its event, all in tx.
type Canceller interface {
	CancelOrder(ctx context.Context, tx store.Tx, orderID, actor, reason string) error
}

// Processor turns receipts into orders. The zero value of every field but
// Store is usable.
type Processor struct {
	Store  Store
	Logger *slog.Logger
	Now    func() time.Time
	// BigCommerce fetches orders for BigCommerce callbacks; without it they
	// fail (and are retried) with an error saying so.
	BigCommerce BigCommerceFetcher
	// Canceller cancels routed orders a platform cancelled; without it such
	// a cancellation fails (and is retried) with an error saying so.
	Canceller Canceller
	// BatchSize is how many receipts one transaction applies;
	// DefaultBatchSize when 0.
	BatchSize int
	// MaxAttempts is how many times a receipt is tried before it is dead;
	// DefaultMaxAttempts when 0.
	MaxAttempts int
	// Backoff is the wait after the nth failed attempt (n from 1);
	// DefaultBackoff when nil.
	Backoff func(attempt int) time.Duration
	// Lease is how long a claimed receipt is hidden from other drains; a
	// crashed drain's receipts come due again after it. DefaultLease when 0.
	Lease time.Duration
	// Changed, when set, is told of each order a batch touched, after the
	// batch committed: how dashboards learn of new and updated orders.
	Changed func(ctx context.Context, shopID, orderID string)
}

// DefaultBackoff waits 30 s after the first failure, doubling up to an hour:
// eight attempts span about an hour and a half.
func DefaultBackoff(attempt int) time.Duration {
	d := 30 * time.Second
	for i := 1; i < attempt && d < time.Hour; i++ {
		d *= 2
	}
	return min(d, time.Hour)
}

func (p *Processor) logger() *slog.Logger {
	if p.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return p.Logger
}

func (p *Processor) now() time.Time {
	if p.Now == nil {
		return time.Now()
	}
	return p.Now()
}

// Drain processes due receipts batch by batch until none is left and the
// store has recorded that no drain job is on its way (store.FinishDrain),
// and returns how many it claimed. Tests and tools call it directly; the
// River worker calls DrainFor.
func (p *Processor) Drain(ctx context.Context) (int, error) {
	return p.drain(ctx, 0)
}

// DrainFor drains like Drain until budget has passed; when work may remain
// it returns a River snooze, so the one drain job runs again at once
// without another job being inserted.
func (p *Processor) DrainFor(ctx context.Context, budget time.Duration) error {
	_, err := p.drain(ctx, budget)
	return err
}

func (p *Processor) drain(ctx context.Context, budget time.Duration) (int, error) {
	start, total := time.Now(), 0
	for {
		n, err := p.DrainBatch(ctx)
		total += n
		if err != nil {
			return total, err
		}
		if n == 0 {
			idle, err := p.Store.FinishDrain(ctx)
			if err != nil || idle {
				return total, err
			}
			// Due but not claimable: another drain holds it locked. Let it
			// finish rather than spin.
			select {
			case <-ctx.Done():
				return total, ctx.Err()
			case <-time.After(20 * time.Millisecond):
			}
		}
		if budget > 0 && time.Since(start) >= budget {
			return total, river.JobSnooze(0)
		}
	}
}

// DrainBatch claims one batch of due receipts and applies it. Receipts that
// fail are recorded on themselves (retry or dead letter); the error is only
// for the store failing.
func (p *Processor) DrainBatch(ctx context.Context) (int, error) {
	size := p.BatchSize
	if size <= 0 {
		size = DefaultBatchSize
	}
	lease := p.Lease
	if lease <= 0 {
		lease = DefaultLease
	}
	claimed, err := p.Store.ClaimReceipts(ctx, store.ClaimReceiptsParams{Limit: size, Lease: lease})
	if err != nil || len(claimed) == 0 {
		return 0, err
	}
	items := p.prepare(ctx, claimed)
	// Fast path: the whole batch in one transaction.
	err = p.Store.InTx(ctx, func(ctx context.Context, tx store.Tx) error {
		for i := range items {
			if err := p.finish(ctx, tx, &items[i]); err != nil {
				return err
			}
		}
		return nil
	})
	if err == nil {
		p.logBatch(ctx, items)
		p.changed(ctx, items)
		return len(claimed), nil
	}
	if ctx.Err() != nil {
		return len(claimed), ctx.Err()
	}
	// One receipt spoiled the batch: apply each in a transaction of its own,
	// so only the bad one fails.
	for i := range items {
		it := &items[i]
		it.outcome, it.orderID = "", ""
		err := p.Store.InTx(ctx, func(ctx context.Context, tx store.Tx) error { return p.finish(ctx, tx, it) })
		if err == nil {
			continue
		}
		if ctx.Err() != nil {
			return len(claimed), ctx.Err()
		}
		it.err = err
		if err := p.Store.InTx(ctx, func(ctx context.Context, tx store.Tx) error { return p.fail(ctx, tx, it) }); err != nil {
			return len(claimed), fmt.Errorf("record failure of receipt %s: %w", it.r.ID, err)
		}
	}
	p.logBatch(ctx, items)
	p.changed(ctx, items)
	return len(claimed), nil
}

// changed reports the orders a committed batch touched, once each.
func (p *Processor) changed(ctx context.Context, items []item) {
	if p.Changed == nil {
		return
	}
	seen := map[string]bool{}
	for _, it := range items {
		if it.orderID != "" && it.err == nil && !seen[it.orderID] {
			seen[it.orderID] = true
			p.Changed(ctx, it.r.ShopID, it.orderID)
		}
	}
}

// kind is what a receipt asks for.
type kind int

const (
	kindIgnore kind = iota // nothing to do: a topic orderhub does not act on
	kindOrder              // apply an order as the platform reports it
	kindRefund             // record a Shopify refund
	kindDelete             // the platform deleted (trashed) an order
	kindFailed             // preparing failed; err says why
)

// item is one claimed receipt on its way through a batch.
type item struct {
	r          store.Receipt
	kind       kind
	order      orderhub.Order
	externalID string // kindDelete
	err        error
	outcome    string
	orderID    string
	dead       bool
}

// prepare does everything that needs no transaction: decoding, normalising
// and, for BigCommerce, fetching the order (once per order per batch).
func (p *Processor) prepare(ctx context.Context, claimed []store.Receipt) []item {
	items := make([]item, len(claimed))
	type fetched struct {
		order orderhub.Order
		err   error
	}
	bc := map[string]fetched{}
	for i, r := range claimed {
		it := &items[i]
		it.r = r
		switch r.Platform {
		case orderhub.PlatformShopify:
			p.prepareShopify(it)
		case orderhub.PlatformWooCommerce:
			p.prepareWoo(it)
		case orderhub.PlatformBigCommerce:
			id, ok := p.prepareBigCommerce(it)
			if !ok {
				break
			}
			f, seen := bc[r.ShopID+"\x00"+id]
			if !seen {
				f.order, f.err = p.fetchBigCommerce(ctx, r.ShopID, id)
				bc[r.ShopID+"\x00"+id] = f
			}
			if f.err != nil {
				it.kind, it.err = kindFailed, f.err
				break
			}
			it.kind, it.order = kindOrder, f.order
		default:
			it.kind, it.err = kindFailed, orderhub.Errorf(orderhub.EInvalid, "platform %q has no connector", r.Platform)
		}
		if it.kind == kindOrder {
			it.order.ShopID = r.ShopID
			it.order.Platform = r.Platform
		}
	}
	return items
}

// Shopify order topics whose body is the order resource.
var shopifyOrderTopics = map[string]bool{
	"orders/create": true, "orders/updated": true, "orders/paid": true, "orders/cancelled": true,
	"orders/fulfilled": true, "orders/partially_fulfilled": true, TopicReconcile: true,
}

func (p *Processor) prepareShopify(it *item) {
	switch {
	case shopifyOrderTopics[it.r.Topic]:
		it.order, it.err = shopify.NormalizeOrder(it.r.Body)
		it.kind = kindOrder
	case it.r.Topic == "refunds/create":
		it.kind = kindRefund // decoded in the transaction: it needs the order's currency
		return
	default:
		it.kind, it.outcome = kindIgnore, "ignored: topic "+it.r.Topic+" is not an order change"
		return
	}
	if it.err != nil {
		it.kind = kindFailed
	}
}

func (p *Processor) prepareWoo(it *item) {
	switch it.r.Topic {
	case "order.created", "order.updated", "order.restored", TopicReconcile:
		it.kind = kindOrder
		if it.order, it.err = woocommerce.NormalizeOrder(it.r.Body); it.err != nil {
			it.kind = kindFailed
		}
	case "order.deleted":
		var body struct {
			ID json.Number `json:"id"`
		}
		dec := json.NewDecoder(strings.NewReader(string(it.r.Body)))
		dec.UseNumber()
		if err := dec.Decode(&body); err != nil || body.ID == "" {
			it.kind, it.err = kindFailed, orderhub.Errorf(orderhub.EInvalid, "woocommerce order.deleted body has no id")
			return
		}
		it.kind, it.externalID = kindDelete, body.ID.String()
	default:
		it.kind, it.outcome = kindIgnore, "ignored: topic "+it.r.Topic+" is not an order change"
	}
}

// reconcileEnvelope is the body of a BigCommerce reconciliation receipt:
// the three API answers a callback would have made us fetch.
type reconcileEnvelope struct {
	Order             json.RawMessage `json:"order"`
	Products          json.RawMessage `json:"products"`
	ShippingAddresses json.RawMessage `json:"shipping_addresses"`
}

// prepareBigCommerce decodes a callback; it returns the order to fetch, or
// false when the item is settled already.
func (p *Processor) prepareBigCommerce(it *item) (string, bool) {
	if it.r.Topic == TopicReconcile {
		var env reconcileEnvelope
		if err := json.Unmarshal(it.r.Body, &env); err != nil {
			it.kind, it.err = kindFailed, orderhub.WrapError(orderhub.EInvalid, err, "bigcommerce reconciliation receipt is not an envelope")
			return "", false
		}
		it.kind = kindOrder
		if it.order, it.err = bigcommerce.NormalizeOrder(env.Order, env.Products, env.ShippingAddresses); it.err != nil {
			it.kind = kindFailed
		}
		return "", false
	}
	ev, err := bigcommerce.DecodeWebhook(it.r.Body)
	if err != nil {
		it.kind, it.err = kindFailed, err
		return "", false
	}
	orderScope := strings.HasPrefix(ev.Scope, "store/order/") && ev.Scope != "store/order/message/created"
	shipmentScope := strings.HasPrefix(ev.Scope, "store/shipment/")
	if (!orderScope && !shipmentScope) || ev.OrderID == "" {
		it.kind, it.outcome = kindIgnore, "ignored: scope "+ev.Scope+" is not an order change"
		return "", false
	}
	return ev.OrderID, true
}

func (p *Processor) fetchBigCommerce(ctx context.Context, shopID, orderID string) (orderhub.Order, error) {
	if p.BigCommerce == nil {
		return orderhub.Order{}, orderhub.Errorf(orderhub.EUnavailable, "no BigCommerce API client is configured to fetch order %s", orderID)
	}
	order, products, addrs, err := p.BigCommerce.FetchOrder(ctx, shopID, orderID)
	if err != nil {
		return orderhub.Order{}, fmt.Errorf("fetch bigcommerce order %s: %w", orderID, err)
	}
	o, err := bigcommerce.NormalizeOrder(order, products, addrs)
	if err != nil {
		return o, err
	}
	if o.ExternalID != orderID {
		return o, orderhub.Errorf(orderhub.EInvalid, "fetched bigcommerce order %s when asking for %s", o.ExternalID, orderID)
	}
	return o, nil
}

// finish applies one prepared item in tx and records its outcome on the
// receipt. An error means tx must roll back.
func (p *Processor) finish(ctx context.Context, tx store.Tx, it *item) error {
	if it.kind == kindFailed {
		return p.fail(ctx, tx, it)
	}
	if err := p.apply(ctx, tx, it); err != nil {
		return err
	}
	return tx.CompleteReceipt(ctx, store.CompleteReceiptParams{ID: it.r.ID, Outcome: it.outcome, OrderID: it.orderID})
}

// fail records it.err on the receipt: retried later, or dead when attempts
// are used up or the payload can never be read.
func (p *Processor) fail(ctx context.Context, tx store.Tx, it *item) error {
	maxAttempts := p.MaxAttempts
	if maxAttempts <= 0 {
		maxAttempts = DefaultMaxAttempts
	}
	backoff := p.Backoff
	if backoff == nil {
		backoff = DefaultBackoff
	}
	permanent := orderhub.ErrorCode(it.err) == orderhub.EInvalid
	it.dead = permanent || it.r.Attempts >= maxAttempts
	// The whole text is kept: it is ours (connector, store or API client),
	// and operators need the detail to fix a dead letter. None holds a secret.
	msg := it.err.Error()
	if it.dead && !permanent {
		msg = fmt.Sprintf("gave up after %d attempts: %s", it.r.Attempts, msg)
	}
	_, err := tx.FailReceipt(ctx, store.FailReceiptParams{
		ID: it.r.ID, Error: msg, Dead: it.dead, RetryAt: p.now().Add(backoff(it.r.Attempts)),
	})
	return err
}

func (p *Processor) apply(ctx context.Context, tx store.Tx, it *item) error {
	switch it.kind {
	case kindIgnore:
		return nil
	case kindOrder:
		return p.applyOrder(ctx, tx, it)
	case kindRefund:
		return p.applyRefund(ctx, tx, it)
	case kindDelete:
		return p.applyDelete(ctx, tx, it)
	}
	return fmt.Errorf("receipt %s: unknown kind %d", it.r.ID, it.kind)
}

func (p *Processor) applyOrder(ctx context.Context, tx store.Tx, it *item) error {
	actor := it.r.Platform
	res, err := tx.UpsertPlatformOrder(ctx, store.UpsertPlatformOrderParams{
		Order: it.order, Actor: actor, Topic: it.r.Topic, ReceiptID: it.r.ID,
	})
	if err != nil {
		return err
	}
	o := res.Order
	it.orderID = o.ID
	switch {
	case res.Created:
		it.outcome = fmt.Sprintf("created order %s (%s)", o.ID, o.Status)
	case res.Stale:
		it.outcome = fmt.Sprintf("stale: order %s has a newer update", o.ID)
	case res.Updated || len(res.Entered) > 0:
		it.outcome = fmt.Sprintf("updated order %s (%s)", o.ID, o.Status)
	default:
		it.outcome = fmt.Sprintf("no change to order %s", o.ID)
	}
	if res.Ignored != "" {
		it.outcome += fmt.Sprintf("; %s status %s ignored", actor, res.Ignored)
	}
	if res.CancelRequested {
		reason := fmt.Sprintf("cancelled on %s (%s)", actor, it.order.PlatformStatus)
		if err := p.cancel(ctx, tx, o, actor, reason); err != nil {
			return err
		}
		it.outcome = fmt.Sprintf("cancelled order %s", o.ID)
		return nil
	}
	for _, s := range res.Entered {
		if s == orderhub.StatusPaid && o.Status == orderhub.StatusPaid {
			if err := enqueueRouting(ctx, tx, o.ID); err != nil {
				return err
			}
			it.outcome += "; routing enqueued"
		}
	}
	return nil
}

// enqueueRouting inserts the routing job of a newly paid order, once.
func enqueueRouting(ctx context.Context, tx store.Tx, orderID string) error {
	_, err := tx.InsertJob(ctx, orderhub.RouteOrderArgs{OrderID: orderID}, &river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true}})
	return err
}

// cancel cancels an order the platform cancelled: a plain transition when
// routing has not acted on it, else through the Canceller, which releases
// what routing reserved.
func (p *Processor) cancel(ctx context.Context, tx store.Tx, o orderhub.Order, actor, reason string) error {
	routed, err := tx.OrderHasRoutedWork(ctx, o.ID)
	if err != nil {
		return err
	}
	if !routed {
		_, _, err := tx.TransitionOrder(ctx, store.TransitionParams{OrderID: o.ID, From: o.Status, To: orderhub.StatusCancelled, Actor: actor, Note: reason})
		return err
	}
	if p.Canceller == nil {
		return orderhub.Errorf(orderhub.EUnavailable, "order %s has routed work to release but no canceller is configured", o.ID)
	}
	if err := p.Canceller.CancelOrder(ctx, tx, o.ID, actor, reason); err != nil {
		return fmt.Errorf("cancel order %s: %w", o.ID, err)
	}
	return nil
}

// applyDelete handles an order the platform deleted (WooCommerce trashes
// with order.deleted): cancelled when it still may be, else recorded.
func (p *Processor) applyDelete(ctx context.Context, tx store.Tx, it *item) error {
	actor := it.r.Platform
	o, err := tx.GetOrderByExternalID(ctx, it.r.ShopID, it.externalID)
	if orderhub.ErrorCode(err) == orderhub.ENotFound {
		it.outcome = fmt.Sprintf("ignored: order %s was deleted on %s before orderhub knew it", it.externalID, actor)
		return nil
	}
	if err != nil {
		return err
	}
	it.orderID = o.ID
	if o.Status.CanTransition(orderhub.StatusCancelled) {
		if err := p.cancel(ctx, tx, o, actor, "deleted on "+actor); err != nil {
			return err
		}
		it.outcome = fmt.Sprintf("cancelled order %s", o.ID)
		return nil
	}
	_, err = tx.AddEvent(ctx, orderhub.OrderEvent{OrderID: o.ID, Kind: orderhub.EventWebhook, Actor: actor,
		Note: fmt.Sprintf("deleted on %s; the order is %s, so it stays", actor, o.Status)})
	it.outcome = fmt.Sprintf("recorded deletion of order %s (%s)", o.ID, o.Status)
	return err
}

// refundData is what a refund event keeps, to sum refunds without counting
// one twice.
type refundData struct {
	Topic    string `json:"topic"`
	RefundID string `json:"refund_id"`
	Amount   int64  `json:"amount"`
	Currency string `json:"currency"`
	Shipping int64  `json:"shipping,omitempty"`
	Lines    int    `json:"lines"`
}

// applyRefund records a Shopify refunds/create on its order's timeline; a
// refund that brings the refunded total to the order total moves a
// fulfilled or delivered order to refunded.
func (p *Processor) applyRefund(ctx context.Context, tx store.Tx, it *item) error {
	var peek struct {
		OrderID json.Number `json:"order_id"`
	}
	dec := json.NewDecoder(strings.NewReader(string(it.r.Body)))
	dec.UseNumber()
	if err := dec.Decode(&peek); err != nil || peek.OrderID == "" {
		return orderhub.Errorf(orderhub.EInvalid, "shopify refund has no order_id")
	}
	o, err := tx.GetOrderByExternalID(ctx, it.r.ShopID, peek.OrderID.String())
	if err != nil {
		if orderhub.ErrorCode(err) == orderhub.ENotFound {
			// The order's own webhook may still be on its way: retry.
			return orderhub.Errorf(orderhub.EUnavailable, "refund for order %s that orderhub has not received yet", peek.OrderID)
		}
		return err
	}
	it.orderID = o.ID
	ref, err := shopify.DecodeRefund(it.r.Body, o.Currency)
	if err != nil {
		return err
	}
	events, err := tx.ListEvents(ctx, o.ID)
	if err != nil {
		return err
	}
	var refunded int64
	for _, e := range events {
		var d refundData
		if e.Kind != orderhub.EventWebhook || len(e.Data) == 0 || json.Unmarshal(e.Data, &d) != nil || d.RefundID == "" {
			continue
		}
		if d.RefundID == ref.ID {
			it.outcome = fmt.Sprintf("refund %s of order %s already recorded", ref.ID, o.ID)
			return nil
		}
		refunded += d.Amount
	}
	refunded += ref.Amount.Amount
	data, _ := json.Marshal(refundData{Topic: it.r.Topic, RefundID: ref.ID, Amount: ref.Amount.Amount, Currency: ref.Amount.Currency,
		Shipping: ref.Shipping.Amount, Lines: len(ref.Lines)})
	note := fmt.Sprintf("refund %s of %s on %s", ref.ID, ref.Amount.Display(), it.r.Platform)
	if ref.Note != "" {
		note += ": " + ref.Note
	}
	if _, err := tx.AddEvent(ctx, orderhub.OrderEvent{OrderID: o.ID, Kind: orderhub.EventWebhook, Actor: it.r.Platform, Note: note, Data: data}); err != nil {
		return err
	}
	it.outcome = fmt.Sprintf("recorded refund %s of order %s", ref.ID, o.ID)
	total := max(refunded, o.Totals.Refunded.Amount)
	full := o.Totals.Total.Amount > 0 && total >= o.Totals.Total.Amount
	if full && (o.Status == orderhub.StatusFulfilled || o.Status == orderhub.StatusDelivered) {
		if _, _, err := tx.TransitionOrder(ctx, store.TransitionParams{OrderID: o.ID, From: o.Status, To: orderhub.StatusRefunded,
			Actor: it.r.Platform, Note: fmt.Sprintf("fully refunded on %s", it.r.Platform)}); err != nil {
			return err
		}
		it.outcome += "; order refunded"
	}
	return nil
}

func (p *Processor) logBatch(ctx context.Context, items []item) {
	log := p.logger()
	for _, it := range items {
		switch {
		case it.err == nil:
			log.DebugContext(ctx, "webhook receipt processed", "platform", it.r.Platform, "shop", it.r.ShopID,
				"order_id", it.orderID, "receipt", it.r.ID, "outcome", it.outcome)
		case it.dead:
			log.ErrorContext(ctx, "webhook receipt is a dead letter", "platform", it.r.Platform, "shop", it.r.ShopID,
				"order_id", it.orderID, "receipt", it.r.ID, "attempts", it.r.Attempts, "err", it.err)
		default:
			log.WarnContext(ctx, "webhook receipt failed; will retry", "platform", it.r.Platform, "shop", it.r.ShopID,
				"order_id", it.orderID, "receipt", it.r.ID, "attempts", it.r.Attempts, "err", it.err)
		}
	}
}
