package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/orderhub/orderhub/connectors/bigcommerce"
	"github.com/orderhub/orderhub/connectors/bigcommerce/bigcommercetest"
	"github.com/orderhub/orderhub/connectors/shopify"
	"github.com/orderhub/orderhub/connectors/shopify/shopifytest"
	"github.com/orderhub/orderhub/connectors/woocommerce"
	"github.com/orderhub/orderhub/connectors/woocommerce/woocommercetest"
)

// platformFakes are the three fake platform APIs a command test talks to.
type platformFakes struct {
	shopify *shopifytest.Server
	woo     *woocommercetest.Server
	bc      *bigcommercetest.Server
}

func startPlatformFakes(t *testing.T) platformFakes {
	return platformFakes{
		shopify: shopifytest.New(t, shopifytest.Options{}),
		woo:     woocommercetest.New(t, woocommercetest.Options{}),
		bc:      bigcommercetest.New(t, bigcommercetest.Options{}),
	}
}

// Secrets of the test config.
const (
	testShopifySecret = "test-shopify-webhook-secret"
	testWooSecret     = "test-woo-webhook-secret&amp;x"
	testBCSecret      = "test-bigcommerce-client-secret"
	testBCAuthValue   = "test-bc-hook-auth-value"
	testPublicURL     = "https://hub.example.com"
)

// writeFakesConfig writes a config whose shops' api_base_url point at f.
func writeFakesConfig(t *testing.T, f platformFakes) string {
	t.Helper()
	yaml := `listen: 127.0.0.1:0
database: sqlite://` + filepath.Join(t.TempDir(), "orderhub.db") + `
public_url: ` + testPublicURL + `
shops:
  - id: acme-shopify
    platform: shopify
    domain: acme.myshopify.com
    api_base_url: ` + f.shopify.URL + `
    api_version: "2025-07"
    access_token: ` + shopifytest.DefaultAccessToken + `
    webhook_secret: ` + testShopifySecret + `
  - id: acme-woo
    platform: woocommerce
    domain: shop.acme.example
    api_base_url: ` + f.woo.URL + `
    consumer_key: ` + woocommercetest.DefaultConsumerKey + `
    consumer_secret: ` + woocommercetest.DefaultConsumerSecret + `
    webhook_secret: "` + testWooSecret + `"
  - id: acme-bc
    platform: bigcommerce
    store_hash: ` + bigcommercetest.DefaultStoreHash + `
    api_base_url: ` + f.bc.URL + `
    access_token: ` + bigcommercetest.DefaultAccessToken + `
    client_secret: ` + testBCSecret + `
    webhook_auth_header: {name: X-Orderhub-Auth, value: ` + testBCAuthValue + `}
`
	path := filepath.Join(t.TempDir(), "orderhub.yaml")
	require.NoError(t, os.WriteFile(path, []byte(yaml), 0o600))
	return path
}

func runWebhooksCmd(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := cmdWebhooks(context.Background(), args, &out, &errOut)
	return out.String(), errOut.String(), err
}

func TestWebhooksRegisterIsIdempotent(t *testing.T) {
	f := startPlatformFakes(t)
	cfg := writeFakesConfig(t, f)

	out, _, err := runWebhooksCmd(t, "register", "--config", cfg)
	require.NoError(t, err)
	require.Equal(t, len(shopify.WebhookTopics)+len(woocommerce.WebhookTopics)+len(bigcommerce.WebhookScopes), strings.Count(out, " created "), out)

	out, _, err = runWebhooksCmd(t, "register", "--config", cfg)
	require.NoError(t, err)
	require.NotContains(t, out, " created ", "the second run creates nothing")
	require.Equal(t, len(shopify.WebhookTopics)+len(woocommerce.WebhookTopics)+len(bigcommerce.WebhookScopes), strings.Count(out, " exists "), out)

	// Exactly one subscription per topic, pointed at the hub's URL.
	shopifyURL := testPublicURL + "/webhooks/shopify/acme-shopify"
	got := map[string]int{}
	for _, s := range f.shopify.Subscriptions() {
		require.Equal(t, shopifyURL, s.CallbackURL)
		got[s.Topic]++
	}
	require.Len(t, got, len(shopify.WebhookTopics))
	for _, topic := range shopify.WebhookTopics {
		require.Equal(t, 1, got[topic], topic)
	}

	wooURL := testPublicURL + "/webhooks/woocommerce/acme-woo"
	got = map[string]int{}
	for _, s := range f.woo.Subscriptions() {
		require.Equal(t, wooURL, s.DeliveryURL)
		require.Equal(t, testWooSecret, s.Secret, "the shop's webhook secret, as written")
		require.Equal(t, "active", s.Status)
		got[s.Topic]++
	}
	require.Len(t, got, len(woocommerce.WebhookTopics))
	for _, topic := range woocommerce.WebhookTopics {
		require.Equal(t, 1, got[topic], topic)
	}

	bcURL := testPublicURL + "/webhooks/bigcommerce/acme-bc"
	got = map[string]int{}
	for _, h := range f.bc.Subscriptions() {
		require.Equal(t, bcURL, h.Destination)
		require.True(t, h.IsActive)
		require.Equal(t, map[string]string{"X-Orderhub-Auth": testBCAuthValue}, h.Headers)
		got[h.Scope]++
	}
	require.Len(t, got, len(bigcommerce.WebhookScopes))
	for _, scope := range bigcommerce.WebhookScopes {
		require.Equal(t, 1, got[scope], scope)
	}

	// No POST of the second run reached any platform.
	require.Len(t, f.woo.RequestsTo("POST", "/wp-json/wc/v3/webhooks"), len(woocommerce.WebhookTopics))
	require.Len(t, f.bc.RequestsTo("POST", "/stores/abc123/v3/hooks"), len(bigcommerce.WebhookScopes))
}

func TestWebhooksListAndOneShop(t *testing.T) {
	f := startPlatformFakes(t)
	cfg := writeFakesConfig(t, f)

	out, _, err := runWebhooksCmd(t, "list", "--config", cfg)
	require.NoError(t, err)
	require.Equal(t, 3, strings.Count(out, " none "), "no subscriptions yet:\n"+out)

	_, _, err = runWebhooksCmd(t, "register", "--config", cfg, "--shop", "acme-woo")
	require.NoError(t, err)
	require.Empty(t, f.shopify.Subscriptions(), "only the named shop")
	require.Empty(t, f.bc.Subscriptions())
	require.Len(t, f.woo.Subscriptions(), 3)

	out, _, err = runWebhooksCmd(t, "list", "--config", cfg, "--shop", "acme-woo")
	require.NoError(t, err)
	for _, topic := range woocommerce.WebhookTopics {
		require.Contains(t, out, topic)
	}
	require.Contains(t, out, testPublicURL+"/webhooks/woocommerce/acme-woo")
	require.NotContains(t, out, testWooSecret, "secrets are never printed")
	require.NotContains(t, out, "acme-shopify")

	_, _, err = runWebhooksCmd(t, "list", "--config", cfg, "--shop", "nope")
	var ue usageError
	require.ErrorAs(t, err, &ue)
}

func TestWebhooksReportsAFailingShopAndGoesOn(t *testing.T) {
	f := startPlatformFakes(t)
	// The Shopify shop refuses the configured token.
	f.shopify = shopifytest.New(t, shopifytest.Options{AccessToken: "shpat_another_token"})
	cfg := writeFakesConfig(t, f)

	out, errOut, err := runWebhooksCmd(t, "register", "--config", cfg, "--log-level", "error")
	require.Error(t, err)
	require.Contains(t, err.Error(), "1 of 3 shops failed")
	require.Contains(t, errOut, "shop acme-shopify")
	require.Contains(t, errOut, "credentials refused")
	require.NotContains(t, errOut, shopifytest.DefaultAccessToken)
	require.Contains(t, out, "failed")
	require.Len(t, f.woo.Subscriptions(), 3, "the other shops still ran")
	require.Len(t, f.bc.Subscriptions(), 5)
}

func TestWebhooksUsage(t *testing.T) {
	_, _, err := runWebhooksCmd(t)
	var ue usageError
	require.ErrorAs(t, err, &ue)
	_, _, err = runWebhooksCmd(t, "register")
	require.ErrorAs(t, err, &ue)
	_, _, err = runWebhooksCmd(t, "delete", "--config", "x")
	require.ErrorAs(t, err, &ue)
}
