package main

import (
	"bufio"
	"bytes"
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/orderhub/orderhub/connectors/bigcommerce"
	"github.com/orderhub/orderhub/connectors/shopify"
	"github.com/orderhub/orderhub/connectors/shopify/shopifytest"
	"github.com/orderhub/orderhub/connectors/woocommerce"
)

// signed runs sign-webhook and splits its output into the headers and the
// curl command.
func signWebhookOutput(t *testing.T, args ...string) (http.Header, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	require.NoError(t, cmdSignWebhook(context.Background(), args, &out, &errOut), errOut.String())
	h := http.Header{}
	sc := bufio.NewScanner(strings.NewReader(out.String()))
	for sc.Scan() {
		line := sc.Text()
		if line == "" {
			break
		}
		k, v, ok := strings.Cut(line, ": ")
		require.True(t, ok, "a header line is Name: value, got %q", line)
		h.Add(k, v)
	}
	var curl strings.Builder
	for sc.Scan() {
		curl.WriteString(sc.Text() + "\n")
	}
	return h, curl.String(), errOut.String()
}

func writeWebhookBody(t *testing.T, body []byte) string {
	path := filepath.Join(t.TempDir(), "body.json")
	require.NoError(t, os.WriteFile(path, body, 0o600))
	return path
}

func TestSignWebhookShopify(t *testing.T) {
	cfg := writeFakesConfig(t, startPlatformFakes(t))
	body := shopifytest.MustBuildOrder(shopifytest.OrderSpec{Number: 1001})
	path := writeWebhookBody(t, body)

	h, curl, _ := signWebhookOutput(t, "--config", cfg, "--shop", "acme-shopify", "--topic", "orders/paid", path)
	require.NoError(t, shopify.VerifyWebhook(h, body, testShopifySecret))
	require.Error(t, shopify.VerifyWebhook(h, append(body, ' '), testShopifySecret), "it signs exactly these bytes")
	d := shopify.ParseDelivery(h)
	require.Equal(t, "orders/paid", d.Topic)
	require.Equal(t, "acme.myshopify.com", d.ShopDomain)
	require.Equal(t, "2025-07", d.APIVersion)
	require.NotEmpty(t, d.WebhookID)
	require.NotEmpty(t, d.EventID)
	require.WithinDuration(t, time.Now(), d.TriggeredAt, time.Minute)
	_, topic, err := shopify.DedupeKey(h, body)
	require.NoError(t, err)
	require.Equal(t, "orders/paid", topic)

	require.Contains(t, curl, "curl -sS -X POST 'https://hub.example.com/webhooks/shopify/acme-shopify'")
	require.Contains(t, curl, "-H 'X-Shopify-Hmac-Sha256: "+h.Get("X-Shopify-Hmac-Sha256")+"'")
	require.Contains(t, curl, "--data-binary @'"+path+"'")
}

func TestSignWebhookWooCommerce(t *testing.T) {
	cfg := writeFakesConfig(t, startPlatformFakes(t))
	body := []byte(`{"id":727,"date_modified_gmt":"2026-11-20T10:00:00","status":"processing","billing":{"email":"a\/b@example.com"}}`)
	path := writeWebhookBody(t, body)

	// Flags after the file work too; the topic defaults to order.created.
	h, curl, _ := signWebhookOutput(t, path, "--config", cfg, "--shop", "acme-woo")
	require.NoError(t, woocommerce.VerifyWebhook(h, body, testWooSecret), "signed with the secret as entered, entities and all")
	d := woocommerce.ParseDelivery(h)
	require.Equal(t, "order.created", d.Topic)
	require.Equal(t, "order", d.Resource)
	require.Equal(t, "created", d.Event)
	require.Equal(t, "https://shop.acme.example/", d.Source)
	require.NotEmpty(t, d.WebhookID)
	require.NotEmpty(t, d.DeliveryID)
	_, _, err := woocommerce.DedupeKey(h, body)
	require.NoError(t, err)
	require.Contains(t, curl, "'https://hub.example.com/webhooks/woocommerce/acme-woo'")
}

func TestSignWebhookBigCommerce(t *testing.T) {
	cfg := writeFakesConfig(t, startPlatformFakes(t))
	body := []byte(`{"scope":"store/order/statusUpdated","store_id":"1025646","data":{"type":"order","id":250},"hash":"dd70c0976e06b67aaf671e73f49dcb79230ebf9d","created_at":1561479335,"producer":"stores/abc123"}`)
	path := writeWebhookBody(t, body)

	h, curl, note := signWebhookOutput(t, "--config", cfg, "--shop", "acme-bc", "--topic", "store/order/statusUpdated", path)
	v := bigcommerce.Verifier{ClientSecret: testBCSecret, CustomHeader: "X-Orderhub-Auth", CustomValue: testBCAuthValue}
	require.NoError(t, v.Verify(h, body, time.Now()))
	require.Error(t, v.Verify(h, body, time.Now().Add(time.Hour)), "the timestamp is signed")
	require.Equal(t, testBCAuthValue, h.Get("X-Orderhub-Auth"))
	require.NotEmpty(t, h.Get("webhook-id"))
	require.Contains(t, note, "5 minutes")
	require.Contains(t, curl, "'https://hub.example.com/webhooks/bigcommerce/acme-bc'")
	require.Contains(t, curl, "-H 'Webhook-Signature: v1,")
}

func TestSignWebhookErrors(t *testing.T) {
	cfg := writeFakesConfig(t, startPlatformFakes(t))
	path := writeWebhookBody(t, []byte(`{}`))
	var out, errOut bytes.Buffer
	ctx := context.Background()
	var ue usageError

	err := cmdSignWebhook(ctx, []string{"--config", cfg, path}, &out, &errOut)
	require.ErrorAs(t, err, &ue, "--shop is required")
	err = cmdSignWebhook(ctx, []string{"--config", cfg, "--shop", "acme-woo"}, &out, &errOut)
	require.ErrorAs(t, err, &ue, "the body is required")
	err = cmdSignWebhook(ctx, []string{"--config", cfg, "--shop", "nope", path}, &out, &errOut)
	require.ErrorAs(t, err, &ue)
	require.Contains(t, err.Error(), "acme-shopify, acme-woo, acme-bc")
	err = cmdSignWebhook(ctx, []string{"--config", cfg, "--shop", "acme-woo", filepath.Join(t.TempDir(), "missing.json")}, &out, &errOut)
	require.Error(t, err)
	require.Empty(t, out.String(), "nothing printed on failure")
}

func TestShellQuote(t *testing.T) {
	require.Equal(t, `'it'\''s'`, shellQuote("it's"))
	require.Equal(t, `'a b'`, shellQuote("a b"))
}
