package fulfillment_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/orderhub/orderhub"
	"github.com/orderhub/orderhub/allocator"
	"github.com/orderhub/orderhub/fulfillment"
)

type stub3PL struct {
	orders map[string]fulfillment.ThreePLOrder
	err    error
}

func (s *stub3PL) SubmitOrder(_ context.Context, o fulfillment.ThreePLOrder) (string, bool, error) {
	if s.err != nil {
		return "", false, s.err
	}
	if _, ok := s.orders[o.Reference]; ok {
		return "sb-" + o.Reference[:4], false, nil
	}
	s.orders[o.Reference] = o
	return "sb-" + o.Reference[:4], true, nil
}

func TestThreePLOrder(t *testing.T) {
	t.Parallel()
	b := setup(t)
	o, fs := routed(t, b)
	stub := &stub3PL{orders: map[string]fulfillment.ThreePLOrder{}}
	ex := &fulfillment.ThreePLExecutor{Advancer: b.alloc, Locations: map[string]string{"la-3pl": "sb"}, Providers: map[string]fulfillment.ThreePL{"sb": stub}}
	f := fs["la-3pl"]
	require.NoError(t, ex.Execute(context.Background(), f, o))
	got := get(t, b, f.ID)
	require.Equal(t, orderhub.FulfillmentSubmitted, got.Status)
	require.Equal(t, "sb-"+f.ID[:4], got.ExternalID)
	sent := stub.orders[f.ID]
	require.Equal(t, o.ExternalNumber, sent.OrderNumber)
	require.Equal(t, "Express", sent.ShippingMethod, "the order's shipping line names the method")
	require.Equal(t, []fulfillment.ThreePLLine{{SKU: "POSTER", Name: "The POSTER", Quantity: 2}}, sent.Lines)
	require.Equal(t, "Newark", sent.ShipTo.City)

	// Executed again (a retry after a crash before the status was saved):
	// the 3PL finds its order, nothing new is made.
	require.NoError(t, ex.Execute(context.Background(), f, o))
	require.Len(t, stub.orders, 1)
	require.Contains(t, strings.Join(notes(t, b, o.ID), "\n"), "3PL order sb-"+f.ID[:4]+" created at sb")

	stub.err = orderhub.Errorf(orderhub.EInvalid, "products[0].reference_id: unknown product")
	o2, fs2 := routed(t, b)
	require.NoError(t, ex.Execute(context.Background(), fs2["la-3pl"], o2))
	require.Equal(t, orderhub.FulfillmentFailed, get(t, b, fs2["la-3pl"].ID).Status)
	require.Contains(t, strings.Join(notes(t, b, o2.ID), "\n"), "3PL order refused: products[0].reference_id: unknown product")

	_, fs3 := routed(t, b)
	err := (&fulfillment.ThreePLExecutor{Advancer: b.alloc}).Execute(context.Background(), fs3["la-3pl"], o2)
	require.Equal(t, orderhub.EUnsupported, orderhub.ErrorCode(err))
}

type stubPOs struct{ sent []fulfillment.PurchaseOrder }

func (s *stubPOs) Send(_ context.Context, po fulfillment.PurchaseOrder) (string, error) {
	s.sent = append(s.sent, po)
	return "PO-7", nil
}

func TestDropshipPurchaseOrder(t *testing.T) {
	t.Parallel()
	b := setup(t)
	o, fs := routed(t, b)
	stub := &stubPOs{}
	ex := &fulfillment.DropshipExecutor{Advancer: b.alloc, Suppliers: map[string]orderhub.Supplier{"dropco": dropco}, Sender: stub}
	f := fs["dropco"]
	require.NoError(t, ex.Execute(context.Background(), f, o))
	require.Len(t, stub.sent, 1)
	po := stub.sent[0]
	require.Equal(t, f.ID, po.ID, "the PO is tagged with the fulfillment id")
	require.Equal(t, "dropco", po.SupplierID)
	require.Equal(t, []fulfillment.PurchaseOrderLine{{LineID: o.Lines[2].ID, SKU: "HOODIE", Name: "The HOODIE", Quantity: 1, UnitCost: usd("18.50")}}, po.Lines)
	got := get(t, b, f.ID)
	require.Equal(t, orderhub.FulfillmentSubmitted, got.Status)
	require.Equal(t, "PO-7", got.ExternalID)
	require.Contains(t, strings.Join(notes(t, b, o.ID), "\n"), "purchase order sent to dropco (their reference PO-7)")
}

type stubPoller struct {
	shipments []fulfillment.TrackedShipment
	acked     []string
}

func (s *stubPoller) PendingTracking(context.Context) ([]fulfillment.TrackedShipment, error) {
	return s.shipments, nil
}

func (s *stubPoller) Acknowledge(_ context.Context, ids []string) error {
	s.acked = append(s.acked, ids...)
	return nil
}

// failing fails Advance for one fulfillment.
type failing struct {
	fulfillment.Advancer
	id string
}

func (f failing) Advance(ctx context.Context, p allocator.Progress) (allocator.ProgressResult, error) {
	if p.FulfillmentID == f.id {
		return allocator.ProgressResult{}, errors.New("database is locked")
	}
	return f.Advancer.Advance(ctx, p)
}

func TestPollAppliesAndAcknowledges(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	o, fs := routed(t, b)
	_, fs2 := routed(t, b)
	ex := &fulfillment.ThreePLExecutor{Advancer: b.alloc, Locations: map[string]string{"la-3pl": "sb"}, Providers: map[string]fulfillment.ThreePL{"sb": &stub3PL{orders: map[string]fulfillment.ThreePLOrder{}}}}
	require.NoError(t, ex.Execute(ctx, fs["la-3pl"], o))
	before, err := b.st.GetStock(ctx, "la-3pl", "POSTER")
	require.NoError(t, err)

	p := &stubPoller{shipments: []fulfillment.TrackedShipment{
		{ID: "1", Reference: fs["la-3pl"].ID, Status: orderhub.FulfillmentShipped, Carrier: "USPS", Tracking: "9400A", TrackingURL: "https://usps.example/9400A"},
		{ID: "2", Reference: "not-ours", Status: orderhub.FulfillmentShipped, Tracking: "X"},
		{ID: "3", Reference: fs2["la-3pl"].ID, Status: orderhub.FulfillmentShipped, Tracking: "9400C"},
	}}
	res, err := fulfillment.Poll(ctx, failing{b.alloc, fs2["la-3pl"].ID}, "sb", p, nil)
	require.ErrorContains(t, err, "database is locked")
	require.Equal(t, fulfillment.PollResult{Seen: 3, Changed: 1, Unknown: 1, Failed: 1}, res)
	require.Equal(t, []string{"1", "2"}, p.acked, "the failed one is polled again next time")

	got := get(t, b, fs["la-3pl"].ID)
	require.Equal(t, orderhub.FulfillmentShipped, got.Status)
	require.Equal(t, "9400A", got.TrackingNumber)
	after, err := b.st.GetStock(ctx, "la-3pl", "POSTER")
	require.NoError(t, err)
	require.Equal(t, before.OnHand-2, after.OnHand, "shipping consumed the two posters")

	// The same report again changes nothing.
	p.acked = nil
	res, err = fulfillment.Poll(ctx, b.alloc, "sb", &stubPoller{shipments: p.shipments[:1]}, nil)
	require.NoError(t, err)
	require.Equal(t, 0, res.Changed)
	again, err := b.st.GetStock(ctx, "la-3pl", "POSTER")
	require.NoError(t, err)
	require.Equal(t, after, again, "stock is consumed once")
}

func TestPollJobs(t *testing.T) {
	t.Parallel()
	jobs := fulfillment.PollPeriodicJobs([]string{"shipbob-main", "shipbob-eu"}, 0)
	require.Len(t, jobs, 2)
	require.Equal(t, "shipbob_poll", fulfillment.ShipBobPollArgs{}.Kind())
	opts := fulfillment.ShipBobPollArgs{}.InsertOpts()
	require.True(t, opts.UniqueOpts.ByArgs, "one poll per provider at a time")
	require.Equal(t, allocator.QueueFulfillment, opts.Queue)
}
