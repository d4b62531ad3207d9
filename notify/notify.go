// Package notify tells customers what happens to their orders: that part
// of an order is backordered, with an estimate. It renders a notice from
// the order and hands it to a Sender (a POST to the merchant's endpoint);
// without one, it says so in the order's timeline instead of pretending.
//
// It must not decide anything about the order; it only reports.
package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"github.com/orderhub/orderhub"
	"github.com/orderhub/orderhub/store"
)

// Notice is one message to a customer.
type Notice struct {
	Kind           string                         `json:"kind"` // "backorder"
	IdempotencyKey string                         `json:"idempotency_key"`
	ShopID         string                         `json:"shop_id"`
	OrderID        string                         `json:"order_id"`
	OrderNumber    string                         `json:"order_number"`
	Customer       orderhub.Customer              `json:"customer"`
	Items          []orderhub.BackorderNoticeItem `json:"items"`
	Text           string                         `json:"text"`
}

// Sender delivers a notice.
type Sender interface {
	Send(ctx context.Context, n Notice) error
	// Channel names the channel for the timeline, e.g. "webhook".
	Channel() string
}

// WebhookSender POSTs each notice as JSON to a URL, with the notice's
// idempotency key in the Idempotency-Key header so the receiver can drop
// a repeat.
type WebhookSender struct {
	URL    string
	Client *http.Client
}

// Channel implements Sender.
func (s WebhookSender) Channel() string { return "webhook" }

// Send implements Sender. A non-2xx answer is an error, so the job retries.
func (s WebhookSender) Send(ctx context.Context, n Notice) error {
	body, err := json.Marshal(n)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.URL, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", n.IdempotencyKey)
	c := s.Client
	if c == nil {
		c = &http.Client{Timeout: 10 * time.Second}
	}
	resp, err := c.Do(req)
	if err != nil {
		return fmt.Errorf("post notice: %w", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("post notice: %s answered %s", s.URL, resp.Status)
	}
	return nil
}

// BackorderText renders the customer-facing text of a backorder notice.
func BackorderText(o orderhub.Order, items []orderhub.BackorderNoticeItem) string {
	var b strings.Builder
	name := strings.TrimSpace(o.Customer.FirstName)
	if name == "" {
		name = "there"
	}
	fmt.Fprintf(&b, "Hi %s, part of your order %s is on backorder:\n", name, orderLabel(o))
	for _, it := range items {
		fmt.Fprintf(&b, "- %d × %s", it.Quantity, firstNonEmpty(it.Name, it.SKU))
		if it.ETA != "" {
			fmt.Fprintf(&b, ", expected to ship by %s", it.ETA)
		} else {
			b.WriteString(", shipping date to be confirmed")
		}
		b.WriteString("\n")
	}
	b.WriteString("You can wait for it or cancel these items for a refund.")
	return b.String()
}

func orderLabel(o orderhub.Order) string { return firstNonEmpty(o.ExternalNumber, o.ExternalID) }

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if strings.TrimSpace(v) != "" {
			return v
		}
	}
	return ""
}

// BackorderWorker sends backorder notices, enqueued by routing.
type BackorderWorker struct {
	river.WorkerDefaults[orderhub.BackorderNoticeArgs]
	Store  store.Store
	Sender Sender // nil when no channel is configured
}

// Work renders and sends the notice and records the outcome on the order.
func (w *BackorderWorker) Work(ctx context.Context, job *river.Job[orderhub.BackorderNoticeArgs]) error {
	o, err := w.Store.GetOrder(ctx, job.Args.OrderID)
	if err != nil {
		return err
	}
	n := Notice{Kind: "backorder", IdempotencyKey: fmt.Sprintf("backorder-notice-%d", job.ID), ShopID: o.ShopID, OrderID: o.ID,
		OrderNumber: orderLabel(o), Customer: o.Customer, Items: job.Args.Items, Text: BackorderText(o, job.Args.Items)}
	if w.Sender == nil {
		_, err := w.Store.AddEvent(ctx, orderhub.OrderEvent{OrderID: o.ID, Kind: orderhub.EventNote, Actor: "orderhub-notify",
			Note: "customer not told of the backorder: no notification channel is configured (notifications.webhook_url)"})
		return err
	}
	if err := w.Sender.Send(ctx, n); err != nil {
		return err
	}
	_, err = w.Store.AddEvent(ctx, orderhub.OrderEvent{OrderID: o.ID, Kind: orderhub.EventNote, Actor: "orderhub-notify",
		Note: fmt.Sprintf("backorder notice sent to %s by %s", firstNonEmpty(o.Customer.Email, "the customer"), w.Sender.Channel())})
	return err
}
