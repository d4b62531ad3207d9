package shipbobtest

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"

	"github.com/google/uuid"

	"github.com/orderhub/orderhub/connectors/apiclient/fakeplatform"
	"github.com/orderhub/orderhub/connectors/shipbob"
	"github.com/orderhub/orderhub/connectors/standardwebhooks"
)

// HubURL is where orderhub takes a provider's callbacks:
// {hubURL}/webhooks/shipbob/{providerID}.
func HubURL(hubURL, providerID string) string {
	return strings.TrimRight(hubURL, "/") + "/webhooks/shipbob/" + providerID
}

// DeliveryHeaders returns the headers of one delivery of body for topic,
// signed per Standard Webhooks with secret: webhook-id msgID (a fresh one
// when empty), webhook-timestamp now, webhook-signature, and the topic in
// x-webhook-topic, or shipbob-topic for a legacy topic name such as
// order_shipped.
func (s *Server) DeliveryHeaders(secret, topic, msgID string, body []byte) http.Header {
	if msgID == "" {
		msgID = "msg_" + uuid.NewString()
	}
	key, err := standardwebhooks.DecodeSecret(secret)
	if err != nil {
		key = []byte(secret)
	}
	h := standardwebhooks.SignHeaders(key, msgID, s.Clock(), body)
	if strings.Contains(topic, ".") {
		h.Set(shipbob.HeaderTopic, topic)
	} else {
		h.Set(shipbob.HeaderLegacyTopic, topic)
		h.Set(shipbob.HeaderSubscriptionID, "1")
	}
	h.Set("Content-Type", "application/json")
	return h
}

// Post sends one delivery of body for topic to url, signed with
// Options.WebhookSecret, with webhook-id msgID (fresh when empty: pass the
// same id again to redeliver), and returns the hub's answer.
func (s *Server) Post(ctx context.Context, url, topic, msgID string, body []byte) (fakeplatform.Delivery, error) {
	s.mu.Lock()
	s.deliveries++
	s.mu.Unlock()
	return fakeplatform.Post(ctx, s.o.HTTPClient, url, s.DeliveryHeaders(s.o.WebhookSecret, topic, msgID, body), body)
}

// Trigger posts body for topic to every subscription of that topic, each
// signed with its own secret, and returns the answers.
func (s *Server) Trigger(ctx context.Context, topic string, body []byte) ([]fakeplatform.Delivery, error) {
	s.mu.Lock()
	var subs []subscription
	for _, sub := range s.subs {
		if slices.Contains(sub.hook.Topics, topic) {
			subs = append(subs, *sub)
		}
	}
	s.mu.Unlock()
	var out []fakeplatform.Delivery
	msgID := "msg_" + uuid.NewString()
	for _, sub := range subs {
		d, err := fakeplatform.Post(ctx, s.o.HTTPClient, sub.hook.URL, s.DeliveryHeaders(sub.secret, topic, msgID, body), body)
		if err != nil {
			return out, err
		}
		out = append(out, d)
	}
	return out, nil
}

// ShipOrder ships the order with reference ref (Ship) and posts
// order.shipped, with the Order view model, to the provider's callback
// URL on the hub.
func (s *Server) ShipOrder(ctx context.Context, hubURL, providerID, ref string, t shipbob.Tracking) (fakeplatform.Delivery, error) {
	o, err := s.Ship(ref, t)
	if err != nil {
		return fakeplatform.Delivery{}, err
	}
	body, _ := json.Marshal(o)
	return s.Post(ctx, HubURL(hubURL, providerID), shipbob.TopicOrderShipped, "", body)
}

// DeliverOrder marks the first shipment Delivered and posts
// order.shipment.delivered with the Shipment view model.
func (s *Server) DeliverOrder(ctx context.Context, hubURL, providerID, ref string) (fakeplatform.Delivery, error) {
	return s.shipmentEvent(ctx, hubURL, providerID, ref, shipbob.StatusDelivered, shipbob.TopicShipmentDelivered, "")
}

// ExceptionOrder marks the first shipment Exception with reason and posts
// order.shipment.exception.
func (s *Server) ExceptionOrder(ctx context.Context, hubURL, providerID, ref, reason string) (fakeplatform.Delivery, error) {
	return s.shipmentEvent(ctx, hubURL, providerID, ref, shipbob.StatusException, shipbob.TopicShipmentException, reason)
}

// CancelOrder marks the first shipment Cancelled and posts
// order.shipment.cancelled.
func (s *Server) CancelOrder(ctx context.Context, hubURL, providerID, ref string) (fakeplatform.Delivery, error) {
	return s.shipmentEvent(ctx, hubURL, providerID, ref, shipbob.StatusCancelled, shipbob.TopicShipmentCancelled, "")
}

func (s *Server) shipmentEvent(ctx context.Context, hubURL, providerID, ref, status, topic, reason string) (fakeplatform.Delivery, error) {
	o, err := s.SetStatus(ref, status)
	if err != nil {
		return fakeplatform.Delivery{}, err
	}
	body, _ := json.Marshal(ShipmentBody(o, reason))
	return s.Post(ctx, HubURL(hubURL, providerID), topic, "", body)
}

// ShipmentBody is the Shipment view model of an order's first shipment,
// as the order.shipment.* topics carry it; reason, when set, becomes its
// status_details.
func ShipmentBody(o shipbob.Order, reason string) map[string]any {
	sh := o.Shipments[0]
	m := map[string]any{"id": sh.ID, "order_id": o.ID, "reference_id": o.ReferenceID, "status": sh.Status,
		"is_tracking_uploaded": sh.IsTrackingUploaded, "tracking": sh.Tracking}
	if reason != "" {
		m["status_details"] = []map[string]any{{"name": "Exception", "description": reason}}
	}
	return m
}
