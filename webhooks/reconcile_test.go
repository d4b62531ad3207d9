package webhooks_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"github.com/stretchr/testify/require"

	"github.com/orderhub/orderhub"
	"github.com/orderhub/orderhub/store"
	"github.com/orderhub/orderhub/webhooks"
)

// fakeLister answers ListUpdatedSince from canned orders per shop and
// records each since it was asked for.
type fakeLister struct {
	mu     sync.Mutex
	orders map[string][]webhooks.RawOrder
	since  []time.Time
	err    error
}

func (f *fakeLister) ListUpdatedSince(ctx context.Context, shopID string, since time.Time) ([]webhooks.RawOrder, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.since = append(f.since, since)
	if f.err != nil {
		return nil, f.err
	}
	return f.orders[shopID], nil
}

func (b *bundle) reconciler(l webhooks.OrderLister) *webhooks.Reconciler {
	return &webhooks.Reconciler{Store: b.store, Lister: l, Shops: testShops, Now: b.clock.Now, Logger: b.logger}
}

func TestReconciliationIngestsWhatWebhooksMissed(t *testing.T) {
	eachStore(t, testReconciliationIngestsWhatWebhooksMissed)
}

func testReconciliationIngestsWhatWebhooksMissed(t *testing.T, setup setupFunc) {
	b := setup(t)
	ctx := ctxT(t)
	delivered := shopifyOrder("8001", "paid", "", "", "2026-11-28T10:00:00Z")
	missed := shopifyOrder("8002", "paid", "", "", "2026-11-28T11:00:00Z")
	b.accept("shopify", "acme-shopify", delivered, shopifyHeaders(delivered, "orders/create", "w-8001"))
	b.drain()
	before := len(b.events(b.order("acme-shopify", "8001").ID))

	l := &fakeLister{orders: map[string][]webhooks.RawOrder{"acme-shopify": {{Order: delivered}, {Order: missed}}}}
	rec := b.reconciler(l)
	res, err := rec.ReconcileShop(ctx, "acme-shopify")
	require.NoError(t, err)
	require.Equal(t, 2, res.Listed)
	require.Equal(t, 2, res.Stored, "each version is a receipt; the drain sorts out what is new")
	require.Equal(t, b.clock.Now().Add(-webhooks.DefaultLookback), l.since[0], "a first pass looks back a day")
	require.Equal(t, time.Date(2026, 11, 28, 11, 0, 0, 0, time.UTC), res.Cursor)
	cursor, err := b.store.GetReconcileCursor(ctx, "acme-shopify")
	require.NoError(t, err)
	require.Equal(t, res.Cursor, cursor)

	b.drain()
	o := b.order("acme-shopify", "8002")
	require.Equal(t, orderhub.StatusPaid, o.Status, "the missed order is ingested")
	require.Equal(t, 2, b.jobs(orderhub.RouteOrderArgs{}.Kind()), "and routed, once")
	require.Len(t, b.events(b.order("acme-shopify", "8001").ID), before, "a version webhooks brought changes nothing")
	for _, r := range b.receipts() {
		require.Equal(t, store.ReceiptProcessed, r.Status, r.Outcome)
	}

	// The next pass starts at the cursor, sees the same versions, stores nothing.
	receipts, events := len(b.receipts()), len(b.events(o.ID))
	res, err = rec.ReconcileShop(ctx, "acme-shopify")
	require.NoError(t, err)
	require.Zero(t, res.Stored)
	require.Equal(t, cursor, l.since[1])
	require.Len(t, b.receipts(), receipts)
	require.Zero(t, b.drain())
	require.Len(t, b.events(o.ID), events)
	require.Equal(t, 2, b.jobs(orderhub.RouteOrderArgs{}.Kind()))

	// A newer version is ingested on the next pass.
	cancelled := shopifyOrder("8002", "voided", "", "2026-11-28T12:00:00Z", "2026-11-28T12:00:00Z")
	l.mu.Lock()
	l.orders["acme-shopify"] = []webhooks.RawOrder{{Order: cancelled}}
	l.mu.Unlock()
	res, err = rec.ReconcileShop(ctx, "acme-shopify")
	require.NoError(t, err)
	require.Equal(t, 1, res.Stored)
	b.drain()
	require.Equal(t, orderhub.StatusCancelled, b.order("acme-shopify", "8002").Status)
}

func TestReconciliationOfEachPlatform(t *testing.T) { eachStore(t, testReconciliationOfEachPlatform) }

func testReconciliationOfEachPlatform(t *testing.T, setup setupFunc) {
	b := setup(t)
	ctx := ctxT(t)
	l := &fakeLister{orders: map[string][]webhooks.RawOrder{
		"acme-woo": {{Order: testdata(t, "woocommerce", "order-1043-pending-guest-virtual.json")}},
		"acme-bc": {{Order: testdata(t, "bigcommerce", "order-5001-kwd.json"),
			Products:          testdata(t, "bigcommerce", "order-5001-products.json"),
			ShippingAddresses: testdata(t, "bigcommerce", "order-5001-shipping-addresses.json")}},
	}}
	rec := b.reconciler(l)
	for _, shop := range []string{"acme-woo", "acme-bc"} {
		res, err := rec.ReconcileShop(ctx, shop)
		require.NoError(t, err)
		require.Equal(t, 1, res.Stored, shop)
	}
	b.drain()
	require.Equal(t, orderhub.StatusPending, b.order("acme-woo", "1043").Status)
	bc := b.order("acme-bc", "5001")
	require.Equal(t, orderhub.StatusPaid, bc.Status)
	require.Len(t, bc.Lines, 3)
	require.Empty(t, b.bc.calls, "a reconciled BigCommerce order carries its products: no fetch")
	for _, r := range b.receipts() {
		require.Equal(t, webhooks.TopicReconcile, r.Topic)
		require.Equal(t, store.ReceiptProcessed, r.Status, r.LastError)
	}
}

func TestReconciliationFailuresKeepTheCursor(t *testing.T) {
	eachStore(t, testReconciliationFailuresKeepTheCursor)
}

func testReconciliationFailuresKeepTheCursor(t *testing.T, setup setupFunc) {
	b := setup(t)
	ctx := ctxT(t)
	l := &fakeLister{err: errors.New("shopify answered 502")}
	rec := b.reconciler(l)
	_, err := rec.ReconcileShop(ctx, "acme-shopify")
	require.ErrorContains(t, err, "shopify answered 502")
	cursor, err := b.store.GetReconcileCursor(ctx, "acme-shopify")
	require.NoError(t, err)
	require.True(t, cursor.IsZero(), "a failed pass does not move the cursor")
	require.Empty(t, b.receipts())

	// An order that cannot be read is kept as a dead letter, and does not
	// block the cursor behind it.
	good := shopifyOrder("8101", "pending", "", "", "2026-11-28T09:00:00Z")
	l.mu.Lock()
	l.err = nil
	l.orders = map[string][]webhooks.RawOrder{"acme-shopify": {{Order: []byte(`{"id": 8100}`)}, {Order: good}}}
	l.mu.Unlock()
	res, err := rec.ReconcileShop(ctx, "acme-shopify")
	require.NoError(t, err)
	require.Equal(t, 2, res.Stored)
	require.Equal(t, time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC), res.Cursor)
	b.drain()
	dead, err := b.store.ListDeadReceipts(ctx, store.ListReceiptsParams{})
	require.NoError(t, err)
	require.Len(t, dead.Receipts, 1)
	require.Contains(t, dead.Receipts[0].DedupeKey, "reconcile:sha256:")
	require.Equal(t, orderhub.StatusPending, b.order("acme-shopify", "8101").Status)

	_, err = rec.ReconcileShop(ctx, "no-such-shop")
	require.Equal(t, orderhub.ENotFound, orderhub.ErrorCode(err))
	err = rec.Work(ctx, &river.Job[webhooks.ReconcileArgs]{Args: webhooks.ReconcileArgs{ShopID: "no-such-shop"}})
	var cancel *rivertype.JobCancelError
	require.True(t, errors.As(err, &cancel), "a shop no longer configured is not retried: %v", err)
	require.NoError(t, rec.Work(ctx, &river.Job[webhooks.ReconcileArgs]{Args: webhooks.ReconcileArgs{ShopID: "acme-shopify"}}))
	require.Equal(t, webhooks.ReconcileTimeout, rec.Timeout(nil))
}

func TestPeriodicJobs(t *testing.T) {
	t.Parallel()
	require.Len(t, webhooks.PeriodicJobs([]string{"a", "b"}, 0, 0), 1, "the sweep alone without reconciliation")
	require.Len(t, webhooks.PeriodicJobs([]string{"a", "b"}, time.Second, time.Minute), 3, "the sweep and one pass per shop")
	require.Equal(t, "reconcile_shop", webhooks.ReconcileArgs{}.Kind())
}
