package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/orderhub/orderhub/internal/redistest"
	"github.com/orderhub/orderhub/store"
)

// TestAppThrottlesBadCredentials: the app wires one failure throttle from
// admin.throttle into both the API and the dashboard, so bad bearer tokens
// and failed sign-ins from one address share one allowance, and the
// sessions it makes follow admin.session.
func TestAppThrottlesBadCredentials(t *testing.T) {
	cfg, err := demoConfig(t.TempDir())
	require.NoError(t, err)
	cfg.Admin.Throttle.Failures, cfg.Admin.Throttle.Window = 3, 3*time.Minute
	cfg.Admin.Session.IdleTimeout, cfg.Admin.Session.MaxAge = 2*time.Hour, 4*time.Hour
	frozen := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	app, err := NewApp(context.Background(), cfg, AppOptions{NoWorkers: true, Now: func() time.Time { return frozen }})
	require.NoError(t, err)
	t.Cleanup(func() { app.store.Close() })
	require.False(t, app.failureThrottle().Shared(), "no redis configured: counted in-process")
	ts := httptest.NewServer(app.Handler())
	t.Cleanup(ts.Close)

	get := func(token string) *http.Response {
		req, err := http.NewRequest("GET", ts.URL+"/api/v1/orders", nil)
		require.NoError(t, err)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		return resp
	}
	signIn := func(token string) *http.Response {
		req, err := http.NewRequest("POST", ts.URL+"/ui/login", strings.NewReader(url.Values{"token": {token}}.Encode()))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		return resp
	}
	good := cfg.Admin.Tokens[0].Token
	resp := signIn(good)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	var session *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == "orderhub_session" {
			session = c
		}
	}
	require.NotNil(t, session)
	require.Equal(t, int((4 * time.Hour).Seconds()), session.MaxAge, "the cookie lasts as long as admin.session.max_age")
	page, err := app.store.ListSessions(context.Background(), store.ListSessionsParams{Now: frozen})
	require.NoError(t, err)
	require.Len(t, page.Sessions, 1)
	require.Equal(t, "token-1", page.Sessions[0].TokenName)
	require.Equal(t, frozen.Add(2*time.Hour), page.Sessions[0].IdleExpiresAt)
	require.Equal(t, frozen.Add(4*time.Hour), page.Sessions[0].ExpiresAt)

	require.Equal(t, http.StatusUnauthorized, get("wrong-token-0123456789").StatusCode)
	require.Equal(t, http.StatusUnauthorized, signIn("wrong-token-0123456789").StatusCode)
	require.Equal(t, http.StatusUnauthorized, get("wrong-token-0123456789").StatusCode)
	resp = get(good)
	require.Equal(t, http.StatusTooManyRequests, resp.StatusCode)
	require.Equal(t, "60", resp.Header.Get("Retry-After"))
	resp = signIn(good)
	require.Equal(t, http.StatusTooManyRequests, resp.StatusCode, "the dashboard shares the API's count")
	require.Equal(t, "60", resp.Header.Get("Retry-After"))
}

// TestAppSharesTheThrottleThroughRedis: with redis configured, the
// throttle's counts live there.
func TestAppSharesTheThrottleThroughRedis(t *testing.T) {
	cfg, err := demoConfig(t.TempDir())
	require.NoError(t, err)
	cfg.Redis = redistest.URL(t)
	app, err := NewApp(context.Background(), cfg, AppOptions{NoWorkers: true})
	require.NoError(t, err)
	t.Cleanup(func() {
		app.store.Close()
		app.closeOperator()
		_ = app.failureThrottle().Close()
	})
	require.True(t, app.failureThrottle().Shared())
}
