package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"time"

	"github.com/orderhub/orderhub"
)

// WebhookSender POSTs each notice as a Klaviyo-style event (the shape of
// Klaviyo's Create Event API: a metric name, a profile and properties, with
// the notice's key as unique_id) to a URL, with the key in the
// Idempotency-Key header too, so the receiver can drop a repeat. The
// receiver, a Klaviyo flow or the merchant's own mailer, sends the message.
type WebhookSender struct {
	URL    string
	Client *http.Client // nil means a client with a 10 s timeout
}

var _ Sender = WebhookSender{}

// Channel implements Sender.
func (s WebhookSender) Channel() string { return "webhook" }

// MetricNames name each kind of notice as an event metric.
var MetricNames = map[string]string{KindBackorder: "Order Backordered", KindShipment: "Shipment Sent"}

// Event builds the Klaviyo-style event of a message.
func Event(m Message, at time.Time) map[string]any {
	metric := MetricNames[m.Kind]
	if metric == "" {
		metric = m.Kind
	}
	profile := map[string]any{}
	if m.Customer.Email != "" {
		profile["email"] = m.Customer.Email
	}
	if m.Customer.Phone != "" {
		profile["phone_number"] = m.Customer.Phone
	}
	if m.Customer.FirstName != "" {
		profile["first_name"] = m.Customer.FirstName
	}
	if m.Customer.LastName != "" {
		profile["last_name"] = m.Customer.LastName
	}
	props := map[string]any{
		"notice_kind": m.Kind, "order_id": m.OrderID, "order_number": m.OrderNumber, "shop_id": m.ShopID,
		"subject": m.Subject, "text": m.Text, "html": m.HTML,
		"backordered": m.Payload.Backordered, "shipped": m.Payload.Shipped, "to_come": m.Payload.ToCome,
		"carrier": m.Payload.Carrier, "tracking_number": m.Payload.TrackingNumber, "tracking_url": m.Payload.TrackingURL,
	}
	if len(m.Links) > 0 {
		props["links"] = m.Links
	}
	return map[string]any{"data": map[string]any{
		"type": "event",
		"attributes": map[string]any{
			"properties": props,
			"metric":     map[string]any{"data": map[string]any{"type": "metric", "attributes": map[string]any{"name": metric}}},
			"profile":    map[string]any{"data": map[string]any{"type": "profile", "attributes": profile}},
			"unique_id":  m.IdempotencyKey,
			"time":       at.UTC().Format(time.RFC3339),
		},
	}}
}

// Send implements Sender. A non-2xx answer is an error, so the notice is
// retried.
func (s WebhookSender) Send(ctx context.Context, m Message) error {
	body, err := json.Marshal(Event(m, time.Now()))
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.URL, bytes.NewReader(body))
	if err != nil {
		return orderhub.WrapError(orderhub.EInvalid, err, "notifications.webhook_url is not a URL")
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", m.IdempotencyKey)
	c := s.Client
	if c == nil {
		c = &http.Client{Timeout: 10 * time.Second}
	}
	resp, err := c.Do(req)
	if err != nil {
		return orderhub.WrapError(orderhub.EUnavailable, err, "post notice")
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	if resp.StatusCode/100 != 2 {
		return orderhub.Errorf(orderhub.EUnavailable, "post notice: the endpoint answered %s", resp.Status)
	}
	return nil
}
