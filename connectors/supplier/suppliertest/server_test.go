package suppliertest_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/orderhub/orderhub/connectors/apiclient"
	"github.com/orderhub/orderhub/connectors/supplier"
	"github.com/orderhub/orderhub/connectors/supplier/suppliertest"
)

func TestRefusesUnsignedPOs(t *testing.T) {
	t.Parallel()
	s := suppliertest.New(t, suppliertest.Options{})
	resp, err := http.Post(s.POURL(), "application/json", nil)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	require.Equal(t, 0, s.Received())
}

func TestShipPostsToTheCallbackURL(t *testing.T) {
	t.Parallel()
	s := suppliertest.New(t, suppliertest.Options{Secret: "whsec_c3VwcGxpZXIta2V5"})
	var got *http.Request
	var body []byte
	hub := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.Clone(context.Background())
		body, _ = io.ReadAll(r.Body)
	}))
	t.Cleanup(hub.Close)
	c := supplier.NewClient(apiclient.Options{})
	_, err := c.SendPO(context.Background(), s.POURL(), "whsec_c3VwcGxpZXIta2V5", supplier.PurchaseOrder{ID: "f-1", SupplierID: "dropco",
		CallbackURL: hub.URL + "/webhooks/supplier/dropco", Lines: []supplier.Line{{SKU: "A", Quantity: 1}}})
	require.NoError(t, err)
	d, err := s.Ship(context.Background(), "", "f-1", "UPS", "1Z")
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, d.Status)
	require.Equal(t, "/webhooks/supplier/dropco", got.URL.Path, "the PO's callback_url")
	_, err = supplier.VerifyCallback(got.Header, body, "whsec_c3VwcGxpZXIta2V5", time.Now())
	require.NoError(t, err)
	u, err := supplier.DecodeCallback(body)
	require.NoError(t, err)
	require.Equal(t, "1Z", u.TrackingNumber)
	_, err = s.Ship(context.Background(), "", "f-unknown", "UPS", "1Z")
	require.Error(t, err)
}
