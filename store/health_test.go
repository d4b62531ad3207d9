package store_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/orderhub/orderhub"
	"github.com/orderhub/orderhub/store"
)

func TestWriteHealthFollowsStorageFailures(t *testing.T) {
	t.Parallel()
	var h store.WriteHealth
	require.NoError(t, h.Failure(), "healthy until told otherwise")
	full := orderhub.WrapError(orderhub.EUnavailable, fmt.Errorf("%w: %w", store.ErrStorage, errors.New("database or disk is full")), "cannot store")
	require.True(t, store.IsStorageFailure(fmt.Errorf("insert receipt: %w", full)))

	h.Report(full)
	require.ErrorIs(t, h.Failure(), store.ErrStorage)
	// Errors that say nothing about storage leave the verdict as it is.
	for _, err := range []error{
		orderhub.Errorf(orderhub.EConflict, "already exists"),
		orderhub.Errorf(orderhub.EUnavailable, "database is busy"),
		orderhub.Errorf(orderhub.EInvalid, "bad"),
		errors.New("our own bug"),
	} {
		require.False(t, store.IsStorageFailure(err), "%v", err)
		h.Report(err)
		require.ErrorIs(t, h.Failure(), store.ErrStorage, "after %v", err)
	}
	h.Report(nil)
	require.NoError(t, h.Failure(), "one write that succeeds makes it healthy again")
	h.Report(errors.New("our own bug"))
	require.NoError(t, h.Failure())

	var none *store.WriteHealth // hears nothing
	none.Report(full)
	require.NoError(t, none.Failure())
}
