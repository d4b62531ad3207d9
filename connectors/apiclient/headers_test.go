package apiclient_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/orderhub/orderhub"
	"github.com/orderhub/orderhub/connectors/apiclient"
)

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	cases := []struct {
		v    string
		want time.Duration
		ok   bool
	}{
		{"5", 5 * time.Second, true},
		{"2.0", 2 * time.Second, true},
		{"0.25", 250 * time.Millisecond, true},
		{" 1 ", time.Second, true},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second, true},
		{now.Add(-time.Hour).Format(http.TimeFormat), 0, true},
		{"", 0, false},
		{"-1", 0, false},
		{"soon", 0, false},
		{"NaN", 0, false},
	}
	for _, tc := range cases {
		h := http.Header{}
		if tc.v != "" {
			h.Set("Retry-After", tc.v)
		}
		got, ok := apiclient.RetryAfter(h, now)
		require.Equal(t, tc.ok, ok, tc.v)
		require.Equal(t, tc.want, got, tc.v)
	}
}

func TestShopifyCallLimit(t *testing.T) {
	h := http.Header{}
	h.Set("X-Shopify-Shop-Api-Call-Limit", "32/40")
	used, size, ok := apiclient.ShopifyCallLimit(h)
	require.True(t, ok)
	require.Equal(t, 32, used)
	require.Equal(t, 40, size)
	for _, bad := range []string{"", "32", "a/40", "3/0", "-1/40"} {
		h.Set("X-Shopify-Shop-Api-Call-Limit", bad)
		_, _, ok := apiclient.ShopifyCallLimit(h)
		require.False(t, ok, bad)
	}
}

func TestPlatformMessage(t *testing.T) {
	cases := []struct{ body, want string }{
		{``, ""},
		{`{"errors":"Not Found"}`, "Not Found"},
		{`{"errors":{"order":["is invalid","is missing"]}}`, "order: is invalid; is missing"},
		{`{"errors":[{"message":"Field 'x' doesn't exist","extensions":{"code":"undefinedField"}}]}`, "Field 'x' doesn't exist"},
		{`{"code":"woocommerce_rest_shop_order_invalid_id","message":"Invalid ID.","data":{"status":404}}`, "Invalid ID."},
		{`[{"status":404,"message":"The requested resource was not found."}]`, "The requested resource was not found."},
		{`{"status":422,"title":"Input is invalid","type":"https://x","errors":{"scope":"unknown"}}`, "Input is invalid: scope: unknown"},
		{`{"error":"invalid_token"}`, "invalid_token"},
		{`{"error":{"message":"nope"}}`, "nope"},
		{`{"statusCode":429,"message":"Rate limit is exceeded. Try again in 25 seconds."}`, "Rate limit is exceeded. Try again in 25 seconds."},
		{"plain\n  text", "plain text"},
		{`<html><body>502</body></html>`, ""},
		{`{"ok":true}`, ""},
	}
	for _, tc := range cases {
		require.Equal(t, tc.want, apiclient.PlatformMessage([]byte(tc.body)), tc.body)
	}
	long := apiclient.PlatformMessage([]byte(`{"message":"` + strings.Repeat("x", 1000) + `"}`))
	require.Equal(t, 301, len([]rune(long)), "clipped to 300 characters plus an ellipsis")
}

func TestCodeForStatus(t *testing.T) {
	for status, code := range map[int]string{
		400: orderhub.EInvalid, 401: orderhub.EUnauthorized, 403: orderhub.EUnauthorized,
		404: orderhub.ENotFound, 409: orderhub.EInvalid, 422: orderhub.EInvalid, 429: orderhub.ERateLimited,
		500: orderhub.EUnavailable, 503: orderhub.EUnavailable, 0: orderhub.EUnavailable,
	} {
		require.Equal(t, code, apiclient.CodeForStatus(status), status)
	}
}
