package storetest

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/orderhub/orderhub"
	"github.com/orderhub/orderhub/store"
)

func init() {
	exerciseAreas = append(exerciseAreas, func(t *testing.T, newStore NewStore) {
		t.Run("SecretsRotateKeepsThePrevious", func(t *testing.T) { t.Parallel(); testSecretsRotate(t, newStore(t)) })
	})
}

func testSecretsRotate(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	_, err := s.GetSecret(ctx, "links")
	require.Equal(t, orderhub.ENotFound, orderhub.ErrorCode(err))

	first := []byte{0, 'a', 0xff}
	_, err = s.EnsureSecret(ctx, "links", first)
	require.NoError(t, err)
	got, err := s.GetSecret(ctx, "links")
	require.NoError(t, err)
	require.Equal(t, "links", got.Name)
	require.Equal(t, first, got.Value)
	require.Nil(t, got.Previous, "never rotated")
	require.Nil(t, got.RetiredAt)

	second, err := s.RotateSecret(ctx, "links", []byte("second"))
	require.NoError(t, err)
	require.Equal(t, []byte("second"), second.Value)
	require.Equal(t, first, second.Previous)
	require.NotNil(t, second.RetiredAt)
	require.Equal(t, second.CreatedAt, *second.RetiredAt, "the old value is retired when the new one becomes current")
	require.False(t, second.CreatedAt.Before(got.CreatedAt))
	again, err := s.GetSecret(ctx, "links")
	require.NoError(t, err)
	require.Equal(t, second, again)
	ensured, err := s.EnsureSecret(ctx, "links", []byte("ignored"))
	require.NoError(t, err)
	require.Equal(t, []byte("second"), ensured, "every instance now signs with the new value")

	third, err := s.RotateSecret(ctx, "links", []byte("third"))
	require.NoError(t, err)
	require.Equal(t, []byte("third"), third.Value)
	require.Equal(t, []byte("second"), third.Previous, "only the value just replaced is kept")

	// Rotating a secret never stored creates it.
	fresh, err := s.RotateSecret(ctx, "other", []byte("one"))
	require.NoError(t, err)
	require.Equal(t, []byte("one"), fresh.Value)
	require.Nil(t, fresh.Previous)
	require.Nil(t, fresh.RetiredAt)

	_, err = s.RotateSecret(ctx, "", []byte("x"))
	require.Equal(t, orderhub.EInvalid, orderhub.ErrorCode(err))
	_, err = s.RotateSecret(ctx, "links", nil)
	require.Equal(t, orderhub.EInvalid, orderhub.ErrorCode(err))
}
