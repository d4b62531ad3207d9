package allocator_test

import (
	"context"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/orderhub/orderhub"
	"github.com/orderhub/orderhub/allocator"
	"github.com/orderhub/orderhub/routing"
)

func TestCustomerDecidesOnceAndOperatorsMayOverride(t *testing.T) {
	stores(t, func(t *testing.T, open func(*testing.T, routing.Rules) bundle) {
		b := open(t, routing.Rules{AllowLineSplit: true, Backorders: routing.BackorderNotify})
		ctx := context.Background()
		o := paidOrder(t, b.st, "once", b.now, lineSpec{sku: "GHOST", qty: 2, price: "7.50"}, lineSpec{sku: "HOODIE", qty: 1, price: "40.00"})
		res, err := b.a.Route(ctx, o.ID)
		require.NoError(t, err)
		require.Len(t, res.Backorders, 2)
		ghost, hoodie := res.Backorders[0], res.Backorders[1]
		if ghost.SKU != "GHOST" {
			ghost, hoodie = hoodie, ghost
		}

		w, refund, err := b.a.DecideOnce(ctx, ghost.ID, allocator.DecisionWait, "customer (notice link)")
		require.NoError(t, err)
		require.Nil(t, refund)
		require.Equal(t, orderhub.BackorderWaiting, w.Status)
		require.Equal(t, "wait", w.Decision)
		require.Equal(t, "customer (notice link)", w.DecidedBy)
		require.Equal(t, b.now, *w.DecidedAt)

		// The customer's answer is final: neither answer acts again.
		for _, d := range []allocator.Decision{allocator.DecisionCancel, allocator.DecisionWait} {
			_, _, err = b.a.DecideOnce(ctx, ghost.ID, d, "customer (notice link)")
			require.Equal(t, orderhub.EConflict, orderhub.ErrorCode(err), d)
			require.Contains(t, orderhub.ErrorMessage(err), "already decided: wait")
		}
		got, err := b.st.GetBackorder(ctx, ghost.ID)
		require.NoError(t, err)
		require.Equal(t, w, got, "nothing changed")
		ord, err := b.st.GetOrder(ctx, o.ID)
		require.NoError(t, err)
		require.Zero(t, ord.Lines[0].Cancelled)

		// An operator may still turn the wait into a cancel; the decision
		// then names them.
		c, refund, err := b.a.Decide(ctx, ghost.ID, allocator.DecisionCancel, "ops@acme")
		require.NoError(t, err)
		require.Equal(t, orderhub.BackorderCancelled, c.Status)
		require.Equal(t, "cancel", c.Decision)
		require.Equal(t, "ops@acme", c.DecidedBy)
		require.Equal(t, "15.00", refund.Amount.String())
		_, _, err = b.a.Decide(ctx, ghost.ID, allocator.DecisionWait, "ops@acme")
		require.Equal(t, orderhub.EConflict, orderhub.ErrorCode(err), "a cancelled backorder stays cancelled")

		// An operator's decision is final for the customer too.
		_, _, err = b.a.Decide(ctx, hoodie.ID, allocator.DecisionWait, "ops@acme")
		require.NoError(t, err)
		_, _, err = b.a.DecideOnce(ctx, hoodie.ID, allocator.DecisionCancel, "customer (notice link)")
		require.Equal(t, orderhub.EConflict, orderhub.ErrorCode(err))
		_, _, err = b.a.DecideOnce(ctx, hoodie.ID, "maybe", "customer")
		require.Equal(t, orderhub.EInvalid, orderhub.ErrorCode(err))
	})
}

func TestCustomerAnswersAtOnceOneIsKept(t *testing.T) {
	stores(t, func(t *testing.T, open func(*testing.T, routing.Rules) bundle) {
		b := open(t, routing.Rules{AllowLineSplit: true, Backorders: routing.BackorderNotify})
		ctx := context.Background()
		o := paidOrder(t, b.st, "race", b.now, lineSpec{sku: "GHOST", qty: 3})
		res, err := b.a.Route(ctx, o.ID)
		require.NoError(t, err)
		require.Len(t, res.Backorders, 1)
		id := res.Backorders[0].ID
		var wg sync.WaitGroup
		var mu sync.Mutex
		var won []allocator.Decision
		for i := range 6 {
			d := allocator.DecisionWait
			if i%2 == 1 {
				d = allocator.DecisionCancel
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, _, err := b.a.DecideOnce(ctx, id, d, "customer")
				if err == nil {
					mu.Lock()
					won = append(won, d)
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		require.Len(t, won, 1, "the wait and the cancel links clicked at once: one is kept")
		got, err := b.st.GetBackorder(ctx, id)
		require.NoError(t, err)
		require.Equal(t, string(won[0]), got.Decision)
		ord, err := b.st.GetOrder(ctx, o.ID)
		require.NoError(t, err)
		if won[0] == allocator.DecisionCancel {
			require.Equal(t, orderhub.BackorderCancelled, got.Status)
			require.Equal(t, int64(3), ord.Lines[0].Cancelled)
		} else {
			require.Equal(t, orderhub.BackorderWaiting, got.Status)
			require.Zero(t, ord.Lines[0].Cancelled)
		}
	})
}
