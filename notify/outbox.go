package notify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"

	"github.com/orderhub/orderhub"
	"github.com/orderhub/orderhub/allocator"
	"github.com/orderhub/orderhub/store"
)

// Queue is the River queue of notices: the allocator's notices queue.
const Queue = allocator.QueueNotices

// DefaultLease is how long a delivery holds its notice before another
// worker may take it over.
const DefaultLease = 2 * time.Minute

// SendArgs asks for one outbox notice to be delivered.
type SendArgs struct {
	NoticeID string `json:"notice_id"`
	OrderID  string `json:"order_id"` // scopes the job to its shop in the dead letters
}

// Kind implements river.JobArgs.
func (SendArgs) Kind() string { return "send_notice" }

// InsertOpts are the options of a SendArgs job: the notices queue, unique
// per notice.
func InsertOpts() *river.InsertOpts {
	return &river.InsertOpts{Queue: Queue, MaxAttempts: 12, UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

// Kinds are the job kinds this package works.
func Kinds() []string { return []string{SendArgs{}.Kind(), orderhub.BackorderNoticeArgs{}.Kind()} }

// Hooks returns the allocator hooks that put notices in the outbox in the
// transaction of their change: a backorder notice when routing backorders
// something (the allocator's backorder_notice job delivers it), and a
// shipment notice, with its delivery job, when a fulfillment ships.
func Hooks() allocator.Hooks {
	return allocator.Hooks{Routed: Routed, Progressed: Progressed}
}

// Routed stores the backorder notice of a routing that backordered units.
func Routed(ctx context.Context, tx store.Tx, o orderhub.Order, res allocator.RouteResult) error {
	if len(res.Backorders) == 0 {
		return nil
	}
	names := lineNames(o)
	var p Payload
	var ids []string
	for _, b := range res.Backorders {
		it := Item{LineID: b.LineID, SKU: b.SKU, Name: names[b.LineID], Quantity: b.Quantity, BackorderID: b.ID, Status: "backordered"}
		if b.ETA != nil {
			it.ETA, it.ETASource = b.ETA.Format("2006-01-02"), "supplier lead time"
		}
		p.Backordered = append(p.Backordered, it)
		ids = append(ids, b.ID)
	}
	_, _, err := enqueue(ctx, tx, store.EnqueueNoticeParams{Key: BackorderKey(o.ID, ids), Kind: KindBackorder, ShopID: o.ShopID, OrderID: o.ID}, p)
	return err
}

// Progressed stores the shipment notice of a fulfillment that shipped, and
// the job that delivers it.
func Progressed(ctx context.Context, tx store.Tx, before, after orderhub.Fulfillment) error {
	left := func(s orderhub.FulfillmentStatus) bool {
		return s == orderhub.FulfillmentShipped || s == orderhub.FulfillmentDelivered
	}
	if !left(after.Status) || left(before.Status) {
		return nil
	}
	o, err := tx.GetOrder(ctx, after.OrderID)
	if err != nil {
		return err
	}
	p, err := shipmentPayload(ctx, tx, o, after)
	if err != nil {
		return err
	}
	n, created, err := enqueue(ctx, tx, store.EnqueueNoticeParams{Key: ShipmentKey(after.ID), Kind: KindShipment, ShopID: o.ShopID,
		OrderID: o.ID, FulfillmentID: after.ID}, p)
	if err != nil || !created {
		return err
	}
	_, err = tx.InsertJob(ctx, SendArgs{NoticeID: n.ID, OrderID: o.ID}, InsertOpts())
	return err
}

func enqueue(ctx context.Context, tx any, p store.EnqueueNoticeParams, payload Payload) (store.Notice, bool, error) {
	ob, err := outbox(tx)
	if err != nil {
		return store.Notice{}, false, err
	}
	b, err := json.Marshal(payload)
	if err != nil {
		return store.Notice{}, false, err
	}
	p.Payload = b
	return ob.EnqueueNotice(ctx, p)
}

func lineNames(o orderhub.Order) map[string]string {
	m := map[string]string{}
	for _, l := range o.Lines {
		m[l.ID] = l.Name
	}
	return m
}

// shipmentPayload lists what is in a shipment and what of the order is
// still to come, and how: in another shipment, or backordered.
func shipmentPayload(ctx context.Context, tx store.Tx, o orderhub.Order, f orderhub.Fulfillment) (Payload, error) {
	p := Payload{FulfillmentID: f.ID, Carrier: f.Carrier, TrackingNumber: f.TrackingNumber, TrackingURL: f.TrackingURL}
	names := lineNames(o)
	for _, l := range f.Lines {
		p.Shipped = append(p.Shipped, Item{LineID: l.LineID, SKU: l.SKU, Name: names[l.LineID], Quantity: l.Quantity})
	}
	fs, err := tx.ListFulfillments(ctx, o.ID)
	if err != nil {
		return p, err
	}
	page, err := tx.ListBackorders(ctx, store.ListBackordersParams{OrderID: o.ID, Limit: 500})
	if err != nil {
		return p, err
	}
	shipped, coming := map[string]int64{}, map[string]int64{}
	for _, x := range fs {
		if x.ID == f.ID {
			x = f
		}
		for _, l := range x.Lines {
			switch x.Status {
			case orderhub.FulfillmentShipped, orderhub.FulfillmentDelivered:
				shipped[l.LineID] += l.Quantity
			case orderhub.FulfillmentPending, orderhub.FulfillmentSubmitted, orderhub.FulfillmentFailed:
				coming[l.LineID] += l.Quantity
			}
		}
	}
	backordered := map[string][]orderhub.Backorder{}
	for _, b := range page.Backorders {
		if b.Status.Open() && b.Remaining() > 0 {
			backordered[b.LineID] = append(backordered[b.LineID], b)
		}
	}
	for _, l := range o.Lines {
		if !l.RequiresShp {
			continue
		}
		left := l.OpenQuantity() - shipped[l.ID]
		if left <= 0 {
			continue
		}
		if n := min(left, coming[l.ID]); n > 0 {
			p.ToCome = append(p.ToCome, Item{LineID: l.ID, SKU: l.SKU, Name: l.Name, Quantity: n, Status: "in another shipment"})
			left -= n
		}
		for _, b := range backordered[l.ID] {
			if left <= 0 {
				break
			}
			n := min(left, b.Remaining())
			it := Item{LineID: l.ID, SKU: l.SKU, Name: l.Name, Quantity: n, Status: "backordered", BackorderID: b.ID}
			if b.ETA != nil {
				it.ETA = b.ETA.Format("2006-01-02")
			}
			p.ToCome = append(p.ToCome, it)
			left -= n
		}
	}
	return p, nil
}

// Deliverer sends outbox notices once each.
type Deliverer struct {
	Store  store.Store
	Sender Sender // nil when no channel is configured
	// Links signs the backorder decision links; nil sends notices without
	// them.
	Links  func(ctx context.Context) (*Links, error)
	Logger *slog.Logger
	Now    func() time.Time
	Lease  time.Duration // DefaultLease when 0
}

func (d *Deliverer) now() time.Time {
	if d.Now != nil {
		return d.Now()
	}
	return time.Now()
}

func (d *Deliverer) logger() *slog.Logger {
	if d.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return d.Logger
}

// Deliver sends one notice unless it went out already. It claims the
// notice first, so two workers never send it both; one that finds it held
// by a live claim comes back when the claim lapses.
func (d *Deliverer) Deliver(ctx context.Context, noticeID string) error {
	ob, err := outbox(d.Store)
	if err != nil {
		return err
	}
	n, err := ob.GetNotice(ctx, noticeID)
	if err != nil {
		return err
	}
	if n.Status == store.NoticeSent || n.Status == store.NoticeSkipped {
		return nil
	}
	lease := d.Lease
	if lease <= 0 {
		lease = DefaultLease
	}
	token := uuid.NewString()
	n, claimed, err := ob.ClaimNotice(ctx, store.ClaimNoticeParams{ID: noticeID, Token: token, Until: d.now().Add(lease)})
	if err != nil {
		return err
	}
	if !claimed {
		if n.Status == store.NoticeSending && n.ClaimedUntil != nil {
			return river.JobSnooze(max(n.ClaimedUntil.Sub(d.now()), 0) + time.Second)
		}
		return nil
	}
	o, err := d.Store.GetOrder(ctx, n.OrderID)
	if err != nil {
		return d.release(ctx, n, token, err)
	}
	if d.Sender == nil {
		return d.finish(ctx, n, o, token, store.NoticeSkipped, "",
			fmt.Sprintf("customer not told of the %s: no notification channel is configured (notifications.smtp or notifications.webhook_url)", n.Kind))
	}
	if d.Sender.Channel() == "mail" && o.Customer.Email == "" {
		return d.finish(ctx, n, o, token, store.NoticeSkipped, d.Sender.Channel(),
			fmt.Sprintf("customer not told of the %s: the order has no email address", n.Kind))
	}
	var links *Links
	if d.Links != nil && n.Kind == KindBackorder {
		if links, err = d.Links(ctx); err != nil {
			return d.release(ctx, n, token, err)
		}
	}
	msg, err := Render(n, o, links)
	if err != nil {
		return d.release(ctx, n, token, err)
	}
	if err := d.Sender.Send(ctx, msg); err != nil {
		return d.release(ctx, n, token, err)
	}
	to := o.Customer.Email
	if to == "" {
		to = "the customer"
	}
	return d.finish(ctx, n, o, token, store.NoticeSent, d.Sender.Channel(), fmt.Sprintf("%s notice sent to %s by %s", n.Kind, to, d.Sender.Channel()))
}

// release gives a failed delivery back to pending, with the reason, and
// returns the error so the job retries.
func (d *Deliverer) release(ctx context.Context, n store.Notice, token string, cause error) error {
	ob, err := outbox(d.Store)
	if err != nil {
		return errors.Join(cause, err)
	}
	if _, err := ob.FinishNotice(ctx, store.FinishNoticeParams{ID: n.ID, Token: token, Status: store.NoticePending, Error: orderhub.ErrorMessage(cause)}); err != nil {
		d.logger().WarnContext(ctx, "notice not released; its claim will lapse", "err", err, "order_id", n.OrderID)
	}
	return cause
}

// finish marks the notice and records it in the order's timeline, in one
// transaction.
func (d *Deliverer) finish(ctx context.Context, n store.Notice, o orderhub.Order, token string, status store.NoticeStatus, channel, note string) error {
	return d.Store.InTx(ctx, func(ctx context.Context, tx store.Tx) error {
		ob, err := outbox(tx)
		if err != nil {
			return err
		}
		reason := ""
		if status == store.NoticeSkipped {
			reason = note
		}
		if _, err := ob.FinishNotice(ctx, store.FinishNoticeParams{ID: n.ID, Token: token, Status: status, Channel: channel, Error: reason}); err != nil {
			return err
		}
		_, err = tx.AddEvent(ctx, orderhub.OrderEvent{OrderID: o.ID, Kind: orderhub.EventNote, Actor: ActorNotify, Note: note})
		return err
	})
}

// SendWorker works SendArgs jobs.
type SendWorker struct {
	river.WorkerDefaults[SendArgs]
	Deliverer *Deliverer
}

// Work implements river.Worker.
func (w *SendWorker) Work(ctx context.Context, job *river.Job[SendArgs]) error {
	return w.Deliverer.Deliver(ctx, job.Args.NoticeID)
}

// BackorderWorker works the backorder_notice jobs routing enqueues: it
// finds the notice the Routed hook stored (or stores it, when the hooks
// are not installed) and delivers it.
type BackorderWorker struct {
	river.WorkerDefaults[orderhub.BackorderNoticeArgs]
	Store  store.Store
	Sender Sender // nil when no channel is configured
	// Deliverer, when set, delivers with its links and clock; otherwise one
	// is made from Store and Sender.
	Deliverer *Deliverer
}

// Work implements river.Worker.
func (w *BackorderWorker) Work(ctx context.Context, job *river.Job[orderhub.BackorderNoticeArgs]) error {
	o, err := w.Store.GetOrder(ctx, job.Args.OrderID)
	if err != nil {
		return err
	}
	var ids []string
	var p Payload
	for _, it := range job.Args.Items {
		ids = append(ids, it.BackorderID)
		p.Backordered = append(p.Backordered, Item{LineID: it.LineID, SKU: it.SKU, Name: it.Name, Quantity: it.Quantity,
			BackorderID: it.BackorderID, ETA: it.ETA, ETASource: it.ETASource, Status: "backordered"})
	}
	n, _, err := enqueue(ctx, w.Store, store.EnqueueNoticeParams{Key: BackorderKey(o.ID, ids), Kind: KindBackorder, ShopID: o.ShopID, OrderID: o.ID}, p)
	if err != nil {
		return err
	}
	d := w.Deliverer
	if d == nil {
		d = &Deliverer{Store: w.Store, Sender: w.Sender}
	}
	return d.Deliver(ctx, n.ID)
}
