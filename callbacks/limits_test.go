package callbacks_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/orderhub/orderhub"
)

// TestCallbacksRefusePastTheBodyBudget: callbacks read their bodies under
// the same budget as the platform intake; while it is held by other
// bodies a callback is refused with 503 and changes nothing, and once the
// bytes are given back the supplier's retry applies.
func TestCallbacksRefusePastTheBodyBudget(t *testing.T) {
	t.Parallel()
	w := setup(t)
	ctx := context.Background()
	f := w.order(t, "HOODIE", 1)
	w.submitPO(t, f)

	held := bytes.Repeat([]byte("z"), int(w.budget.Limit())-1024)
	_, release, err := w.budget.Read(httptest.NewRecorder(), httptest.NewRequest(http.MethodPost, "/webhooks/shopify/x", bytes.NewReader(held)), w.budget.Limit())
	require.NoError(t, err)
	d, err := w.supplier.Ship(ctx, w.hub, f.ID, "UPS", "1Z999AA10123456784")
	require.NoError(t, err)
	require.Equal(t, http.StatusServiceUnavailable, d.Status, "%s", d.Body)
	require.Equal(t, orderhub.EUnavailable, errorCode(t, d.Body))
	require.Equal(t, orderhub.FulfillmentSubmitted, w.get(t, f.ID).Status, "nothing applied")

	release()
	d, err = w.supplier.Ship(ctx, w.hub, f.ID, "UPS", "1Z999AA10123456784")
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, d.Status, "%s", d.Body)
	require.Equal(t, orderhub.FulfillmentShipped, w.get(t, f.ID).Status)
	require.Zero(t, w.budget.Held())
}
