package storetest

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/orderhub/orderhub"
	"github.com/orderhub/orderhub/store"
)

func init() {
	exerciseAreas = append(exerciseAreas, func(t *testing.T, newStore NewStore) {
		t.Run("StockLevels", func(t *testing.T) { t.Parallel(); testStockLevels(t, newStore(t)) })
		t.Run("ReservationsNeverOversell", func(t *testing.T) { t.Parallel(); testNoOversell(t, newStore(t)) })
		t.Run("StockLedgerConserves", func(t *testing.T) { t.Parallel(); testLedger(t, newStore(t)) })
		t.Run("Fulfillments", func(t *testing.T) { t.Parallel(); testFulfillments(t, newStore(t)) })
		t.Run("BackordersFIFO", func(t *testing.T) { t.Parallel(); testBackorders(t, newStore(t)) })
		t.Run("LineCancellationAndTotals", func(t *testing.T) { t.Parallel(); testLineCancel(t, newStore(t)) })
	})
}

func testStockLevels(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	l, err := s.GetStock(ctx, "nyc", "SKU-A")
	require.NoError(t, err)
	require.Equal(t, orderhub.StockLevel{LocationID: "nyc", SKU: "SKU-A"}, l, "an unknown SKU is a zero level")

	l, err = s.SetStock(ctx, store.SetStockParams{LocationID: "nyc", SKU: "SKU-A", OnHand: 10, Actor: "test"})
	require.NoError(t, err)
	require.Equal(t, int64(10), l.OnHand)
	l, err = s.AdjustStock(ctx, store.AdjustStockParams{LocationID: "nyc", SKU: "SKU-A", Delta: -3, Reason: "damaged"})
	require.NoError(t, err)
	require.Equal(t, int64(7), l.OnHand)
	_, err = s.AdjustStock(ctx, store.AdjustStockParams{LocationID: "nyc", SKU: "SKU-A", Delta: -8})
	require.Equal(t, orderhub.EConflict, orderhub.ErrorCode(err), "on_hand cannot go negative")
	_, err = s.SetStock(ctx, store.SetStockParams{LocationID: "nyc", SKU: "SKU-A", OnHand: -1})
	require.Equal(t, orderhub.EInvalid, orderhub.ErrorCode(err))

	require.NoError(t, s.Reserve(ctx, store.StockMove{LocationID: "nyc", SKU: "SKU-A", Quantity: 5}))
	_, err = s.SetStock(ctx, store.SetStockParams{LocationID: "nyc", SKU: "SKU-A", OnHand: 4})
	require.Equal(t, orderhub.EConflict, orderhub.ErrorCode(err), "a count below what is reserved would oversell")
	require.Contains(t, err.Error(), "5 units reserved")
	_, err = s.AdjustStock(ctx, store.AdjustStockParams{LocationID: "nyc", SKU: "SKU-A", Delta: -3})
	require.Equal(t, orderhub.EConflict, orderhub.ErrorCode(err))

	_, err = s.SetStock(ctx, store.SetStockParams{LocationID: "chi", SKU: "SKU-A", OnHand: 2})
	require.NoError(t, err)
	_, err = s.SetStock(ctx, store.SetStockParams{LocationID: "chi", SKU: "SKU-B", OnHand: 9})
	require.NoError(t, err)
	all, err := s.ListStock(ctx, store.ListStockParams{})
	require.NoError(t, err)
	require.Len(t, all, 3)
	onlyA, err := s.ListStock(ctx, store.ListStockParams{SKUs: []string{"SKU-A"}})
	require.NoError(t, err)
	require.Equal(t, []orderhub.StockLevel{{LocationID: "chi", SKU: "SKU-A", OnHand: 2}, {LocationID: "nyc", SKU: "SKU-A", OnHand: 7, Reserved: 5}}, onlyA)
	chi, err := s.ListStock(ctx, store.ListStockParams{LocationIDs: []string{"chi"}})
	require.NoError(t, err)
	require.Len(t, chi, 2)
}

// testNoOversell has many goroutines reserve one unit each of a SKU with
// little stock: exactly the available units are reserved, never more.
func testNoOversell(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	_, err := s.SetStock(ctx, store.SetStockParams{LocationID: "nyc", SKU: "HOT", OnHand: 23})
	require.NoError(t, err)
	const workers, tries = 32, 4
	var won, lost atomic.Int64
	errs := make(chan error, workers*tries)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < tries; i++ {
				// Inside a transaction, as routing does, with a safety stock of 3.
				err := s.InTx(ctx, func(ctx context.Context, tx store.Tx) error {
					return tx.Reserve(ctx, store.StockMove{LocationID: "nyc", SKU: "HOT", Quantity: 1, SafetyStock: 3, Ref: "race"})
				})
				switch orderhub.ErrorCode(err) {
				case "":
					won.Add(1)
				case orderhub.EConflict:
					lost.Add(1)
				default:
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	require.Equal(t, int64(20), won.Load(), "23 on hand less 3 safety stock")
	require.Equal(t, int64(workers*tries-20), lost.Load())
	l, err := s.GetStock(ctx, "nyc", "HOT")
	require.NoError(t, err)
	require.Equal(t, int64(20), l.Reserved)
	require.Equal(t, int64(3), l.Available(0))
	require.Equal(t, int64(0), l.Available(3))

	err = s.Reserve(ctx, store.StockMove{LocationID: "nyc", SKU: "HOT", Quantity: 0})
	require.Equal(t, orderhub.EInvalid, orderhub.ErrorCode(err))
	err = s.Reserve(ctx, store.StockMove{LocationID: "nowhere", SKU: "HOT", Quantity: 1})
	require.Equal(t, orderhub.EConflict, orderhub.ErrorCode(err), "no stock row is no stock")
}

func testLedger(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	_, err := s.SetStock(ctx, store.SetStockParams{LocationID: "nyc", SKU: "L", OnHand: 10})
	require.NoError(t, err)
	require.NoError(t, s.Reserve(ctx, store.StockMove{LocationID: "nyc", SKU: "L", Quantity: 6, Ref: "f1"}))
	require.NoError(t, s.Ship(ctx, store.StockMove{LocationID: "nyc", SKU: "L", Quantity: 4, Ref: "f1"}))
	require.NoError(t, s.Release(ctx, store.StockMove{LocationID: "nyc", SKU: "L", Quantity: 2, Ref: "f1"}))
	err = s.Release(ctx, store.StockMove{LocationID: "nyc", SKU: "L", Quantity: 1})
	require.Equal(t, orderhub.EConflict, orderhub.ErrorCode(err), "nothing left reserved")
	err = s.Ship(ctx, store.StockMove{LocationID: "nyc", SKU: "L", Quantity: 1})
	require.Equal(t, orderhub.EConflict, orderhub.ErrorCode(err), "only reserved stock ships")
	_, err = s.AdjustStock(ctx, store.AdjustStockParams{LocationID: "nyc", SKU: "L", Delta: 5, Reason: "restock"})
	require.NoError(t, err)

	l, err := s.GetStock(ctx, "nyc", "L")
	require.NoError(t, err)
	require.Equal(t, orderhub.StockLevel{LocationID: "nyc", SKU: "L", OnHand: 11, Reserved: 0}, l)
	ledger, err := s.StockLedger(ctx)
	require.NoError(t, err)
	require.Equal(t, []orderhub.StockLevel{l}, ledger, "the movements add up to the level")
}

func testFulfillments(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	o := create(t, s, SampleOrder("shop-a", "ff"))
	f, err := s.CreateFulfillment(ctx, orderhub.Fulfillment{OrderID: o.ID, ShopID: o.ShopID, SourceKind: orderhub.SourceWarehouse, SourceID: "nyc",
		Lines: []orderhub.FulfillmentLine{{LineID: o.Lines[0].ID, SKU: "SKU-A", Quantity: 2}}})
	require.NoError(t, err)
	require.Equal(t, orderhub.FulfillmentPending, f.Status)
	_, err = s.CreateFulfillment(ctx, orderhub.Fulfillment{OrderID: o.ID, ShopID: o.ShopID, SourceKind: orderhub.SourceSupplier, SourceID: "dropco",
		Lines: []orderhub.FulfillmentLine{{LineID: o.Lines[1].ID, SKU: "SKU-B", Quantity: 1}}})
	require.NoError(t, err)
	require.NoError(t, s.AddFulfillmentLines(ctx, f.ID, []orderhub.FulfillmentLine{{LineID: o.Lines[2].ID, SKU: "SKU-C", Quantity: 1}, {LineID: o.Lines[2].ID, SKU: "SKU-C", Quantity: 2}}))

	got, err := s.GetFulfillment(ctx, f.ID)
	require.NoError(t, err)
	require.Len(t, got.Lines, 2)
	qty := map[string]int64{}
	for _, l := range got.Lines {
		qty[l.SKU] = l.Quantity
	}
	require.Equal(t, map[string]int64{"SKU-A": 2, "SKU-C": 3}, qty)

	require.NoError(t, s.RemoveFulfillmentLine(ctx, f.ID, o.Lines[2].ID, 1))
	require.NoError(t, s.RemoveFulfillmentLine(ctx, f.ID, o.Lines[0].ID, 2))
	err = s.RemoveFulfillmentLine(ctx, f.ID, o.Lines[0].ID, 1)
	require.Equal(t, orderhub.EConflict, orderhub.ErrorCode(err))
	got, err = s.GetFulfillment(ctx, f.ID)
	require.NoError(t, err)
	require.Equal(t, []orderhub.FulfillmentLine{{LineID: o.Lines[2].ID, SKU: "SKU-C", Quantity: 2}}, got.Lines)

	list, err := s.ListFulfillments(ctx, o.ID)
	require.NoError(t, err)
	require.Len(t, list, 2)
	require.Equal(t, "dropco", list[1].SourceID)
	require.Len(t, list[1].Lines, 1)

	up, err := s.UpdateFulfillment(ctx, store.UpdateFulfillmentParams{ID: f.ID, Status: orderhub.FulfillmentShipped, Carrier: "UPS", TrackingNumber: "1Z999", TrackingURL: "https://ups.example/1Z999"})
	require.NoError(t, err)
	require.Equal(t, orderhub.FulfillmentShipped, up.Status)
	_, err = s.UpdateFulfillment(ctx, store.UpdateFulfillmentParams{ID: f.ID, Status: orderhub.FulfillmentDelivered})
	require.NoError(t, err)
	_, err = s.UpdateFulfillment(ctx, store.UpdateFulfillmentParams{ID: f.ID, Status: orderhub.FulfillmentShipped})
	require.Equal(t, orderhub.EConflict, orderhub.ErrorCode(err), "delivered never goes back to in transit")
	require.Contains(t, err.Error(), "delivered")
	got, err = s.GetFulfillment(ctx, f.ID)
	require.NoError(t, err)
	require.Equal(t, orderhub.FulfillmentDelivered, got.Status)
	require.Equal(t, "1Z999", got.TrackingNumber, "tracking kept when a later update omits it")
	_, err = s.GetFulfillment(ctx, "missing")
	require.Equal(t, orderhub.ENotFound, orderhub.ErrorCode(err))
}

func testBackorders(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	base := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	var ids []string
	// Paid times deliberately out of creation order.
	for i, offset := range []int{3, 1, 2, 0} {
		shop := "shop-a"
		if i == 3 {
			shop = "shop-b"
		}
		o := create(t, s, SampleOrder(shop, fmt.Sprintf("bo-%d", i)))
		b, err := s.CreateBackorder(ctx, orderhub.Backorder{OrderID: o.ID, ShopID: shop, LineID: o.Lines[0].ID, SKU: "SKU-A", Quantity: 2, PaidAt: base.Add(time.Duration(offset) * time.Hour)})
		require.NoError(t, err)
		require.Equal(t, orderhub.BackorderPending, b.Status)
		ids = append(ids, b.ID)
	}
	fifo, err := s.OpenBackorders(ctx, "SKU-A", 10)
	require.NoError(t, err)
	require.Len(t, fifo, 4)
	require.Equal(t, []string{ids[3], ids[1], ids[2], ids[0]}, []string{fifo[0].ID, fifo[1].ID, fifo[2].ID, fifo[3].ID}, "oldest paid first")

	b, err := s.UpdateBackorder(ctx, store.UpdateBackorderParams{ID: ids[3], From: orderhub.BackorderPending, Filled: 2, Status: orderhub.BackorderFilled})
	require.NoError(t, err)
	require.Equal(t, int64(0), b.Remaining())
	_, err = s.UpdateBackorder(ctx, store.UpdateBackorderParams{ID: ids[3], From: orderhub.BackorderPending, Filled: 2, Status: orderhub.BackorderFilled})
	require.Equal(t, orderhub.EConflict, orderhub.ErrorCode(err), "a stale From fails")
	_, err = s.UpdateBackorder(ctx, store.UpdateBackorderParams{ID: ids[1], Filled: 3, Status: orderhub.BackorderFilled})
	require.Equal(t, orderhub.EInvalid, orderhub.ErrorCode(err), "cannot fill more than ordered")
	b, err = s.UpdateBackorder(ctx, store.UpdateBackorderParams{ID: ids[1], Filled: 1, Status: orderhub.BackorderWaiting})
	require.NoError(t, err)
	require.Equal(t, int64(1), b.Remaining())

	fifo, err = s.OpenBackorders(ctx, "SKU-A", 10)
	require.NoError(t, err)
	require.Len(t, fifo, 3, "filled backorders leave the queue")
	require.Equal(t, ids[1], fifo[0].ID)

	page, err := s.ListBackorders(ctx, store.ListBackordersParams{ShopIDs: []string{"shop-b"}})
	require.NoError(t, err)
	require.Len(t, page.Backorders, 1)
	page, err = s.ListBackorders(ctx, store.ListBackordersParams{Status: orderhub.BackorderPending})
	require.NoError(t, err)
	require.Len(t, page.Backorders, 2)
	var seen []string
	after := ""
	for {
		page, err := s.ListBackorders(ctx, store.ListBackordersParams{Limit: 3, After: after})
		require.NoError(t, err)
		for _, b := range page.Backorders {
			seen = append(seen, b.ID)
		}
		if page.Next == "" {
			break
		}
		after = page.Next
	}
	require.ElementsMatch(t, ids, seen)
	_, err = s.GetBackorder(ctx, "missing")
	require.Equal(t, orderhub.ENotFound, orderhub.ErrorCode(err))
}

func testLineCancel(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	o := create(t, s, SampleOrder("shop-a", "cx"))
	require.NoError(t, s.CancelLineQuantity(ctx, o.ID, o.Lines[0].ID, 1))
	err := s.CancelLineQuantity(ctx, o.ID, o.Lines[0].ID, 2)
	require.Equal(t, orderhub.EConflict, orderhub.ErrorCode(err), "only 1 of 2 is left")
	err = s.CancelLineQuantity(ctx, "another-order", o.Lines[0].ID, 1)
	require.Equal(t, orderhub.EConflict, orderhub.ErrorCode(err), "a line is cancelled only through its own order")

	tot := o.Totals
	tot.Total = usd("20.00")
	tot.Refunded = usd("23.85")
	require.NoError(t, s.SetOrderTotals(ctx, o.ID, tot))
	ex := []orderhub.Explanation{{LineID: o.Lines[0].ID, SKU: "SKU-A", Summary: "2 from nyc", Candidates: []orderhub.Candidate{{Source: "nyc", Kind: "warehouse", Rank: 1, Chosen: true, Reason: "nyc: has 5 of 2"}}}}
	require.NoError(t, s.SetExplanations(ctx, o.ID, ex))

	got, err := s.GetOrder(ctx, o.ID)
	require.NoError(t, err)
	require.Equal(t, int64(1), got.Lines[0].Cancelled)
	require.Equal(t, int64(1), got.Lines[0].OpenQuantity())
	require.Equal(t, int64(2000), got.Totals.Total.Amount)
	require.Equal(t, int64(2385), got.Totals.Refunded.Amount)
	require.Equal(t, ex, got.Explanations)
}
