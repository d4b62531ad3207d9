package main

import (
	"context"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/orderhub/orderhub/store"
	"github.com/orderhub/orderhub/store/sqlitestore"
)

// leaseClock is the one clock of a lease test: the store's and the lease's.
type leaseClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *leaseClock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *leaseClock) Set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

// TestProcessLeaseBeat follows one process's lease through its beats: it
// renews, takes up what a lapsed process claimed (and only once that
// process has lapsed), registers again when its registration was
// forgotten, never takes its own work back even after a late renewal, and
// ends its lease on a graceful stop.
func TestProcessLeaseBeat(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	clock := &leaseClock{t: t0}
	st, err := sqlitestore.Open(ctx, filepath.Join(t.TempDir(), "orderhub.db"), store.Options{Now: clock.Now, ProcessID: "me"})
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })
	require.NoError(t, st.Migrate(ctx))
	l := &processLease{store: st, id: "me", host: "h", pid: 1, every: time.Second, lease: 5 * time.Second,
		now: clock.Now, logger: slog.New(slog.DiscardHandler)}
	require.NoError(t, l.register(ctx))

	// Another process claims a receipt, then stops renewing.
	_, err = st.RegisterProcess(ctx, store.RegisterProcessParams{ID: "dead", Host: "h", PID: 2, Lease: 5 * time.Second})
	require.NoError(t, err)
	r, err := st.InsertReceipt(ctx, store.InsertReceiptParams{Platform: "shopify", ShopID: "s", DedupeKey: "k1", Body: []byte("{}")})
	require.NoError(t, err)
	claimed, err := st.ClaimReceipts(ctx, store.ClaimReceiptsParams{Claimant: "dead", Lease: time.Hour})
	require.NoError(t, err)
	require.Len(t, claimed, 1)

	lease := func() store.Process {
		t.Helper()
		ps, err := st.ListProcesses(ctx)
		require.NoError(t, err)
		for _, p := range ps {
			if p.ID == "me" {
				return p
			}
		}
		t.Fatal("process me is not registered")
		return store.Process{}
	}
	due := func() []store.Receipt {
		t.Helper()
		rs, err := st.ClaimReceipts(ctx, store.ClaimReceiptsParams{Lease: time.Hour})
		require.NoError(t, err)
		return rs
	}

	clock.Set(t0.Add(3 * time.Second))
	l.beat(ctx)
	require.Equal(t, t0.Add(8*time.Second), lease().LeaseUntil, "renewed")
	require.Empty(t, due(), "the other process's lease still holds")

	clock.Set(t0.Add(6 * time.Second))
	l.beat(ctx)
	got := due()
	require.Len(t, got, 1, "the lapsed process's receipt came due at once, not after its claim's hour")
	require.Equal(t, r.ID, got[0].ID)
	require.NoError(t, st.CompleteReceipt(ctx, store.CompleteReceiptParams{ID: r.ID, Outcome: "done"}))

	// Forgotten (a day lapsed, by another process's reclaim): registers again.
	_, err = st.ReclaimLapsed(ctx, store.ReclaimLapsedParams{At: t0.Add(48 * time.Hour), By: "other"})
	require.NoError(t, err)
	ps, err := st.ListProcesses(ctx)
	require.NoError(t, err)
	require.Empty(t, ps)
	clock.Set(t0.Add(48 * time.Hour))
	l.beat(ctx)
	require.Equal(t, t0.Add(48*time.Hour+5*time.Second), lease().LeaseUntil)

	// A renewal late by far more than the lease does not give up its own
	// claims: it renews first, and never reclaims its own.
	_, err = st.InsertReceipt(ctx, store.InsertReceiptParams{Platform: "shopify", ShopID: "s", DedupeKey: "k2", Body: []byte("{}")})
	require.NoError(t, err)
	mine, err := st.ClaimReceipts(ctx, store.ClaimReceiptsParams{Lease: 24 * time.Hour}) // claimed as the store's process: me
	require.NoError(t, err)
	require.Len(t, mine, 1)
	clock.Set(t0.Add(49 * time.Hour))
	l.beat(ctx)
	require.Empty(t, due(), "its own claim stands")

	require.NoError(t, l.end(ctx))
	require.False(t, lease().Live(clock.Now()), "a graceful stop ends the lease at once")
	_, err = st.ReclaimLapsed(ctx, store.ReclaimLapsedParams{By: "other"})
	require.NoError(t, err)
	got = due()
	require.Len(t, got, 1, "so another process takes up its claim at once")
	require.Equal(t, mine[0].ID, got[0].ID)
}
