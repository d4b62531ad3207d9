package main

import (
	"bytes"
	"context"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/orderhub/orderhub/internal/redistest"
	"github.com/orderhub/orderhub/store/pgstore/pgtest"
)

// longLoad runs the crash and multi-instance tests at full length:
//
//	go test ./cmd/orderhub -run 'Crash|MultiInstance' -timeout 30m -args -long
var longLoad = flag.Bool("long", false, "run the crash and multi-instance load tests at full length")

var (
	binOnce sync.Once
	binPath string
	binErr  error
)

// orderhubBinary builds the orderhub binary once per test run.
func orderhubBinary(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		dir, err := os.MkdirTemp("", "orderhub-bin-")
		if err != nil {
			binErr = err
			return
		}
		binPath = filepath.Join(dir, "orderhub")
		build := exec.Command("go", "build", "-o", binPath, ".")
		var out bytes.Buffer
		build.Stdout, build.Stderr = &out, &out
		if err := build.Run(); err != nil {
			binErr = err
			binPath = out.String()
		}
	})
	require.NoError(t, binErr, binPath)
	return binPath
}

// requireLoadHeld checks what every load test must show: every order
// acknowledged, every acknowledged order routed, and every check held.
func requireLoadHeld(t *testing.T, s loadSpec, res *loadResult, out string) {
	t.Helper()
	require.NotNil(t, res.Stats, out)
	acked := 0
	for _, o := range res.Stats.Orders {
		if o.Acked() {
			acked++
		}
	}
	require.Equal(t, s.Orders, acked, "every order acknowledged in the end, retried as a platform would\n%s", out)
	require.Zero(t, res.Unrouted, out)
	require.Len(t, res.Routed, s.Orders, out)
	require.GreaterOrEqual(t, len(res.Checks), 4, out)
	for _, c := range res.Checks {
		require.True(t, c.OK, "check %q: %s\n%s", c.Name, c.Detail, out)
	}
	require.Empty(t, res.Failed(), out)
}

// recoveryBound is what a crash may cost an order: with the default
// jobs.heartbeat_every and jobs.lease (1 s and 5 s), a killed instance's
// work is taken up about five seconds after the kill.
const recoveryBound = 15 * time.Second

// requireRecovered checks that every kill touched some orders and that
// their webhook-to-routed p99 stayed under recoveryBound.
func requireRecovered(t *testing.T, res *loadResult, kills int, out string) {
	t.Helper()
	require.Len(t, res.Recovery, kills, out)
	for i, k := range res.Recovery {
		require.Positive(t, k.Orders, "kill %d touched no order: the load must outlast the kills\n%s", i+1, out)
		require.Less(t, k.P99, recoveryBound, "kill %d: webhook to routed p99 of its %d orders\n%s", i+1, k.Orders, out)
	}
	require.Positive(t, res.TakenUp.Jobs+res.TakenUp.Receipts, "the killed instances' work was taken up through their leases\n%s", out)
}

// TestLoadInProcess runs a short load against a hub in this process on
// SQLite: the report's figures are there and every check holds.
func TestLoadInProcess(t *testing.T) {
	t.Parallel()
	s := loadSpec{Orders: 90, Concurrency: 16, Duplicates: 0.2, Reorder: 0.2, Locations: 5, SKUs: 60, ShopRate: 200,
		RescueAfter: 15 * time.Second, Ship: true, Check: true, Baseline: 500 * time.Millisecond, Settle: 90 * time.Second, Seed: 3, Dir: t.TempDir()}
	var out bytes.Buffer
	res, err := runLoadSpec(context.Background(), s, &out)
	require.NoError(t, err, out.String())
	printLoadResult(&out, s, res)
	requireLoadHeld(t, s, res, out.String())
	require.Greater(t, res.Baseline.TxPerS, 0.0)
	require.Greater(t, res.Stats.Duplicates, int64(0), "some deliveries were sent twice")
	require.Equal(t, int64(len(res.Stats.Ack)), res.Stats.Acked)
	require.Positive(t, res.Shipped, "fulfillments shipped through the carriers' callbacks")
	require.Contains(t, out.String(), "× the baseline")
	require.Contains(t, out.String(), "ack latency: p50")
	require.Contains(t, out.String(), "webhook to routed: p50")
}

// TestCrashKill9 kills the `orderhub serve` process with SIGKILL three
// times under load on SQLite and restarts it each time, with the default
// jobs config (rescue_after 5m, lease 5s). The restarted process takes up
// what the killed one held once its lease lapses: the orders each kill
// touched are routed with a p99 under recoveryBound. Afterwards every
// acknowledged webhook is an order processed exactly once, nothing was
// written back twice, and stock is conserved. -long runs a longer load.
func TestCrashKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("kills real server processes")
	}
	t.Parallel()
	// The sending lasts about 10 s, beyond the third kill (each restart
	// takes a second or two), so every kill falls on orders in flight.
	s := loadSpec{Binary: orderhubBinary(t), Instances: 1, Kills: 3, KillEvery: 1500 * time.Millisecond,
		Orders: 500, Rate: 50, Concurrency: 16, Duplicates: 0.1, Reorder: 0.1, Locations: 6, SKUs: 150, ShopRate: 200,
		Ship: true, Check: true, Baseline: 500 * time.Millisecond, Settle: 2 * time.Minute, Seed: 5, Dir: t.TempDir()}
	if *longLoad {
		s.Orders, s.Rate, s.KillEvery, s.SKUs, s.Locations, s.Settle = 6000, 200, 8*time.Second, 2000, 20, 10*time.Minute
	}
	var out bytes.Buffer
	res, err := runLoadSpec(context.Background(), s, &out)
	if res != nil {
		printLoadResult(&out, s, res)
	}
	require.NoError(t, err, out.String())
	requireLoadHeld(t, s, res, out.String())
	require.Len(t, res.Kills, 3, out.String())
	for _, k := range res.Kills {
		require.Contains(t, k, "killed at", out.String())
	}
	requireRecovered(t, res, 3, out.String())
	t.Log(out.String())
}

// TestMultiInstance runs three `orderhub serve` processes on one
// PostgreSQL and one Redis with the webhooks spread over them, and kills
// one for good under load: every order is processed exactly once, the
// others take up its work once its lease lapses (the default jobs config:
// the orders the kill touched are routed with a p99 under recoveryBound),
// and each shop's rate limit holds across all three (the fakes never see
// more calls in a second than one limit allows).
func TestMultiInstance(t *testing.T) {
	if testing.Short() {
		t.Skip("runs real server processes")
	}
	t.Parallel()
	rurl := redistest.URL(t)
	suffix := "-" + redistest.Unique("t")
	redistest.DropKeys(t, "orderhub:*"+suffix+"*")
	// 50 calls a second per shop: the shared limit still binds (the fakes
	// see it reached), without its pace making up most of each order's
	// latency.
	s := loadSpec{Binary: orderhubBinary(t), Instances: 3, Kills: 1, KillEvery: 2 * time.Second, NoRestart: true,
		Database: pgtest.NewDatabase(t), Redis: rurl, ShopSuffix: suffix,
		Orders: 150, Rate: 50, Concurrency: 16, Duplicates: 0.1, Reorder: 0.1, Locations: 6, SKUs: 150, ShopRate: 50,
		Ship: true, Check: true, Baseline: 500 * time.Millisecond, Settle: 2 * time.Minute, Seed: 7, Dir: t.TempDir()}
	if *longLoad {
		s.Orders, s.Rate, s.SKUs, s.Locations, s.ShopRate, s.KillEvery, s.Settle = 3000, 200, 2000, 20, 100, 6*time.Second, 10*time.Minute
	}
	var out bytes.Buffer
	res, err := runLoadSpec(context.Background(), s, &out)
	if res != nil {
		printLoadResult(&out, s, res)
	}
	require.NoError(t, err, out.String())
	requireLoadHeld(t, s, res, out.String())
	require.Len(t, res.Kills, 1, out.String())
	requireRecovered(t, res, 1, out.String())
	rates := 0
	for _, c := range res.Checks {
		if strings.HasPrefix(c.Name, "shared rate limit") {
			rates++
		}
	}
	require.Equal(t, 3, rates, "one rate check per shop\n%s", out.String())
	t.Log(out.String())
}

func TestLoadTargetMustBeLoopback(t *testing.T) {
	for _, ok := range []string{"http://127.0.0.1:8080", "http://localhost:9000/", "https://[::1]:8443", "http://127.0.0.2:1"} {
		require.NoError(t, loopbackURL(strings.TrimRight(ok, "/")), ok)
	}
	for _, bad := range []string{"http://10.0.0.1:8080", "https://hub.example.com", "127.0.0.1:8080", "ftp://127.0.0.1", "http://"} {
		require.Error(t, loopbackURL(bad), bad)
	}
	var out, errOut bytes.Buffer
	code := run(context.Background(), []string{"load", "--target", "http://192.0.2.1:8080"}, &out, &errOut)
	require.Equal(t, 2, code)
	require.Contains(t, errOut.String(), "not on a loopback address")
}
