package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/orderhub/orderhub/store"
	"github.com/orderhub/orderhub/store/pgstore/pgtest"
	"github.com/orderhub/orderhub/store/sqlitestore"
)

// testApp starts the whole app on a free loopback port with a temporary
// SQLite file and returns its base URL.
func testApp(t *testing.T) (*App, string) {
	t.Helper()
	cfg, err := demoConfig(t.TempDir())
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	app, err := NewApp(ctx, cfg, AppOptions{})
	require.NoError(t, err)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	done := make(chan error, 1)
	go func() { done <- app.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	return app, "http://" + ln.Addr().String()
}

func get(t *testing.T, url string) (int, map[string]any) {
	t.Helper()
	resp, err := http.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	var body map[string]any
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&body), "every answer is JSON")
	return resp.StatusCode, body
}

func TestHealthAndReadiness(t *testing.T) {
	app, base := testApp(t)
	code, body := get(t, base+"/healthz")
	require.Equal(t, 200, code)
	require.Equal(t, "ok", body["status"])

	code, body = get(t, base+"/readyz")
	require.Equal(t, 200, code)
	require.Equal(t, "sqlite", body["database"])

	code, body = get(t, base+"/no/such/route")
	require.Equal(t, 404, code)
	require.Equal(t, "not_found", body["error"].(map[string]any)["code"])

	// With the database gone, the app is alive but not ready.
	require.NoError(t, app.store.Close())
	code, body = get(t, base+"/readyz")
	require.Equal(t, 503, code)
	require.Equal(t, "unavailable", body["error"].(map[string]any)["code"])
	code, _ = get(t, base+"/healthz")
	require.Equal(t, 200, code)
}

func TestRunCommands(t *testing.T) {
	ctx := context.Background()
	var out, errOut bytes.Buffer
	require.Equal(t, 0, run(ctx, []string{"version"}, &out, &errOut))
	require.Contains(t, out.String(), "orderhub")

	out.Reset()
	require.Equal(t, 2, run(ctx, []string{"frobnicate"}, &out, &errOut))
	require.Contains(t, errOut.String(), `unknown command "frobnicate"`)

	errOut.Reset()
	require.Equal(t, 2, run(ctx, []string{"migrate"}, &out, &errOut))
	require.Contains(t, errOut.String(), "--config FILE is required")

	errOut.Reset()
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	require.NoError(t, os.WriteFile(bad, []byte("listen: 127.0.0.1:8080\nlocations:\n  - id: nyc\n    kind: warhouse\n"), 0o600))
	require.Equal(t, 1, run(ctx, []string{"migrate", "--config", bad}, &out, &errOut))
	require.Contains(t, errOut.String(), `locations[0].kind: "warhouse"`)
}

func writeConfig(t *testing.T, database string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "orderhub.yaml")
	body := fmt.Sprintf("listen: 127.0.0.1:0\ndatabase: %s\n", database)
	require.NoError(t, os.WriteFile(path, []byte(body), 0o600))
	return path
}

func TestMigrateSQLite(t *testing.T) {
	db := filepath.Join(t.TempDir(), "hub.db")
	cfgPath := writeConfig(t, "sqlite://"+db)
	var out, errOut bytes.Buffer
	require.Equal(t, 0, run(context.Background(), []string{"migrate", "--config", cfgPath}, &out, &errOut), errOut.String())
	require.Contains(t, out.String(), "sqlite")
	_, err := os.Stat(db)
	require.NoError(t, err)
	// A second run finds nothing to do and still succeeds.
	require.Equal(t, 0, run(context.Background(), []string{"migrate", "--config", cfgPath}, &out, &errOut), errOut.String())
}

func TestMigratePostgres(t *testing.T) {
	url := pgtest.NewDatabase(t)
	cfgPath := writeConfig(t, `"`+url+`"`)
	var out, errOut bytes.Buffer
	require.Equal(t, 0, run(context.Background(), []string{"migrate", "--config", cfgPath}, &out, &errOut), errOut.String())
	require.Contains(t, out.String(), "postgres")
}

func TestDemoExitsZero(t *testing.T) {
	var out, errOut bytes.Buffer
	code := run(context.Background(), []string{"demo"}, &out, &errOut)
	require.Equal(t, 0, code, "stderr: %s", errOut.String())
	s := out.String()
	require.Contains(t, s, "demo finished")
	require.Contains(t, s, `GET /readyz → {"database":"sqlite","status":"ready"}`)
	require.Contains(t, s, `(a retry of the same delivery)  → 200 {"status":"duplicate"}`)
	require.Contains(t, s, "all three orders stored and routed")
	require.Contains(t, s, "1 backorder(s) filled")
	// The Shopify order splits over a warehouse, the 3PL and a supplier.
	require.Contains(t, s, "2 from nyc (warehouse)")
	require.Contains(t, s, "1 from la-3pl (3pl)")
	require.Contains(t, s, "1 from dropco (dropship)")
	require.Equal(t, 3, strings.Count(s, "━━ "), "three orders printed")
	// Every shipment ships with tracking; the BigCommerce order arrives.
	require.Contains(t, s, "6 shipment(s) shipped, 1 delivered")
	require.Contains(t, s, "(shop acme-bc): delivered")
	require.NotContains(t, s, "no tracking yet")
	// And the platforms' own admins show it.
	require.Equal(t, 3, strings.Count(s, "fulfillment gid://shopify/Fulfillment/"))
	require.Contains(t, s, "woocommerce order 727 (status completed)")
	require.Contains(t, s, "bigcommerce order 250 (status Shipped)")
}

// TestServeStopsOnSIGTERM runs the real binary and checks that SIGTERM
// shuts it down cleanly with exit code 0.
func TestServeStopsOnSIGTERM(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "orderhub")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Stderr = os.Stderr
	require.NoError(t, build.Run())

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	ln.Close()
	cfgPath := filepath.Join(dir, "orderhub.yaml")
	require.NoError(t, os.WriteFile(cfgPath, []byte(fmt.Sprintf("listen: %s\ndatabase: sqlite://%s\n", addr, filepath.Join(dir, "hub.db"))), 0o600))

	var logs syncBuffer
	cmd := exec.Command(bin, "serve", "--config", cfgPath)
	cmd.Stderr = &logs
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { _ = cmd.Process.Kill() })

	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get("http://" + addr + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		require.True(t, time.Now().Before(deadline), "server never became ready: %s", logs.String())
		time.Sleep(50 * time.Millisecond)
	}
	// While it serves, the process is registered under its pid.
	st, err := sqlitestore.Open(context.Background(), filepath.Join(dir, "hub.db"), store.Options{})
	require.NoError(t, err)
	defer st.Close()
	ps, err := st.ListProcesses(context.Background())
	require.NoError(t, err)
	require.Len(t, ps, 1)
	require.Equal(t, cmd.Process.Pid, ps[0].PID)

	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	require.NoError(t, cmd.Wait(), "logs: %s", logs.String())
	require.True(t, strings.Contains(logs.String(), "shutting down"), logs.String())

	// A graceful stop ended its lease: what it held is taken up at once.
	stopped := time.Now()
	ps, err = st.ListProcesses(context.Background())
	require.NoError(t, err)
	require.Len(t, ps, 1)
	require.False(t, ps[0].Live(stopped), "lease until %s, stopped by %s", ps[0].LeaseUntil, stopped)
	require.Less(t, ps[0].LeaseUntil.Sub(ps[0].HeartbeatAt), 5*time.Second, "ended before its last renewal ran out")
}

// syncBuffer is a bytes.Buffer safe to read while a process writes to it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
