package allocator_test

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/orderhub/orderhub"
	"github.com/orderhub/orderhub/allocator"
	"github.com/orderhub/orderhub/routing"
	"github.com/orderhub/orderhub/store"
)

// heldOrder is a paid order with a line that ships, a line without a SKU
// (as WooCommerce sends a product that has none) and a digital line.
func heldOrder(t *testing.T, b bundle, ext string) orderhub.Order {
	t.Helper()
	paid := b.now
	o := orderhub.Order{ShopID: "shop-a", Platform: orderhub.PlatformWooCommerce, ExternalID: ext, Currency: "USD", Status: orderhub.StatusPaid, PaidAt: &paid,
		ShippingAddr: orderhub.Address{City: "Newark", Province: "NJ", Country: "US", Latitude: f64(40.73), Longitude: f64(-74.17)},
		Lines: []orderhub.Line{
			{ExternalID: "1", SKU: "MUG", Name: "Mug", Quantity: 1, RequiresShp: true, UnitPrice: usd("10.00"), Discount: usd("0"), Tax: usd("0")},
			{ExternalID: "2", SKU: "", Name: "Woo Single #1", Quantity: 2, RequiresShp: true, UnitPrice: usd("3.00"), Discount: usd("0"), Tax: usd("0")},
			{ExternalID: "3", SKU: "EBOOK", Name: "E-book", Quantity: 1, UnitPrice: usd("5.00"), Discount: usd("0"), Tax: usd("0"),
				NoShippingReason: "WooCommerce order has no shipping line and no shipping address (virtual products only)"},
		},
		Totals: orderhub.Totals{Subtotal: usd("21.00"), Discount: usd("0"), Shipping: usd("0"), Tax: usd("0"), Total: usd("21.00"), Refunded: usd("0")}}
	out, err := b.st.CreateOrder(context.Background(), store.CreateOrderParams{Order: o, Actor: "test"})
	require.NoError(t, err)
	return out
}

// Every unit of a line that needs shipping is placed, backordered or held:
// a line without a SKU is held with a reason on the explanation and the
// timeline, and counts as open, so shipping the rest of the order makes it
// partially fulfilled, never fulfilled. A digital line is left out on
// purpose and says why.
func TestLineWithoutSKUIsHeldAndKeepsTheOrderOpen(t *testing.T) {
	for _, policy := range []routing.BackorderPolicy{routing.BackorderNotify, routing.BackorderDeny} {
		t.Run(string(policy), func(t *testing.T) {
			stores(t, func(t *testing.T, open func(*testing.T, routing.Rules) bundle) {
				b := open(t, routing.Rules{AllowLineSplit: true, Backorders: policy})
				ctx := context.Background()
				setStock(t, b.st, "nyc", "MUG", 5)
				o := heldOrder(t, b, "held-"+string(policy))

				res, err := b.a.Route(ctx, o.ID)
				require.NoError(t, err)
				require.Equal(t, routing.Totals{Open: 3, Allocated: 1, Held: 2, NotShipped: 1}, res.Plan.Totals())
				require.Len(t, res.Fulfillments, 1)
				require.Empty(t, res.Backorders, "a line without a SKU can never be filled by a restock")

				got, err := b.st.GetOrder(ctx, o.ID)
				require.NoError(t, err)
				require.Equal(t, orderhub.StatusAwaitingFulfillment, got.Status)
				require.Zero(t, got.Lines[1].Cancelled, "held units are never cancelled on their own, whatever the policy")
				require.Len(t, got.Explanations, 3, "every line is explained")
				require.Contains(t, got.Explanations[1].Summary, "2 held for the operator (no SKU")
				require.Contains(t, got.Explanations[2].Summary, "1 left out, needs no shipping: WooCommerce order has no shipping line")

				events, err := b.st.ListEvents(ctx, o.ID)
				require.NoError(t, err)
				var held, routed []orderhub.OrderEvent
				for _, e := range events {
					switch e.Kind {
					case orderhub.EventHeld:
						held = append(held, e)
					case orderhub.EventRouted:
						routed = append(routed, e)
					}
				}
				require.Len(t, held, 1)
				require.Contains(t, held[0].Note, `2 × "Woo Single #1" (no SKU) held`)
				require.Contains(t, held[0].Note, "ship by hand or cancel")
				require.Len(t, routed, 1)
				require.Contains(t, routed[0].Note, "routed 3 units: 1 from own stock")
				require.Contains(t, routed[0].Note, "2 held")
				require.Contains(t, routed[0].Note, "1 left out (no shipping needed)")

				// The mug ships: two units are still open.
				r, err := b.a.Advance(ctx, allocator.Progress{FulfillmentID: res.Fulfillments[0].ID, Status: orderhub.FulfillmentShipped, TrackingNumber: "1Z", Actor: "easypost"})
				require.NoError(t, err)
				require.Equal(t, orderhub.StatusPartiallyFulfilled, r.OrderStatus, "held units are open units")

				// The operator cancels the held units: now all that ships has shipped.
				refund, err := b.a.Cancel(ctx, allocator.CancelRequest{OrderID: o.ID, Lines: []allocator.LineQuantity{{LineID: o.Lines[1].ID, Quantity: 2}}, Reason: "no SKU", Actor: "staff"})
				require.NoError(t, err)
				require.Equal(t, "6.00", refund.Amount.String())
				require.Equal(t, orderhub.StatusFulfilled, refund.Status)
				assertConserved(t, b.st)
			})
		})
	}
}

// An order whose only open units are held or need no shipping still routes,
// and stays open.
func TestOrderOfHeldAndDigitalLinesRoutes(t *testing.T) {
	stores(t, func(t *testing.T, open func(*testing.T, routing.Rules) bundle) {
		b := open(t, routing.Rules{AllowLineSplit: true})
		ctx := context.Background()
		o := heldOrder(t, b, "no-stock")
		res, err := b.a.Route(ctx, o.ID)
		require.NoError(t, err)
		require.Equal(t, routing.Totals{Open: 3, Backordered: 1, Held: 2, NotShipped: 1}, res.Plan.Totals())
		require.Len(t, res.Backorders, 1)
		require.Equal(t, "MUG", res.Backorders[0].SKU)
		st, err := syncStatus(b, o.ID)
		require.NoError(t, err)
		require.Equal(t, orderhub.StatusAwaitingFulfillment, st)
		events, err := b.st.ListEvents(ctx, o.ID)
		require.NoError(t, err)
		notes := ""
		for _, e := range events {
			notes += e.Kind + ": " + e.Note + "\n"
		}
		require.True(t, strings.Contains(notes, "held: 2 ×") && strings.Contains(notes, "backorder: 1 × MUG backordered"), notes)
	})
}
