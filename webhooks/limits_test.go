package webhooks_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/orderhub/orderhub"
	"github.com/orderhub/orderhub/bodylimit"
)

// latin1 puts a Latin-1 "é" (one byte 0xE9, not UTF-8) in a string field
// at the start of a JSON object: still JSON in shape, not UTF-8.
func latin1(body []byte) []byte {
	return append([]byte("{\"note\":\"caf\xe9\","), bytes.TrimLeft(body, " \n\t")[1:]...)
}

// TestSignedNonUTF8BodyIsRefused: a body signed correctly by each platform
// that is not valid UTF-8 gets 400 saying so, and nothing is stored.
func TestSignedNonUTF8BodyIsRefused(t *testing.T) { eachStore(t, testSignedNonUTF8) }

func testSignedNonUTF8(t *testing.T, setup setupFunc) {
	b := setup(t)
	sbody := latin1(testdata(t, "shopify", "order-jpy-paid-modern.json"))
	wbody := latin1(testdata(t, "woocommerce", "order-1042-eur-coupon-entities.json"))
	cbody := latin1(testdata(t, "bigcommerce", "webhook-order-statusupdated.json"))
	for _, c := range []struct {
		platform, shop string
		body           []byte
		header         http.Header
	}{
		{"shopify", "acme-shopify", sbody, shopifyHeaders(sbody, "orders/create", "evt-latin1")},
		{"woocommerce", "acme-woo", wbody, wooHeaders(wbody, "order.updated")},
		{"bigcommerce", "acme-bc", cbody, b.bcHeaders(cbody, "msg-latin1")},
	} {
		r := b.mustPost(c.platform, c.shop, c.body, c.header)
		require.Equal(t, http.StatusBadRequest, r.Status, "%s: %s", c.platform, r.Raw)
		require.Equal(t, orderhub.EInvalid, r.code(), c.platform)
		require.Contains(t, r.message(), "not valid UTF-8", c.platform)
	}
	require.Empty(t, b.receipts(), "nothing stored")
	require.Zero(t, b.jobs(orderhub.ProcessReceiptsArgs{}.Kind()))
}

// TestIntakeRefusesPastTheBodyBudget: while the process's budget of body
// bytes is held by other bodies, a delivery is refused at once with 503,
// Retry-After and a JSON error, and nothing is stored; once the bytes are
// given back the same delivery is accepted.
func TestIntakeRefusesPastTheBodyBudget(t *testing.T) {
	t.Parallel()
	budget := bodylimit.NewBudget(256 << 10)
	b := setup(t, setupOpts{budget: budget})
	// Another sender's body, read under the same budget and not yet
	// released, holds nearly all of it.
	other := bytes.Repeat([]byte("z"), 250<<10)
	_, releaseOther, err := budget.Read(httptest.NewRecorder(), httptest.NewRequest(http.MethodPost, "/webhooks/shipbob/x", bytes.NewReader(other)), 1<<20)
	require.NoError(t, err)

	body := testdata(t, "shopify", "order-jpy-paid-modern.json")
	header := shopifyHeaders(body, "orders/create", "evt-budget")
	req, err := http.NewRequest(http.MethodPost, b.srv.URL+"/webhooks/shopify/acme-shopify", bytes.NewReader(body))
	require.NoError(t, err)
	req.Header = header.Clone()
	resp, err := b.srv.Client().Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
	require.NotEmpty(t, resp.Header.Get("Retry-After"))
	r := b.mustPost("shopify", "acme-shopify", body, header)
	require.Equal(t, http.StatusServiceUnavailable, r.Status, r.Raw)
	require.Equal(t, orderhub.EUnavailable, r.code())
	require.Contains(t, r.message(), "retry later")
	require.Empty(t, b.receipts())

	releaseOther()
	b.accept("shopify", "acme-shopify", body, header)
	require.Zero(t, budget.Held(), "every delivery gave its bytes back")
}
