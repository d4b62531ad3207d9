package main

// Wiring of write-back (package writeback), customer notices (package
// notify) and the per-shop rate limiter (package ratelimit): the workers,
// the allocator hooks that enqueue their jobs and notices in the
// transaction of each change, the notice senders from the config, and the
// routes behind the customers' wait/cancel links.
//
// River needs workers before the store opens, so the workers read what
// they need from the App when they first run, as the intake's do; the API
// clients and the limiter are then built once and shared by every job, so
// each shop's pacing holds across them.

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/redis/go-redis/v9"
	"github.com/riverqueue/river"

	"github.com/orderhub/orderhub"
	"github.com/orderhub/orderhub/allocator"
	"github.com/orderhub/orderhub/config"
	"github.com/orderhub/orderhub/connectors/apiclient"
	"github.com/orderhub/orderhub/connectors/bigcommerce"
	"github.com/orderhub/orderhub/connectors/shopify"
	"github.com/orderhub/orderhub/connectors/woocommerce"
	"github.com/orderhub/orderhub/notify"
	"github.com/orderhub/orderhub/ratelimit"
	"github.com/orderhub/orderhub/store"
	"github.com/orderhub/orderhub/writeback"
)

// writebackRates pace the calls to each shop, per platform: Shopify's
// GraphQL cost budget (100 points/s standard, about 10 points a call),
// BigCommerce's 150 requests per 30 s, and a polite pace for WooCommerce
// hosts, which document none.
var writebackRates = map[string]ratelimit.Rate{
	config.PlatformShopify:     {PerSecond: 4, Burst: 8},
	config.PlatformWooCommerce: {PerSecond: 5, Burst: 10},
	config.PlatformBigCommerce: {PerSecond: 4, Burst: 10},
}

// limiter is the per-shop pace of every API call this process makes, to
// write back and to fetch orders, shared through Redis when there is one.
func (a *App) limiter() *ratelimit.Limiter {
	a.limOnce.Do(func() {
		rates := shopRates(a.cfg)
		lim, err := ratelimit.New(ratelimit.Options{RedisURL: a.cfg.Redis, Rates: rates,
			Rate: ratelimit.Rate{PerSecond: 4, Burst: 8}, Logger: a.logger.With("component", "ratelimit")})
		if err != nil {
			// wireWriteback checked the URL; pace in-process rather than not at all.
			a.logger.Error("rate limiter: redis unusable; pacing in-process", "err", err)
			lim, _ = ratelimit.New(ratelimit.Options{Rates: rates, Rate: ratelimit.Rate{PerSecond: 4, Burst: 8}})
		}
		a.lim = lim
	})
	return a.lim
}

// shopRates are writebackRates plus each shop's own rate_limit, keyed
// "platform:shop" as the API clients' limiter keys are.
func shopRates(cfg config.Config) map[string]ratelimit.Rate {
	rates := maps.Clone(writebackRates)
	for _, s := range cfg.Shops {
		if r := s.RateLimit; r != nil {
			rates[s.Platform+":"+s.ID] = ratelimit.Rate{PerSecond: r.PerSecond, Burst: r.Burst}
		}
	}
	return rates
}

// writebackQueues are the River queues write-back adds to NewApp's.
func writebackQueues() map[string]river.QueueConfig {
	return map[string]river.QueueConfig{writeback.Queue: {MaxWorkers: 4}}
}

// writebackJobKinds are the job kinds of write-back and notices, for the
// demo to wait on.
func writebackJobKinds() []string {
	return append(writeback.Kinds(), notify.SendArgs{}.Kind())
}

// registerWritebackWorkers adds the write-back workers and the notice
// sender. Call it from registerWorkers. It is safe to call twice.
func (a *App) registerWritebackWorkers() {
	w := &writebackWiring{a: a}
	added := 0
	for _, err := range []error{
		river.AddWorkerSafely(a.workers, &wbFulfillmentWorker{w: w}),
		river.AddWorkerSafely(a.workers, &wbNoteWorker{w: w}),
		river.AddWorkerSafely(a.workers, &noticeSendWorker{w: w}),
	} {
		if err == nil {
			added++
		}
	}
	a.nwork += added
}

// wireWriteback installs the allocator hooks that enqueue write-backs and
// notices, and checks the settings the workers will need. Call it at the
// end of wire, after the allocator exists.
func (a *App) wireWriteback() error {
	if a.cfg.Redis != "" {
		if _, err := redis.ParseURL(a.cfg.Redis); err != nil {
			return fmt.Errorf("redis: %q is not a redis:// URL: %w", redactRedisURL(a.cfg.Redis), err)
		}
	}
	if a.alloc != nil {
		a.alloc.SetHooks(a.writebackHooks())
	}
	return nil
}

// writebackHooks are write-back's and the notices' hooks together. Give
// them to Allocator.SetHooks, composed with chainHooks when another part
// needs hooks too.
func (a *App) writebackHooks() allocator.Hooks {
	svc := &writeback.Service{}
	return chainHooks(svc.Hooks(), notify.Hooks())
}

// chainHooks runs the hooks of each set in turn; the first error stops
// them and rolls the change back.
func chainHooks(sets ...allocator.Hooks) allocator.Hooks {
	var h allocator.Hooks
	for _, s := range sets {
		if f, prev := s.Routed, h.Routed; f != nil {
			h.Routed = func(ctx context.Context, tx store.Tx, o orderhub.Order, r allocator.RouteResult) error {
				if prev != nil {
					if err := prev(ctx, tx, o, r); err != nil {
						return err
					}
				}
				return f(ctx, tx, o, r)
			}
		}
		if f, prev := s.Progressed, h.Progressed; f != nil {
			h.Progressed = func(ctx context.Context, tx store.Tx, before, after orderhub.Fulfillment) error {
				if prev != nil {
					if err := prev(ctx, tx, before, after); err != nil {
						return err
					}
				}
				return f(ctx, tx, before, after)
			}
		}
		if f, prev := s.Cancelled, h.Cancelled; f != nil {
			h.Cancelled = func(ctx context.Context, tx store.Tx, o orderhub.Order, r allocator.Refund) error {
				if prev != nil {
					if err := prev(ctx, tx, o, r); err != nil {
						return err
					}
				}
				return f(ctx, tx, o, r)
			}
		}
		if f, prev := s.Filled, h.Filled; f != nil {
			h.Filled = func(ctx context.Context, tx store.Tx, fill allocator.Fill) error {
				if prev != nil {
					if err := prev(ctx, tx, fill); err != nil {
						return err
					}
				}
				return f(ctx, tx, fill)
			}
		}
	}
	return h
}

// noticeRoutes adds GET and POST /notices/backorders/{id}/{wait|cancel},
// the signed links of the backorder notices. Call it from routes.
func (a *App) noticeRoutes(r chi.Router) {
	h := &notify.DecisionHandler{Store: a.store, Links: notify.StoredLinks(a.store, a.linkSettings()), Logger: a.logger.With("component", "notices")}
	if a.alloc != nil { // a nil *Allocator must not become a non-nil Decider
		h.Decider = a.alloc
	}
	h.Routes(r)
}

// noticeSenderFromConfig picks the notices' channel: mail when an SMTP host
// is set, else a POST to notifications.webhook_url, else none (notices are
// then skipped, and the timeline says so).
func noticeSenderFromConfig(cfg config.Config) notify.Sender {
	n := cfg.Notifications
	switch {
	case n.SMTP.Host != "":
		return notify.MailSender{Host: n.SMTP.Host, Port: n.SMTP.Port, Username: n.SMTP.Username, Password: n.SMTP.Password, From: n.SMTP.From}
	case n.WebhookURL != "":
		return notify.WebhookSender{URL: n.WebhookURL}
	}
	return nil
}

// noticeDeliverer delivers the outbox's notices: through a.noticeSender
// when a test set one, else the configured channel, with signed links.
func (a *App) noticeDeliverer() *notify.Deliverer {
	sender := a.noticeSender
	if sender == nil {
		sender = noticeSenderFromConfig(a.cfg)
	}
	d := &notify.Deliverer{Store: a.store, Sender: sender, Logger: a.logger.With("component", "notices"), Now: a.now}
	if a.cfg.PublicURL != "" {
		d.Links = notify.StoredLinks(a.store, a.linkSettings())
	}
	return d
}

// writebackWiring is what the write-back and notice workers share, built
// on first use.
type writebackWiring struct {
	a *App

	once      sync.Once
	svc       *writeback.Service
	deliverer *notify.Deliverer
	limiter   *ratelimit.Limiter
}

func (w *writebackWiring) build() {
	w.once.Do(func() {
		a := w.a
		lim := a.limiter()
		w.limiter = lim
		w.svc = &writeback.Service{Store: a.store, Platforms: writebackPlatforms(a, lim), Metrics: a.Metrics(),
			Logger: a.logger.With("job", "writeback")}
		w.deliverer = a.noticeDeliverer()
	})
}

func (w *writebackWiring) service() *writeback.Service {
	w.build()
	return w.svc
}

// writebackPlatforms builds one Writer per configured shop. A shop whose
// client cannot be built has none: its write-backs are cancelled with a
// timeline note saying why.
func writebackPlatforms(a *App, lim *ratelimit.Limiter) map[string]writeback.Platform {
	out := map[string]writeback.Platform{}
	for _, s := range a.cfg.Shops {
		key := s.Platform + ":" + s.ID
		o := apiclient.Options{Shop: s.ID, Logger: a.logger, Now: a.now, Limiter: lim, LimiterKey: key,
			HTTPClient: ratelimit.HTTPClient(nil, lim, key)}
		var err error
		switch s.Platform {
		case config.PlatformShopify:
			var c *shopify.Client
			if c, err = shopify.NewClient(shopify.ClientConfig{BaseURL: s.APIBaseURL, APIVersion: s.APIVersion, AccessToken: s.AccessToken, HTTP: o}); err == nil {
				out[s.ID] = &shopify.Writer{Client: c}
			}
		case config.PlatformWooCommerce:
			var c *woocommerce.Client
			if c, err = woocommerce.NewClient(woocommerce.ClientConfig{BaseURL: s.APIBaseURL, ConsumerKey: s.ConsumerKey, ConsumerSecret: s.ConsumerSecret, HTTP: o}); err == nil {
				out[s.ID] = &woocommerce.Writer{Client: c, ShipmentTracking: s.ShipmentTracking, Now: a.now}
			}
		case config.PlatformBigCommerce:
			var c *bigcommerce.Client
			if c, err = bigcommerce.NewClient(bigcommerce.ClientConfig{BaseURL: s.APIBaseURL, StoreHash: s.StoreHash, AccessToken: s.AccessToken, HTTP: o}); err == nil {
				out[s.ID] = &bigcommerce.Writer{Client: c}
			}
		}
		if err != nil {
			a.logger.Error("no write-back for this shop: its API client could not be built", "shop", s.ID, "platform", s.Platform, "err", err)
		}
	}
	return out
}

type wbFulfillmentWorker struct {
	river.WorkerDefaults[writeback.FulfillmentArgs]
	w *writebackWiring
}

func (x *wbFulfillmentWorker) Work(ctx context.Context, job *river.Job[writeback.FulfillmentArgs]) error {
	return (&writeback.FulfillmentWorker{Service: x.w.service()}).Work(ctx, job)
}

func (x *wbFulfillmentWorker) Timeout(job *river.Job[writeback.FulfillmentArgs]) time.Duration {
	return x.w.a.jobTimeout(writeback.JobTimeout)
}

type wbNoteWorker struct {
	river.WorkerDefaults[writeback.NoteArgs]
	w *writebackWiring
}

func (x *wbNoteWorker) Work(ctx context.Context, job *river.Job[writeback.NoteArgs]) error {
	return (&writeback.NoteWorker{Service: x.w.service()}).Work(ctx, job)
}

func (x *wbNoteWorker) Timeout(job *river.Job[writeback.NoteArgs]) time.Duration {
	return x.w.a.jobTimeout(writeback.JobTimeout)
}

type noticeSendWorker struct {
	river.WorkerDefaults[notify.SendArgs]
	w *writebackWiring
}

func (x *noticeSendWorker) Work(ctx context.Context, job *river.Job[notify.SendArgs]) error {
	x.w.build()
	return (&notify.SendWorker{Deliverer: x.w.deliverer}).Work(ctx, job)
}

func redactRedisURL(raw string) string {
	if i := strings.LastIndex(raw, "@"); i >= 0 {
		if j := strings.Index(raw, "://"); j >= 0 && j < i {
			return raw[:j+3] + "…@" + raw[i+1:]
		}
	}
	return raw
}

// printWriteBacks shows, per order the demo sent, what each platform's fake
// now holds: Shopify fulfillments and note, WooCommerce notes and tracking
// items, BigCommerce shipments and staff notes.
func printWriteBacks(w io.Writer, world *fakeWorld, sent []demoSent) {
	fmt.Fprintln(w, "\nwritten back to the platforms' fakes:")
	for _, s := range sent {
		id, err := strconv.ParseInt(s.externalID, 10, 64)
		if err != nil {
			continue
		}
		switch s.platform {
		case config.PlatformShopify:
			f := world.shopify[s.shop]
			if f == nil {
				continue
			}
			fmt.Fprintf(w, "  shopify order %d:\n", id)
			for _, x := range f.FulfillmentsOf(id) {
				fmt.Fprintf(w, "    fulfillment %s %s: %s %s %s\n", x.GID(), x.Status, x.TrackingCompany, x.TrackingNumber, x.TrackingURL)
			}
			if raw, ok := f.Order(id); ok {
				printNote(w, "note", jsonField(raw, "note"))
			}
		case config.PlatformWooCommerce:
			f := world.woo[s.shop]
			if f == nil {
				continue
			}
			fmt.Fprintf(w, "  woocommerce order %d (status %s):\n", id, func() string { raw, _ := f.Order(id); return jsonField(raw, "status") }())
			for _, n := range f.Notes(id) {
				fmt.Fprintf(w, "    note: %s\n", n.Note)
			}
			for _, t := range f.Trackings(id) {
				fmt.Fprintf(w, "    tracking item: %s %s%s\n", t.TrackingNumber, t.TrackingProvider, t.CustomTrackingProvider)
			}
		case config.PlatformBigCommerce:
			f := world.bc[s.shop]
			if f == nil {
				continue
			}
			oj, _, _, ok := f.Order(id)
			if !ok {
				continue
			}
			fmt.Fprintf(w, "  bigcommerce order %d (status %s):\n", id, jsonField(oj, "status"))
			for _, raw := range f.Shipments(id) {
				fmt.Fprintf(w, "    shipment %s: %s %s\n", jsonField(raw, "id"), jsonField(raw, "tracking_number"), jsonField(raw, "comments"))
			}
			printNote(w, "staff notes", jsonField(oj, "staff_notes"))
		}
	}
}

func printNote(w io.Writer, label, note string) {
	for _, line := range strings.Split(strings.TrimSpace(note), "\n") {
		if strings.TrimSpace(line) != "" {
			fmt.Fprintf(w, "    %s: %s\n", label, line)
		}
	}
}

// jsonField returns a top-level field of a JSON object as text.
func jsonField(raw []byte, field string) string {
	var m map[string]json.RawMessage
	if json.Unmarshal(raw, &m) != nil || m[field] == nil || string(m[field]) == "null" {
		return ""
	}
	var s string
	if json.Unmarshal(m[field], &s) == nil {
		return s
	}
	return string(m[field])
}
