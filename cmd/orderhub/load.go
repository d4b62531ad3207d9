package main

// `orderhub load`: drives a hub with signed webhooks from every platform
// and reports ingest throughput, ack latency and webhook-to-routed latency
// beside a baseline measured in the same run on the same store; then,
// optionally, ships everything through the carriers' callbacks and checks
// exactly-once processing, inventory conservation and write-back.
//
// The hub is this process (the default), N `orderhub serve` processes it
// starts on one database and Redis (--instances, with --kill to kill -9
// one of them repeatedly under load), or hubs already running (--target
// with their --config).

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/goccy/go-yaml"
	"github.com/riverqueue/river/rivertype"

	"github.com/orderhub/orderhub"
	"github.com/orderhub/orderhub/config"
	"github.com/orderhub/orderhub/connectors/shopify/shopifytest"
	"github.com/orderhub/orderhub/store"
)

// loadSpec is everything `orderhub load` was asked for.
type loadSpec struct {
	ConfigPath  string
	Targets     []string
	Database    string
	Redis       string
	Instances   int
	Binary      string // the orderhub binary --instances runs; this one when empty
	Kills       int
	NoRestart   bool // a killed instance stays down
	KillEvery   time.Duration
	Orders      int
	Rate        float64
	Concurrency int
	Duplicates  float64
	Reorder     float64
	Locations   int
	SKUs        int
	ShopRate    float64 // write-back calls per second per shop; 0 keeps the platform defaults
	RescueAfter time.Duration
	Ship        bool
	Check       bool
	Baseline    time.Duration
	Settle      time.Duration
	Seed        uint64
	Dir         string    // working folder; a temporary one when empty
	Log         io.Writer // the in-process hub's log; nil discards
	// ShopSuffix is appended to every shop id, so runs sharing one Redis
	// keep their rate-limit buckets apart.
	ShopSuffix string
	CPUProfile string // file for a CPU profile of the sending and routing phase
	// IngestOnly runs the in-process hub without jobs: webhooks are only
	// verified, deduplicated, stored and acknowledged, as the ingest target
	// is stated.
	IngestOnly bool
}

// loadResult is what a run measured and checked.
type loadResult struct {
	Hub      string
	Stats    *loadStats
	Baseline loadBaseline
	Routed   []time.Duration
	// LastRouted is when the last order was routed.
	LastRouted time.Time
	Unrouted   int
	Shipped    int
	Checks     []loadCheck
	Kills      []string
	// KillAt is when each kill -9 was sent; Recovery measures, per kill, the
	// orders it touched.
	KillAt   []time.Time
	Recovery []killRecovery
	// TakenUp is what the hubs logged taking up from processes whose
	// leases lapsed.
	TakenUp takenUp
	PeakRSS map[string]int64 // bytes, by hub
	// DBWork is what PostgreSQL counted from the first delivery until
	// every order was routed (everything else the hubs did meanwhile too).
	DBWork *dbWork
}

// EndToEnd is orders routed per second, from the first delivery to the
// last routing.
func (r *loadResult) EndToEnd() float64 {
	if r.Stats == nil || len(r.Routed) == 0 {
		return 0
	}
	return float64(len(r.Routed)) / r.LastRouted.Sub(r.Stats.Start).Seconds()
}

// Failed lists the checks that did not hold.
func (r *loadResult) Failed() []loadCheck {
	var out []loadCheck
	for _, c := range r.Checks {
		if !c.OK {
			out = append(out, c)
		}
	}
	return out
}

func cmdLoad(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("load", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var s loadSpec
	var targets string
	fs.StringVar(&s.ConfigPath, "config", "", "the hub's config (default: the demo config); with --target, the running hubs' config")
	fs.StringVar(&targets, "target", "", "comma-separated base URLs of running hubs, e.g. http://127.0.0.1:8080; default: start hubs")
	fs.StringVar(&s.Database, "database", "", "the database of the hubs it starts (default: SQLite in a temporary folder)")
	fs.StringVar(&s.Redis, "redis", "", "the Redis of the hubs it starts, e.g. redis://127.0.0.1:6379/0")
	fs.IntVar(&s.Instances, "instances", 0, "start this many `orderhub serve` processes and spread the webhooks over them (0: the hub runs in this process)")
	fs.IntVar(&s.Kills, "kill", 0, "with --instances: kill -9 an instance this many times under load, restarting it each time")
	fs.DurationVar(&s.KillEvery, "kill-every", 0, "time between kills (default: spread over the run)")
	fs.BoolVar(&s.NoRestart, "no-restart", false, "leave killed instances down: the others must take up their work")
	fs.IntVar(&s.Orders, "orders", 3000, "orders to send")
	fs.Float64Var(&s.Rate, "rate", 0, "orders per second (0: as fast as the hub acknowledges)")
	fs.IntVar(&s.Concurrency, "concurrency", 32, "deliveries in flight")
	fs.Float64Var(&s.Duplicates, "duplicates", 0.1, "share of orders whose delivery is sent again later")
	fs.Float64Var(&s.Reorder, "reorder", 0.1, "share of orders whose update arrives before their creation")
	fs.IntVar(&s.Locations, "locations", 20, "warehouses to route over (the demo's plus generated ones)")
	fs.IntVar(&s.SKUs, "skus", 10000, "SKUs stocked at every location")
	fs.Float64Var(&s.ShopRate, "shop-rate", 200, "write-back calls per second per shop, shared by every instance (0: the platform defaults)")
	fs.DurationVar(&s.RescueAfter, "rescue-after", 0, "jobs.rescue_after of the hubs it starts (0: the config's)")
	fs.BoolVar(&s.Ship, "ship", false, "after routing, ship every fulfillment through the carriers' signed callbacks, so fulfillments are written back")
	fs.BoolVar(&s.Check, "check", true, "check exactly-once processing, inventory conservation and write-back afterwards")
	fs.DurationVar(&s.Baseline, "baseline", 3*time.Second, "how long to measure the single-insert baseline (0 skips it)")
	fs.DurationVar(&s.Settle, "settle", 3*time.Minute, "how long to wait for routing and jobs to finish")
	fs.Uint64Var(&s.Seed, "seed", 1, "random seed of the orders")
	fs.StringVar(&s.Dir, "dir", "", "working folder, kept afterwards: the hubs' configs and logs, and the SQLite database (default: a temporary one)")
	verbose := fs.Bool("v", false, "print the in-process hub's log")
	fs.BoolVar(&s.IngestOnly, "ingest-only", false, "run the in-process hub without jobs, to measure intake alone (verify, dedupe, store, acknowledge)")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of this process (the hub, when it runs in-process) from the first delivery until every order is routed")
	if err := fs.Parse(args); err != nil {
		return err
	}
	s.CPUProfile = *cpuProfile
	if *verbose {
		s.Log = stderr
	}
	if targets != "" {
		s.Targets = strings.Split(targets, ",")
		for i, t := range s.Targets {
			s.Targets[i] = strings.TrimRight(strings.TrimSpace(t), "/")
			if err := loopbackURL(s.Targets[i]); err != nil {
				return usageError{"--target: " + err.Error()}
			}
		}
	}
	if s.IngestOnly && (len(s.Targets) > 0 || s.Instances > 0) {
		return usageError{"--ingest-only needs the hub in this process: no --target or --instances"}
	}
	res, err := runLoadSpec(ctx, s, stdout)
	if res != nil {
		printLoadResult(stdout, s, res)
	}
	if err != nil {
		return err
	}
	if failed := res.Failed(); len(failed) > 0 {
		return fmt.Errorf("%d check(s) failed", len(failed))
	}
	return nil
}

// loopbackURL accepts only http(s) URLs on a loopback address: load is for
// test hubs, never for a hub that talks to real shops.
func loopbackURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%q is not an http:// URL", raw)
	}
	host := u.Hostname()
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("%q is not on a loopback address (127.0.0.1, ::1, localhost)", raw)
}

// loadHub is one `orderhub serve` process the load run started.
type loadHub struct {
	name, cfgPath, url, logPath string
	bin                         string
	mu                          sync.Mutex
	cmd                         *exec.Cmd
	peak                        int64
	down                        bool // killed and left down
}

func (h *loadHub) start(ctx context.Context) error {
	logf, err := os.OpenFile(h.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	cmd := exec.Command(h.bin, "serve", "--config", h.cfgPath, "--log-level", "warn")
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		logf.Close()
		return err
	}
	go func() { _ = cmd.Wait(); logf.Close() }()
	h.mu.Lock()
	h.cmd = cmd
	h.mu.Unlock()
	return waitReady(ctx, h.url, 60*time.Second)
}

// sample records the process's peak RSS so far.
func (h *loadHub) sample() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.cmd != nil && h.cmd.Process != nil {
		h.peak = max(h.peak, peakRSS(h.cmd.Process.Pid))
	}
}

func (h *loadHub) kill() {
	h.sample()
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.cmd != nil && h.cmd.Process != nil {
		_ = h.cmd.Process.Signal(syscall.SIGKILL)
		for i := 0; i < 100 && h.cmd.ProcessState == nil; i++ {
			if err := h.cmd.Process.Signal(syscall.Signal(0)); err != nil {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
}

func (h *loadHub) stop() {
	h.sample()
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.cmd != nil && h.cmd.Process != nil {
		_ = h.cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() {
			for h.cmd.Process.Signal(syscall.Signal(0)) == nil {
				time.Sleep(20 * time.Millisecond)
			}
			close(done)
		}()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			_ = h.cmd.Process.Signal(syscall.SIGKILL)
		}
	}
}

// peakRSS reads a process's high-water resident set (VmHWM) in bytes.
func peakRSS(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kb * 1024
		}
	}
	return 0
}

func waitReady(ctx context.Context, base string, within time.Duration) error {
	deadline := time.Now().Add(within)
	c := &http.Client{Timeout: 2 * time.Second}
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/readyz", nil)
		resp, err := c.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s not ready within %s: %v", base, within, err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// loadRunConfig builds the hubs' config: the given file or the demo's, on
// the chosen database and Redis, with generated warehouses up to
// s.Locations and the load's pace of write-back.
func loadRunConfig(s loadSpec, dir string) (config.Config, error) {
	var cfg config.Config
	var err error
	if s.ConfigPath != "" {
		cfg, err = config.Load(s.ConfigPath)
	} else {
		cfg, err = demoConfig(dir)
	}
	if err != nil {
		return cfg, err
	}
	if len(s.Targets) > 0 {
		return cfg, nil // the running hubs' config, as it is
	}
	if s.Database != "" {
		cfg.Database = s.Database
	}
	cfg.Redis = s.Redis
	if s.RescueAfter > 0 {
		cfg.Jobs.RescueAfter = s.RescueAfter
	}
	rng := rand.New(rand.NewPCG(s.Seed, 7))
	for i := len(cfg.Locations); i < s.Locations; i++ {
		// Warehouses spread over the continental US.
		lat := 30 + rng.Float64()*17
		lon := -122 + rng.Float64()*50
		cfg.Locations = append(cfg.Locations, config.Location{
			ID: fmt.Sprintf("wh-%02d", i), Kind: orderhub.LocationWarehouse, Priority: i + 1,
			Address:  config.Address{Name: fmt.Sprintf("Warehouse %d", i), Address1: "1 Main St", City: "Springfield", Province: "IL", Zip: "62701", Country: "US", Lat: &lat, Lon: &lon},
			Shipping: config.Shipping{Provider: firstProvider(cfg, config.ProviderEasyPost), Rule: "cheapest"},
		})
	}
	if s.ShopSuffix != "" {
		for i := range cfg.Shops {
			cfg.Shops[i].ID += s.ShopSuffix
		}
		for i := range cfg.Admin.Tokens {
			for j, id := range cfg.Admin.Tokens[i].Shops {
				if id != "*" {
					cfg.Admin.Tokens[i].Shops[j] = id + s.ShopSuffix
				}
			}
		}
	}
	if s.ShopRate > 0 {
		for i := range cfg.Shops {
			cfg.Shops[i].RateLimit = &config.RateLimit{PerSecond: s.ShopRate, Burst: max(1, int(s.ShopRate/5))}
		}
	}
	return cfg, cfg.Validate()
}

func firstProvider(cfg config.Config, kind string) string {
	for _, p := range cfg.Providers {
		if p.Kind == kind {
			return p.ID
		}
	}
	return ""
}

// loadSKUs are the SKUs a run stocks and orders.
func loadSKUs(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("LOAD-%05d", i+1)
	}
	return out
}

// seedStock stocks every SKU at every location: 0 to 40 units, a few
// SKUs out of stock here and there, so some lines split and some
// backorder.
func seedStock(ctx context.Context, st store.Store, cfg config.Config, skus []string, seed uint64) error {
	rng := rand.New(rand.NewPCG(seed, 11))
	type row struct {
		loc, sku string
		n        int64
	}
	var rows []row
	for _, l := range cfg.Locations {
		for _, sku := range skus {
			rows = append(rows, row{l.ID, sku, int64(rng.IntN(41))})
		}
	}
	for len(rows) > 0 {
		batch := rows[:min(len(rows), 2000)]
		rows = rows[len(batch):]
		err := st.InTx(ctx, func(ctx context.Context, tx store.Tx) error {
			for _, r := range batch {
				if _, err := tx.SetStock(ctx, store.SetStockParams{LocationID: r.loc, SKU: r.sku, OnHand: r.n, Reason: "load seed", Actor: "orderhub-load"}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("seed stock: %w", err)
		}
	}
	return nil
}

// settleJobs waits until no routing, fulfillment, intake, write-back or
// notice job is waiting or running.
func settleJobs(ctx context.Context, st store.Store, within time.Duration) error {
	deadline := time.Now().Add(within)
	busy := []rivertype.JobState{rivertype.JobStateAvailable, rivertype.JobStateRunning, rivertype.JobStatePending, rivertype.JobStateRetryable, rivertype.JobStateScheduled}
	kinds := []string{orderhub.RouteOrderArgs{}.Kind(), orderhub.FulfillmentArgs{}.Kind(), orderhub.BackorderNoticeArgs{}.Kind(), orderhub.ProcessReceiptsArgs{}.Kind()}
	kinds = append(kinds, writebackJobKinds()...)
	for {
		total := 0
		for _, k := range kinds {
			n, err := st.Queue().CountJobs(ctx, k, busy...)
			if err != nil {
				return err
			}
			total += n
		}
		if total == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%d jobs still busy after %s", total, within)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// runLoadSpec does one load run; progress lines go to out.
func runLoadSpec(ctx context.Context, s loadSpec, out io.Writer) (*loadResult, error) {
	dir := s.Dir
	if dir == "" {
		d, err := os.MkdirTemp("", "orderhub-load-")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(d)
		dir = d
	}
	cfg, err := loadRunConfig(s, dir)
	if err != nil {
		return nil, err
	}
	world := startFakeWorld(&cfg)
	defer world.Close()
	var shops []config.Shop
	for _, sh := range cfg.Shops {
		if len(s.Targets) > 0 && sh.Platform == config.PlatformBigCommerce {
			fmt.Fprintf(out, "note: skipping bigcommerce shop %s: its webhooks carry no order, and a running hub fetches it from its own configured API, not from this run's fake\n", sh.ID)
			continue
		}
		shops = append(shops, sh)
	}

	// The store, for seeding, the baseline and the checks.
	st, err := openStore(ctx, cfg, store.Options{})
	if err != nil {
		return nil, err
	}
	defer st.Close()
	if err := st.Migrate(ctx); err != nil {
		return nil, fmt.Errorf("migrate: %w", err)
	}
	skus := loadSKUs(s.SKUs)
	res := &loadResult{PeakRSS: map[string]int64{}}
	if len(s.Targets) == 0 {
		fmt.Fprintf(out, "seeding %d SKUs at %d locations…\n", len(skus), len(cfg.Locations))
		if err := seedStock(ctx, st, cfg, skus, s.Seed); err != nil {
			return nil, err
		}
	}
	if s.Baseline > 0 {
		body := shopifytest.MustBuildOrder(shopifytest.OrderSpec{Number: 1, Lines: []shopifytest.LineSpec{
			{SKU: skus[0], Quantity: 1, Price: "12.50"}, {SKU: skus[len(skus)/2], Quantity: 2, Price: "12.50"}, {SKU: skus[len(skus)-1], Quantity: 1, Price: "12.50"}}})
		if res.Baseline, err = measureBaseline(ctx, cfg, body, 16, s.Baseline); err != nil {
			return nil, err
		}
	}

	// The hubs.
	var hubs []*loadHub
	targets := s.Targets
	switch {
	case len(targets) > 0:
		res.Hub = fmt.Sprintf("%d running hub(s)", len(targets))
	case s.Instances > 0:
		bin := s.Binary
		if bin == "" {
			if bin, err = os.Executable(); err != nil {
				return nil, err
			}
		}
		for i := range s.Instances {
			addr, err := freeAddr()
			if err != nil {
				return nil, err
			}
			c := cfg
			c.Listen = addr
			c.PublicURL = "http://" + addr
			h := &loadHub{name: fmt.Sprintf("instance %d", i+1), cfgPath: filepath.Join(dir, fmt.Sprintf("hub-%d.yaml", i+1)),
				url: "http://" + addr, logPath: filepath.Join(dir, fmt.Sprintf("hub-%d.log", i+1)), bin: bin}
			if err := writeHubConfig(h.cfgPath, c); err != nil {
				return nil, err
			}
			if err := h.start(ctx); err != nil {
				return res, fmt.Errorf("%s: %w\n%s", h.name, err, tail(h.logPath))
			}
			defer h.stop()
			hubs = append(hubs, h)
			targets = append(targets, h.url)
		}
		res.Hub = fmt.Sprintf("%d `orderhub serve` process(es)", s.Instances)
	default:
		var logger *slog.Logger
		if s.Log != nil {
			logger, _ = newLogger(s.Log, "info")
		}
		app, err := NewApp(ctx, cfg, AppOptions{Logger: logger, NoWorkers: s.IngestOnly})
		if err != nil {
			return nil, err
		}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			app.store.Close()
			return nil, err
		}
		srvCtx, stop := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() { done <- app.Serve(srvCtx, ln) }()
		defer func() { stop(); <-done }()
		targets = []string{"http://" + ln.Addr().String()}
		res.Hub = "this process"
		if s.IngestOnly {
			res.Hub += " (intake only: no jobs run)"
		}
	}
	kind, _ := cfg.DatabaseKind()
	fmt.Fprintf(out, "sending %d orders to %s on %s…\n", s.Orders, res.Hub, kind)

	// Kill -9 under load.
	loadCtx, stopKills := context.WithCancel(ctx)
	defer stopKills()
	var killWG sync.WaitGroup
	if s.Kills > 0 && len(hubs) > 0 {
		every := s.KillEvery
		if every <= 0 {
			every = 2 * time.Second
			if s.Rate > 0 {
				every = time.Duration(float64(s.Orders) / s.Rate / float64(s.Kills+1) * float64(time.Second))
			}
		}
		killWG.Add(1)
		go func() {
			defer killWG.Done()
			start := time.Now()
			for k := range s.Kills {
				select {
				case <-loadCtx.Done():
					return
				case <-time.After(every):
				}
				h := hubs[k%len(hubs)]
				h.kill()
				res.KillAt = append(res.KillAt, time.Now())
				res.Kills = append(res.Kills, fmt.Sprintf("%s killed at %.1f s", h.name, time.Since(start).Seconds()))
				if s.NoRestart {
					h.down = true
					continue
				}
				time.Sleep(300 * time.Millisecond)
				if err := h.start(ctx); err != nil {
					res.Kills = append(res.Kills, fmt.Sprintf("%s did not restart: %v", h.name, err))
				}
			}
		}()
	}
	sampler := time.NewTicker(500 * time.Millisecond)
	go func() {
		for {
			select {
			case <-loadCtx.Done():
				return
			case <-sampler.C:
				for _, h := range hubs {
					h.sample()
				}
			}
		}
	}()

	if s.CPUProfile != "" {
		f, err := os.Create(s.CPUProfile)
		if err != nil {
			return res, err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			f.Close()
			return res, err
		}
		defer f.Close()
		defer pprof.StopCPUProfile() // if the run fails before routing ends
	}
	before, pgOK := pgWork(ctx, st)
	first := time.Now().UnixMicro() % 1_000_000_000 * 1000 // fresh order numbers per run
	res.Stats, err = runLoad(ctx, loadOptions{Targets: targets, Orders: s.Orders, Rate: s.Rate, Concurrency: s.Concurrency,
		Duplicates: s.Duplicates, Reorder: s.Reorder, SKUs: skus, Lines: 3, FirstNumber: first, Seed: s.Seed}, shops, world)
	if err != nil {
		stopKills()
		return res, err
	}
	// Kills still due happen now, then everything must recover.
	killWG.Wait()
	stopKills()
	sampler.Stop()
	if s.IngestOnly {
		if s.CPUProfile != "" {
			pprof.StopCPUProfile()
		}
		res.PeakRSS["this process (hub, fakes and load generator)"] = peakRSS(os.Getpid())
		return res, nil
	}

	var spans []orderSpan
	if res.Routed, res.LastRouted, res.Unrouted, spans, err = routedLatencies(ctx, st, res.Stats, s.Settle); err != nil {
		return res, err
	}
	res.Recovery = killRecoveries(res.KillAt, spans)
	if s.CPUProfile != "" {
		pprof.StopCPUProfile()
	}
	if pgOK {
		time.Sleep(600 * time.Millisecond) // let the statistics collector catch up
		if after, ok := pgWork(ctx, st); ok {
			res.DBWork = &dbWork{Commits: after.Commits - before.Commits, Rows: after.Rows - before.Rows}
		}
	}
	for _, h := range hubs {
		h.sample()
	}
	if len(hubs) == 0 && len(s.Targets) == 0 {
		res.PeakRSS["this process (hub, fakes and load generator)"] = peakRSS(os.Getpid())
	}
	if !s.Check && !s.Ship {
		collectPeaks(res, hubs)
		return res, nil
	}
	if err := settleJobs(ctx, st, s.Settle); err != nil {
		return res, err
	}
	if s.Ship {
		hub := targets[0]
		for _, h := range hubs {
			if !h.down {
				hub = h.url
				break
			}
		}
		if res.Shipped, err = shipAll(ctx, st, cfg, world, hub, res.Stats); err != nil {
			return res, err
		}
		if err := settleJobs(ctx, st, s.Settle); err != nil {
			return res, err
		}
	}
	if s.Check {
		if res.Checks, err = checkLoad(ctx, st, world, res.Stats); err != nil {
			return res, err
		}
		res.Checks = append(res.Checks, rateChecks(cfg, world)...)
		if res.Unrouted > 0 {
			res.Checks = append(res.Checks, loadCheck{Name: "every acknowledged order routed", Detail: fmt.Sprintf("%d not routed within %s", res.Unrouted, s.Settle)})
		}
	}
	collectPeaks(res, hubs)
	return res, nil
}

func collectPeaks(res *loadResult, hubs []*loadHub) {
	res.TakenUp = takenUp{}
	for _, h := range hubs {
		h.sample()
		res.PeakRSS[h.name] = h.peak
		res.TakenUp.add(h.logPath)
	}
}

// takenUp counts the receipts and jobs hubs took up from lapsed processes.
type takenUp struct{ Receipts, Jobs int }

// add reads a hub's JSON log for the lease's "took up" lines.
func (t *takenUp) add(logPath string) {
	b, err := os.ReadFile(logPath)
	if err != nil {
		return
	}
	for _, line := range strings.Split(string(b), "\n") {
		var e struct {
			Msg            string
			Receipts, Jobs int
		}
		if json.Unmarshal([]byte(line), &e) == nil && e.Msg == "took up the work of a process whose lease lapsed" {
			t.Receipts += e.Receipts
			t.Jobs += e.Jobs
		}
	}
}

// shipAll has the carriers, the 3PL and the supplier report every
// submitted fulfillment of the run's orders shipped, through their signed
// callbacks to the hub.
func shipAll(ctx context.Context, st store.Store, cfg config.Config, world *fakeWorld, hub string, stats *loadStats) (int, error) {
	orders, err := loadOrders(ctx, st)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, lo := range stats.Orders {
		for _, o := range orders[[2]string{lo.Shop, lo.ExternalID}] {
			fs, err := st.ListFulfillments(ctx, o.ID)
			if err != nil {
				return n, err
			}
			for _, f := range fs {
				if f.Status != orderhub.FulfillmentSubmitted {
					continue
				}
				d, err := world.sources.ship(ctx, cfg, hub, f)
				if err != nil {
					return n, fmt.Errorf("ship fulfillment %s: %w", f.ID, err)
				}
				if d.Status != http.StatusOK {
					return n, fmt.Errorf("ship fulfillment %s: the hub answered %d %s", f.ID, d.Status, d.Body)
				}
				n++
			}
		}
	}
	return n, nil
}

// rateChecks checks that no shop's fake saw more calls in any one second
// than its rate limit allows, across every instance.
func rateChecks(cfg config.Config, world *fakeWorld) []loadCheck {
	var out []loadCheck
	for _, sh := range cfg.Shops {
		if sh.RateLimit == nil {
			continue
		}
		var at []time.Time
		switch sh.Platform {
		case config.PlatformShopify:
			for _, r := range world.shopify[sh.ID].Requests() {
				at = append(at, r.At)
			}
		case config.PlatformWooCommerce:
			for _, r := range world.woo[sh.ID].Requests() {
				at = append(at, r.At)
			}
		case config.PlatformBigCommerce:
			for _, r := range world.bc[sh.ID].Requests() {
				at = append(at, r.At)
			}
		}
		peak := maxInWindow(at, time.Second)
		// A limit each instance kept for itself would let through about
		// one limit per instance; allow a quarter more than one limit for
		// the clocks of Redis and the fakes not agreeing to the millisecond.
		allowed := int(math.Ceil(sh.RateLimit.PerSecond*1.25)) + max(1, sh.RateLimit.Burst)
		c := loadCheck{Name: "shared rate limit of " + sh.ID, OK: peak <= allowed,
			Detail: fmt.Sprintf("%d calls, at most %d in any second (limit %g/s, burst %d)", len(at), peak, sh.RateLimit.PerSecond, sh.RateLimit.Burst)}
		out = append(out, c)
	}
	return out
}

// maxInWindow is the most times within any window of length w.
func maxInWindow(at []time.Time, w time.Duration) int {
	sorted := append([]time.Time(nil), at...)
	slices.SortFunc(sorted, time.Time.Compare)
	best, j := 0, 0
	for i := range sorted {
		for sorted[i].Sub(sorted[j]) >= w {
			j++
		}
		best = max(best, i-j+1)
	}
	return best
}

func writeHubConfig(path string, cfg config.Config) error {
	b, err := yaml.Marshal(cfg)
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o600)
}

func tail(path string) string {
	b, _ := os.ReadFile(path)
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

func printLoadResult(w io.Writer, s loadSpec, r *loadResult) {
	st := r.Stats
	if st == nil {
		return
	}
	ms := func(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000) }
	fmt.Fprintf(w, "\norderhub load: %d orders from %d platforms (%.0f%% delivered twice, %.0f%% update before create) to %s, GOMAXPROCS %d\n",
		len(st.Orders), 3, s.Duplicates*100, s.Reorder*100, r.Hub, runtime.GOMAXPROCS(0))
	fmt.Fprintf(w, "deliveries: %d sent (%d re-deliveries, %d retries), %d acknowledged, %d refused, %d without answer in %.2f s\n",
		st.Deliveries, st.Duplicates, st.Retries, st.Acked, st.Rejected, st.Failed, st.End.Sub(st.Start).Seconds())
	if len(st.Errors) > 0 {
		fmt.Fprintf(w, "  first errors: %s\n", strings.Join(st.Errors, "; "))
	}
	fmt.Fprintf(w, "ingest: %.0f acknowledged webhooks/s", st.Throughput())
	if r.Baseline.TxPerS > 0 {
		fmt.Fprintf(w, " = %.2f× the baseline\nbaseline: %.0f %s/s, %d clients, %s", st.Throughput()/r.Baseline.TxPerS, r.Baseline.TxPerS, r.Baseline.What, r.Baseline.Clients, r.Baseline.For)
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "ack latency: p50 %s  p99 %s  p99.9 %s  max %s\n", ms(percentile(st.Ack, 0.5)), ms(percentile(st.Ack, 0.99)), ms(percentile(st.Ack, 0.999)), ms(percentile(st.Ack, 1)))
	if len(r.Routed) > 0 {
		fmt.Fprintf(w, "webhook to routed: p50 %s  p99 %s  p99.9 %s  max %s; %d orders routed in %.2f s = %.0f orders/s end to end\n",
			ms(percentile(r.Routed, 0.5)), ms(percentile(r.Routed, 0.99)), ms(percentile(r.Routed, 0.999)), ms(percentile(r.Routed, 1)),
			len(r.Routed), r.LastRouted.Sub(st.Start).Seconds(), r.EndToEnd())
	}
	if r.DBWork != nil && len(r.Routed) > 0 {
		n := float64(len(r.Routed))
		fmt.Fprintf(w, "PostgreSQL work until the last routing: %d commits (%.1f per order), %d rows written (%.1f per order)\n",
			r.DBWork.Commits, float64(r.DBWork.Commits)/n, r.DBWork.Rows, float64(r.DBWork.Rows)/n)
	}
	if r.Unrouted > 0 {
		fmt.Fprintf(w, "NOT routed: %d acknowledged orders\n", r.Unrouted)
	}
	for _, k := range r.Kills {
		fmt.Fprintf(w, "kill -9: %s\n", k)
	}
	for i, k := range r.Recovery {
		endless := func(d time.Duration) string {
			if d == time.Duration(math.MaxInt64) {
				return "never"
			}
			return ms(d)
		}
		fmt.Fprintf(w, "after kill %d: %d orders in flight or sent before the next kill, webhook to routed p99 %s  max %s",
			i+1, k.Orders, endless(k.P99), endless(k.Max))
		if k.Unrouted > 0 {
			fmt.Fprintf(w, " (%d never routed)", k.Unrouted)
		}
		fmt.Fprintln(w)
	}
	if len(r.Kills) > 0 {
		fmt.Fprintf(w, "taken up from killed instances once their leases lapsed: %d claimed receipts, %d running jobs\n", r.TakenUp.Receipts, r.TakenUp.Jobs)
	}
	for name, b := range r.PeakRSS {
		fmt.Fprintf(w, "peak RSS: %s %.0f MB\n", name, float64(b)/(1<<20))
	}
	if r.Shipped > 0 {
		fmt.Fprintf(w, "shipped: %d fulfillments through the carriers' signed callbacks\n", r.Shipped)
	}
	for _, c := range r.Checks {
		mark := "ok  "
		if !c.OK {
			mark = "FAIL"
		}
		fmt.Fprintf(w, "check %s %s: %s\n", mark, c.Name, c.Detail)
	}
}
