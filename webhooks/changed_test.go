package webhooks_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestChangedIsToldAfterCommit checks that the processor reports each
// order a batch touched, once, after the batch committed.
func TestChangedIsToldAfterCommit(t *testing.T) { eachStore(t, testChangedIsToldAfterCommit) }

func testChangedIsToldAfterCommit(t *testing.T, setup setupFunc) {
	b := setup(t)
	body := testdata(t, "shopify", "order-jpy-paid-modern.json")
	b.accept("shopify", "acme-shopify", body, shopifyHeaders(body, "orders/create", "evt-c1"))
	b.accept("shopify", "acme-shopify", body, shopifyHeaders(body, "orders/updated", "evt-c2"))
	var told []string
	b.proc.Changed = func(ctx context.Context, shopID, orderID string) {
		// The order is already visible outside the batch's transaction.
		o, err := b.store.GetOrder(ctx, orderID)
		require.NoError(t, err)
		require.Equal(t, shopID, o.ShopID)
		told = append(told, orderID)
	}
	require.Equal(t, 2, b.drain())
	o := b.order("acme-shopify", "820982911946154508")
	require.Equal(t, []string{o.ID}, told, "one order touched twice is told once")
}
