package woocommerce_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/orderhub/orderhub"
	"github.com/orderhub/orderhub/connectors/woocommerce"
	"github.com/orderhub/orderhub/connectors/woocommerce/woocommercetest"
)

type wbBundle struct {
	fake   *woocommercetest.Server
	writer *woocommerce.Writer
	order  orderhub.Order
	id     int64
}

func wbSetup(t *testing.T, tracking bool) wbBundle {
	t.Helper()
	fake := woocommercetest.New(t, woocommercetest.Options{})
	body := woocommercetest.MustBuildOrder(woocommercetest.OrderSpec{ID: 727, Status: "processing", Lines: []woocommercetest.LineSpec{
		{SKU: "MUG", Name: "Mug", Quantity: 2, Price: "12.50"}, {SKU: "TEE", Name: "Tee", Quantity: 1, Price: "20.00"},
	}})
	id, err := fake.AddOrder(body)
	require.NoError(t, err)
	o, err := woocommerce.NormalizeOrder(body)
	require.NoError(t, err)
	for i := range o.Lines {
		o.Lines[i].ID = "L" + strconv.Itoa(i)
	}
	c, err := woocommerce.NewClient(woocommerce.ClientConfig{BaseURL: fake.URL, ConsumerKey: woocommercetest.DefaultConsumerKey, ConsumerSecret: woocommercetest.DefaultConsumerSecret})
	require.NoError(t, err)
	day := time.Date(2026, 11, 28, 23, 30, 0, 0, time.UTC)
	return wbBundle{fake: fake, writer: &woocommerce.Writer{Client: c, ShipmentTracking: tracking, Now: func() time.Time { return day }}, order: o, id: id}
}

func orderStatus(t *testing.T, fake *woocommercetest.Server, id int64) string {
	t.Helper()
	raw, ok := fake.Order(id)
	require.True(t, ok)
	s := string(raw)
	i := strings.Index(s, `"status":"`)
	require.GreaterOrEqual(t, i, 0)
	rest := s[i+len(`"status":"`):]
	return rest[:strings.Index(rest, `"`)]
}

func TestWriteFulfillmentNoteTrackingAndCompletion(t *testing.T) {
	b := wbSetup(t, true)
	ctx := context.Background()
	f1 := orderhub.Fulfillment{ID: "f-1", SourceID: "nyc", Status: orderhub.FulfillmentShipped, Carrier: "UPS", TrackingNumber: "1Z1",
		TrackingURL: "https://ups.example/1Z1", Lines: []orderhub.FulfillmentLine{{LineID: "L0", SKU: "MUG", Quantity: 2}}}
	b.order.Status = orderhub.StatusPartiallyFulfilled
	id, err := b.writer.WriteFulfillment(ctx, b.order, f1, nil)
	require.NoError(t, err)
	require.NotEmpty(t, id)
	// A retry after a lost answer adds nothing.
	again, err := b.writer.WriteFulfillment(ctx, b.order, f1, nil)
	require.NoError(t, err)
	require.Equal(t, id, again)

	notes := b.fake.Notes(b.id)
	require.Len(t, notes, 1)
	require.Equal(t, "[orderhub fulfillment f-1 tracking 1Z1] Shipped 2 × MUG from nyc; tracking UPS 1Z1 https://ups.example/1Z1", notes[0].Note)
	require.False(t, notes[0].CustomerNote, "a private note")
	tr := b.fake.Trackings(b.id)
	require.Len(t, tr, 1)
	require.Equal(t, "1Z1", tr[0].TrackingNumber)
	require.Equal(t, "UPS", tr[0].TrackingProvider)
	require.Equal(t, "2026-11-28", tr[0].DateShipped)
	require.Equal(t, "processing", orderStatus(t, b.fake, b.id), "not everything has shipped")

	// The second fulfillment completes the order; a carrier the extension
	// does not know goes in as a custom provider with its link.
	f2 := orderhub.Fulfillment{ID: "f-2", SourceID: "dropco", Status: orderhub.FulfillmentShipped, Carrier: "Parcelforce", TrackingNumber: "PF9",
		TrackingURL: "https://pf.example/PF9", Lines: []orderhub.FulfillmentLine{{LineID: "L1", SKU: "TEE", Quantity: 1}}}
	b.order.Status = orderhub.StatusFulfilled
	_, err = b.writer.WriteFulfillment(ctx, b.order, f2, []orderhub.Fulfillment{f1, f2})
	require.NoError(t, err)
	require.Equal(t, "completed", orderStatus(t, b.fake, b.id))
	tr = b.fake.Trackings(b.id)
	require.Len(t, tr, 2)
	require.Equal(t, "Parcelforce", tr[1].CustomTrackingProvider)
	require.Equal(t, "https://pf.example/PF9", tr[1].TrackingLink)
	puts := len(b.fake.RequestsTo("PUT", "/wp-json/wc/v3/orders/727"))
	_, err = b.writer.WriteFulfillment(ctx, b.order, f2, nil)
	require.NoError(t, err)
	require.Equal(t, puts, len(b.fake.RequestsTo("PUT", "/wp-json/wc/v3/orders/727")), "a completed order is not completed again")
	require.Len(t, b.fake.Notes(b.id), 2)

	// A tracking change is a note of its own and a new tracking item, once.
	f1.TrackingNumber = "1Z2"
	for range 2 {
		_, err = b.writer.WriteFulfillment(ctx, b.order, f1, nil)
		require.NoError(t, err)
	}
	notes = b.fake.Notes(b.id)
	require.Len(t, notes, 3)
	require.Contains(t, notes[2].Note, "[orderhub fulfillment f-1 tracking 1Z2]")
	require.Len(t, b.fake.Trackings(b.id), 3)
}

func TestWriteFulfillmentWithoutTheExtension(t *testing.T) {
	b := wbSetup(t, false)
	f := orderhub.Fulfillment{ID: "f-1", Carrier: "UPS", TrackingNumber: "1Z1", Lines: []orderhub.FulfillmentLine{{LineID: "L0", Quantity: 2}}}
	_, err := b.writer.WriteFulfillment(context.Background(), b.order, f, nil)
	require.NoError(t, err)
	require.Empty(t, b.fake.Trackings(b.id))
	require.Empty(t, b.fake.RequestsTo("", "/wp-json/wc-shipment-tracking/v3/orders/727/shipment-trackings"))
	require.Len(t, b.fake.Notes(b.id), 1)
}

func TestAddNoteOnce(t *testing.T) {
	b := wbSetup(t, false)
	ctx := context.Background()
	for range 3 {
		require.NoError(t, b.writer.AddNote(ctx, b.order, "routed", "2 × MUG from nyc, 1 × TEE dropshipped"))
	}
	require.NoError(t, b.writer.AddNote(ctx, b.order, "backorder-9", "1 × TEE backordered"))
	notes := b.fake.Notes(b.id)
	require.Len(t, notes, 2)
	require.Equal(t, "[orderhub routed] 2 × MUG from nyc, 1 × TEE dropshipped", notes[0].Note)
	require.Len(t, b.fake.RequestsTo("POST", "/wp-json/wc/v3/orders/727/notes"), 2)

	missing := b.order
	missing.ExternalID = "99"
	err := b.writer.AddNote(ctx, missing, "routed", "x")
	require.Equal(t, orderhub.ENotFound, orderhub.ErrorCode(err))
	missing.ExternalID = "../1"
	err = b.writer.AddNote(ctx, missing, "routed", "x")
	require.Equal(t, orderhub.EInvalid, orderhub.ErrorCode(err))
}
