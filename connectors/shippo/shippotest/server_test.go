package shippotest_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/orderhub/orderhub/connectors/shippo"
	"github.com/orderhub/orderhub/connectors/shippo/shippotest"
)

func TestAuth(t *testing.T) {
	t.Parallel()
	s := shippotest.New(t, shippotest.Options{})
	resp, err := http.Get(s.URL + "/transactions/")
	require.NoError(t, err)
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	require.JSONEq(t, `{"detail":"Invalid token."}`, string(b))
}

func TestBuyingTwiceBuysTwoLabels(t *testing.T) {
	t.Parallel()
	// Like Shippo, the fake has no idempotency: the client must not repeat.
	s := shippotest.New(t, shippotest.Options{})
	c, err := shippo.NewClient(shippo.ClientConfig{BaseURL: s.URL, APIKey: shippotest.DefaultAPIKey})
	require.NoError(t, err)
	ctx := context.Background()
	sh, err := c.CreateShipment(ctx, shippo.ShipmentRequest{From: shippo.Address{Street1: "a", City: "b", Zip: "1", Country: "US"},
		To: shippo.Address{Street1: "c", City: "d", Zip: "2", Country: "US"}, Parcel: shippo.Parcel{Weight: "1"}})
	require.NoError(t, err)
	_, err = c.BuyLabel(ctx, sh.Rates[0].ObjectID, "a", time.Time{})
	require.NoError(t, err)
	_, err = c.BuyLabel(ctx, sh.Rates[0].ObjectID, "b", time.Time{})
	require.NoError(t, err)
	require.Equal(t, 2, s.LabelsBought())
}

func TestDeliveriesByAuthMode(t *testing.T) {
	t.Parallel()
	for _, mode := range []string{shippotest.AuthURLToken, shippotest.AuthHMAC} {
		s := shippotest.New(t, shippotest.Options{Auth: mode, WebhookSecret: "k3y"})
		var got *http.Request
		var body []byte
		hub := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			got = r.Clone(context.Background())
			body, _ = io.ReadAll(r.Body)
		}))
		c, err := shippo.NewClient(shippo.ClientConfig{BaseURL: s.URL, APIKey: shippotest.DefaultAPIKey})
		require.NoError(t, err)
		ctx := context.Background()
		sh, err := c.CreateShipment(ctx, shippo.ShipmentRequest{From: shippo.Address{Street1: "a", City: "b", Zip: "1", Country: "US"},
			To: shippo.Address{Street1: "c", City: "d", Zip: "2", Country: "US"}, Parcel: shippo.Parcel{Weight: "1"}})
		require.NoError(t, err)
		tx, err := c.BuyLabel(ctx, sh.Rates[0].ObjectID, "f-1", time.Time{})
		require.NoError(t, err)
		_, _, err = s.TrackUpdate(ctx, hub.URL, "sp", tx.TrackingNumber, shippo.TrackTransit)
		require.NoError(t, err)
		hub.Close()
		require.Equal(t, "/webhooks/shippo/sp", got.URL.Path)
		if mode == shippotest.AuthHMAC {
			require.Empty(t, got.URL.Query().Get("token"))
			require.NoError(t, shippo.VerifyHMAC(got.Header, body, "k3y", time.Now(), 0))
		} else {
			require.NoError(t, shippo.VerifyToken(got.URL.Query().Get("token"), "k3y"))
		}
		w, err := shippo.DecodeWebhook(body)
		require.NoError(t, err)
		require.Equal(t, tx.TrackingNumber, w.TrackingNumber)
		track, err := c.GetTrack(ctx, w.Carrier, w.TrackingNumber)
		require.NoError(t, err)
		require.Equal(t, shippo.TrackTransit, track.Status())
		require.Equal(t, "f-1", track.Metadata)
	}
}
