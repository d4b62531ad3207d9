package storetest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/orderhub/orderhub"
	"github.com/orderhub/orderhub/store"
)

func init() {
	exerciseAreas = append(exerciseAreas, func(t *testing.T, newStore NewStore) {
		t.Run("LineShippingNeedsRoundTrip", func(t *testing.T) { t.Parallel(); testLineShippingNeeds(t, newStore(t)) })
	})
}

// testLineShippingNeeds stores lines that need no shipping, with the
// platform's reason, and lines without a SKU, through both the create and
// the platform upsert paths, and reads them back as stored.
func testLineShippingNeeds(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	in := SampleOrder("shop-a", "ship-1")
	in.Lines[1].RequiresShp = false
	in.Lines[1].NoShippingReason = "Shopify says requires_shipping: false (a digital product or a gift card)"
	in.Lines[2].SKU = ""
	created, err := s.CreateOrder(ctx, store.CreateOrderParams{Order: in, Actor: "test"})
	require.NoError(t, err)
	got, err := s.GetOrder(ctx, created.ID)
	require.NoError(t, err)
	requireShipping(t, in.Lines, got.Lines)

	up := SampleOrder("shop-a", "ship-2")
	up.Lines[0].RequiresShp = false
	up.Lines[0].NoShippingReason = `BigCommerce product type is "digital", not physical`
	res, err := s.UpsertPlatformOrder(ctx, store.UpsertPlatformOrderParams{Order: up, Actor: "bigcommerce", Topic: "store/order/created", ReceiptID: "r-1"})
	require.NoError(t, err)
	requireShipping(t, up.Lines, res.Order.Lines)

	// An update that only changes why a line needs no shipping is a change
	// to the lines, and is stored.
	up.Lines[0].NoShippingReason = `BigCommerce product type is "giftcertificate", not physical`
	up.PlatformUpdate = up.PlatformUpdate.Add(time.Second)
	res, err = s.UpsertPlatformOrder(ctx, store.UpsertPlatformOrderParams{Order: up, Actor: "bigcommerce", Topic: "store/order/updated", ReceiptID: "r-2"})
	require.NoError(t, err)
	got, err = s.GetOrder(ctx, res.Order.ID)
	require.NoError(t, err)
	requireShipping(t, up.Lines, got.Lines)
}

func requireShipping(t *testing.T, want, got []orderhub.Line) {
	t.Helper()
	require.Len(t, got, len(want))
	for i := range want {
		require.Equal(t, want[i].SKU, got[i].SKU, "line %d sku", i)
		require.Equal(t, want[i].RequiresShp, got[i].RequiresShp, "line %d requires shipping", i)
		require.Equal(t, want[i].NoShippingReason, got[i].NoShippingReason, "line %d no-shipping reason", i)
	}
}
