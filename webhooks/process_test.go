package webhooks_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"github.com/stretchr/testify/require"

	"github.com/orderhub/orderhub"
	"github.com/orderhub/orderhub/store"
	"github.com/orderhub/orderhub/webhooks"
)

// shopifyOrder is a minimal Shopify order webhook body.
func shopifyOrder(id, financial, fulfillment, cancelledAt, updatedAt string) []byte {
	ff, ca := "null", "null"
	if fulfillment != "" {
		ff = `"` + fulfillment + `"`
	}
	if cancelledAt != "" {
		ca = `"` + cancelledAt + `"`
	}
	return []byte(fmt.Sprintf(`{"id": %s, "name": "#%s", "currency": "USD", "financial_status": %q, "fulfillment_status": %s,
 "cancelled_at": %s, "created_at": "2026-11-28T10:00:00Z", "updated_at": %q, "processed_at": "2026-11-28T10:00:00Z",
 "total_price": "25.00", "total_line_items_price": "20.00", "total_discounts": "0.00", "total_tax": "0.00",
 "email": "ann@example.com",
 "shipping_address": {"first_name": "Ann", "last_name": "Lee", "address1": "1 Main St", "city": "New York", "province_code": "NY", "zip": "10001", "country_code": "US"},
 "line_items": [{"id": 11, "sku": "SKU-1", "name": "Mug", "quantity": 2, "price": "10.00", "tax_lines": [], "discount_allocations": []}],
 "shipping_lines": [{"title": "Ground", "price": "5.00"}]}`, id, id, financial, ff, ca, updatedAt))
}

func TestOutOfOrderUpdatesNeverRegress(t *testing.T) { eachStore(t, testOutOfOrderUpdatesNeverRegress) }

func testOutOfOrderUpdatesNeverRegress(t *testing.T, setup setupFunc) {
	b := setup(t)
	paid := shopifyOrder("7001", "paid", "", "", "2026-11-28T10:05:00Z")
	created := shopifyOrder("7001", "pending", "", "", "2026-11-28T10:00:00Z")
	// orders/updated (paid) overtakes orders/create (pending).
	b.accept("shopify", "acme-shopify", paid, shopifyHeaders(paid, "orders/updated", "evt-upd"))
	b.drain()
	b.accept("shopify", "acme-shopify", created, shopifyHeaders(created, "orders/create", "evt-create"))
	b.drain()

	o := b.order("acme-shopify", "7001")
	require.Equal(t, orderhub.StatusPaid, o.Status)
	ev := b.events(o.ID)
	require.Equal(t, 1, noteCount(ev, "stale update from shopify ignored: updated_at 2026-11-28T10:00:00Z older than 2026-11-28T10:05:00Z"))
	require.Equal(t, 1, b.jobs(orderhub.RouteOrderArgs{}.Kind()), "routing is enqueued exactly once")
	var outcomes []string
	for _, r := range b.receipts() {
		require.Equal(t, store.ReceiptProcessed, r.Status)
		outcomes = append(outcomes, r.Outcome)
	}
	require.Contains(t, strings.Join(outcomes, "|"), "stale: order "+o.ID)

	// Both in one batch, newest first in the inbox: the same result.
	b2 := setup(t)
	b2.accept("shopify", "acme-shopify", paid, shopifyHeaders(paid, "orders/updated", "evt-upd"))
	b2.accept("shopify", "acme-shopify", created, shopifyHeaders(created, "orders/create", "evt-create"))
	require.Equal(t, 2, b2.drain())
	require.Equal(t, orderhub.StatusPaid, b2.order("acme-shopify", "7001").Status)
	require.Equal(t, 1, b2.jobs(orderhub.RouteOrderArgs{}.Kind()))

	// A later update that stays paid does not route again.
	again := shopifyOrder("7001", "paid", "", "", "2026-11-28T10:09:00Z")
	b.accept("shopify", "acme-shopify", again, shopifyHeaders(again, "orders/updated", "evt-upd-2"))
	b.drain()
	require.Equal(t, 1, b.jobs(orderhub.RouteOrderArgs{}.Kind()))
}

func TestPendingOrderIsRoutedWhenPaid(t *testing.T) { eachStore(t, testPendingOrderIsRoutedWhenPaid) }

func testPendingOrderIsRoutedWhenPaid(t *testing.T, setup setupFunc) {
	b := setup(t)
	created := shopifyOrder("7101", "pending", "", "", "2026-11-28T10:00:00Z")
	b.accept("shopify", "acme-shopify", created, shopifyHeaders(created, "orders/create", "e1"))
	b.drain()
	require.Equal(t, orderhub.StatusPending, b.order("acme-shopify", "7101").Status)
	require.Zero(t, b.jobs(orderhub.RouteOrderArgs{}.Kind()), "pending orders wait")

	paid := shopifyOrder("7101", "paid", "", "", "2026-11-28T10:01:00Z")
	b.accept("shopify", "acme-shopify", paid, shopifyHeaders(paid, "orders/paid", "e2"))
	b.drain()
	o := b.order("acme-shopify", "7101")
	require.Equal(t, orderhub.StatusPaid, o.Status)
	require.NotNil(t, o.PaidAt)
	require.Equal(t, 1, b.jobs(orderhub.RouteOrderArgs{}.Kind()))
	jobs, err := b.store.Queue().CountJobs(ctxT(t), orderhub.RouteOrderArgs{}.Kind(), rivertype.JobStateAvailable)
	require.NoError(t, err)
	require.Equal(t, 1, jobs)
}

func TestPlatformCancellation(t *testing.T) { eachStore(t, testPlatformCancellation) }

func testPlatformCancellation(t *testing.T, setup setupFunc) {
	b := setup(t)
	paid := shopifyOrder("7201", "paid", "", "", "2026-11-28T10:00:00Z")
	b.accept("shopify", "acme-shopify", paid, shopifyHeaders(paid, "orders/create", "c1"))
	b.drain()
	cancelled := shopifyOrder("7201", "voided", "", "2026-11-28T10:10:00Z", "2026-11-28T10:10:00Z")
	id := b.accept("shopify", "acme-shopify", cancelled, shopifyHeaders(cancelled, "orders/cancelled", "c2"))
	b.drain()

	o := b.order("acme-shopify", "7201")
	require.Equal(t, orderhub.StatusCancelled, o.Status, "an unrouted order is simply cancelled")
	require.Empty(t, b.cancel.calls, "nothing was reserved, so the canceller is not needed")
	ev := b.events(o.ID)
	last := ev[len(ev)-1]
	require.Equal(t, orderhub.EventTransition, last.Kind)
	require.Equal(t, orderhub.StatusCancelled, last.To)
	require.Equal(t, "shopify", last.Actor)
	require.Contains(t, last.Note, "cancelled on shopify")
	require.Equal(t, "cancelled order "+o.ID, b.receipt(id).Outcome)
}

func TestCancellationOfARoutedOrder(t *testing.T) { eachStore(t, testCancellationOfARoutedOrder) }

func testCancellationOfARoutedOrder(t *testing.T, setup setupFunc) {
	b := setup(t)
	ctx := ctxT(t)
	paid := shopifyOrder("7301", "paid", "", "", "2026-11-28T10:00:00Z")
	b.accept("shopify", "acme-shopify", paid, shopifyHeaders(paid, "orders/create", "r1"))
	b.drain()
	o := b.order("acme-shopify", "7301")
	// Routing took it.
	_, _, err := b.store.TransitionOrder(ctx, store.TransitionParams{OrderID: o.ID, To: orderhub.StatusAwaitingFulfillment, Actor: "routing"})
	require.NoError(t, err)

	// Without a canceller the cancellation fails visibly and is retried.
	b.proc.Canceller = nil
	cancelled := shopifyOrder("7301", "voided", "", "2026-11-28T10:10:00Z", "2026-11-28T10:10:00Z")
	id := b.accept("shopify", "acme-shopify", cancelled, shopifyHeaders(cancelled, "orders/cancelled", "r2"))
	b.drain()
	r := b.receipt(id)
	require.Equal(t, store.ReceiptFailed, r.Status)
	require.Contains(t, r.LastError, "no canceller is configured")
	require.Equal(t, orderhub.StatusAwaitingFulfillment, b.order("acme-shopify", "7301").Status)
	require.Contains(t, b.logs.String(), "webhook receipt failed; will retry")

	// With one, the retry cancels through it, in the drain's transaction.
	b.proc.Canceller = b.cancel
	b.clock.Advance(time.Minute)
	b.drain()
	require.Equal(t, store.ReceiptProcessed, b.receipt(id).Status)
	require.Equal(t, []string{o.ID + "|shopify|cancelled on shopify (voided)"}, b.cancel.calls)
	require.Equal(t, orderhub.StatusCancelled, b.order("acme-shopify", "7301").Status)
}

func TestWooCommerceDeletedOrderIsCancelled(t *testing.T) {
	eachStore(t, testWooCommerceDeletedOrderIsCancelled)
}

func testWooCommerceDeletedOrderIsCancelled(t *testing.T, setup setupFunc) {
	b := setup(t)
	pending := testdata(t, "woocommerce", "order-1043-pending-guest-virtual.json")
	b.accept("woocommerce", "acme-woo", pending, wooHeaders(pending, "order.created"))
	del := []byte(`{"id":1043}`)
	b.accept("woocommerce", "acme-woo", del, wooHeaders(del, "order.deleted"))
	unknown := []byte(`{"id":999}`)
	h := wooHeaders(unknown, "order.deleted")
	h.Set("X-WC-Webhook-Delivery-ID", "other")
	uid := b.accept("woocommerce", "acme-woo", unknown, h)
	b.drain()
	require.Equal(t, orderhub.StatusCancelled, b.order("acme-woo", "1043").Status)
	require.Contains(t, b.receipt(uid).Outcome, "deleted on woocommerce before orderhub knew it")
	require.Len(t, b.orders(), 1)
}

func TestShopifyRefunds(t *testing.T) { eachStore(t, testShopifyRefunds) }

func testShopifyRefunds(t *testing.T, setup setupFunc) {
	b := setup(t)
	ctx := ctxT(t)
	body := testdata(t, "shopify", "order-jpy-paid-modern.json")
	refund := testdata(t, "shopify", "refund-create.json")

	// A refund before its order is retried until the order is there.
	early := b.accept("shopify", "acme-shopify", refund, shopifyHeaders(refund, "refunds/create", "ref-1"))
	b.drain()
	r := b.receipt(early)
	require.Equal(t, store.ReceiptFailed, r.Status)
	require.Contains(t, r.LastError, "has not received yet")

	b.accept("shopify", "acme-shopify", body, shopifyHeaders(body, "orders/create", "o-1"))
	b.clock.Advance(time.Minute)
	b.drain() // oldest first: the refund fails once more, then the order is stored
	require.Equal(t, 2, b.receipt(early).Attempts)
	o := b.order("acme-shopify", "820982911946154508")
	b.clock.Advance(time.Minute)
	b.drain()
	require.Equal(t, store.ReceiptProcessed, b.receipt(early).Status)
	ev := b.events(o.ID)
	require.Equal(t, 1, noteCount(ev, "refund 929361465 of 1512 JPY on shopify: damaged in transit"))
	require.Equal(t, orderhub.StatusPaid, o.Status, "a partial refund of an unshipped order changes no status")

	// The same refund through another subscription is recorded once.
	again := b.accept("shopify", "acme-shopify", refund, shopifyHeaders(refund, "refunds/create", "ref-1-again"))
	b.drain()
	require.Contains(t, b.receipt(again).Outcome, "already recorded")
	require.Equal(t, 1, noteCount(b.events(o.ID), "refund 929361465"))

	// The order ships; a refund of the rest makes it refunded.
	for _, to := range []orderhub.Status{orderhub.StatusAwaitingFulfillment, orderhub.StatusPartiallyFulfilled, orderhub.StatusFulfilled} {
		_, _, err := b.store.TransitionOrder(ctx, store.TransitionParams{OrderID: o.ID, To: to, Actor: "test"})
		require.NoError(t, err)
	}
	rest := fmt.Sprint(o.Totals.Total.Amount - 1512)
	full := []byte(strings.NewReplacer(`"id": 929361465`, `"id": 929361466`, `"amount": "1512"`, `"amount": "`+rest+`"`).Replace(string(refund)))
	id := b.accept("shopify", "acme-shopify", full, shopifyHeaders(full, "refunds/create", "ref-2"))
	b.drain()
	require.Contains(t, b.receipt(id).Outcome, "order refunded")
	require.Equal(t, orderhub.StatusRefunded, b.order("acme-shopify", "820982911946154508").Status)
	last := b.events(o.ID)
	require.Equal(t, "fully refunded on shopify", last[len(last)-1].Note)
}

func TestIgnoredTopicsAreProcessedWithoutAnOrder(t *testing.T) {
	eachStore(t, testIgnoredTopicsAreProcessedWithoutAnOrder)
}

func testIgnoredTopicsAreProcessedWithoutAnOrder(t *testing.T, setup setupFunc) {
	b := setup(t)
	body := []byte(`{"id": 5, "email": "x@example.com"}`)
	id := b.accept("shopify", "acme-shopify", body, shopifyHeaders(body, "customers/create", "cust-1"))
	cb := testdata(t, "bigcommerce", "webhook-shipment-created.json")
	b.bc.set("5001", testdata(t, "bigcommerce", "order-5001-kwd.json"),
		testdata(t, "bigcommerce", "order-5001-products.json"), testdata(t, "bigcommerce", "order-5001-shipping-addresses.json"))
	b.accept("bigcommerce", "acme-bc", cb, b.bcHeaders(cb, "ship-1"))
	product := []byte(`{"scope":"store/product/updated","store_id":"1","data":{"type":"product","id":7},"hash":"abc","created_at":1764331200,"producer":"stores/abc"}`)
	pid := b.accept("bigcommerce", "acme-bc", product, b.bcHeaders(product, "prod-1"))
	b.drain()
	require.Equal(t, store.ReceiptProcessed, b.receipt(id).Status)
	require.Equal(t, "ignored: topic customers/create is not an order change", b.receipt(id).Outcome)
	require.Equal(t, "ignored: scope store/product/updated is not an order change", b.receipt(pid).Outcome)
	// A shipment event is an order change: its order is fetched and stored.
	require.Len(t, b.orders(), 1)
}

func TestFailuresAreRetriedThenDeadThenReplayed(t *testing.T) {
	eachStore(t, testFailuresAreRetriedThenDeadThenReplayed)
}

func testFailuresAreRetriedThenDeadThenReplayed(t *testing.T, setup setupFunc) {
	b := setup(t) // MaxAttempts 3
	b.bc.err = orderhub.Errorf(orderhub.EUnavailable, "bigcommerce answered 503")
	body := testdata(t, "bigcommerce", "webhook-order-statusupdated.json")
	id := b.accept("bigcommerce", "acme-bc", body, b.bcHeaders(body, "m-1"))

	b.drain()
	r := b.receipt(id)
	require.Equal(t, store.ReceiptFailed, r.Status)
	require.Equal(t, 1, r.Attempts)
	require.Contains(t, r.LastError, "bigcommerce answered 503")
	require.Equal(t, b.clock.Now().Add(30*time.Second), r.NextAttemptAt, "first retry after 30 s")
	require.Zero(t, b.drain(), "not due before its retry time")

	b.clock.Advance(30 * time.Second)
	b.drain()
	r = b.receipt(id)
	require.Equal(t, 2, r.Attempts)
	require.Equal(t, b.clock.Now().Add(time.Minute), r.NextAttemptAt, "the wait doubles")

	b.clock.Advance(time.Minute)
	b.drain()
	r = b.receipt(id)
	require.Equal(t, store.ReceiptDead, r.Status)
	require.Equal(t, 3, r.Attempts)
	require.Contains(t, r.LastError, "gave up after 3 attempts")
	require.Contains(t, b.logs.String(), "dead letter")
	dead, err := b.store.ListDeadReceipts(ctxT(t), store.ListReceiptsParams{})
	require.NoError(t, err)
	require.Len(t, dead.Receipts, 1)
	require.Equal(t, id, dead.Receipts[0].ID)
	b.clock.Advance(time.Hour)
	require.Zero(t, b.drain(), "dead letters are not retried")

	// The platform is back; an operator replays it.
	b.bc.mu.Lock()
	b.bc.err = nil
	b.bc.mu.Unlock()
	b.bc.set("5001", testdata(t, "bigcommerce", "order-5001-kwd.json"),
		testdata(t, "bigcommerce", "order-5001-products.json"), testdata(t, "bigcommerce", "order-5001-shipping-addresses.json"))
	_, err = b.store.ReplayReceipt(ctxT(t), id)
	require.NoError(t, err)
	b.drain()
	require.Equal(t, store.ReceiptProcessed, b.receipt(id).Status)
	require.Equal(t, orderhub.StatusPaid, b.order("acme-bc", "5001").Status)
}

func TestUnreadablePayloadIsDeadAtOnce(t *testing.T) { eachStore(t, testUnreadablePayloadIsDeadAtOnce) }

func testUnreadablePayloadIsDeadAtOnce(t *testing.T, setup setupFunc) {
	b := setup(t)
	body := []byte(`{"id": 99}`) // JSON, signed, but not an order: no currency
	id := b.accept("shopify", "acme-shopify", body, shopifyHeaders(body, "orders/create", "bad-1"))
	b.drain()
	r := b.receipt(id)
	require.Equal(t, store.ReceiptDead, r.Status, "retrying cannot fix a payload")
	require.Equal(t, 1, r.Attempts)
	require.Contains(t, r.LastError, "currency: missing")
	require.Empty(t, b.orders())
}

// One receipt failing inside the batch transaction must not hold back the
// others: the batch is re-applied receipt by receipt.
func TestABadReceiptDoesNotSpoilItsBatch(t *testing.T) {
	eachStore(t, testABadReceiptDoesNotSpoilItsBatch)
}

func testABadReceiptDoesNotSpoilItsBatch(t *testing.T, setup setupFunc) {
	b := setup(t)
	ctx := ctxT(t)
	paid := shopifyOrder("7401", "paid", "", "", "2026-11-28T10:00:00Z")
	b.accept("shopify", "acme-shopify", paid, shopifyHeaders(paid, "orders/create", "b0"))
	b.drain()
	o := b.order("acme-shopify", "7401")
	_, _, err := b.store.TransitionOrder(ctx, store.TransitionParams{OrderID: o.ID, To: orderhub.StatusAwaitingFulfillment, Actor: "routing"})
	require.NoError(t, err)
	b.proc.Canceller = nil // the cancellation below fails in the transaction

	first := shopifyOrder("7402", "paid", "", "", "2026-11-28T10:00:00Z")
	cancelled := shopifyOrder("7401", "voided", "", "2026-11-28T10:10:00Z", "2026-11-28T10:10:00Z")
	last := shopifyOrder("7403", "pending", "", "", "2026-11-28T10:00:00Z")
	ids := []string{
		b.accept("shopify", "acme-shopify", first, shopifyHeaders(first, "orders/create", "b1")),
		b.accept("shopify", "acme-shopify", cancelled, shopifyHeaders(cancelled, "orders/cancelled", "b2")),
		b.accept("shopify", "acme-shopify", last, shopifyHeaders(last, "orders/create", "b3")),
	}
	require.Equal(t, 3, b.drain())
	require.Equal(t, store.ReceiptProcessed, b.receipt(ids[0]).Status)
	require.Equal(t, store.ReceiptFailed, b.receipt(ids[1]).Status)
	require.Equal(t, store.ReceiptProcessed, b.receipt(ids[2]).Status)
	require.Equal(t, orderhub.StatusPaid, b.order("acme-shopify", "7402").Status)
	require.Equal(t, orderhub.StatusPending, b.order("acme-shopify", "7403").Status)
	require.Equal(t, 2, b.jobs(orderhub.RouteOrderArgs{}.Kind()), "7401 and 7402, each once: the rolled-back batch left no job")
}

func TestDrainWorkerSnoozesWhenItsBudgetIsSpent(t *testing.T) {
	eachStore(t, testDrainWorkerSnoozesWhenItsBudgetIsSpent)
}

func testDrainWorkerSnoozesWhenItsBudgetIsSpent(t *testing.T, setup setupFunc) {
	b := setup(t)
	for i := 0; i < 3; i++ {
		body := shopifyOrder(fmt.Sprint(7500+i), "pending", "", "", "2026-11-28T10:00:00Z")
		b.accept("shopify", "acme-shopify", body, shopifyHeaders(body, "orders/create", fmt.Sprint("s", i)))
	}
	b.proc.BatchSize = 1
	w := &webhooks.DrainWorker{Processor: b.proc, Budget: time.Nanosecond}
	err := w.Work(ctxT(t), &river.Job[orderhub.ProcessReceiptsArgs]{})
	var snooze *rivertype.JobSnoozeError
	require.True(t, errors.As(err, &snooze), "work remains: the job snoozes instead of inserting another (%v)", err)
	require.Len(t, b.orders(), 1)
	w.Budget = time.Minute
	require.NoError(t, w.Work(ctxT(t), &river.Job[orderhub.ProcessReceiptsArgs]{}))
	require.Len(t, b.orders(), 3)
	require.Greater(t, w.Timeout(nil), time.Minute)
}

func TestDefaultBackoff(t *testing.T) {
	want := []time.Duration{30 * time.Second, time.Minute, 2 * time.Minute, 4 * time.Minute, 8 * time.Minute, 16 * time.Minute, 32 * time.Minute, time.Hour, time.Hour}
	for i, w := range want {
		require.Equal(t, w, webhooks.DefaultBackoff(i+1), "attempt %d", i+1)
	}
}

var _ webhooks.Canceller = (*fakeCanceller)(nil)
var _ webhooks.BigCommerceFetcher = (*fakeBC)(nil)
