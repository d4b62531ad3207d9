// Package alerts finds orders stuck in awaiting_fulfillment and tells
// someone, once. A periodic River job (StuckOrdersArgs, kind
// "stuck_orders") flags every order that has waited longer than
// alerts.stuck_after, records the flag so it is raised once per order,
// notes it on the order's timeline, updates the stuck-orders gauge and
// posts one Slack-compatible message per order to alerts.webhook_url.
//
// It must not change an order's status or stock: it only reports. Time
// comes from an injected clock, so tests need no sleeping.
package alerts

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/orderhub/orderhub"
	"github.com/orderhub/orderhub/metrics"
	"github.com/orderhub/orderhub/store"
)

// KindStuck is the alert kind of a stuck order.
const KindStuck = "stuck_order"

// EventKind is the timeline event kind an alert writes.
const EventKind = "alert"

// Actor is who writes the alert's timeline event.
const Actor = "orderhub-alerts"

// DefaultStuckAfter is how long an order may wait when the config says
// nothing.
const DefaultStuckAfter = 24 * time.Hour

// DefaultInterval is how often the periodic check runs.
const DefaultInterval = 5 * time.Minute

// StuckOrdersArgs asks for one stuck-order check.
type StuckOrdersArgs struct{}

// Kind names the job.
func (StuckOrdersArgs) Kind() string { return "stuck_orders" }

// InsertOpts keeps at most one check waiting or running.
func (StuckOrdersArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{UniqueOpts: river.UniqueOpts{ByState: []rivertype.JobState{
		rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRunning,
		rivertype.JobStateRetryable, rivertype.JobStateScheduled,
	}}}
}

// IsStuck reports whether o has waited in awaiting_fulfillment since
// before now − after. The time it entered that status is when it started
// waiting; changes that leave the status alone do not restart the wait.
func IsStuck(o orderhub.Order, now time.Time, after time.Duration) bool {
	if after <= 0 {
		after = DefaultStuckAfter
	}
	return o.Status == orderhub.StatusAwaitingFulfillment && !o.StatusChanged.After(now.Add(-after))
}

// Store is what the check needs from the store.
type Store interface {
	ListOrders(ctx context.Context, p store.ListOrdersParams) (store.OrderPage, error)
	GetOrder(ctx context.Context, id string) (orderhub.Order, error)
	AddEvent(ctx context.Context, e orderhub.OrderEvent) (orderhub.OrderEvent, error)
	store.AlertsTx
}

// Checker runs the stuck-order check.
type Checker struct {
	Store Store
	// StuckAfter is how long an order may wait; DefaultStuckAfter when 0.
	StuckAfter time.Duration
	// WebhookURL receives one Slack-compatible POST per stuck order; empty
	// records the alerts without sending them, and they are sent once a
	// URL is configured, if their orders are still stuck.
	WebhookURL string
	// DashboardURL, when set, is the dashboard's base URL (e.g.
	// https://hub.example.com/ui) for a link to the order in the message.
	DashboardURL string
	Client       *http.Client
	Now          func() time.Time
	Logger       *slog.Logger
	Metrics      *metrics.Metrics
	// OnFlag is told about each newly flagged order, e.g. to refresh the
	// dashboards watching it.
	OnFlag func(ctx context.Context, o orderhub.Order)
}

// Result says what one check did.
type Result struct {
	Stuck   int      // orders stuck now
	Flagged []string // orders flagged for the first time by this run
	Sent    int      // alerts delivered by this run
	Failed  int      // deliveries that failed and will be retried
}

func (c *Checker) now() time.Time {
	if c.Now != nil {
		return c.Now().UTC()
	}
	return time.Now().UTC()
}

func (c *Checker) logger() *slog.Logger {
	if c.Logger != nil {
		return c.Logger
	}
	return slog.New(slog.DiscardHandler)
}

func (c *Checker) stuckAfter() time.Duration {
	if c.StuckAfter > 0 {
		return c.StuckAfter
	}
	return DefaultStuckAfter
}

// Run flags the orders stuck now and delivers the alerts not yet sent.
// A failed delivery is recorded on its alert and retried by the next run;
// it does not fail the run.
func (c *Checker) Run(ctx context.Context) (Result, error) {
	res, err := c.run(ctx)
	c.Metrics.StuckCheckDone(err)
	return res, err
}

func (c *Checker) run(ctx context.Context) (Result, error) {
	var res Result
	now := c.now()
	cutoff := now.Add(-c.stuckAfter())
	after := ""
	for {
		page, err := c.Store.ListOrders(ctx, store.ListOrdersParams{Status: orderhub.StatusAwaitingFulfillment, StatusSince: cutoff, After: after, Limit: 500})
		if err != nil {
			return res, fmt.Errorf("list stuck orders: %w", err)
		}
		for _, o := range page.Orders {
			res.Stuck++
			_, created, err := c.Store.RecordAlert(ctx, store.RecordAlertParams{OrderID: o.ID, ShopID: o.ShopID, Kind: KindStuck})
			if err != nil {
				return res, fmt.Errorf("flag order %s: %w", o.ID, err)
			}
			if !created {
				continue
			}
			res.Flagged = append(res.Flagged, o.ID)
			note := fmt.Sprintf("flagged as stuck: awaiting fulfillment since %s (%s)",
				o.StatusChanged.Format("2006-01-02 15:04 MST"), waited(now.Sub(o.StatusChanged)))
			if _, err := c.Store.AddEvent(ctx, orderhub.OrderEvent{OrderID: o.ID, Kind: EventKind, Actor: Actor, Note: note}); err != nil {
				return res, fmt.Errorf("note alert on order %s: %w", o.ID, err)
			}
			c.logger().InfoContext(ctx, "order is stuck", "order_id", o.ID, "shop", o.ShopID, "since", o.StatusChanged)
			if c.OnFlag != nil {
				c.OnFlag(ctx, o)
			}
		}
		if page.Next == "" {
			break
		}
		after = page.Next
	}
	c.Metrics.SetStuckOrders(res.Stuck)
	if c.WebhookURL == "" {
		return res, nil
	}
	return res, c.deliver(ctx, now, &res)
}

// deliver sends every pending stuck-order alert whose order is still stuck,
// and resolves the others.
func (c *Checker) deliver(ctx context.Context, now time.Time, res *Result) error {
	after := ""
	for {
		page, err := c.Store.ListAlerts(ctx, store.ListAlertsParams{Kind: KindStuck, Status: store.AlertPending, After: after, Limit: 200})
		if err != nil {
			return fmt.Errorf("list pending alerts: %w", err)
		}
		for _, a := range page.Alerts {
			o, err := c.Store.GetOrder(ctx, a.OrderID)
			if err != nil {
				return fmt.Errorf("load alerted order %s: %w", a.OrderID, err)
			}
			if !IsStuck(o, now, c.stuckAfter()) {
				if _, err := c.Store.MarkAlert(ctx, store.MarkAlertParams{OrderID: a.OrderID, Kind: KindStuck, Status: store.AlertResolved}); err != nil {
					return err
				}
				continue
			}
			if perr := c.post(ctx, Message(o, now, c.DashboardURL)); perr != nil {
				res.Failed++
				c.logger().WarnContext(ctx, "stuck-order alert not delivered; will retry", "order_id", o.ID, "shop", o.ShopID, "err", perr)
				if _, err := c.Store.MarkAlert(ctx, store.MarkAlertParams{OrderID: a.OrderID, Kind: KindStuck, Status: store.AlertPending, Attempted: true, Error: perr.Error()}); err != nil {
					return err
				}
				continue
			}
			res.Sent++
			c.Metrics.AlertSent()
			if _, err := c.Store.MarkAlert(ctx, store.MarkAlertParams{OrderID: a.OrderID, Kind: KindStuck, Status: store.AlertSent, Attempted: true}); err != nil {
				return err
			}
		}
		if page.Next == "" {
			return nil
		}
		after = page.Next
	}
}

// SlackMessage is the body of an alert: Slack's incoming-webhook format,
// which Mattermost, Rocket.Chat, Discord's /slack endpoint and Teams
// workflows accept too.
type SlackMessage struct {
	Text string `json:"text"`
}

// Message renders the alert about o.
func Message(o orderhub.Order, now time.Time, dashboardURL string) SlackMessage {
	name := o.ExternalNumber
	if name == "" {
		name = o.ExternalID
	}
	text := fmt.Sprintf(":warning: Order %s (shop %s, %s) has been awaiting fulfillment for %s, since %s.",
		slackEscape(name), slackEscape(o.ShopID), slackEscape(o.Platform), waited(now.Sub(o.StatusChanged)), o.StatusChanged.UTC().Format("2006-01-02 15:04 UTC"))
	if dashboardURL != "" {
		text += fmt.Sprintf(" <%s/orders/%s|Open it in orderhub>", strings.TrimRight(dashboardURL, "/"), o.ID)
	}
	return SlackMessage{Text: text}
}

// slackEscape escapes the three characters Slack's mrkdwn reserves.
func slackEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// waited renders a duration as a person says it: "26h", "3d 4h".
func waited(d time.Duration) string {
	h := int(d.Hours())
	if h < 48 {
		return fmt.Sprintf("%dh", h)
	}
	return fmt.Sprintf("%dd %dh", h/24, h%24)
}

func (c *Checker) post(ctx context.Context, m SlackMessage) error {
	body, err := json.Marshal(m)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.WebhookURL, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("alert webhook: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	client := c.Client
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("post alert: %w", redactURL(err, c.WebhookURL))
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("post alert: the alert webhook answered %s", resp.Status)
	}
	return nil
}

// redactURL keeps a webhook URL, whose path is a secret on Slack, out of
// errors that reach logs and the dashboard.
func redactURL(err error, url string) error {
	msg := err.Error()
	if url != "" && strings.Contains(msg, url) {
		return fmt.Errorf("%s", strings.ReplaceAll(msg, url, "[alert webhook]"))
	}
	return err
}

// Worker is the River worker of stuck_orders jobs.
type Worker struct {
	river.WorkerDefaults[StuckOrdersArgs]
	// Checker runs the check; a worker without one fails its jobs.
	Checker *Checker
}

// Work runs one check.
func (w *Worker) Work(ctx context.Context, _ *river.Job[StuckOrdersArgs]) error {
	if w.Checker == nil || w.Checker.Store == nil {
		return orderhub.Errorf(orderhub.EInternal, "stuck-order check is not wired to a store")
	}
	_, err := w.Checker.Run(ctx)
	return err
}

// Timeout bounds one check, deliveries included.
func (w *Worker) Timeout(*river.Job[StuckOrdersArgs]) time.Duration { return 5 * time.Minute }

// PeriodicJob schedules the check every interval (DefaultInterval when 0),
// and once when the queue starts.
func PeriodicJob(interval time.Duration) *river.PeriodicJob {
	if interval <= 0 {
		interval = DefaultInterval
	}
	return river.NewPeriodicJob(river.PeriodicInterval(interval), func() (river.JobArgs, *river.InsertOpts) {
		return StuckOrdersArgs{}, nil
	}, &river.PeriodicJobOpts{RunOnStart: true, ID: "stuck_orders"})
}
