package webhooks_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/orderhub/orderhub/store"
	"github.com/orderhub/orderhub/webhooks"
)

func TestPruneKeepsRecentAndUnfinished(t *testing.T) { eachStore(t, testPruneKeepsRecentAndUnfinished) }

func testPruneKeepsRecentAndUnfinished(t *testing.T, setup setupFunc) {
	b := setup(t)
	body := testdata(t, "shopify", "order-jpy-paid-modern.json")
	done := b.accept("shopify", "acme-shopify", body, shopifyHeaders(body, "orders/create", "evt-p1"))
	require.Equal(t, 1, b.drain())
	waiting := b.accept("shopify", "acme-shopify", body, shopifyHeaders(body, "orders/updated", "evt-p2"))

	w := &webhooks.Pruner{Store: b.store}
	n, err := w.Prune(ctxT(t))
	require.NoError(t, err)
	require.Zero(t, n, "a receipt of today is kept")

	w.Now = func() time.Time { return time.Now().Add(webhooks.DefaultKeep + time.Hour) }
	n, err = w.Prune(ctxT(t))
	require.NoError(t, err)
	require.Equal(t, 1, n)
	require.Equal(t, store.ReceiptPending, b.receipt(waiting).Status, "an unprocessed receipt is never pruned")
	rs := b.receipts()
	for _, r := range rs {
		require.NotEqual(t, done, r.ID, "the processed receipt is gone")
	}
	require.Len(t, b.orders(), 1, "pruning the inbox leaves the orders")
}
