package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/jackc/pgx/v5"
	"github.com/redis/go-redis/v9"
	"github.com/riverqueue/river"
	"riverqueue.com/riverui"

	"github.com/orderhub/orderhub"
	"github.com/orderhub/orderhub/admin"
	"github.com/orderhub/orderhub/admin/live"
	"github.com/orderhub/orderhub/admin/live/redislive"
	"github.com/orderhub/orderhub/alerts"
	"github.com/orderhub/orderhub/metrics"
	"github.com/orderhub/orderhub/store"
	"github.com/orderhub/orderhub/store/sqlcore"
)

// operator is the operator surface of one App: its metrics, the live
// updates of its dashboards, the stuck-order check and the River job UI.
type operator struct {
	metrics *metrics.Metrics
	broker  *live.Broker
	stuck   *alerts.Worker

	ctx    context.Context // ends when the App shuts down
	cancel context.CancelFunc

	mu      sync.Mutex
	wired   bool
	river   *riverAccess
	relay   *redislive.Relay
	redis   *redis.Client
	jobsUI  http.Handler
	unsub   func()
	closing bool
}

// operator returns the App's operator parts, creating them on first use.
func (a *App) operator() *operator {
	a.opOnce.Do(func() {
		ctx, cancel := context.WithCancel(context.Background())
		a.op = &operator{metrics: metrics.New(), broker: live.NewBroker(a.logger), stuck: &alerts.Worker{}, ctx: ctx, cancel: cancel}
	})
	return a.op
}

// Metrics returns the App's metrics, for the intake and routing to report
// to (webhooks received, rejected and duplicate, ingest latency, write-back
// failures).
func (a *App) Metrics() *metrics.Metrics { return a.operator().metrics }

// Live returns where to say that an order changed, so the dashboards
// watching it refresh; with Redis configured the news reaches every
// instance.
func (a *App) Live() live.Publisher { return a.operator().broker }

// registerOperatorWorkers adds the stuck-order check's worker. Call it from
// registerWorkers, and pass operatorPeriodicJobs in store.Options.
func (a *App) registerOperatorWorkers() {
	op := a.operator()
	river.AddWorker(a.workers, op.stuck)
	a.nwork++
}

// operatorPeriodicJobs are the periodic jobs of the operator surface: the
// stuck-order check, every five minutes and when the queue starts.
func (a *App) operatorPeriodicJobs() []*river.PeriodicJob {
	return []*river.PeriodicJob{alerts.PeriodicJob(alerts.DefaultInterval)}
}

// wireOperator hands the opened store to the stuck-order check, registers
// the metrics that read the queue and the dead letters, starts the Redis
// fan-out of live updates and builds the River job UI. Call it at the end
// of wire; it runs once.
func (a *App) wireOperator() error {
	op := a.operator()
	op.mu.Lock()
	defer op.mu.Unlock()
	if op.wired {
		return nil
	}
	op.wired = true

	dashboardURL := ""
	if a.cfg.PublicURL != "" {
		dashboardURL = strings.TrimRight(a.cfg.PublicURL, "/") + admin.UIPrefix
	}
	op.stuck.Checker = &alerts.Checker{Store: a.store, StuckAfter: a.cfg.Alerts.StuckAfter, WebhookURL: a.cfg.Alerts.WebhookURL,
		DashboardURL: dashboardURL, Now: a.now, Logger: a.logger.With("job", "stuck_orders"), Metrics: op.metrics,
		OnFlag: func(ctx context.Context, o orderhub.Order) {
			op.broker.Publish(ctx, live.Event{Type: live.OrderChanged, ShopID: o.ShopID, OrderID: o.ID, Status: string(o.Status), Note: "stuck"})
		}}

	sources := map[string]metrics.DeadLetterCounter{"receipts": a.countDeadReceipts}
	if ra, ok := riverOf(a.store.Queue()); ok {
		op.river = &ra
		sources["jobs"] = ra.countDiscarded
		op.metrics.QueueDepth(ra.stats)
		h, err := ra.ui(a.logger.With("component", "riverui"))
		if err != nil {
			a.logger.Warn("River job UI is off", "err", err)
		} else if err := h.Start(op.ctx); err != nil {
			a.logger.Warn("River job UI is off", "err", err)
		} else {
			op.jobsUI = h
		}
		if a.nwork > 0 { // River only emits events from a client that works jobs
			op.unsub = a.followJobs(op, ra)
		}
	}
	op.metrics.DeadLetters(sources)

	if a.cfg.Redis != "" {
		if err := a.startRelay(op); err != nil {
			// Live updates still reach this instance's dashboards.
			a.logger.Warn("live updates stay on this instance: redis is unavailable", "err", err)
		}
	}
	return nil
}

func (a *App) startRelay(op *operator) error {
	opts, err := redis.ParseURL(a.cfg.Redis)
	if err != nil {
		return fmt.Errorf("redis: %w", err)
	}
	client := redis.NewClient(opts)
	ctx, cancel := context.WithTimeout(op.ctx, 5*time.Second)
	defer cancel()
	relay, err := redislive.Start(ctx, client, redislive.DefaultChannel, op.broker, a.logger)
	if err != nil {
		_ = client.Close()
		return err
	}
	op.redis, op.relay = client, relay
	return nil
}

// countDeadReceipts counts dead webhook receipts for the dead-letters
// gauge, up to 100,000. The metrics refresh calls it, once per
// metrics.refresh_every; a scrape never does.
func (a *App) countDeadReceipts(ctx context.Context) (int, error) {
	n, after := 0, ""
	for n < 100_000 {
		page, err := a.store.ListDeadReceipts(ctx, store.ListReceiptsParams{After: after, Limit: 500})
		if err != nil {
			return 0, err
		}
		n += len(page.Receipts)
		if page.Next == "" {
			break
		}
		after = page.Next
	}
	return n, nil
}

// followJobs turns the queue's job events into live updates and metrics:
// a finished job that names an order refreshes that order's dashboards, a
// routing job's run time is the routing latency, and a discarded job is a
// new dead letter.
func (a *App) followJobs(op *operator, ra riverAccess) func() {
	ch, cancel := ra.subscribe()
	go func() {
		for ev := range ch {
			if ev == nil || ev.Job == nil {
				continue
			}
			if ev.Job.Kind == (orderhub.RouteOrderArgs{}).Kind() && ev.Kind == river.EventKindJobCompleted && ev.JobStats != nil {
				op.metrics.ObserveRouting(ev.JobStats.RunDuration)
			}
			var ids struct {
				OrderID       string `json:"order_id"`
				FulfillmentID string `json:"fulfillment_id"`
			}
			_ = json.Unmarshal(ev.Job.EncodedArgs, &ids)
			ctx, done := context.WithTimeout(op.ctx, 5*time.Second)
			shop, order := "", ids.OrderID
			if order == "" && ids.FulfillmentID != "" {
				if f, err := a.store.GetFulfillment(ctx, ids.FulfillmentID); err == nil {
					order, shop = f.OrderID, f.ShopID
				}
			}
			if order != "" && shop == "" {
				if o, err := a.store.GetOrder(ctx, order); err == nil {
					shop = o.ShopID
				}
			}
			if ev.Job.State == "discarded" {
				op.broker.Publish(ctx, live.Event{Type: live.DeadLetterChanged, ShopID: shop, OrderID: order, Note: ev.Job.Kind})
			}
			if order != "" {
				op.broker.Publish(ctx, live.Event{Type: live.OrderChanged, ShopID: shop, OrderID: order, Note: ev.Job.Kind})
			}
			done()
		}
	}()
	return cancel
}

// operatorAdmin gives an admin server the operator parts: suppliers and
// rules for previews and simulations, the stuck threshold, the job
// queue's dead letters and the live updates. Call it from adminServer.
func (a *App) operatorAdmin(srv *admin.Server) {
	op := a.operator()
	if suppliers, err := a.cfg.DomainSuppliers(); err == nil {
		srv.Suppliers = suppliers
	}
	if rules, err := routingRules(a.cfg); err == nil {
		srv.Rules = rules
	}
	srv.StuckAfter = a.cfg.Alerts.StuckAfter
	srv.Live = op.broker
	srv.Broker = op.broker
	srv.Shops = a.cfg.ShopIDs()
	if ra, ok := riverOf(a.store.Queue()); ok {
		srv.Jobs = ra.jobs
	}
	op.mu.Lock()
	srv.JobsUI = op.jobsUI
	op.mu.Unlock()
}

// operatorRoutes mounts the operator surface: /metrics (unless
// metrics.listen gives it a listener of its own) and the dashboard under
// /ui (with the River job UI under /ui/jobs). Call it from routes.
func (a *App) operatorRoutes(r chi.Router) {
	if err := a.wireOperator(); err != nil {
		a.logger.Error("operator surface", "err", err)
	}
	if a.cfg.Metrics.Listen == "" { // else it has a listener of its own
		r.Method(http.MethodGet, "/metrics", a.metricsHandler())
	}
	srv := a.adminServer()
	a.operatorAdmin(srv)
	ui := srv.UI()
	r.Mount(admin.UIPrefix, ui)
	r.Get("/", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, admin.UIPrefix+"/", http.StatusFound)
	})
}

// closeOperator ends the dashboards' live streams, the Redis fan-out and
// the River UI's background work. Call it when the server shuts down
// (http.Server.RegisterOnShutdown), or the live streams hold it open.
func (a *App) closeOperator() {
	op := a.operator()
	op.mu.Lock()
	if op.closing {
		op.mu.Unlock()
		return
	}
	op.closing = true
	unsub, relay, client := op.unsub, op.relay, op.redis
	op.mu.Unlock()
	op.broker.Close()
	if unsub != nil {
		unsub()
	}
	if relay != nil {
		_ = relay.Close()
	}
	if client != nil {
		_ = client.Close()
	}
	op.cancel()
}

// riverAccess is what the operator surface needs from the River client,
// whichever driver the store uses.
type riverAccess struct {
	jobs           admin.Jobs
	stats          metrics.QueueStats
	countDiscarded metrics.DeadLetterCounter
	ui             func(logger *slog.Logger) (*riverui.Handler, error)
	subscribe      func() (<-chan *river.Event, func())
}

// riverOf reaches the River client behind a store's queue.
func riverOf(q store.Queue) (riverAccess, bool) {
	switch q := q.(type) {
	case sqlcore.RiverQueue[*sql.Tx]:
		return riverAccessFor(q.Client), true
	case sqlcore.RiverQueue[pgx.Tx]:
		return riverAccessFor(q.Client), true
	}
	return riverAccess{}, false
}

func riverAccessFor[TTx any](c *river.Client[TTx]) riverAccess {
	rj := admin.RiverJobs[TTx]{Client: c}
	return riverAccess{
		jobs:           rj,
		stats:          rj,
		countDiscarded: rj.CountDiscarded,
		ui: func(logger *slog.Logger) (*riverui.Handler, error) {
			return riverui.NewHandler(&riverui.HandlerOpts{Endpoints: riverui.NewEndpoints(c, nil), Logger: logger, Prefix: admin.UIPrefix + "/jobs"})
		},
		subscribe: func() (<-chan *river.Event, func()) {
			return c.Subscribe(river.EventKindJobCompleted, river.EventKindJobFailed, river.EventKindJobCancelled)
		},
	}
}
