package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"sync"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
	"github.com/riverqueue/river"

	"github.com/orderhub/orderhub"
	"github.com/orderhub/orderhub/admin"
	"github.com/orderhub/orderhub/allocator"
	"github.com/orderhub/orderhub/bodylimit"
	"github.com/orderhub/orderhub/config"
	"github.com/orderhub/orderhub/fulfillment"
	"github.com/orderhub/orderhub/httpjson"
	"github.com/orderhub/orderhub/notify"
	"github.com/orderhub/orderhub/ratelimit"
	"github.com/orderhub/orderhub/routing"
	"github.com/orderhub/orderhub/store"
	"github.com/orderhub/orderhub/store/pgstore"
	"github.com/orderhub/orderhub/store/sqlitestore"
	"github.com/orderhub/orderhub/writeback"
)

// App is the composition root: the one place that knows every part and
// wires them together.
type App struct {
	cfg     config.Config
	logger  *slog.Logger
	store   store.Store
	workers *river.Workers
	nwork   int // workers registered; River runs only when there are some
	router  chi.Router
	server  *http.Server
	now     func() time.Time
	lease   *processLease // this process's identity and lease (lease.go)

	alloc         *allocator.Allocator
	routeWorker   *allocator.RouteWorker
	fulfilWorker  *fulfillment.Worker
	noticeWorker  *notify.BackorderWorker
	noticeSender  notify.Sender
	fulfilExecute map[string]fulfillment.Executor

	opOnce sync.Once
	op     *operator // metrics, live updates, alerts, job UI

	limOnce sync.Once
	lim     *ratelimit.Limiter // every call to a shop's API waits on it

	bodies  *bodylimit.Budget  // body bytes in flight, shared by the intake and the callbacks
	writes  *store.WriteHealth // whether writes fail for want of storage; readyz reads it
	probeMu sync.Mutex         // one readiness write probe at a time

	metricsLn net.Listener // metrics.listen, when set; see ListenMetrics

	thrOnce sync.Once
	thr     *ratelimit.FailureThrottle // failed admin credentials per client, shared by the API and the dashboard
}

// AppOptions adjust an App for tests and the demo.
type AppOptions struct {
	Logger *slog.Logger
	Now    func() time.Time
	// NoWorkers runs no jobs: webhooks are stored and acknowledged and wait
	// in the inbox. `orderhub load --ingest-only` measures intake alone so.
	NoWorkers bool
}

// openStore opens the store the config's database URL selects.
func openStore(ctx context.Context, cfg config.Config, opts store.Options) (store.Store, error) {
	kind, dsn := cfg.DatabaseKind()
	switch kind {
	case config.DatabaseSQLite:
		return sqlitestore.Open(ctx, dsn, opts)
	case config.DatabasePostgres:
		return pgstore.Open(ctx, dsn, opts)
	}
	return nil, orderhub.Errorf(orderhub.EInvalid, "database: %q must start with sqlite:// or postgres://", cfg.Database)
}

// NewApp opens the store, applies migrations (ours and River's) and builds
// the HTTP routes. It does not listen yet.
func NewApp(ctx context.Context, cfg config.Config, o AppOptions) (*App, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("invalid config:\n%w", err)
	}
	logger := o.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	now := o.Now
	if now == nil {
		now = time.Now
	}
	a := &App{cfg: cfg, logger: logger, workers: river.NewWorkers(), now: now,
		bodies: bodylimit.NewBudget(cfg.Webhooks.MaxInFlightBytes), writes: &store.WriteHealth{}}
	host, _ := os.Hostname()
	a.lease = &processLease{id: store.NewProcessID(host, os.Getpid()), host: host, pid: os.Getpid(),
		every: cfg.Jobs.HeartbeatEvery, lease: cfg.Jobs.Lease, now: now, logger: logger}
	a.registerWorkers()
	opts := store.Options{Logger: logger, Now: now, Queues: map[string]river.QueueConfig{
		river.QueueDefault:         {MaxWorkers: 32}, // a route job mostly waits for its group to commit; more waiting together make larger groups
		allocator.QueueFulfillment: {MaxWorkers: 4},
		allocator.QueueNotices:     {MaxWorkers: 2},
		writeback.Queue:            {MaxWorkers: 4},
	}}
	if o.NoWorkers {
		a.nwork = 0
	}
	if a.nwork > 0 {
		opts.Workers = a.workers
	}
	opts.RescueAfter = cfg.Jobs.RescueAfter
	opts.ProcessID = a.lease.id
	opts.PeriodicJobs = append(opts.PeriodicJobs, a.intakePeriodicJobs()...)
	opts.PeriodicJobs = append(opts.PeriodicJobs, a.operatorPeriodicJobs()...)
	opts.PeriodicJobs = append(opts.PeriodicJobs, a.sourcePeriodicJobs()...)
	st, err := openStore(ctx, cfg, opts)
	if err != nil {
		return nil, err
	}
	if err := st.Migrate(ctx); err != nil {
		st.Close()
		return nil, fmt.Errorf("migrate: %w", err)
	}
	a.store = st
	a.lease.store = st
	if err := a.wire(); err != nil {
		st.Close()
		return nil, err
	}
	a.routes()
	return a, nil
}

// jobTimeout caps a job's own timeout at jobs.rescue_after, so a job is
// over before another instance could take it as abandoned.
func (a *App) jobTimeout(own time.Duration) time.Duration {
	if r := a.cfg.Jobs.RescueAfter; r > 0 && r < own {
		return r
	}
	return own
}

// registerWorkers adds every job worker this process runs. River needs
// them before the store opens; wire gives them the store afterwards.
func (a *App) registerWorkers() {
	a.routeWorker = &allocator.RouteWorker{}
	river.AddWorker(a.workers, a.routeWorker)
	a.fulfilWorker = &fulfillment.Worker{}
	river.AddWorker(a.workers, a.fulfilWorker)
	a.noticeWorker = &notify.BackorderWorker{}
	river.AddWorker(a.workers, a.noticeWorker)
	a.nwork += 3
	a.registerIntakeWorkers()
	a.registerOperatorWorkers()
	a.registerSourceWorkers()
	a.registerWritebackWorkers()
}

// wire builds the services on the opened store and hands them to the
// workers.
func (a *App) wire() error {
	rules, err := routingRules(a.cfg)
	if err != nil {
		return err
	}
	suppliers, err := a.cfg.DomainSuppliers()
	if err != nil {
		return err
	}
	a.alloc, err = allocator.New(allocator.Config{Store: a.store, Locations: a.cfg.DomainLocations(), Suppliers: suppliers,
		Rules: rules, Now: a.now, Logger: a.logger})
	if err != nil {
		return fmt.Errorf("routing config: %w", err)
	}
	a.routeWorker.Allocator = a.alloc
	// Concurrent routings share transactions (group commit), so a hot SKU's
	// stock row is locked once per group: one committer on SQLite, which
	// has one writer, a few on PostgreSQL, each with its own share of SKUs.
	routeCommitters := 1
	if a.store.Kind() == "postgres" {
		routeCommitters = 4
	}
	a.routeWorker.Group = allocator.NewGroupRouter(a.alloc, 0, routeCommitters)
	a.fulfilWorker.Store = a.store
	if a.fulfilExecute == nil {
		if a.fulfilExecute, err = a.sourceExecutors(); err != nil {
			return err
		}
	}
	a.fulfilWorker.Executors = a.fulfilExecute
	a.fulfilWorker.Logger = a.logger
	a.fulfilWorker.MaxTimeout = a.cfg.Jobs.RescueAfter
	a.noticeWorker.Store = a.store
	a.noticeWorker.Deliverer = a.noticeDeliverer()
	if err := a.wireWriteback(); err != nil {
		return err
	}
	return a.wireOperator()
}

// routingRules turns the config's routing section into engine rules.
func routingRules(cfg config.Config) (routing.Rules, error) {
	order, err := routing.ParseRules(cfg.Routing.Rules)
	if err != nil {
		return routing.Rules{}, err
	}
	policy, err := routing.ParseBackorderPolicy(cfg.Routing.Backorders)
	if err != nil {
		return routing.Rules{}, err
	}
	return routing.Rules{Order: order, AllowLineSplit: cfg.Routing.AllowLineSplit, Dropship: cfg.Routing.Dropship, Backorders: policy}, nil
}

func (a *App) routes() {
	r := chi.NewRouter()
	r.Use(middleware.Recoverer)
	r.Get("/healthz", func(w http.ResponseWriter, r *http.Request) {
		httpjson.Write(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	r.Get("/readyz", a.readyz)
	a.intakeRoutes(r)
	a.noticeRoutes(r)
	a.sourceRoutes(r)
	r.Mount("/api/v1", a.adminServer().Routes())
	a.operatorRoutes(r)
	r.NotFound(func(w http.ResponseWriter, r *http.Request) {
		httpjson.Error(w, r, a.logger, orderhub.Errorf(orderhub.ENotFound, "no route %s %s", r.Method, r.URL.Path))
	})
	r.MethodNotAllowed(func(w http.ResponseWriter, r *http.Request) {
		httpjson.Write(w, http.StatusMethodNotAllowed, httpjson.ErrorBody{Error: httpjson.ErrorDetail{Code: "method_not_allowed", Message: r.Method + " is not allowed on " + r.URL.Path}})
	})
	a.router = r
}

// adminServer builds the admin API from the config's tokens.
func (a *App) adminServer() *admin.Server {
	srv := &admin.Server{Store: a.store, Logger: a.logger, Now: a.now, Allocator: a.alloc, Locations: map[string]orderhub.Location{}}
	for _, l := range a.cfg.DomainLocations() {
		srv.Locations[l.ID] = l
	}
	a.operatorAdmin(srv)
	for i, t := range a.cfg.Admin.Tokens {
		srv.Tokens = append(srv.Tokens, admin.Token{Name: a.cfg.Admin.TokenName(i), Token: t.Token, Shops: t.Shops})
	}
	srv.SessionIdle, srv.SessionMaxAge = a.cfg.Admin.Session.IdleTimeout, a.cfg.Admin.Session.MaxAge
	srv.Throttle = a.failureThrottle()
	srv.TrustedProxies = trustedProxies(a.cfg.Admin.TrustedProxies)
	srv.PublicURL = a.cfg.PublicURL
	return srv
}

// failureThrottle counts failed sign-ins and bad bearer tokens per client
// address, on the app's clock, shared through Redis when there is one.
func (a *App) failureThrottle() *ratelimit.FailureThrottle {
	a.thrOnce.Do(func() {
		o := ratelimit.FailureOptions{RedisURL: a.cfg.Redis, Failures: a.cfg.Admin.Throttle.Failures, Window: a.cfg.Admin.Throttle.Window,
			Now: a.now, Logger: a.logger.With("component", "admin throttle")}
		thr, err := ratelimit.NewFailureThrottle(o)
		if err != nil {
			// Validate checked the URL; throttle in-process rather than not at all.
			a.logger.Error("admin throttle: redis unusable; counting in-process", "err", err)
			o.RedisURL = ""
			thr, _ = ratelimit.NewFailureThrottle(o)
		}
		a.thr = thr
	})
	return a.thr
}

// trustedProxies parses admin.trusted_proxies, which Validate checked: a
// CIDR, or one address.
func trustedProxies(list []string) []netip.Prefix {
	var out []netip.Prefix
	for _, p := range list {
		if pfx, err := netip.ParsePrefix(p); err == nil {
			out = append(out, pfx.Masked())
		} else if addr, err := netip.ParseAddr(p); err == nil {
			out = append(out, netip.PrefixFrom(addr.Unmap(), addr.Unmap().BitLen()))
		}
	}
	return out
}

// readyz answers 200 only when the database answers and takes writes.
func (a *App) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := a.store.Ping(ctx); err != nil {
		a.logger.WarnContext(ctx, "readiness check failed", "err", err)
		httpjson.Error(w, r, nil, orderhub.WrapError(orderhub.EUnavailable, err, "database is not reachable"))
		return
	}
	if err := a.writeFailure(ctx); err != nil {
		a.logger.WarnContext(ctx, "readiness check failed: the database takes no writes", "err", err)
		httpjson.Error(w, r, nil, orderhub.WrapError(orderhub.EUnavailable, err, "the database takes no writes (full or failing)"))
		return
	}
	httpjson.Write(w, http.StatusOK, map[string]string{"status": "ready", "database": a.store.Kind()})
}

// writeFailure returns nil while writes succeed. Once a write has failed
// for want of storage (the intake and the callbacks report theirs), it
// probes a write of a receipt's size and reports the outcome, so readiness
// comes back as soon as the database takes writes again, with or without
// traffic. While the writes are healthy it costs nothing: readiness is
// polled often, and a probe is a committed write. One probe runs at a time;
// a check that finds one running answers with the failure known so far.
func (a *App) writeFailure(ctx context.Context) error {
	failure := a.writes.Failure()
	if failure == nil {
		return nil
	}
	if !a.probeMu.TryLock() {
		return failure
	}
	defer a.probeMu.Unlock()
	err := a.store.ProbeWrite(ctx)
	a.writes.Report(err)
	return err
}

// Handler returns the HTTP handler, for tests.
func (a *App) Handler() http.Handler { return a.router }

// Serve registers this process's lease, starts the job queue and serves
// HTTP on ln until ctx ends, then shuts down gracefully: it stops taking
// requests, lets in-flight requests and running jobs finish (up to 25 s),
// ends its lease and closes the store.
func (a *App) Serve(ctx context.Context, ln net.Listener) error {
	defer a.store.Close()
	defer a.closeOperator()
	stopMetrics, err := a.serveMetrics(ctx, ln)
	if err != nil {
		return err
	}
	defer stopMetrics(context.Background()) // before the store closes
	if err := a.lease.register(ctx); err != nil {
		return err
	}
	beatCtx, stopBeat := context.WithCancel(context.WithoutCancel(ctx))
	beating := make(chan struct{})
	go func() { defer close(beating); a.lease.run(beatCtx) }()
	defer func() { // after the queue stopped: what is still held is taken up at once
		stopBeat()
		<-beating
		ectx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if err := a.lease.end(ectx); err != nil {
			a.logger.Error("end process lease", "err", err)
		}
	}()
	if a.nwork > 0 {
		if err := a.store.Queue().Start(ctx); err != nil {
			return fmt.Errorf("start queue: %w", err)
		}
	}
	a.server = &http.Server{
		Handler:           a.router,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	a.server.RegisterOnShutdown(a.closeOperator)
	errc := make(chan error, 1)
	go func() { errc <- a.server.Serve(ln) }()
	a.logger.Info("orderhub listening", "addr", ln.Addr().String(), "database", a.store.Kind())
	for _, e := range a.endpoints(ln.Addr().String()) {
		a.logger.Info(e.what+" at "+e.url, "url", e.url)
	}

	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	a.logger.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 25*time.Second)
	defer cancel()
	err = errors.Join(a.server.Shutdown(sctx), stopMetrics(sctx))
	if a.nwork > 0 {
		if qerr := a.store.Queue().Stop(sctx); qerr != nil {
			err = errors.Join(err, fmt.Errorf("stop queue: %w", qerr))
		}
	}
	if e := <-errc; e != nil && !errors.Is(e, http.ErrServerClosed) {
		err = errors.Join(err, e)
	}
	if a.lim != nil { // every job has stopped: nothing waits on it any more
		_ = a.lim.Close()
	}
	if a.thr != nil { // the server has stopped: no request checks it any more
		_ = a.thr.Close()
	}
	return err
}

func storeOptions(logger *slog.Logger) store.Options { return store.Options{Logger: logger} }

// endpoint is one address serve tells the operator at start.
type endpoint struct{ what, url string }

// endpoints are where the dashboard, the admin API, the metrics and the
// job UI are served, given the main listener's address.
func (a *App) endpoints(addr string) []endpoint {
	base := "http://" + addr
	metrics := base + "/metrics"
	if a.metricsLn != nil {
		metrics = "http://" + a.metricsLn.Addr().String() + "/metrics"
	} else if a.cfg.Metrics.Listen != "" {
		metrics = "http://" + a.cfg.Metrics.Listen + "/metrics"
	}
	return []endpoint{
		{"dashboard", base + admin.UIPrefix + "/"},
		{"admin API", base + "/api/v1"},
		{"metrics", metrics},
		{"job UI", base + admin.UIPrefix + "/jobs"},
	}
}
