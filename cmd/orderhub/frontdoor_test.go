package main

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestRootRedirectsToTheDashboard(t *testing.T) {
	_, base := testApp(t)
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Get(base + "/")
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusFound, resp.StatusCode)
	require.Equal(t, "/ui/", resp.Header.Get("Location"))
}

func TestServeSaysWhereEverythingIs(t *testing.T) {
	cfg, err := demoConfig(t.TempDir())
	require.NoError(t, err)
	cfg.Metrics.Listen = "127.0.0.1:0"
	var logs syncBuffer
	ctx, cancel := context.WithCancel(context.Background())
	app, err := NewApp(ctx, cfg, AppOptions{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	require.NoError(t, err)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	done := make(chan error, 1)
	go func() { done <- app.Serve(ctx, ln) }()
	defer func() { cancel(); require.NoError(t, <-done) }()
	base := "http://" + ln.Addr().String()
	require.Eventually(t, func() bool { return strings.Contains(logs.String(), "job UI at") }, 10*time.Second, 20*time.Millisecond)
	out := logs.String()
	for _, want := range []string{"dashboard at " + base + "/ui/", "admin API at " + base + "/api/v1", "job UI at " + base + "/ui/jobs"} {
		require.Contains(t, out, want)
	}
	require.Regexp(t, `metrics at http://127\.0\.0\.1:\d+/metrics`, out)
	require.NotContains(t, out, "metrics at "+base, "metrics have a listener of their own here")
}
