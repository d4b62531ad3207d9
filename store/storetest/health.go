package storetest

import (
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/orderhub/orderhub/store"
)

func init() {
	exerciseAreas = append(exerciseAreas, func(t *testing.T, newStore NewStore) {
		t.Run("ProbeWriteCommitsAndLeavesNothing", func(t *testing.T) { t.Parallel(); testProbeWrite(t, newStore(t)) })
	})
}

// testProbeWrite: the readiness probe succeeds on a healthy database, again
// and concurrently (each probe's row is its own), and leaves no order,
// receipt or job behind.
func testProbeWrite(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	require.NoError(t, s.ProbeWrite(ctx))
	require.NoError(t, s.ProbeWrite(ctx), "a second probe finds the first gone")
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Go(func() { errs[i] = s.ProbeWrite(ctx) })
	}
	wg.Wait()
	for _, err := range errs {
		require.NoError(t, err)
	}
	page, err := s.ListReceipts(ctx, store.ListReceiptsParams{Limit: 10})
	require.NoError(t, err)
	require.Empty(t, page.Receipts)
	n, err := s.Queue().CountJobs(ctx, JobArgs{}.Kind())
	require.NoError(t, err)
	require.Zero(t, n)
}
