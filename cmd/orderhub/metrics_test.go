package main

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/orderhub/orderhub/config"
	"github.com/orderhub/orderhub/store"
)

// metricsApp starts the whole app on a free loopback port with the demo
// config changed by mutate, and returns it with its base URL and that of
// its metrics listener ("" when metrics.listen is not set).
func metricsApp(t *testing.T, mutate func(c *config.Config)) (app *App, base, metricsBase string) {
	t.Helper()
	cfg, err := demoConfig(t.TempDir())
	require.NoError(t, err)
	mutate(&cfg)
	require.NoError(t, cfg.Validate())
	ctx, cancel := context.WithCancel(context.Background())
	app, err = NewApp(ctx, cfg, AppOptions{NoWorkers: true})
	require.NoError(t, err)
	if addr, err := app.ListenMetrics(); err != nil {
		t.Fatal(err)
	} else if addr != nil {
		metricsBase = "http://" + addr.String()
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	done := make(chan error, 1)
	go func() { done <- app.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		require.NoError(t, <-done)
	})
	return app, "http://" + ln.Addr().String(), metricsBase
}

func httpGet(t *testing.T, url, token string) (int, string) {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	require.NoError(t, err)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(b)
}

func errorCode(t *testing.T, body string) string {
	t.Helper()
	var e struct{ Error struct{ Code string } }
	require.NoError(t, json.Unmarshal([]byte(body), &e), body)
	return e.Error.Code
}

// TestMetricsScrapeNeverQueriesTheDatabase: the app's /metrics answers
// from what the last refresh read, with the database closed.
func TestMetricsScrapeNeverQueriesTheDatabase(t *testing.T) {
	t.Parallel()
	cfg, err := demoConfig(t.TempDir())
	require.NoError(t, err)
	ctx := context.Background()
	app, err := NewApp(ctx, cfg, AppOptions{NoWorkers: true})
	require.NoError(t, err)
	t.Cleanup(app.closeOperator)
	srv := httptest.NewServer(app.Handler())
	t.Cleanup(srv.Close)

	r, err := app.store.InsertReceipt(ctx, store.InsertReceiptParams{Platform: "shopify", ShopID: "acme-shopify", DedupeKey: "k-1", Topic: "orders/create", Body: []byte(`{"id":1}`)})
	require.NoError(t, err)
	_, err = app.store.FailReceipt(ctx, store.FailReceiptParams{ID: r.ID, Error: "payload has no line items", Dead: true})
	require.NoError(t, err)
	require.NoError(t, app.Metrics().Refresh(ctx))

	require.NoError(t, app.store.Close())
	for range 3 {
		code, out := httpGet(t, srv.URL+"/metrics", "")
		require.Equal(t, 200, code)
		require.Contains(t, out, `orderhub_dead_letters{source="receipts"} 1`, "a scrape reads no database: it answers with the database closed")
		require.Contains(t, out, `orderhub_dead_letters{source="jobs"} 0`)
		require.Contains(t, out, `orderhub_jobs{state="discarded"} 0`)
	}
	require.Error(t, app.Metrics().Refresh(ctx), "a refresh does read it")
}

// TestMetricsToken: with metrics.token set, a scrape without it, or with
// another token (an admin token too), is a 401 JSON error.
func TestMetricsToken(t *testing.T) {
	t.Parallel()
	const token = "scrape-token-0123456789"
	app, base, _ := metricsApp(t, func(c *config.Config) { c.Metrics.Token = token })
	app.Metrics().WebhookReceived("shopify")
	for _, wrong := range []string{"", "wrong-token-0123456789", app.cfg.Admin.Tokens[0].Token} {
		code, body := httpGet(t, base+"/metrics", wrong)
		require.Equal(t, http.StatusUnauthorized, code, "token %q", wrong)
		require.Equal(t, "unauthorized", errorCode(t, body))
		require.NotContains(t, body, "orderhub_webhooks_received_total")
	}
	code, body := httpGet(t, base+"/metrics", token)
	require.Equal(t, 200, code)
	require.Contains(t, body, `orderhub_webhooks_received_total{platform="shopify"} 1`)
}

// TestMetricsOwnListener: with metrics.listen set, /metrics is served
// there (behind the token when there is one) and the main listener answers
// 404 for it; the metrics listener serves nothing else.
func TestMetricsOwnListener(t *testing.T) {
	t.Parallel()
	const token = "scrape-token-0123456789"
	app, base, metricsBase := metricsApp(t, func(c *config.Config) { c.Metrics.Listen = "127.0.0.1:0" })
	require.NotEmpty(t, metricsBase)
	app.Metrics().WebhookReceived("woocommerce")

	code, body := httpGet(t, metricsBase+"/metrics", "")
	require.Equal(t, 200, code)
	require.Contains(t, body, `orderhub_webhooks_received_total{platform="woocommerce"} 1`)
	code, body = httpGet(t, base+"/metrics", "")
	require.Equal(t, 404, code)
	require.Equal(t, "not_found", errorCode(t, body))
	for _, path := range []string{"/healthz", "/api/v1/orders", "/ui/login"} {
		code, body = httpGet(t, metricsBase+path, app.cfg.Admin.Tokens[0].Token)
		require.Equal(t, 404, code, path)
		require.Equal(t, "not_found", errorCode(t, body))
	}
	code, _ = httpGet(t, base+"/healthz", "")
	require.Equal(t, 200, code)

	// Both: its own listener, behind the token.
	_, _, metricsBase = metricsApp(t, func(c *config.Config) { c.Metrics.Listen, c.Metrics.Token = "127.0.0.1:0", token })
	code, body = httpGet(t, metricsBase+"/metrics", "")
	require.Equal(t, 401, code)
	require.Equal(t, "unauthorized", errorCode(t, body))
	code, _ = httpGet(t, metricsBase+"/metrics", token)
	require.Equal(t, 200, code)
}
