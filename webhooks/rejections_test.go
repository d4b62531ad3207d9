package webhooks_test

import (
	"bytes"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/orderhub/orderhub"
	"github.com/orderhub/orderhub/connectors/bigcommerce"
	"github.com/orderhub/orderhub/connectors/shopify"
	"github.com/orderhub/orderhub/connectors/woocommerce"
)

// TestBadRequests is the table of requests the intake must refuse or
// answer without new work, each with its status, and nothing stored for
// any of them.
func TestBadRequests(t *testing.T) { eachStore(t, testBadRequests) }

// with returns a copy of h with header k set to v, or removed when v is
// empty, whatever the case the key was written in.
func with(h http.Header, k, v string) http.Header {
	h = h.Clone()
	for key := range h {
		if strings.EqualFold(key, k) {
			delete(h, key)
		}
	}
	if v != "" {
		h.Set(k, v)
	}
	return h
}

func testBadRequests(t *testing.T, setup setupFunc) {
	b := setup(t)
	sbody := testdata(t, "shopify", "order-jpy-paid-modern.json")
	sgood := shopifyHeaders(sbody, "orders/create", "evt-good")
	wbody := testdata(t, "woocommerce", "order-1042-eur-coupon-entities.json")
	wgood := wooHeaders(wbody, "order.updated")
	cbody := testdata(t, "bigcommerce", "webhook-order-statusupdated.json")
	cgood := b.bcHeaders(cbody, "msg-good")
	truncated := sbody[:len(sbody)/2]
	stale, err := bigcommerce.SignHeaders(bcClientSecret, "msg-stale", b.clock.Now().Add(-10*time.Minute), cbody)
	require.NoError(t, err)
	future, err := bigcommerce.SignHeaders(bcClientSecret, "msg-future", b.clock.Now().Add(10*time.Minute), cbody)
	require.NoError(t, err)
	wrongBC, err := bigcommerce.SignHeaders("not-the-client-secret", "msg-wrong", b.clock.Now(), cbody)
	require.NoError(t, err)
	huge := bytes.Repeat([]byte(" "), 6<<20)

	cases := []struct {
		name           string
		platform, shop string
		body           []byte
		header         http.Header
		status         int
		code, message  string
	}{
		// Signatures.
		{"shopify wrong secret", "shopify", "acme-shopify", sbody, shopify.SignHeaders("wrong", sbody, shopify.Delivery{Topic: "orders/create", EventID: "e1"}), 401, "unauthorized", "signature does not match"},
		{"shopify signature missing", "shopify", "acme-shopify", sbody, with(sgood, shopify.HeaderHmac, ""), 401, "unauthorized", "missing"},
		{"shopify signature not base64", "shopify", "acme-shopify", sbody, with(sgood, shopify.HeaderHmac, "%%%"), 401, "unauthorized", ""},
		{"shopify signature of another body", "shopify", "acme-shopify", sbody, shopifyHeaders([]byte(`{"id":1}`), "orders/create", "e2"), 401, "unauthorized", "signature does not match"},
		{"shopify invalid signature on a valid order", "shopify", "acme-shopify", append(bytes.Clone(sbody[:len(sbody)-1]), ' ', '}'), sgood, 401, "unauthorized", "signature does not match"},
		{"woo wrong secret", "woocommerce", "acme-woo", wbody, woocommerce.SignHeaders("wrong", wbody, woocommerce.Delivery{Topic: "order.updated", WebhookID: "17"}), 401, "unauthorized", "signature does not match"},
		{"woo signature missing", "woocommerce", "acme-woo", wbody, with(wgood, woocommerce.HeaderSignature, ""), 401, "unauthorized", ""},
		{"bigcommerce stale signature", "bigcommerce", "acme-bc", cbody, stale, 401, "unauthorized", ""},
		{"bigcommerce signature from the future", "bigcommerce", "acme-bc", cbody, future, 401, "unauthorized", ""},
		{"bigcommerce wrong secret", "bigcommerce", "acme-bc", cbody, wrongBC, 401, "unauthorized", ""},
		{"bigcommerce no signature", "bigcommerce", "acme-bc", cbody, http.Header{"Content-Type": {"application/json"}}, 401, "unauthorized", "webhook-id"},
		{"bigcommerce signature id changed", "bigcommerce", "acme-bc", cbody, with(cgood, "webhook-id", "msg-other"), 401, "unauthorized", ""},
		// Bodies.
		{"truncated JSON, signed", "shopify", "acme-shopify", truncated, shopifyHeaders(truncated, "orders/create", "e3"), 400, "invalid", "not valid JSON"},
		{"empty body, signed", "shopify", "acme-shopify", []byte{}, shopifyHeaders([]byte{}, "orders/create", "e4"), 400, "invalid", ""},
		{"huge body", "shopify", "acme-shopify", huge, shopifyHeaders(huge, "orders/create", "e5"), 413, "too_large", "limit"},
		{"wrong content type", "shopify", "acme-shopify", sbody, with(shopifyHeaders(sbody, "orders/create", "e6"), "Content-Type", "text/plain"), 400, "invalid", "Content-Type"},
		{"form content type that is not a ping", "woocommerce", "acme-woo", wbody, with(wgood, "Content-Type", "application/x-www-form-urlencoded"), 400, "invalid", "Content-Type"},
		{"woo body without id or date", "woocommerce", "acme-woo", []byte(`{"status":"processing"}`), wooHeaders([]byte(`{"status":"processing"}`), "order.updated"), 400, "invalid", ""},
		{"bigcommerce callback without hash", "bigcommerce", "acme-bc", []byte(`{"scope":"store/order/created","data":{"type":"order","id":1}}`),
			b.bcHeaders([]byte(`{"scope":"store/order/created","data":{"type":"order","id":1}}`), "msg-nohash"), 400, "invalid", ""},
		// Addresses and headers.
		{"unknown shop", "shopify", "no-such-shop", sbody, sgood, 404, "not_found", "no-such-shop"},
		{"unknown platform", "magento", "acme-shopify", sbody, sgood, 404, "not_found", "magento"},
		{"shop of another platform", "bigcommerce", "acme-shopify", sbody, sgood, 404, "not_found", ""},
		{"shopify topic missing", "shopify", "acme-shopify", sbody, with(sgood, shopify.HeaderTopic, ""), 400, "invalid", "X-Shopify-Topic"},
		{"shopify event and webhook ids missing", "shopify", "acme-shopify", sbody, shopify.SignHeaders(shopifySecret, sbody, shopify.Delivery{Topic: "orders/create"}), 400, "invalid", "X-Shopify-Event-Id"},
		{"woo webhook id missing", "woocommerce", "acme-woo", wbody, with(wgood, woocommerce.HeaderWebhookID, ""), 400, "invalid", ""},
		{"woo topic, resource and event missing", "woocommerce", "acme-woo", wbody,
			with(with(with(wgood, woocommerce.HeaderTopic, ""), woocommerce.HeaderResource, ""), woocommerce.HeaderEvent, ""), 400, "invalid", "Topic"},
	}
	require.GreaterOrEqual(t, len(cases)+1, 25)
	for _, c := range cases {
		r := b.mustPost(c.platform, c.shop, c.body, c.header)
		require.Equal(t, c.status, r.Status, "%s: %s", c.name, r.Raw)
		require.Equal(t, c.code, r.code(), c.name)
		require.True(t, strings.Contains(r.message(), c.message), "%s: message %q lacks %q", c.name, r.message(), c.message)
	}
	require.Empty(t, b.receipts(), "no bad request stores anything")
	require.Zero(t, b.jobs(orderhub.ProcessReceiptsArgs{}.Kind()))

	// A replayed delivery: the first is accepted, the replay is a 200
	// duplicate that stores nothing more.
	b.accept("shopify", "acme-shopify", sbody, sgood)
	r := b.mustPost("shopify", "acme-shopify", sbody, sgood)
	require.Equal(t, http.StatusOK, r.Status)
	require.Equal(t, "duplicate", r.Body["status"])
	require.Len(t, b.receipts(), 1)
}
