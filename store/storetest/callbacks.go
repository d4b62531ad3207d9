package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/orderhub/orderhub"
	"github.com/orderhub/orderhub/store"
)

func init() {
	exerciseAreas = append(exerciseAreas, func(t *testing.T, newStore NewStore) {
		t.Run("CallbacksRecordedOnce", func(t *testing.T) { t.Parallel(); testCallbacksOnce(t, newStore(t)) })
		t.Run("CallbacksConcurrentRecordOneWins", func(t *testing.T) { t.Parallel(); testCallbacksConcurrent(t, newStore(t)) })
		t.Run("CallbacksRollBackWithTheChange", func(t *testing.T) { t.Parallel(); testCallbacksRollback(t, newStore(t)) })
		t.Run("CallbacksFindFulfillment", func(t *testing.T) { t.Parallel(); testFindFulfillment(t, newStore(t)) })
	})
}

// callbacksOf returns the store's callback operations. store.Tx embeds
// CallbacksTx; the assertion keeps this area compiling while it is being
// wired in.
func callbacksOf(t *testing.T, s any) store.CallbacksTx {
	t.Helper()
	c, ok := s.(store.CallbacksTx)
	require.True(t, ok, "%T does not implement store.CallbacksTx", s)
	return c
}

func testCallbacksOnce(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	cb := callbacksOf(t, s)
	p := store.RecordCallbackParams{Source: "shipbob", SourceID: "shipbob-main", EventID: "msg_1", Topic: "order.shipped", FulfillmentID: "f-1"}
	created, err := cb.RecordCallback(ctx, p)
	require.NoError(t, err)
	require.True(t, created)
	created, err = cb.RecordCallback(ctx, p)
	require.NoError(t, err)
	require.False(t, created, "the same event from the same sender is a duplicate")

	for _, other := range []store.RecordCallbackParams{
		{Source: "shipbob", SourceID: "shipbob-eu", EventID: "msg_1"}, // another account
		{Source: "supplier", SourceID: "shipbob-main", EventID: "msg_1"},
		{Source: "shipbob", SourceID: "shipbob-main", EventID: "msg_2"},
	} {
		created, err := cb.RecordCallback(ctx, other)
		require.NoError(t, err)
		require.True(t, created, "%+v is another event", other)
	}

	got, err := cb.GetCallback(ctx, "shipbob", "shipbob-main", "msg_1")
	require.NoError(t, err)
	require.Equal(t, "order.shipped", got.Topic)
	require.Equal(t, "f-1", got.FulfillmentID)
	require.False(t, got.ReceivedAt.IsZero())
	require.Equal(t, "UTC", got.ReceivedAt.Location().String())

	_, err = cb.GetCallback(ctx, "shipbob", "shipbob-main", "never")
	require.Equal(t, orderhub.ENotFound, orderhub.ErrorCode(err))
	for _, bad := range []store.RecordCallbackParams{{SourceID: "x", EventID: "y"}, {Source: "x", EventID: "y"}, {Source: "x", SourceID: "y", EventID: " "}} {
		_, err := cb.RecordCallback(ctx, bad)
		require.Equal(t, orderhub.EInvalid, orderhub.ErrorCode(err), "%+v", bad)
	}
}

func testCallbacksConcurrent(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	const n = 8
	var wg sync.WaitGroup
	results := make([]bool, n)
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = s.InTx(ctx, func(ctx context.Context, tx store.Tx) error {
				var err error
				results[i], err = callbacksOfTx(tx).RecordCallback(ctx, store.RecordCallbackParams{Source: "easypost", SourceID: "ep", EventID: "evt_1"})
				return err
			})
		}()
	}
	wg.Wait()
	wins := 0
	for i := range n {
		require.NoError(t, errs[i])
		if results[i] {
			wins++
		}
	}
	require.Equal(t, 1, wins, "exactly one concurrent delivery records the event")
}

// callbacksOfTx is callbacksOf for a transaction, without a *testing.T (it
// runs in goroutines); a store without the operations fails loudly.
func callbacksOfTx(tx store.Tx) store.CallbacksTx {
	c, ok := any(tx).(store.CallbacksTx)
	if !ok {
		panic(fmt.Sprintf("%T does not implement store.CallbacksTx", tx))
	}
	return c
}

func testCallbacksRollback(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	o := create(t, s, SampleOrder("shop-a", "cb-rb"))
	f, err := s.CreateFulfillment(ctx, orderhub.Fulfillment{OrderID: o.ID, ShopID: o.ShopID, SourceKind: orderhub.SourceSupplier, SourceID: "dropco",
		Lines: []orderhub.FulfillmentLine{{LineID: o.Lines[0].ID, SKU: "SKU-A", Quantity: 1}}})
	require.NoError(t, err)
	boom := errors.New("the change failed")
	err = s.InTx(ctx, func(ctx context.Context, tx store.Tx) error {
		created, err := callbacksOfTx(tx).RecordCallback(ctx, store.RecordCallbackParams{Source: "supplier", SourceID: "dropco", EventID: "po-1", FulfillmentID: f.ID})
		require.NoError(t, err)
		require.True(t, created)
		if _, err := tx.UpdateFulfillment(ctx, store.UpdateFulfillmentParams{ID: f.ID, Status: orderhub.FulfillmentSubmitted, TrackingNumber: "T1"}); err != nil {
			return err
		}
		return boom
	})
	require.ErrorIs(t, err, boom)
	_, err = callbacksOf(t, s).GetCallback(ctx, "supplier", "dropco", "po-1")
	require.Equal(t, orderhub.ENotFound, orderhub.ErrorCode(err), "a rolled-back change leaves no dedupe record, so a redelivery applies it")
	got, err := s.GetFulfillment(ctx, f.ID)
	require.NoError(t, err)
	require.Equal(t, orderhub.FulfillmentPending, got.Status)

	// After a duplicate is found, the transaction still works (PostgreSQL
	// aborts a transaction on a unique violation; this must not raise one).
	require.NoError(t, s.InTx(ctx, func(ctx context.Context, tx store.Tx) error {
		for range 2 {
			if _, err := callbacksOfTx(tx).RecordCallback(ctx, store.RecordCallbackParams{Source: "supplier", SourceID: "dropco", EventID: "po-2"}); err != nil {
				return err
			}
		}
		_, err := tx.UpdateFulfillment(ctx, store.UpdateFulfillmentParams{ID: f.ID, Status: orderhub.FulfillmentSubmitted})
		return err
	}))
	got, err = s.GetFulfillment(ctx, f.ID)
	require.NoError(t, err)
	require.Equal(t, orderhub.FulfillmentSubmitted, got.Status)
}

func testFindFulfillment(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	cb := callbacksOf(t, s)
	o := create(t, s, SampleOrder("shop-a", "cb-find"))
	mk := func(kind, source, ext, tracking string) orderhub.Fulfillment {
		f, err := s.CreateFulfillment(ctx, orderhub.Fulfillment{OrderID: o.ID, ShopID: o.ShopID, SourceKind: kind, SourceID: source,
			Lines: []orderhub.FulfillmentLine{{LineID: o.Lines[0].ID, SKU: "SKU-A", Quantity: 1}}})
		require.NoError(t, err)
		f, err = s.UpdateFulfillment(ctx, store.UpdateFulfillmentParams{ID: f.ID, ExternalID: ext, TrackingNumber: tracking})
		require.NoError(t, err)
		return f
	}
	label := mk(orderhub.SourceWarehouse, "nyc", "shp_1", "9400111")
	threePL := mk(orderhub.Source3PL, "la-3pl", "shp_1", "1Z999")
	mk(orderhub.SourceWarehouse, "chi", "", "")

	got, err := cb.FindFulfillment(ctx, store.FindFulfillmentParams{SourceKind: orderhub.SourceWarehouse, ExternalID: "shp_1"})
	require.NoError(t, err)
	require.Equal(t, label.ID, got.ID, "the source kind narrows a shared external id")
	require.Len(t, got.Lines, 1, "the fulfillment comes with its lines")
	got, err = cb.FindFulfillment(ctx, store.FindFulfillmentParams{ExternalID: "shp_1"})
	require.NoError(t, err)
	require.Equal(t, threePL.ID, got.ID, "without a kind the newest match wins")

	got, err = cb.FindFulfillment(ctx, store.FindFulfillmentParams{SourceKind: orderhub.SourceWarehouse, ExternalID: "unknown", TrackingNumber: "9400111"})
	require.NoError(t, err)
	require.Equal(t, label.ID, got.ID, "the tracking number is tried when the external id matches none")

	_, err = cb.FindFulfillment(ctx, store.FindFulfillmentParams{SourceKind: orderhub.SourceSupplier, TrackingNumber: "9400111"})
	require.Equal(t, orderhub.ENotFound, orderhub.ErrorCode(err))
	_, err = cb.FindFulfillment(ctx, store.FindFulfillmentParams{SourceKind: orderhub.SourceWarehouse})
	require.Equal(t, orderhub.EInvalid, orderhub.ErrorCode(err), "empty keys must not match the fulfillments without an external id")
}
