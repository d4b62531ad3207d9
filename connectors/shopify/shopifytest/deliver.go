package shopifytest

import (
	"context"
	"net/http"
	"strings"

	"github.com/google/uuid"

	"github.com/orderhub/orderhub"
	"github.com/orderhub/orderhub/connectors/apiclient/fakeplatform"
	"github.com/orderhub/orderhub/connectors/shopify"
)

// DeliveryHeaders returns the headers Shopify sends with one delivery of
// body for topic, signed with secret (the app's client secret): HMAC,
// topic, shop domain, API version, fresh webhook and event ids, and the
// trigger time.
func (s *Server) DeliveryHeaders(secret, topic string, body []byte) http.Header {
	return shopify.SignHeaders(secret, body, shopify.Delivery{
		Topic:       topic,
		ShopDomain:  s.o.ShopDomain,
		APIVersion:  s.o.APIVersion,
		WebhookID:   uuid.NewString(),
		EventID:     uuid.NewString(),
		TriggeredAt: s.Clock(),
	})
}

// HubURL is where orderhub takes a shop's deliveries:
// {hubURL}/webhooks/shopify/{shopID}.
func HubURL(hubURL, shopID string) string {
	return strings.TrimRight(hubURL, "/") + "/webhooks/shopify/" + shopID
}

// Deliver sends one signed webhook to the hub, as Shopify does, and
// returns the hub's answer.
func (s *Server) Deliver(ctx context.Context, hubURL, shopID, secret, topic string, body []byte) (fakeplatform.Delivery, error) {
	return fakeplatform.Post(ctx, s.o.HTTPClient, HubURL(hubURL, shopID), s.DeliveryHeaders(secret, topic, body), body)
}

// Trigger fires topic for a stored order: every subscription of that topic
// gets the order JSON signed with Options.WebhookSecret, all with the same
// X-Shopify-Event-Id and each with its own X-Shopify-Webhook-Id, as Shopify
// does. It returns the answers in subscription order; an unknown order is a
// NotFound error.
func (s *Server) Trigger(ctx context.Context, topic string, orderID int64) ([]fakeplatform.Delivery, error) {
	body, ok := s.Order(orderID)
	if !ok {
		return nil, orderhub.Errorf(orderhub.ENotFound, "shopifytest: no order %d", orderID)
	}
	eventID := uuid.NewString()
	var out []fakeplatform.Delivery
	for _, sub := range s.Subscriptions() {
		if sub.Topic != topic {
			continue
		}
		h := shopify.SignHeaders(s.o.WebhookSecret, body, shopify.Delivery{
			Topic: topic, ShopDomain: s.o.ShopDomain, APIVersion: s.o.APIVersion,
			WebhookID: uuid.NewString(), EventID: eventID, TriggeredAt: s.Clock(),
		})
		d, err := fakeplatform.Post(ctx, s.o.HTTPClient, sub.CallbackURL, h, body)
		if err != nil {
			return out, err
		}
		out = append(out, d)
	}
	return out, nil
}
