package easypost_test

import (
	"bytes"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/orderhub/orderhub"
	"github.com/orderhub/orderhub/connectors/easypost"
)

// The official vector (PLATFORMS.md §5): secret "sécret", NFKD-normalised,
// over fixtures/easypost/webhook-event-tracker-updated-hmac-test-vector.json
// without its trailing LF.
const (
	vectorSecret    = "s\u00e9cret" // composed é, as typed
	vectorSignature = "hmac-sha256-hex=38f3f53c103713df81616a0a186d77141957323ec21d5fe9363db93840f527db"
	// ownSignature is the same scheme over testdata/tracker-updated.json,
	// computed independently (Python unicodedata NFKD + hmac).
	ownSignature = "hmac-sha256-hex=c0a353e315cb4c95dc1881bfc57ea3b55321b20015d415a36936b686f4dc9121"
)

func testdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	return bytes.TrimSuffix(b, []byte("\n"))
}

func sharedFixture(t testing.TB, name string) []byte {
	t.Helper()
	p := filepath.Join("..", "..", "..", "shared", "fixtures", "easypost", name)
	b, err := os.ReadFile(p)
	if os.IsNotExist(err) {
		t.Skipf("shared fixture %s is absent (see PLATFORMS.md); the testdata cases still run", p)
	}
	require.NoError(t, err)
	return bytes.TrimSuffix(b, []byte("\n"))
}

func header(sig string) http.Header {
	h := http.Header{}
	if sig != "" {
		h.Set("X-Hmac-Signature", sig)
	}
	return h
}

func TestOfficialVector(t *testing.T) {
	t.Parallel()
	body := sharedFixture(t, "webhook-event-tracker-updated-hmac-test-vector.json")
	require.Equal(t, vectorSignature, easypost.Sign(vectorSecret, body))
	require.NoError(t, easypost.VerifyWebhook(header(vectorSignature), body, vectorSecret))
	require.NoError(t, easypost.VerifyWebhook(header(vectorSignature), body, "se\u0301cret"), "a decomposed secret normalises the same")

	withLF := append(append([]byte(nil), body...), '\n')
	require.Equal(t, orderhub.EUnauthorized, orderhub.ErrorCode(easypost.VerifyWebhook(header(vectorSignature), withLF, vectorSecret)),
		"the signature covers the raw bytes: the trailing LF breaks it")

	ev, err := easypost.DecodeEvent(body)
	require.NoError(t, err)
	require.Equal(t, "evt_1", ev.ID)
	require.Equal(t, "tracker.updated", ev.Description)
	require.NotNil(t, ev.Tracker)
	require.Equal(t, "in_transit", ev.Tracker.Status)
	require.Equal(t, "FedEx", ev.Tracker.Carrier)
	require.NotEmpty(t, ev.Tracker.TrackingCode)
}

func TestVerifyWebhook(t *testing.T) {
	t.Parallel()
	body := testdata(t, "tracker-updated.json")
	tampered := bytes.Replace(body, []byte("in_transit"), []byte("delivered"), 1)
	cases := []struct {
		name    string
		h       http.Header
		body    []byte
		secrets []string
		ok      bool
	}{
		{"valid", header(ownSignature), body, []string{vectorSecret}, true},
		{"valid with the previous secret during a rotation", header(ownSignature), body, []string{"new-secret", vectorSecret}, true},
		{"tampered body", header(ownSignature), tampered, []string{vectorSecret}, false},
		{"wrong secret", header(ownSignature), body, []string{"secret"}, false},
		{"secret not normalised by the sender", header("hmac-sha256-hex=4489c22775ecc6abb6da64a6ba85141b26a08fccbfedbe7423199f3a1e5ceb7e"), body, []string{vectorSecret}, false},
		{"missing header", header(""), body, []string{vectorSecret}, false},
		{"other scheme", header("sha1=abc"), body, []string{vectorSecret}, false},
		{"upper-case hex", header("hmac-sha256-hex=C0A353E315CB4C95DC1881BFC57EA3B55321B20015D415A36936B686F4DC9121"), body, []string{vectorSecret}, false},
		{"no secret configured", header(ownSignature), body, []string{""}, false},
	}
	for _, c := range cases {
		err := easypost.VerifyWebhook(c.h, c.body, c.secrets...)
		if c.ok {
			require.NoError(t, err, c.name)
			continue
		}
		require.Equal(t, orderhub.EUnauthorized, orderhub.ErrorCode(err), c.name)
		require.NotContains(t, err.Error(), vectorSecret, "%s: no secret in the error", c.name)
	}
}

func TestDecodeEvent(t *testing.T) {
	t.Parallel()
	ev, err := easypost.DecodeEvent(testdata(t, "tracker-updated.json"))
	require.NoError(t, err)
	require.Equal(t, "evt_0f1e2d3c4b5a", ev.ID)
	require.Equal(t, "shp_5d4c3b2a", ev.Tracker.ShipmentID)
	require.Equal(t, "9400111899223197428490", ev.Tracker.TrackingCode)
	require.Equal(t, "USPS", ev.Tracker.Carrier)

	ev, err = easypost.DecodeEvent([]byte(`{"id":"evt_2","object":"Event","description":"batch.updated","result":{"object":"Batch"}}`))
	require.NoError(t, err)
	require.Nil(t, ev.Tracker, "other events decode without a tracker")

	for _, bad := range []string{``, `null`, `[]`, `{"id":"evt"}`, `{"description":"tracker.updated"}`,
		`{"id":"e","description":"tracker.updated","result":"x"}`,
		`{"id":"e","description":"tracker.updated","result":{"object":"Tracker"}}`,
		`{"id":"e","description":"tracker.updated","result":{"object":"Batch","tracking_code":"1"}}`,
		`{"id":"e","object":"Shipment","description":"x"}`, `{"id":5,"description":"x"}`} {
		_, err := easypost.DecodeEvent([]byte(bad))
		require.Equal(t, orderhub.EInvalid, orderhub.ErrorCode(err), bad)
	}
}
