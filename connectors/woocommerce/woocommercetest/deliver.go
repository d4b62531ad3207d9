package woocommercetest

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/orderhub/orderhub"
	"github.com/orderhub/orderhub/connectors/apiclient/fakeplatform"
	"github.com/orderhub/orderhub/connectors/woocommerce"
)

// DeliveryID mimics wp_hash(webhook_id . time()): derived from the webhook
// id and the second, so two deliveries in one second share it.
func (s *Server) DeliveryID(webhookID int64) string {
	sum := sha1.Sum([]byte(strconv.FormatInt(webhookID, 10) + strconv.FormatInt(s.Clock().Unix(), 10)))
	return hex.EncodeToString(sum[:16])
}

// DeliveryHeaders returns the headers WooCommerce sends with one delivery
// of body for topic from webhook webhookID, signed with secret.
func (s *Server) DeliveryHeaders(secret, topic string, webhookID int64, body []byte) http.Header {
	h := woocommerce.SignHeaders(secret, body, woocommerce.Delivery{
		Source:     strings.TrimRight(s.o.SiteURL, "/") + "/",
		Topic:      topic,
		WebhookID:  strconv.FormatInt(webhookID, 10),
		DeliveryID: s.DeliveryID(webhookID),
	})
	h.Set("User-Agent", "WooCommerce/9.4.2 Hookshot (WordPress/6.7.1)")
	return h
}

// HubURL is where orderhub takes a shop's deliveries:
// {hubURL}/webhooks/woocommerce/{shopID}.
func HubURL(hubURL, shopID string) string {
	return strings.TrimRight(hubURL, "/") + "/webhooks/woocommerce/" + shopID
}

// Deliver sends one signed webhook to the hub, as WooCommerce does (as
// webhook 1 unless a webhook of that topic points at the hub), and returns
// the hub's answer.
func (s *Server) Deliver(ctx context.Context, hubURL, shopID, secret, topic string, body []byte) (fakeplatform.Delivery, error) {
	url := HubURL(hubURL, shopID)
	id := int64(1)
	for _, h := range s.Subscriptions() {
		if h.Topic == topic && h.DeliveryURL == url {
			id = h.ID
			break
		}
	}
	return fakeplatform.Post(ctx, s.o.HTTPClient, url, s.DeliveryHeaders(secret, topic, id, body), body)
}

// DeliverPing sends the unsigned, form-encoded creation ping of webhook id
// to url.
func (s *Server) DeliverPing(ctx context.Context, url string, id int64) (fakeplatform.Delivery, error) {
	h := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}
	return fakeplatform.Post(ctx, s.o.HTTPClient, url, h, []byte("webhook_id="+strconv.FormatInt(id, 10)))
}

// Trigger fires topic (order.created, order.updated, order.deleted, ...)
// for a stored order: every active webhook of that topic gets the order as
// GET /orders/{id} shows it ({"id": N} for order.deleted), signed with its
// own secret. Success is any status from 200 to 302, as in WooCommerce; a
// failure counts against the webhook, which is disabled after more than
// MaxFailures in a row. It returns the answers in webhook order.
func (s *Server) Trigger(ctx context.Context, topic string, orderID int64) ([]fakeplatform.Delivery, error) {
	var body []byte
	if strings.HasSuffix(topic, ".deleted") {
		body = []byte(fmt.Sprintf(`{"id":%d}`, orderID))
	} else {
		s.mu.Lock()
		o, ok := s.orders[orderID]
		var err error
		if ok {
			body, err = phpJSON(s.renderLocked(o))
		}
		s.mu.Unlock()
		if !ok {
			return nil, orderhub.Errorf(orderhub.ENotFound, "woocommercetest: no order %d", orderID)
		}
		if err != nil {
			return nil, err
		}
	}
	var out []fakeplatform.Delivery
	for _, h := range s.Subscriptions() {
		if h.Topic != topic || h.Status != "active" {
			continue
		}
		d, err := fakeplatform.Post(ctx, s.o.HTTPClient, h.DeliveryURL, s.DeliveryHeaders(h.Secret, topic, h.ID, body), body)
		ok := err == nil && d.Status >= 200 && d.Status <= 302
		s.mu.Lock()
		if hook, _ := s.findHookLocked(h.ID); hook != nil {
			if ok {
				hook.FailureCount = 0
			} else {
				hook.FailureCount++
				if hook.FailureCount > MaxFailures {
					hook.Status = "disabled"
				}
			}
		}
		s.mu.Unlock()
		if err != nil {
			return out, err
		}
		out = append(out, d)
	}
	return out, nil
}
