package shipbob_test

import (
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/orderhub/orderhub"
	"github.com/orderhub/orderhub/connectors/shipbob"
	"github.com/orderhub/orderhub/connectors/standardwebhooks"
)

func testdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	return b
}

// sharedFixture reads ../shared/fixtures, which the project keeps no copy
// of; tests that use it skip where it is absent.
func sharedFixture(t testing.TB, name string) []byte {
	t.Helper()
	p := filepath.Join("..", "..", "..", "shared", "fixtures", "shipbob", name)
	b, err := os.ReadFile(p)
	if os.IsNotExist(err) {
		t.Skipf("shared fixture %s is absent (see PLATFORMS.md); the testdata cases still run", p)
	}
	require.NoError(t, err)
	return b
}

const secret = "whsec_ZmFrZS1zaGlwYm9iLXdlYmhvb2sta2V5"

func signed(t *testing.T, sec, id string, at time.Time, body []byte) http.Header {
	t.Helper()
	key, err := standardwebhooks.DecodeSecret(sec)
	require.NoError(t, err)
	h := standardwebhooks.SignHeaders(key, id, at, body)
	h.Set(shipbob.HeaderTopic, shipbob.TopicOrderShipped)
	return h
}

func TestVerifyWebhook(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	body := testdata(t, "order-shipped.json")
	good := signed(t, secret, "msg_1", now, body)

	msg, err := shipbob.VerifyWebhook(good, body, secret, now)
	require.NoError(t, err)
	require.Equal(t, "msg_1", msg.ID)

	tampered := append([]byte(nil), body...)
	tampered[len(tampered)-3] = ' '
	cases := map[string]struct {
		h    http.Header
		body []byte
		sec  string
		at   time.Time
	}{
		"tampered body": {good, tampered, secret, now},
		"wrong secret":  {good, body, "whsec_b3RoZXItc2hpcGJvYi13ZWJob29rLWtleQ==", now},
		"missing signature": {func() http.Header {
			h := good.Clone()
			h.Del(standardwebhooks.HeaderSignature)
			return h
		}(), body, secret, now},
		"missing id": {func() http.Header {
			h := good.Clone()
			h.Del(standardwebhooks.HeaderID)
			return h
		}(), body, secret, now},
		"replayed an hour later": {good, body, secret, now.Add(time.Hour)},
		"empty secret":           {good, body, "", now},
	}
	for name, c := range cases {
		_, err := shipbob.VerifyWebhook(c.h, c.body, c.sec, c.at)
		require.Equal(t, orderhub.EUnauthorized, orderhub.ErrorCode(err), name)
		require.NotContains(t, err.Error(), "ZmFrZS1zaGlwYm9i", "%s: the secret never appears in an error", name)
	}
}

func TestKindOf(t *testing.T) {
	t.Parallel()
	for topic, want := range map[string]shipbob.EventKind{
		"order.shipped": shipbob.KindShipped, "order_shipped": shipbob.KindShipped,
		"order.shipment.delivered": shipbob.KindDelivered, "shipment_delivered": shipbob.KindDelivered, "order.delivered": shipbob.KindDelivered,
		"order.shipment.exception": shipbob.KindException, "shipment_exception": shipbob.KindException,
		"order.shipment.cancelled": shipbob.KindCancelled, "shipment_cancelled": shipbob.KindCancelled,
		"order.shipment.on_hold": shipbob.KindOnHold, "shipment_onhold": shipbob.KindOnHold,
		"order.shipment.tracking.updated": shipbob.KindTracking, "order.shipment.tracking_received": shipbob.KindTracking,
		"return.created": shipbob.KindOther, "": shipbob.KindOther,
	} {
		require.Equal(t, want, shipbob.KindOf(topic), topic)
	}
	h := http.Header{}
	h.Set("shipbob-topic", "order_shipped")
	require.Equal(t, "order_shipped", shipbob.TopicOf(h), "legacy header")
	h.Set("X-Webhook-Topic", "order.shipped")
	require.Equal(t, "order.shipped", shipbob.TopicOf(h), "the dated header wins")
}

func TestDecodeWebhook(t *testing.T) {
	t.Parallel()
	ev, err := shipbob.DecodeWebhook("order.shipped", testdata(t, "order-shipped.json"))
	require.NoError(t, err)
	require.Equal(t, shipbob.KindShipped, ev.Kind)
	require.Equal(t, "0190f7b2-1c1e-7cc3-9d0e-5a1f8c2b7d11", ev.ReferenceID)
	require.Equal(t, int64(100000001), ev.OrderID)
	require.Equal(t, int64(200000002), ev.ShipmentID, "the shipment with tracking")
	require.Equal(t, "USPS", ev.Carrier)
	require.Equal(t, "9400111899223100000001", ev.Tracking)
	require.Contains(t, ev.TrackingURL, "usps.com")

	ev, err = shipbob.DecodeWebhook("order.shipment.exception", testdata(t, "shipment-exception.json"))
	require.NoError(t, err)
	require.Equal(t, shipbob.KindException, ev.Kind)
	require.Equal(t, "f-exc", ev.ReferenceID)
	require.Equal(t, int64(100000002), ev.OrderID)
	require.Equal(t, int64(200000003), ev.ShipmentID)
	require.Equal(t, "Out of stock: Not enough inventory to fulfil", ev.Detail)
	require.Empty(t, ev.Tracking)

	ev, err = shipbob.DecodeWebhook("order.shipment.tracking_received", testdata(t, "tracking-received.json"))
	require.NoError(t, err)
	require.Equal(t, "9261290306529427911297", ev.Tracking, "tracking_id is the number")
	require.Equal(t, time.Date(2025, 10, 23, 15, 55, 9, 361476700, time.UTC), ev.OccurredAt)

	ev, err = shipbob.DecodeWebhook("order.shipped", []byte(`{"topic":"order.shipped","data":{"id":5,"reference_id":"r-5","shipments":[]}}`))
	require.NoError(t, err)
	require.Equal(t, "r-5", ev.ReferenceID, "an envelope is unwrapped")

	for _, bad := range []string{``, `[]`, `"x"`, `{"status":"Completed"}`, `{"reference_id":`, `{"id":"not a number"}`} {
		_, err := shipbob.DecodeWebhook("order.shipped", []byte(bad))
		require.Equal(t, orderhub.EInvalid, orderhub.ErrorCode(err), bad)
	}
}

func TestDecodeSharedFixtures(t *testing.T) {
	t.Parallel()
	ev, err := shipbob.DecodeWebhook("order.shipment.tracking_received", sharedFixture(t, "webhook-order-shipment-tracking_received-docs-example.json"))
	require.NoError(t, err)
	require.Equal(t, "TEST101", ev.ReferenceID)
	require.Equal(t, "9261290306529427911297", ev.Tracking)
	ev, err = shipbob.DecodeWebhook("order.shipped", sharedFixture(t, "order-2026-01-create-order-201-response-openapi-example.json"))
	require.NoError(t, err)
	require.Equal(t, "string", ev.ReferenceID, "the OpenAPI example's placeholder")
	require.Equal(t, "860C8CDC8F0B4FC7AB69AC86C20539EC", ev.Tracking)
}
