package webhooks_test

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/orderhub/orderhub"
	"github.com/orderhub/orderhub/connectors/shopify"
	"github.com/orderhub/orderhub/connectors/woocommerce"
	"github.com/orderhub/orderhub/store"
	"github.com/orderhub/orderhub/webhooks"
)

func TestShopifyDeliveryBecomesAPaidOrder(t *testing.T) {
	eachStore(t, testShopifyDeliveryBecomesAPaidOrder)
}

func testShopifyDeliveryBecomesAPaidOrder(t *testing.T, setup setupFunc) {
	b := setup(t)
	ctx := ctxT(t)
	body := testdata(t, "shopify", "order-jpy-paid-modern.json")
	hdr := shopifyHeaders(body, "orders/create", "evt-1")
	id := b.accept("shopify", "acme-shopify", body, hdr)

	r := b.receipt(id)
	require.Equal(t, body, r.Body, "the raw body is stored byte for byte")
	require.Equal(t, "orders/create", r.Topic)
	require.Equal(t, "evt-1", r.DedupeKey, "Shopify dedupes on the event id")
	require.Equal(t, "orders/create", r.Headers["X-Shopify-Topic"])
	require.Equal(t, "wh-evt-1", r.Headers["X-Shopify-Webhook-Id"])
	require.NotContains(t, r.Headers, "X-Shopify-Hmac-Sha256", "signatures are not kept")
	require.NotNil(t, r.TriggeredAt)
	require.Equal(t, b.clock.Now(), r.ReceivedAt)
	require.Equal(t, store.ReceiptPending, r.Status)
	require.Equal(t, 1, b.jobs(orderhub.ProcessReceiptsArgs{}.Kind()), "the drain job is enqueued with the receipt")
	require.Empty(t, b.orders(), "nothing is processed before the drain")

	require.Equal(t, 1, b.drain())
	o := b.order("acme-shopify", "820982911946154508")
	require.Equal(t, orderhub.StatusPaid, o.Status)
	require.Equal(t, orderhub.PlatformShopify, o.Platform)
	require.Equal(t, "JPY", o.Currency)
	require.Len(t, o.Lines, 3)
	require.Equal(t, "TEA-MATCHA-100", o.Lines[0].SKU)
	require.Equal(t, int64(3), o.Lines[0].Quantity)
	require.Equal(t, 1, b.jobs(orderhub.RouteOrderArgs{}.Kind()), "a paid order is routed")

	r = b.receipt(id)
	require.Equal(t, store.ReceiptProcessed, r.Status)
	require.Equal(t, o.ID, r.OrderID)
	require.Contains(t, r.Outcome, "created order "+o.ID+" (paid)")
	require.Contains(t, r.Outcome, "routing enqueued")
	ev := b.events(o.ID)
	require.Equal(t, orderhub.EventCreated, ev[0].Kind)
	require.Len(t, ev, 3, "created pending, then payment_processing, then paid")
	for _, e := range ev[1:] {
		require.Equal(t, "shopify", e.Actor)
	}
	_, err := b.store.ClaimReceipts(ctx, store.ClaimReceiptsParams{})
	require.NoError(t, err)
}

func TestShopifySharedFixtureOrder1001(t *testing.T) { eachStore(t, testShopifySharedFixtureOrder1001) }

func testShopifySharedFixtureOrder1001(t *testing.T, setup setupFunc) {
	body := sharedFixture(t, "shopify", "order-1001-three-line-items-discount-code-tax-shipping.json")
	b := setup(t)
	b.accept("shopify", "acme-shopify", body, shopifyHeaders(body, "orders/create", "evt-1001"))
	b.drain()
	o := b.order("acme-shopify", "450789469")
	require.Equal(t, orderhub.StatusPaymentProcessing, o.Status, "financial_status authorized")
	require.Len(t, o.Lines, 3)
	require.Equal(t, "IPOD2008GREEN", o.Lines[0].SKU)
	require.Zero(t, b.jobs(orderhub.RouteOrderArgs{}.Kind()), "an order not yet paid waits")
}

func TestWooCommerceDeliveries(t *testing.T) { eachStore(t, testWooCommerceDeliveries) }

func testWooCommerceDeliveries(t *testing.T, setup setupFunc) {
	b := setup(t)
	pending := testdata(t, "woocommerce", "order-1043-pending-guest-virtual.json")
	completed := testdata(t, "woocommerce", "order-1042-eur-coupon-entities.json")
	id := b.accept("woocommerce", "acme-woo", pending, wooHeaders(pending, "order.created"))
	r := b.receipt(id)
	require.Equal(t, "17:1043:2026-11-05T10:00:00", r.DedupeKey, "webhook id, order id and date_modified_gmt")
	require.Equal(t, "order.created", r.Headers["X-Wc-Webhook-Topic"])
	b.accept("woocommerce", "acme-woo", completed, wooHeaders(completed, "order.updated"))
	require.Equal(t, 2, b.drain())

	o := b.order("acme-woo", "1043")
	require.Equal(t, orderhub.StatusPending, o.Status)
	require.Len(t, o.Lines, 1)
	require.Equal(t, "EBOOK-1", o.Lines[0].SKU)
	done := b.order("acme-woo", "1042")
	require.Equal(t, orderhub.StatusFulfilled, done.Status, "completed on WooCommerce")
	require.Equal(t, "EUR", done.Currency)
	require.Zero(t, b.jobs(orderhub.RouteOrderArgs{}.Kind()), "an order already fulfilled on the platform is not routed")
}

func TestWooCommerceSharedFixtureOrder727(t *testing.T) {
	eachStore(t, testWooCommerceSharedFixtureOrder727)
}

func testWooCommerceSharedFixtureOrder727(t *testing.T, setup setupFunc) {
	body := sharedFixture(t, "woocommerce", "order-727-processing-2-line-items-tax-shipping.json")
	b := setup(t)
	b.accept("woocommerce", "acme-woo", body, wooHeaders(body, "order.created"))
	b.drain()
	o := b.order("acme-woo", "727")
	require.Equal(t, orderhub.StatusPaid, o.Status, "processing means paid")
	require.Len(t, o.Lines, 2)
	require.Equal(t, 1, b.jobs(orderhub.RouteOrderArgs{}.Kind()))
}

func TestWooCommercePingIsAnsweredAndNotStored(t *testing.T) {
	eachStore(t, testWooCommercePingIsAnsweredAndNotStored)
}

func testWooCommercePingIsAnsweredAndNotStored(t *testing.T, setup setupFunc) {
	b := setup(t)
	r := b.mustPost("woocommerce", "acme-woo", []byte("webhook_id=42"), http.Header{"Content-Type": {"application/x-www-form-urlencoded"}})
	require.Equal(t, http.StatusOK, r.Status, "WooCommerce needs exactly 200 to create the webhook")
	require.Empty(t, b.receipts())
	require.Zero(t, b.jobs(orderhub.ProcessReceiptsArgs{}.Kind()))
	// The same unsigned body at a Shopify shop proves nothing.
	r = b.mustPost("shopify", "acme-shopify", []byte("webhook_id=42"), http.Header{"Content-Type": {"application/x-www-form-urlencoded"}})
	require.Equal(t, http.StatusUnauthorized, r.Status)
}

func TestBigCommerceCallbackIsFetchedOutsideTheTransaction(t *testing.T) {
	eachStore(t, testBigCommerceCallbackIsFetchedOutsideTheTransaction)
}

func testBigCommerceCallbackIsFetchedOutsideTheTransaction(t *testing.T, setup setupFunc) {
	b := setup(t)
	b.bc.set("5001", testdata(t, "bigcommerce", "order-5001-kwd.json"),
		testdata(t, "bigcommerce", "order-5001-products.json"), testdata(t, "bigcommerce", "order-5001-shipping-addresses.json"))
	// A write from inside the fetch would wait on the drain's own lock if
	// the drain held a transaction open across the HTTP call.
	b.bc.during = func(ctx context.Context) error {
		ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
		defer cancel()
		return b.store.SetReconcileCursor(ctx, "probe", b.clock.Now())
	}
	body := testdata(t, "bigcommerce", "webhook-order-statusupdated.json")
	id := b.accept("bigcommerce", "acme-bc", body, b.bcHeaders(body, "msg-1"))
	r := b.receipt(id)
	require.True(t, strings.HasPrefix(r.DedupeKey, "store/order/statusUpdated:"), r.DedupeKey)
	require.Equal(t, "msg-1", r.Headers["Webhook-Id"])

	b.drain()
	require.Equal(t, []string{"acme-bc/5001"}, b.bc.calls)
	o := b.order("acme-bc", "5001")
	require.Equal(t, orderhub.StatusPaid, o.Status, "Awaiting Fulfillment")
	require.Equal(t, "KWD", o.Currency)
	require.Len(t, o.Lines, 3)
	require.Equal(t, 1, b.jobs(orderhub.RouteOrderArgs{}.Kind()))
	require.Equal(t, store.ReceiptProcessed, b.receipt(id).Status)
}

func TestBigCommerceCustomHeaderShop(t *testing.T) { eachStore(t, testBigCommerceCustomHeaderShop) }

func testBigCommerceCustomHeaderShop(t *testing.T, setup setupFunc) {
	b := setup(t)
	b.bc.set("5001", testdata(t, "bigcommerce", "order-5001-kwd.json"),
		testdata(t, "bigcommerce", "order-5001-products.json"), testdata(t, "bigcommerce", "order-5001-shipping-addresses.json"))
	body := testdata(t, "bigcommerce", "webhook-order-statusupdated.json")
	r := b.mustPost("bigcommerce", "acme-bc-hdr", body, http.Header{"Content-Type": {"application/json"}})
	require.Equal(t, http.StatusUnauthorized, r.Status)
	require.Contains(t, r.message(), "X-Orderhub-Auth header is missing")
	r = b.mustPost("bigcommerce", "acme-bc-hdr", body, http.Header{"X-Orderhub-Auth": {"wrong"}})
	require.Equal(t, http.StatusUnauthorized, r.Status)
	b.accept("bigcommerce", "acme-bc-hdr", body, http.Header{"X-Orderhub-Auth": {bcAuthHeaderValue}})
	require.Len(t, b.receipts(), 1)
	b.drain()
	require.Equal(t, orderhub.StatusPaid, b.order("acme-bc-hdr", "5001").Status)
	require.NotContains(t, b.receipts()[0].Headers, "X-Orderhub-Auth", "a shop's auth header is never stored")
}

func TestBigCommerceSharedFixtures(t *testing.T) { eachStore(t, testBigCommerceSharedFixtures) }

func testBigCommerceSharedFixtures(t *testing.T, setup setupFunc) {
	order := sharedFixture(t, "bigcommerce", "order-v2-218-get-response.json")
	products := sharedFixture(t, "bigcommerce", "order-v2-products-collection-response.json")
	callback := sharedFixture(t, "bigcommerce", "webhook-store-order-created.json")
	b := setup(t)
	// The docs' samples are of different orders (callback 250, order 218,
	// products of 149): point them at one order so they fit together.
	products = bytes.ReplaceAll(products, []byte(`"order_id": 149`), []byte(`"order_id": 218`))
	callback = bytes.Replace(callback, []byte(`"id": 250`), []byte(`"id": 218`), 1)
	b.bc.set("218", order, products, nil)
	b.accept("bigcommerce", "acme-bc", callback, b.bcHeaders(callback, "msg-218"))
	b.drain()
	o := b.order("acme-bc", "218")
	require.Equal(t, orderhub.StatusPaymentProcessing, o.Status, "Awaiting Payment")
	require.Len(t, o.Lines, 2)
}

func TestRejections(t *testing.T) { eachStore(t, testRejections) }

func testRejections(t *testing.T, setup setupFunc) {
	b := setup(t)
	body := testdata(t, "shopify", "order-jpy-paid-modern.json")
	good := shopifyHeaders(body, "orders/create", "evt-1")

	cases := []struct {
		name     string
		platform string
		shop     string
		body     []byte
		header   http.Header
		status   int
		code     string
		message  string
	}{
		{"bad signature", "shopify", "acme-shopify", body, shopify.SignHeaders("not-the-secret", body, shopify.Delivery{Topic: "orders/create", EventID: "e"}),
			401, "unauthorized", "signature does not match"},
		{"no signature", "shopify", "acme-shopify", body, http.Header{"X-Shopify-Topic": {"orders/create"}}, 401, "unauthorized", "X-Shopify-Hmac-Sha256 header is missing"},
		{"body changed after signing", "shopify", "acme-shopify", append(bytes.Clone(body), ' '), good, 401, "unauthorized", "signature does not match"},
		{"unknown shop", "shopify", "nope", body, good, 404, "not_found", `no shopify shop "nope"`},
		{"shop of another platform", "woocommerce", "acme-shopify", body, good, 404, "not_found", `no woocommerce shop "acme-shopify"`},
		{"unknown platform", "magento", "acme-shopify", body, good, 404, "not_found", `unknown platform "magento"`},
		{"not JSON", "shopify", "acme-shopify", []byte("<xml/>"), shopifyHeaders([]byte("<xml/>"), "orders/create", "evt-x"), 400, "invalid", "body is not valid JSON"},
		{"no dedupe header", "shopify", "acme-shopify", body, shopify.SignHeaders(shopifySecret, body, shopify.Delivery{Topic: "orders/create"}),
			400, "invalid", "X-Shopify-Event-Id and X-Shopify-Webhook-Id headers are missing"},
		{"no topic", "shopify", "acme-shopify", body, shopify.SignHeaders(shopifySecret, body, shopify.Delivery{EventID: "e"}), 400, "invalid", "X-Shopify-Topic header is missing"},
		{"woo without date", "woocommerce", "acme-woo", []byte(`{"id": 5}`), wooHeaders([]byte(`{"id": 5}`), "order.updated"), 400, "invalid", "date_modified"},
		{"bigcommerce unsigned", "bigcommerce", "acme-bc", []byte(`{}`), http.Header{}, 401, "unauthorized", "webhook-id header is missing"},
	}
	for _, c := range cases {
		r := b.mustPost(c.platform, c.shop, c.body, c.header)
		require.Equal(t, c.status, r.Status, "%s: %s", c.name, r.Raw)
		require.Equal(t, c.code, r.code(), c.name)
		require.Contains(t, r.message(), c.message, c.name)
	}
	require.Empty(t, b.receipts(), "a rejected request stores nothing")
	require.Zero(t, b.jobs(orderhub.ProcessReceiptsArgs{}.Kind()))

	// A BigCommerce signature from more than five minutes ago is a replay.
	cb := testdata(t, "bigcommerce", "webhook-order-statusupdated.json")
	old := b.bcHeaders(cb, "msg-old")
	b.clock.Advance(6 * time.Minute)
	r := b.mustPost("bigcommerce", "acme-bc", cb, old)
	require.Equal(t, http.StatusUnauthorized, r.Status, r.Raw)
	require.Empty(t, b.receipts())

	// During a rotation the previous secret still verifies.
	prev := shopify.SignHeaders(shopifyOldSecret, body, shopify.Delivery{Topic: "orders/create", EventID: "evt-rot"})
	b.accept("shopify", "acme-shopify", body, prev)

	// GET is not a delivery.
	resp, err := b.srv.Client().Get(b.srv.URL + "/webhooks/shopify/acme-shopify")
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusMethodNotAllowed, resp.StatusCode)
}

func TestBodyCap(t *testing.T) { eachStore(t, testBodyCap) }

func testBodyCap(t *testing.T, setup setupFunc) {
	b := setup(t) // the default cap: 5 MiB
	big := append([]byte(`{"id": 1, "pad": "`), bytes.Repeat([]byte("x"), webhooks.DefaultMaxBodyBytes)...)
	big = append(big, `"}`...)
	r := b.mustPost("shopify", "acme-shopify", big, shopifyHeaders(big, "orders/create", "evt-big"))
	require.Equal(t, http.StatusRequestEntityTooLarge, r.Status)
	require.Equal(t, "too_large", r.code())
	require.Contains(t, r.message(), "5242880-byte limit")

	// Without a Content-Length the cap still holds while reading.
	small := setup(t, setupOpts{maxBody: 64})
	body := []byte(`{"id": 1, "note": "` + strings.Repeat("y", 100) + `"}`)
	req, err := http.NewRequest(http.MethodPost, small.srv.URL+"/webhooks/shopify/acme-shopify", struct{ *bytes.Reader }{bytes.NewReader(body)})
	require.NoError(t, err)
	req.Header = shopifyHeaders(body, "orders/create", "evt-chunked")
	req.ContentLength = -1 // unknown: sent chunked
	resp, err := small.srv.Client().Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusRequestEntityTooLarge, resp.StatusCode)
	// At the cap exactly it is taken.
	exact := []byte(`{"id":1,"n":"` + strings.Repeat("z", 64-len(`{"id":1,"n":""}`)) + `"}`)
	require.Len(t, exact, 64)
	small.accept("shopify", "acme-shopify", exact, shopifyHeaders(exact, "orders/create", "evt-exact"))
	require.Empty(t, b.receipts())
	require.Len(t, small.receipts(), 1)
}

func TestDuplicateDeliveryIsAcceptedOnce(t *testing.T) {
	eachStore(t, testDuplicateDeliveryIsAcceptedOnce)
}

func testDuplicateDeliveryIsAcceptedOnce(t *testing.T, setup setupFunc) {
	b := setup(t)
	body := testdata(t, "shopify", "order-jpy-paid-modern.json")
	hdr := shopifyHeaders(body, "orders/create", "evt-dup")
	b.accept("shopify", "acme-shopify", body, hdr)
	r := b.mustPost("shopify", "acme-shopify", body, hdr)
	require.Equal(t, http.StatusOK, r.Status)
	require.Equal(t, map[string]any{"status": "duplicate"}, r.Body)
	// Another subscription's delivery of the same event has another webhook id
	// but the same event id: still a duplicate.
	other := shopify.SignHeaders(shopifySecret, body, shopify.Delivery{Topic: "orders/create", WebhookID: "wh-other", EventID: "evt-dup"})
	r = b.mustPost("shopify", "acme-shopify", body, other)
	require.Equal(t, "duplicate", r.Body["status"])

	require.Len(t, b.receipts(), 1)
	require.Equal(t, 1, b.jobs(orderhub.ProcessReceiptsArgs{}.Kind()))
	b.drain()
	require.Len(t, b.orders(), 1)
	require.Equal(t, 1, b.jobs(orderhub.RouteOrderArgs{}.Kind()))
}

func TestConcurrentDeliveriesOfOneWebhook(t *testing.T) {
	eachStore(t, testConcurrentDeliveriesOfOneWebhook)
}

func testConcurrentDeliveriesOfOneWebhook(t *testing.T, setup setupFunc) {
	b := setup(t)
	body := testdata(t, "woocommerce", "order-1042-eur-coupon-entities.json")
	hdr := wooHeaders(body, "order.updated")
	const n = 50
	var wg sync.WaitGroup
	replies := make(chan reply, n)
	errs := make(chan error, n)
	start := make(chan struct{})
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			r, err := b.post("woocommerce", "acme-woo", body, hdr)
			if err != nil {
				errs <- err
				return
			}
			replies <- r
		}()
	}
	close(start)
	wg.Wait()
	close(replies)
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	accepted := 0
	for r := range replies {
		require.Equal(t, http.StatusOK, r.Status, r.Raw)
		if r.Body["status"] == "accepted" {
			accepted++
		} else {
			require.Equal(t, "duplicate", r.Body["status"])
		}
	}
	require.Equal(t, 1, accepted, "exactly one delivery is accepted")
	require.Len(t, b.receipts(), 1)
	require.Equal(t, 1, b.jobs(orderhub.ProcessReceiptsArgs{}.Kind()))
	b.drain()
	require.Len(t, b.orders(), 1)
}

func TestAcceptedReceiptSurvivesARestart(t *testing.T) {
	eachStore(t, testAcceptedReceiptSurvivesARestart)
}

func testAcceptedReceiptSurvivesARestart(t *testing.T, setup setupFunc) {
	b := setup(t)
	body := testdata(t, "woocommerce", "order-1042-eur-coupon-entities.json")
	id := b.accept("woocommerce", "acme-woo", body, wooHeaders(body, "order.updated"))
	// The process dies after the 200, before anything drained.
	require.NoError(t, b.store.Close())
	b.open()
	r := b.receipt(id)
	require.Equal(t, store.ReceiptPending, r.Status)
	require.Equal(t, body, r.Body)
	require.Equal(t, 1, b.drain())
	require.Equal(t, orderhub.StatusFulfilled, b.order("acme-woo", "1042").Status)
}

func TestNewHandlerChecksShops(t *testing.T) { eachStore(t, testNewHandlerChecksShops) }

func testNewHandlerChecksShops(t *testing.T, setup setupFunc) {
	b := setup(t)
	for _, shops := range [][]webhooks.ShopConfig{
		{{ID: "", Platform: "shopify"}},
		{{ID: "a", Platform: "magento"}},
		{{ID: "a", Platform: "shopify"}, {ID: "a", Platform: "woocommerce"}},
	} {
		_, err := webhooks.NewHandler(webhooks.HandlerOptions{Shops: shops, Inbox: b.store})
		require.Equal(t, orderhub.EInvalid, orderhub.ErrorCode(err), "%+v", shops)
	}
	_, err := webhooks.NewHandler(webhooks.HandlerOptions{})
	require.Error(t, err, "an intake with nowhere to store is a mistake")
	// A Woo signature made with the secret as stored (entities and all) is
	// what WooCommerce never sends.
	body := testdata(t, "woocommerce", "order-1043-pending-guest-virtual.json")
	h := woocommerce.SignHeaders(wooSecret, body, woocommerce.Delivery{Topic: "order.created", WebhookID: "1"})
	h.Set(woocommerce.HeaderSignature, shopify.Sign(wooSecret, body))
	r := b.mustPost("woocommerce", "acme-woo", body, h)
	require.Equal(t, http.StatusUnauthorized, r.Status)
}
