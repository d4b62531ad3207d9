package shippo_test

import (
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/orderhub/orderhub"
	"github.com/orderhub/orderhub/connectors/shippo"
)

func testdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	return b
}

func TestVerifyToken(t *testing.T) {
	t.Parallel()
	require.NoError(t, shippo.VerifyToken("s3cret-token", "s3cret-token"))
	for name, c := range map[string][2]string{
		"wrong token": {"s3cret-tokeN", "s3cret-token"}, "missing token": {"", "s3cret-token"},
		"prefix only": {"s3cret", "s3cret-token"}, "no secret configured": {"", ""},
	} {
		err := shippo.VerifyToken(c[0], c[1])
		require.Equal(t, orderhub.EUnauthorized, orderhub.ErrorCode(err), name)
		require.NotContains(t, err.Error(), "s3cret", name)
	}
}

func TestVerifyHMAC(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	body := testdata(t, "track-updated.json")
	// Computed independently (Python hmac): HMAC-SHA256("whsecret",
	// "1795867200." + body), body with its trailing LF.
	sig := shippo.SignHMAC("whsecret", now, body)
	require.Equal(t, "t=1795867200,v1=d7a3d8c0e2bbf9e680c73da71b89d85627cc514ccc6ae71d8e28b21f0e1d9826", sig)
	h := http.Header{}
	h.Set("Shippo-Auth-Signature", sig)
	require.NoError(t, shippo.VerifyHMAC(h, body, "whsecret", now, 0))

	tampered := append([]byte(nil), body...)
	tampered[10] ^= 1
	bad := func(v string) http.Header {
		h := http.Header{}
		if v != "" {
			h.Set("Shippo-Auth-Signature", v)
		}
		return h
	}
	for name, c := range map[string]struct {
		h    http.Header
		body []byte
		sec  string
		at   time.Time
	}{
		"tampered":     {h, tampered, "whsecret", now},
		"wrong secret": {h, body, "other", now},
		"missing":      {bad(""), body, "whsecret", now},
		"malformed":    {bad("v1=abc"), body, "whsecret", now},
		"not hex":      {bad("t=1795867200,v1=zz"), body, "whsecret", now},
		"too old":      {h, body, "whsecret", now.Add(10 * time.Minute)},
		"no secret":    {h, body, "", now},
	} {
		err := shippo.VerifyHMAC(c.h, c.body, c.sec, c.at, 0)
		require.Equal(t, orderhub.EUnauthorized, orderhub.ErrorCode(err), name)
	}
}

func TestDecodeWebhook(t *testing.T) {
	t.Parallel()
	w, err := shippo.DecodeWebhook(testdata(t, "track-updated.json"))
	require.NoError(t, err)
	require.Equal(t, shippo.EventTrackUpdated, w.Event)
	require.Equal(t, "usps", w.Carrier)
	require.Equal(t, "9205590164917337534322", w.TrackingNumber)
	require.True(t, w.Test)

	w, err = shippo.DecodeWebhook(testdata(t, "transaction-updated.json"))
	require.NoError(t, err)
	require.Equal(t, "0cea366887e54c93aabe57d57084ded1", w.TransactionID)
	require.Equal(t, "0190f7b2-1c1e-7cc3-9d0e-5a1f8c2b7d11", w.Metadata)

	w, err = shippo.DecodeWebhook([]byte(`{"event":"batch_created","data":[1,2]}`))
	require.NoError(t, err)
	require.Equal(t, "batch_created", w.Event, "other events decode, to be ignored")

	for _, bad := range []string{``, `[]`, `{}`, `{"event":"track_updated"}`, `{"event":"track_updated","data":{"carrier":"usps"}}`,
		`{"event":"track_updated","data":{"carrier":"us/ps","tracking_number":"1"}}`, `{"event":"transaction_updated","data":{"status":"SUCCESS"}}`,
		`{"event":"transaction_created","data":"x"}`, `{"event":5}`} {
		_, err := shippo.DecodeWebhook([]byte(bad))
		require.Equal(t, orderhub.EInvalid, orderhub.ErrorCode(err), bad)
	}
}
