package main

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/orderhub/orderhub"
	"github.com/orderhub/orderhub/store"
)

func scrapeMetrics(t *testing.T, base string) string {
	t.Helper()
	resp, err := http.Get(base + "/metrics")
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, 200, resp.StatusCode)
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return string(b)
}

func TestOperatorMetricsAndJobs(t *testing.T) {
	clock := &testClock{}
	app, base := operatorApp(t, clock)
	seedDemo(t, app, clock)
	ctx := context.Background()

	// The gauges read from the database change at a refresh, which runs
	// every metrics.refresh_every; drive one now rather than wait.
	require.NoError(t, app.Metrics().Refresh(ctx))
	out := scrapeMetrics(t, base)
	for _, want := range []string{
		"orderhub_stuck_orders 1",
		`orderhub_dead_letters{source="jobs"} 1`,
		`orderhub_jobs{state="completed"}`,
		"go_goroutines",
		"process_resident_memory_bytes",
	} {
		require.Contains(t, out, want)
	}
	app.Metrics().WebhookReceived("shopify")
	require.Contains(t, scrapeMetrics(t, base), `orderhub_webhooks_received_total{platform="shopify"} 1`, "the hooks the intake calls show up")

	// A routing job's run time becomes the routing latency.
	paid := time.Now().UTC()
	o, err := app.store.CreateOrder(ctx, store.CreateOrderParams{Order: orderhub.Order{ShopID: "acme-shopify", Platform: "shopify", ExternalID: "77", Currency: "USD",
		Status: orderhub.StatusPaid, PaidAt: &paid, Lines: []orderhub.Line{{SKU: "SKU-MUG", Quantity: 1, RequiresShp: true}}}})
	require.NoError(t, err)
	_, err = app.store.InsertJob(ctx, orderhub.RouteOrderArgs{OrderID: o.ID}, nil)
	require.NoError(t, err)
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(scrapeMetrics(t, base), "orderhub_routing_duration_seconds_count 1") {
		require.True(t, time.Now().Before(deadline), "the routing job never reported its latency")
		time.Sleep(100 * time.Millisecond)
	}
	got, err := app.store.GetOrder(ctx, o.ID)
	require.NoError(t, err)
	require.Equal(t, orderhub.StatusAwaitingFulfillment, got.Status)
}

func TestOperatorJobsUIBehindSignIn(t *testing.T) {
	clock := &testClock{}
	app, base := operatorApp(t, clock)
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	c := &http.Client{Jar: jar, Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

	resp, err := c.Get(base + "/ui/jobs/")
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusSeeOther, resp.StatusCode, "the job UI needs a sign-in")

	req, err := http.NewRequest("POST", base+"/ui/login", strings.NewReader(url.Values{"token": {app.cfg.Admin.Tokens[0].Token}}.Encode()))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err = c.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)

	resp, err = c.Get(base + "/ui/jobs/")
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, 200, resp.StatusCode)
	require.Contains(t, string(body), "/ui/jobs/", "the River UI serves its app under our prefix")

	resp, err = c.Get(base + "/ui/jobs/api/jobs?state=completed")
	require.NoError(t, err)
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, 200, resp.StatusCode)
	require.Contains(t, string(body), `"data"`)
}
