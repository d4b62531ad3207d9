package bigcommerce_test

import (
	"context"
	"encoding/json"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/orderhub/orderhub"
	"github.com/orderhub/orderhub/connectors/bigcommerce"
	"github.com/orderhub/orderhub/connectors/bigcommerce/bigcommercetest"
)

type wbBundle struct {
	fake   *bigcommercetest.Server
	writer *bigcommerce.Writer
	order  orderhub.Order
	id     int64
}

func wbSetup(t *testing.T, staffNotes string) wbBundle {
	t.Helper()
	fake := bigcommercetest.New(t, bigcommercetest.Options{})
	oj, pj, aj := bigcommercetest.MustBuildOrder(bigcommercetest.OrderSpec{ID: 250, StaffNotes: staffNotes, Lines: []bigcommercetest.LineSpec{
		{SKU: "RED", Quantity: 2, Price: "189.00"}, {SKU: "TEE", Quantity: 1, Price: "25.00"},
	}})
	id, err := fake.AddOrder(oj, pj, aj)
	require.NoError(t, err)
	o, err := bigcommerce.NormalizeOrder(oj, pj, aj)
	require.NoError(t, err)
	for i := range o.Lines {
		o.Lines[i].ID = "L" + strconv.Itoa(i)
	}
	c, err := bigcommerce.NewClient(bigcommerce.ClientConfig{BaseURL: fake.URL, StoreHash: bigcommercetest.DefaultStoreHash, AccessToken: bigcommercetest.DefaultAccessToken})
	require.NoError(t, err)
	return wbBundle{fake: fake, writer: &bigcommerce.Writer{Client: c}, order: o, id: id}
}

func shipments(t *testing.T, fake *bigcommercetest.Server, id int64) []bigcommerce.Shipment {
	t.Helper()
	var out []bigcommerce.Shipment
	for _, raw := range fake.Shipments(id) {
		var s bigcommerce.Shipment
		require.NoError(t, json.Unmarshal(raw, &s))
		out = append(out, s)
	}
	return out
}

func orderField(t *testing.T, fake *bigcommercetest.Server, id int64, field string) string {
	t.Helper()
	oj, _, _, ok := fake.Order(id)
	require.True(t, ok)
	var m map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(oj, &m))
	var s string
	if json.Unmarshal(m[field], &s) == nil {
		return s
	}
	return string(m[field])
}

func TestWriteShipmentOnceWithProductsAddressAndTracking(t *testing.T) {
	b := wbSetup(t, "")
	ctx := context.Background()
	f1 := orderhub.Fulfillment{ID: "f-1", SourceID: "nyc", Carrier: "USPS", TrackingNumber: "9400100000000000000001",
		Lines: []orderhub.FulfillmentLine{{LineID: "L0", SKU: "RED", Quantity: 2}}}
	b.order.Status = orderhub.StatusPartiallyFulfilled
	id, err := b.writer.WriteFulfillment(ctx, b.order, f1, nil)
	require.NoError(t, err)
	sh := shipments(t, b.fake, b.id)
	require.Len(t, sh, 1)
	require.Equal(t, id, sh[0].ID.String())
	require.Equal(t, "9400100000000000000001", sh[0].TrackingNumber)
	require.Equal(t, "usps", sh[0].ShippingProvider)
	require.Contains(t, sh[0].Comments, "[orderhub fulfillment f-1]")
	require.Len(t, sh[0].Items, 1)
	require.Equal(t, b.order.Lines[0].ExternalID, sh[0].Items[0].OrderProductID.String(), "the order product id")
	require.Equal(t, "2", sh[0].Items[0].Quantity.String())
	addrs, err := b.writer.Client.ShippingAddressIDs(ctx, b.order.ExternalID)
	require.NoError(t, err)
	require.Equal(t, addrs[0], sh[0].OrderAddressID.String(), "order_address_id is the order's shipping address")
	require.Equal(t, "3", orderField(t, b.fake, b.id, "status_id"), "Partially Shipped")

	// A lost answer: found by the marker in its comments.
	again, err := b.writer.WriteFulfillment(ctx, b.order, f1, nil)
	require.NoError(t, err)
	require.Equal(t, id, again)
	require.Len(t, shipments(t, b.fake, b.id), 1)

	// The rest ships: Shipped. An unknown carrier gives a tracking link.
	f2 := orderhub.Fulfillment{ID: "f-2", SourceID: "dropco", Carrier: "Parcelforce", TrackingNumber: "PF1", TrackingURL: "https://pf.example/PF1",
		Lines: []orderhub.FulfillmentLine{{LineID: "L1", SKU: "TEE", Quantity: 1}}}
	b.order.Status = orderhub.StatusFulfilled
	id2, err := b.writer.WriteFulfillment(ctx, b.order, f2, []orderhub.Fulfillment{{ID: "f-1", PlatformID: id}, f2})
	require.NoError(t, err)
	require.NotEqual(t, id, id2)
	sh = shipments(t, b.fake, b.id)
	require.Len(t, sh, 2)
	require.Equal(t, "", sh[1].ShippingProvider)
	require.Equal(t, "https://pf.example/PF1", sh[1].TrackingLink)
	require.Equal(t, "2", orderField(t, b.fake, b.id, "status_id"), "Shipped")

	// A tracking change: the shipment is updated, not created again.
	f1.PlatformID, f1.TrackingNumber, f1.Carrier = id, "1Z999", "UPS"
	_, err = b.writer.WriteFulfillment(ctx, b.order, f1, nil)
	require.NoError(t, err)
	sh = shipments(t, b.fake, b.id)
	require.Len(t, sh, 2)
	require.Equal(t, "1Z999", sh[0].TrackingNumber)
	require.Equal(t, "ups", sh[0].ShippingProvider)
	require.Len(t, b.fake.RequestsTo("POST", "/stores/abc123/v2/orders/250/shipments"), 2)
	require.Len(t, b.fake.RequestsTo("PUT", "/stores/abc123/v2/orders/250/shipments/"+id), 1)
	require.Equal(t, "2", orderField(t, b.fake, b.id, "status_id"), "never back to Partially Shipped")
}

func TestWriteShipmentAdoptsByTrackingNumberButNotASiblings(t *testing.T) {
	b := wbSetup(t, "")
	ctx := context.Background()
	// A shipment the merchant made by hand with our tracking number.
	_, err := b.writer.Client.CreateShipment(ctx, "250", bigcommerce.ShipmentInput{OrderAddressID: mustFirstAddr(t, b), TrackingNumber: "T-1",
		Items: []bigcommerce.ShipmentItem{{OrderProductID: json.Number(b.order.Lines[0].ExternalID), Quantity: "2"}}})
	require.NoError(t, err)
	f := orderhub.Fulfillment{ID: "f-1", TrackingNumber: "T-1", Lines: []orderhub.FulfillmentLine{{LineID: "L0", Quantity: 2}}}
	id, err := b.writer.WriteFulfillment(ctx, b.order, f, nil)
	require.NoError(t, err)
	require.Len(t, shipments(t, b.fake, b.id), 1, "adopted, not shipped twice")

	// The same tracking number on another fulfillment, whose sibling
	// already claimed that shipment, is a new shipment.
	g := orderhub.Fulfillment{ID: "f-2", TrackingNumber: "T-1", Lines: []orderhub.FulfillmentLine{{LineID: "L1", Quantity: 1}}}
	id2, err := b.writer.WriteFulfillment(ctx, b.order, g, []orderhub.Fulfillment{{ID: "f-1", PlatformID: id}, g})
	require.NoError(t, err)
	require.NotEqual(t, id, id2)
	require.Len(t, shipments(t, b.fake, b.id), 2)
}

func mustFirstAddr(t *testing.T, b wbBundle) string {
	ids, err := b.writer.Client.ShippingAddressIDs(context.Background(), "250")
	require.NoError(t, err)
	require.NotEmpty(t, ids)
	return ids[0]
}

func TestStaffNotesAppendedOnce(t *testing.T) {
	b := wbSetup(t, "Call before delivery")
	ctx := context.Background()
	for range 2 {
		require.NoError(t, b.writer.AddNote(ctx, b.order, "routed", "2 × RED from nyc"))
	}
	require.NoError(t, b.writer.AddNote(ctx, b.order, "cancel-3", "cancelled 1 × TEE; refund $25.00"))
	require.Equal(t, "Call before delivery\n[orderhub routed] 2 × RED from nyc\n[orderhub cancel-3] cancelled 1 × TEE; refund $25.00",
		orderField(t, b.fake, b.id, "staff_notes"))
	require.Len(t, b.fake.RequestsTo("PUT", "/stores/abc123/v2/orders/250"), 2)
}

func TestWriteShipmentErrors(t *testing.T) {
	b := wbSetup(t, "")
	ctx := context.Background()
	_, err := b.writer.WriteFulfillment(ctx, b.order, orderhub.Fulfillment{ID: "f", Lines: []orderhub.FulfillmentLine{{LineID: "nope", Quantity: 1}}}, nil)
	require.Equal(t, orderhub.EInvalid, orderhub.ErrorCode(err))
	_, err = b.writer.WriteFulfillment(ctx, b.order, orderhub.Fulfillment{ID: "f", Lines: []orderhub.FulfillmentLine{{LineID: "L0", Quantity: 5}}}, nil)
	require.Equal(t, orderhub.EInvalid, orderhub.ErrorCode(err), "BigCommerce refuses more than is left to ship")
	require.Empty(t, shipments(t, b.fake, b.id))
}
