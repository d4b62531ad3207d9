package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/orderhub/orderhub"
	"github.com/orderhub/orderhub/config"
	"github.com/orderhub/orderhub/connectors/shopify"
	"github.com/orderhub/orderhub/store/sqlitestore"
)

// TestHeaderOnlyDeliveriesHoldLittleMemory runs the real binary and opens
// 60 connections that each announce a 5 MiB webhook, send a few bytes and
// then nothing more: the server's memory must not follow what the clients
// claim they will send. The intake grows a body's buffer as its bytes
// arrive, so 60 such deliveries cost a few KiB each.
func TestHeaderOnlyDeliveriesHoldLittleMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the real server process")
	}
	const (
		conns   = 60
		claimed = 5 << 20
		bound   = 100 << 20
	)
	srv := startServe(t, "")
	// Settle the process first: a few real deliveries, so the baseline
	// includes whatever the first request sets up.
	for i := range 3 {
		resp, err := http.Post(srv.base+"/webhooks/shopify/rss-shop", "application/json", strings.NewReader(fmt.Sprintf(`{"id":%d}`, i)))
		require.NoError(t, err)
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	received0 := srv.webhooksReceived(t)
	before := srv.rss(t)

	for range conns {
		c, err := net.Dial("tcp", srv.addr)
		require.NoError(t, err)
		t.Cleanup(func() { c.Close() })
		_, err = fmt.Fprintf(c, "POST /webhooks/shopify/rss-shop HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n{\"id\":", srv.addr, claimed)
		require.NoError(t, err)
	}
	// Every handler has begun (it counts the delivery before it reads the
	// body) once the counter has moved by conns.
	deadline := time.Now().Add(30 * time.Second)
	for srv.webhooksReceived(t) < received0+conns {
		require.True(t, time.Now().Before(deadline), "the server never took all %d deliveries", conns)
		time.Sleep(20 * time.Millisecond)
	}
	// The largest of a few readings, in case a handler is a moment behind
	// its counter.
	var after int64
	for range 10 {
		after = max(after, srv.rss(t))
		time.Sleep(50 * time.Millisecond)
	}
	growth := after - before
	t.Logf("VmRSS %d MiB before, %d MiB with %d header-only %d-byte deliveries open: +%d MiB", before>>20, after>>20, conns, claimed, growth>>20)
	require.Less(t, growth, int64(bound), "RSS grew by %d MiB", growth>>20)
}

// serveProcess is a running `orderhub serve`.
type serveProcess struct {
	cmd  *exec.Cmd
	addr string
	base string
	logs *syncBuffer
}

// startServe starts the real binary on a free loopback port with a
// temporary SQLite file and one Shopify shop, rss-shop (secret "s"); extra
// is appended to the config. It waits until /readyz answers 200.
func startServe(t *testing.T, extra string) *serveProcess {
	t.Helper()
	bin := orderhubBinary(t)
	dir := t.TempDir()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	ln.Close()
	cfg := fmt.Sprintf(`listen: %s
database: sqlite://%s
shops:
  - {id: rss-shop, platform: shopify, domain: rss.myshopify.com, api_base_url: "http://127.0.0.1:1", api_version: "2025-07", access_token: t, webhook_secret: s}
%s`, addr, filepath.Join(dir, "hub.db"), extra)
	cfgPath := filepath.Join(dir, "orderhub.yaml")
	require.NoError(t, os.WriteFile(cfgPath, []byte(cfg), 0o600))
	p := &serveProcess{addr: addr, base: "http://" + addr, logs: &syncBuffer{}}
	p.cmd = exec.Command(bin, "serve", "--config", cfgPath)
	p.cmd.Stderr = p.logs
	require.NoError(t, p.cmd.Start())
	t.Cleanup(func() {
		_ = p.cmd.Process.Kill()
		_ = p.cmd.Wait()
	})
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(p.base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return p
			}
		}
		require.True(t, time.Now().Before(deadline), "server never became ready: %s", p.logs.String())
		time.Sleep(50 * time.Millisecond)
	}
}

// rss reads the process's resident set size from /proc.
func (p *serveProcess) rss(t *testing.T) int64 {
	t.Helper()
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid))
	require.NoError(t, err)
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			require.NoError(t, err)
			return kb << 10
		}
	}
	require.NoError(t, sc.Err())
	t.Fatal("no VmRSS line in /proc/<pid>/status")
	return 0
}

// webhooksReceived reads the count of Shopify deliveries from /metrics.
func (p *serveProcess) webhooksReceived(t *testing.T) int {
	t.Helper()
	resp, err := http.Get(p.base + "/metrics")
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, 200, resp.StatusCode)
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), `orderhub_webhooks_received_total{platform="shopify"} `); ok {
			n, err := strconv.ParseFloat(rest, 64)
			require.NoError(t, err)
			return int(n)
		}
	}
	return 0
}

// TestDiskFullIsUnavailableUntilWritesSucceed fills the app's real SQLite
// database (PRAGMA max_page_count on every connection: SQLite then answers
// SQLITE_FULL, "database or disk is full", as on a full disk). A delivery
// that cannot be stored is answered 503 with Retry-After, so the platform
// retries, and /readyz turns 503; once the database has room again /readyz
// is 200 without any traffic, and the retried delivery is accepted.
func TestDiskFullIsUnavailableUntilWritesSucceed(t *testing.T) {
	t.Parallel()
	cfg, err := demoConfig(t.TempDir())
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	app, err := NewApp(ctx, cfg, AppOptions{NoWorkers: true})
	require.NoError(t, err)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	done := make(chan error, 1)
	go func() { done <- app.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		require.NoError(t, <-done)
	})
	base := "http://" + ln.Addr().String()
	sh := shopOf(t, cfg, config.PlatformShopify)
	deliver := func(i int) (*http.Response, map[string]any) {
		t.Helper()
		body := fmt.Appendf(nil, `{"id":%d,"note":"%s"}`, 7000+i, strings.Repeat("n", 8<<10))
		req, err := http.NewRequest(http.MethodPost, base+"/webhooks/shopify/"+sh.ID, bytes.NewReader(body))
		require.NoError(t, err)
		req.Header = shopify.SignHeaders(sh.WebhookSecret, body, shopify.Delivery{Topic: "orders/create", EventID: fmt.Sprint("evt-full-", i)})
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		var ans map[string]any
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&ans), "every answer is JSON")
		return resp, ans
	}
	resp, ans := deliver(0)
	require.Equal(t, http.StatusOK, resp.StatusCode, "%v", ans)

	sq, ok := app.store.(*sqlitestore.Store)
	require.True(t, ok, "the demo config runs on SQLite")
	setMaxPages := func(pages int64) {
		t.Helper()
		// A setting of each connection: take all of the pool's at once so
		// that none is missed.
		for range sq.DB().Stats().MaxOpenConnections {
			c, err := sq.DB().Conn(ctx)
			require.NoError(t, err)
			defer c.Close()
			_, err = c.ExecContext(ctx, fmt.Sprintf("PRAGMA max_page_count = %d", pages))
			require.NoError(t, err)
		}
	}
	setMaxPages(1) // never below the current size: the file may not grow

	// Deliveries fill what room is left in the file's pages; the first
	// that finds none is refused, and later ones with it.
	failed := -1
	for i := 1; i < 500 && failed < 0; i++ {
		resp, ans = deliver(i)
		if resp.StatusCode != http.StatusOK {
			failed = i
		}
	}
	require.GreaterOrEqual(t, failed, 1, "the database never filled")
	require.Equal(t, http.StatusServiceUnavailable, resp.StatusCode, "%v", ans)
	require.NotEmpty(t, resp.Header.Get("Retry-After"))
	e, _ := ans["error"].(map[string]any)
	require.Equal(t, orderhub.EUnavailable, e["code"], "%v", ans)
	require.Contains(t, e["message"], "retry later")
	_, err = sq.GetReceipt(ctx, "no such")
	require.Equal(t, orderhub.ENotFound, orderhub.ErrorCode(err), "reads still work")

	code, body := get(t, base+"/readyz")
	require.Equal(t, http.StatusServiceUnavailable, code, "%v", body)
	require.Contains(t, body["error"].(map[string]any)["message"], "takes no writes")
	code, _ = get(t, base+"/readyz")
	require.Equal(t, http.StatusServiceUnavailable, code, "still full: still not ready")

	setMaxPages(1 << 30)
	code, body = get(t, base+"/readyz")
	require.Equal(t, http.StatusOK, code, "ready again once writes go through: %v", body)
	resp, ans = deliver(failed) // the platform's retry
	require.Equal(t, http.StatusOK, resp.StatusCode, "%v", ans)
	require.Equal(t, "accepted", ans["status"])
	code, _ = get(t, base+"/readyz")
	require.Equal(t, http.StatusOK, code)
}
