package storetest

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/orderhub/orderhub"
	"github.com/orderhub/orderhub/store"
)

func init() {
	exerciseAreas = append(exerciseAreas, func(t *testing.T, newStore NewStore) {
		t.Run("TextWithNULSurvives", func(t *testing.T) { t.Parallel(); testTextWithNUL(t, newStore(t)) })
	})
}

// nulOrder is SampleOrder with a NUL byte, which platforms can send as
// "\u0000" in any JSON string, in every kind of text the order keeps.
func nulOrder(shop, externalID string) orderhub.Order {
	o := SampleOrder(shop, externalID)
	o.ExternalNumber = "#\x00" + externalID
	o.Customer.FirstName = "Bo\x00b"
	o.Customer.LastName = "\x00"
	o.ShippingAddr.Name = "Bob\x00Norman"
	o.ShippingAddr.Address1 = "1 Main\x00St"
	o.Note = "leave at the door\x00please"
	o.PlatformStatus = "pending\x00"
	o.Tags = []string{"vi\x00p"}
	o.Attributes = []orderhub.Attribute{{Name: "gift\x00note", Value: json.RawMessage(`"hap\u0000py"`)}}
	o.Shipping[0].Title = "Gro\x00und"
	o.Lines[0].Name = "Mug \x00 blue"
	o.Lines[0].SKU = "SKU-\x00A"
	o.Lines[1].Properties = []orderhub.Attribute{{Name: "engr\x00aving", Value: json.RawMessage(`{"text":"h\u0000i"}`)}}
	o.Lines[2].Name = "\x00\x00"
	o.Lines[2].ProductID = "9\x00"
	return o
}

// testTextWithNUL stores text holding NUL bytes, which PostgreSQL text
// columns refuse, and reads back exactly what was stored, through both the
// create and the platform upsert paths, and in the timeline.
func testTextWithNUL(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	in := nulOrder("shop-a", "nul-1")
	created, err := s.CreateOrder(ctx, store.CreateOrderParams{Order: in, Actor: "te\x00st", Note: "from \x00 the platform"})
	require.NoError(t, err)
	got, err := s.GetOrder(ctx, created.ID)
	require.NoError(t, err)
	requireSameText(t, in, got)

	byExt, err := s.GetOrderByExternalID(ctx, "shop-a", "nul-1")
	require.NoError(t, err)
	require.Equal(t, created.ID, byExt.ID)

	ev, err := s.AddEvent(ctx, orderhub.OrderEvent{OrderID: created.ID, Kind: orderhub.EventNote, Actor: "sta\x00ff", Note: "called \x00 the customer"})
	require.NoError(t, err)
	events, err := s.ListEvents(ctx, created.ID)
	require.NoError(t, err)
	require.Len(t, events, 2)
	require.Equal(t, "te\x00st", events[0].Actor)
	require.Equal(t, "from \x00 the platform", events[0].Note)
	require.Equal(t, ev.ID, events[1].ID)
	require.Equal(t, "sta\x00ff", events[1].Actor)
	require.Equal(t, "called \x00 the customer", events[1].Note)

	// A SKU holding NUL is found again by the lookups routing makes.
	sku := in.Lines[0].SKU
	_, err = s.SetStock(ctx, store.SetStockParams{LocationID: "nyc", SKU: sku, OnHand: 4, Actor: "te\x00st"})
	require.NoError(t, err)
	levels, err := s.ListStock(ctx, store.ListStockParams{SKUs: []string{sku, "SKU-B"}})
	require.NoError(t, err)
	require.Equal(t, []orderhub.StockLevel{{LocationID: "nyc", SKU: sku, OnHand: 4}}, levels)
	lv, err := s.GetStock(ctx, "nyc", sku)
	require.NoError(t, err)
	require.Equal(t, int64(4), lv.OnHand)
	require.NoError(t, s.Reserve(ctx, store.StockMove{LocationID: "nyc", SKU: sku, Quantity: 1, Ref: created.ID, Reason: "route"}))

	// The platform path: a new order, then an update whose lines differ.
	up := nulOrder("shop-a", "nul-2")
	up.Platform = orderhub.PlatformWooCommerce
	res, err := s.UpsertPlatformOrder(ctx, store.UpsertPlatformOrderParams{Order: up, Actor: "woo\x00commerce", Topic: "order.created", ReceiptID: "r-nul"})
	require.NoError(t, err)
	got, err = s.GetOrder(ctx, res.Order.ID)
	require.NoError(t, err)
	requireSameText(t, up, got)

	up.Lines[0].Name = "Mug \x00 red"
	up.Note = "\x00changed"
	up.PlatformUpdate = up.PlatformUpdate.Add(time.Second)
	res, err = s.UpsertPlatformOrder(ctx, store.UpsertPlatformOrderParams{Order: up, Actor: "woocommerce", Topic: "order.updated", ReceiptID: "r-nul-2"})
	require.NoError(t, err)
	got, err = s.GetOrder(ctx, res.Order.ID)
	require.NoError(t, err)
	requireSameText(t, up, got)
}

func requireSameText(t *testing.T, want, got orderhub.Order) {
	t.Helper()
	require.Equal(t, want.ExternalNumber, got.ExternalNumber)
	require.Equal(t, want.Customer, got.Customer)
	require.Equal(t, want.ShippingAddr, got.ShippingAddr)
	require.Equal(t, want.Note, got.Note)
	require.Equal(t, want.PlatformStatus, got.PlatformStatus)
	require.Equal(t, want.Tags, got.Tags)
	require.Len(t, got.Attributes, len(want.Attributes))
	for i, a := range want.Attributes {
		require.Equal(t, a.Name, got.Attributes[i].Name)
		require.JSONEq(t, string(a.Value), string(got.Attributes[i].Value))
	}
	require.Equal(t, want.Shipping[0].Title, got.Shipping[0].Title)
	require.Len(t, got.Lines, len(want.Lines))
	for i, l := range want.Lines {
		g := got.Lines[i]
		require.Equal(t, l.Name, g.Name, "line %d name", i)
		require.Equal(t, l.SKU, g.SKU, "line %d sku", i)
		require.Equal(t, l.ProductID, g.ProductID, "line %d product id", i)
		require.Len(t, g.Properties, len(l.Properties), "line %d properties", i)
		for j, p := range l.Properties {
			require.Equal(t, p.Name, g.Properties[j].Name)
			require.JSONEq(t, string(p.Value), string(g.Properties[j].Value))
		}
	}
}
