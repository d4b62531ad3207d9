package storetest

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/orderhub/orderhub"
	"github.com/orderhub/orderhub/store"
)

func init() {
	exerciseAreas = append(exerciseAreas, func(t *testing.T, newStore NewStore) {
		t.Run("BackorderDecisionRecordedOnce", func(t *testing.T) { t.Parallel(); testBackorderDecision(t, newStore(t)) })
		t.Run("BackorderDecisionConcurrentOneWins", func(t *testing.T) { t.Parallel(); testBackorderDecisionRace(t, newStore(t)) })
	})
}

func decisionBackorder(t *testing.T, s store.Store, externalID string) orderhub.Backorder {
	t.Helper()
	o := create(t, s, SampleOrder("shop-a", externalID))
	b, err := s.CreateBackorder(ctxT(t), orderhub.Backorder{OrderID: o.ID, ShopID: "shop-a", LineID: o.Lines[0].ID, SKU: "SKU-A", Quantity: 2,
		PaidAt: time.Date(2026, 11, 2, 15, 4, 5, 0, time.UTC)})
	require.NoError(t, err)
	require.Empty(t, b.Decision, "a new backorder is undecided")
	require.Nil(t, b.DecidedAt)
	return b
}

func testBackorderDecision(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	b := decisionBackorder(t, s, "dec-1")

	// A decision in a transaction that rolls back is not kept.
	boom := errors.New("boom")
	err := s.InTx(ctx, func(ctx context.Context, tx store.Tx) error {
		if _, err := tx.RecordBackorderDecision(ctx, store.RecordBackorderDecisionParams{ID: b.ID, Decision: "cancel", Actor: "customer"}); err != nil {
			return err
		}
		return boom
	})
	require.ErrorIs(t, err, boom)
	got, err := s.GetBackorder(ctx, b.ID)
	require.NoError(t, err)
	require.Empty(t, got.Decision)

	waited, err := s.RecordBackorderDecision(ctx, store.RecordBackorderDecisionParams{ID: b.ID, Decision: "wait", Actor: "customer (notice link)"})
	require.NoError(t, err)
	require.Equal(t, "wait", waited.Decision)
	require.Equal(t, "customer (notice link)", waited.DecidedBy)
	require.NotNil(t, waited.DecidedAt)
	require.Equal(t, *waited.DecidedAt, waited.UpdatedAt)
	require.Equal(t, orderhub.BackorderPending, waited.Status, "recording the answer does not carry it out")
	got, err = s.GetBackorder(ctx, b.ID)
	require.NoError(t, err)
	require.Equal(t, waited, got)

	// A second answer is refused and changes nothing.
	_, err = s.RecordBackorderDecision(ctx, store.RecordBackorderDecisionParams{ID: b.ID, Decision: "cancel", Actor: "customer"})
	require.Equal(t, orderhub.EConflict, orderhub.ErrorCode(err))
	require.Contains(t, orderhub.ErrorMessage(err), "wait")
	_, err = s.RecordBackorderDecision(ctx, store.RecordBackorderDecisionParams{ID: b.ID, Decision: "wait", Actor: "customer"})
	require.Equal(t, orderhub.EConflict, orderhub.ErrorCode(err), "even the same answer: the first is the one kept")
	got, err = s.GetBackorder(ctx, b.ID)
	require.NoError(t, err)
	require.Equal(t, waited, got)

	// The decision survives the backorder's other changes and shows in
	// every listing.
	moved, err := s.UpdateBackorder(ctx, store.UpdateBackorderParams{ID: b.ID, From: orderhub.BackorderPending, Filled: 1, Status: orderhub.BackorderWaiting})
	require.NoError(t, err)
	require.Equal(t, "wait", moved.Decision)
	page, err := s.ListBackorders(ctx, store.ListBackordersParams{OrderID: b.OrderID})
	require.NoError(t, err)
	require.Len(t, page.Backorders, 1)
	require.Equal(t, "wait", page.Backorders[0].Decision)
	require.Equal(t, waited.DecidedAt, page.Backorders[0].DecidedAt)
	open, err := s.OpenBackorders(ctx, "SKU-A", 10)
	require.NoError(t, err)
	require.Len(t, open, 1)
	require.Equal(t, "customer (notice link)", open[0].DecidedBy)

	// An operator may replace it.
	over, err := s.RecordBackorderDecision(ctx, store.RecordBackorderDecisionParams{ID: b.ID, Decision: "cancel", Actor: "operator", Override: true})
	require.NoError(t, err)
	require.Equal(t, "cancel", over.Decision)
	require.Equal(t, "operator", over.DecidedBy)
	require.Equal(t, int64(1), over.Filled)

	_, err = s.RecordBackorderDecision(ctx, store.RecordBackorderDecisionParams{ID: b.ID, Decision: "later", Override: true})
	require.Equal(t, orderhub.EInvalid, orderhub.ErrorCode(err))
	_, err = s.RecordBackorderDecision(ctx, store.RecordBackorderDecisionParams{ID: "missing", Decision: "wait"})
	require.Equal(t, orderhub.ENotFound, orderhub.ErrorCode(err))
}

func testBackorderDecisionRace(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	b := decisionBackorder(t, s, "dec-2")
	const workers = 8
	var wg sync.WaitGroup
	won := make(chan string, workers)
	errs := make(chan error, workers)
	for i := range workers {
		d := "wait"
		if i%2 == 1 {
			d = "cancel"
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := s.RecordBackorderDecision(ctx, store.RecordBackorderDecisionParams{ID: b.ID, Decision: d, Actor: "customer"})
			switch orderhub.ErrorCode(err) {
			case "":
				won <- d
			case orderhub.EConflict, orderhub.EUnavailable:
			default:
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(won)
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	var winners []string
	for d := range won {
		winners = append(winners, d)
	}
	require.Len(t, winners, 1, "exactly one first answer is kept")
	got, err := s.GetBackorder(ctx, b.ID)
	require.NoError(t, err)
	require.Equal(t, winners[0], got.Decision)
}
