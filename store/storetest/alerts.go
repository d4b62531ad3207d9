package storetest

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/orderhub/orderhub"
	"github.com/orderhub/orderhub/store"
)

func init() {
	exerciseAreas = append(exerciseAreas, func(t *testing.T, newStore NewStore) {
		t.Run("AlertsRecordedOnce", func(t *testing.T) { t.Parallel(); testAlertsOnce(t, newStore(t)) })
		t.Run("AlertsMarkAndList", func(t *testing.T) { t.Parallel(); testAlertsMarkAndList(t, newStore(t)) })
		t.Run("AlertsConcurrentRecordCreatesOne", func(t *testing.T) { t.Parallel(); testAlertsConcurrent(t, newStore(t)) })
		t.Run("AlertsInTxRollBack", func(t *testing.T) { t.Parallel(); testAlertsRollback(t, newStore(t)) })
	})
}

// alertsOf returns the store's alert operations. store.Tx embeds AlertsTx;
// the assertion keeps this area compiling while it is being wired in.
func alertsOf(t *testing.T, s any) store.AlertsTx {
	t.Helper()
	a, ok := s.(store.AlertsTx)
	require.True(t, ok, "%T does not implement store.AlertsTx", s)
	return a
}

func testAlertsOnce(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	al := alertsOf(t, s)
	o := create(t, s, SampleOrder("shop-a", "a-1"))

	a, created, err := al.RecordAlert(ctx, store.RecordAlertParams{OrderID: o.ID, ShopID: o.ShopID, Kind: "stuck_order"})
	require.NoError(t, err)
	require.True(t, created)
	require.Equal(t, store.AlertPending, a.Status)
	require.Equal(t, "shop-a", a.ShopID)
	require.NotEmpty(t, a.ID)
	require.Nil(t, a.SentAt)

	again, created, err := al.RecordAlert(ctx, store.RecordAlertParams{OrderID: o.ID, ShopID: o.ShopID, Kind: "stuck_order"})
	require.NoError(t, err)
	require.False(t, created, "a second record of the same order and kind is not a new alert")
	require.Equal(t, a.ID, again.ID)

	other, created, err := al.RecordAlert(ctx, store.RecordAlertParams{OrderID: o.ID, ShopID: o.ShopID, Kind: "another_kind"})
	require.NoError(t, err)
	require.True(t, created, "another kind is another alert")
	require.NotEqual(t, a.ID, other.ID)

	_, _, err = al.RecordAlert(ctx, store.RecordAlertParams{OrderID: "no-such-order", ShopID: "shop-a", Kind: "stuck_order"})
	require.Equal(t, orderhub.ENotFound, orderhub.ErrorCode(err))
	_, _, err = al.RecordAlert(ctx, store.RecordAlertParams{OrderID: o.ID})
	require.Equal(t, orderhub.EInvalid, orderhub.ErrorCode(err))
	_, err = al.GetAlert(ctx, o.ID, "never_raised")
	require.Equal(t, orderhub.ENotFound, orderhub.ErrorCode(err))
}

func testAlertsMarkAndList(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	al := alertsOf(t, s)
	var orders []orderhub.Order
	for _, spec := range []struct{ shop, ext string }{{"shop-a", "1"}, {"shop-b", "2"}, {"shop-a", "3"}} {
		o := create(t, s, SampleOrder(spec.shop, spec.ext))
		orders = append(orders, o)
		_, _, err := al.RecordAlert(ctx, store.RecordAlertParams{OrderID: o.ID, ShopID: o.ShopID, Kind: "stuck_order"})
		require.NoError(t, err)
	}

	failed, err := al.MarkAlert(ctx, store.MarkAlertParams{OrderID: orders[0].ID, Kind: "stuck_order", Status: store.AlertPending, Attempted: true, Error: "receiver answered 500"})
	require.NoError(t, err)
	require.Equal(t, store.AlertPending, failed.Status)
	require.Equal(t, 1, failed.Attempts)
	require.Equal(t, "receiver answered 500", failed.LastError)
	sent, err := al.MarkAlert(ctx, store.MarkAlertParams{OrderID: orders[0].ID, Kind: "stuck_order", Status: store.AlertSent, Attempted: true})
	require.NoError(t, err)
	require.Equal(t, store.AlertSent, sent.Status)
	require.Equal(t, 2, sent.Attempts)
	require.Empty(t, sent.LastError)
	require.NotNil(t, sent.SentAt)
	resolved, err := al.MarkAlert(ctx, store.MarkAlertParams{OrderID: orders[1].ID, Kind: "stuck_order", Status: store.AlertResolved})
	require.NoError(t, err)
	require.Equal(t, 0, resolved.Attempts)
	require.Nil(t, resolved.SentAt)

	_, err = al.MarkAlert(ctx, store.MarkAlertParams{OrderID: orders[1].ID, Kind: "stuck_order", Status: "lost"})
	require.Equal(t, orderhub.EInvalid, orderhub.ErrorCode(err))
	_, err = al.MarkAlert(ctx, store.MarkAlertParams{OrderID: orders[1].ID, Kind: "nope", Status: store.AlertSent})
	require.Equal(t, orderhub.ENotFound, orderhub.ErrorCode(err))

	all, err := al.ListAlerts(ctx, store.ListAlertsParams{Kind: "stuck_order"})
	require.NoError(t, err)
	require.Len(t, all.Alerts, 3)
	require.Equal(t, orders[2].ID, all.Alerts[0].OrderID, "newest first")

	pending, err := al.ListAlerts(ctx, store.ListAlertsParams{Status: store.AlertPending})
	require.NoError(t, err)
	require.Len(t, pending.Alerts, 1)
	require.Equal(t, orders[2].ID, pending.Alerts[0].OrderID)

	shopA, err := al.ListAlerts(ctx, store.ListAlertsParams{ShopIDs: []string{"shop-a"}})
	require.NoError(t, err)
	require.Len(t, shopA.Alerts, 2)
	none, err := al.ListAlerts(ctx, store.ListAlertsParams{ShopIDs: []string{}})
	require.NoError(t, err)
	require.Empty(t, none.Alerts, "an empty scope sees nothing")
	one, err := al.ListAlerts(ctx, store.ListAlertsParams{OrderID: orders[1].ID})
	require.NoError(t, err)
	require.Len(t, one.Alerts, 1)
	require.Equal(t, store.AlertResolved, one.Alerts[0].Status)

	p1, err := al.ListAlerts(ctx, store.ListAlertsParams{Limit: 2})
	require.NoError(t, err)
	require.Len(t, p1.Alerts, 2)
	require.NotEmpty(t, p1.Next)
	p2, err := al.ListAlerts(ctx, store.ListAlertsParams{Limit: 2, After: p1.Next})
	require.NoError(t, err)
	require.Len(t, p2.Alerts, 1)
	require.Empty(t, p2.Next)
	require.Equal(t, orders[0].ID, p2.Alerts[0].OrderID)
}

func testAlertsConcurrent(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	al := alertsOf(t, s)
	o := create(t, s, SampleOrder("shop-a", "race"))
	const n = 8
	var wg sync.WaitGroup
	results := make(chan bool, n)
	errs := make(chan error, n)
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, created, err := al.RecordAlert(ctx, store.RecordAlertParams{OrderID: o.ID, ShopID: o.ShopID, Kind: "stuck_order"})
			if err != nil {
				errs <- err
				return
			}
			results <- created
		}()
	}
	wg.Wait()
	close(results)
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	createdCount := 0
	for c := range results {
		if c {
			createdCount++
		}
	}
	require.Equal(t, 1, createdCount, "exactly one concurrent record creates the alert")
}

func testAlertsRollback(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	o := create(t, s, SampleOrder("shop-a", "rb"))
	boom := errors.New("boom")
	err := s.InTx(ctx, func(ctx context.Context, tx store.Tx) error {
		_, created, err := alertsOf(t, tx).RecordAlert(ctx, store.RecordAlertParams{OrderID: o.ID, ShopID: o.ShopID, Kind: "stuck_order"})
		require.NoError(t, err)
		require.True(t, created)
		return boom
	})
	require.ErrorIs(t, err, boom)
	_, err = alertsOf(t, s).GetAlert(ctx, o.ID, "stuck_order")
	require.Equal(t, orderhub.ENotFound, orderhub.ErrorCode(err), "a rolled-back alert does not exist")
}
