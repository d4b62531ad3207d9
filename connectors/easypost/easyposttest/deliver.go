package easyposttest

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/orderhub/orderhub"
	"github.com/orderhub/orderhub/connectors/apiclient/fakeplatform"
	"github.com/orderhub/orderhub/connectors/easypost"
)

// HubURL is where orderhub takes a provider's callbacks:
// {hubURL}/webhooks/easypost/{providerID}.
func HubURL(hubURL, providerID string) string {
	return strings.TrimRight(hubURL, "/") + "/webhooks/easypost/" + providerID
}

// DeliveryHeaders returns the headers EasyPost sends with an event body,
// signed with secret.
func DeliveryHeaders(secret string, body []byte) http.Header {
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set("User-Agent", "EasyPost WebHook Agent 1.0")
	h.Set(easypost.HeaderSignature, easypost.Sign(secret, body))
	return h
}

// Post sends one event body to url signed with Options.WebhookSecret and
// returns the hub's answer.
func (s *Server) Post(ctx context.Context, url string, body []byte) (fakeplatform.Delivery, error) {
	return fakeplatform.Post(ctx, s.o.HTTPClient, url, DeliveryHeaders(s.o.WebhookSecret, body), body)
}

// SetTrackerStatus moves the tracker of a bought shipment to status
// (in_transit, out_for_delivery, delivered, return_to_sender, ...) and
// returns the tracker.updated Event that reports it, as raw JSON with a
// fresh event id, and the status it had before.
func (s *Server) SetTrackerStatus(shipmentID, status string) (event []byte, previous string, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sh, ok := s.shipments[shipmentID]
	if !ok || sh.Tracker == nil {
		return nil, "", orderhub.Errorf(orderhub.ENotFound, "easyposttest: shipment %s has no tracker (not bought)", shipmentID)
	}
	trk := s.trackers[sh.Tracker.ID]
	previous = trk.Status
	trk.Status, trk.UpdatedAt = status, s.now()
	sh.Tracker = trk
	ev := map[string]any{
		"id": s.id("evt"), "object": "Event", "mode": "test", "description": easypost.EventTrackerUpdated,
		"previous_attributes": map[string]any{"status": previous}, "created_at": s.now(), "updated_at": s.now(),
		"result": trk, "status": "pending", "pending_urls": []string{}, "completed_urls": []string{},
	}
	event, err = json.Marshal(ev)
	return event, previous, err
}

// Track moves a shipment's tracker to status and posts the tracker.updated
// event to the provider's callback URL on the hub, signed with
// Options.WebhookSecret. It returns the hub's answer and the event body
// (post it again to redeliver).
func (s *Server) Track(ctx context.Context, hubURL, providerID, shipmentID, status string) (fakeplatform.Delivery, []byte, error) {
	body, _, err := s.SetTrackerStatus(shipmentID, status)
	if err != nil {
		return fakeplatform.Delivery{}, nil, err
	}
	d, err := s.Post(ctx, HubURL(hubURL, providerID), body)
	return d, body, err
}

// Trigger posts an event body to every enabled registered webhook, each
// signed with its own secret, and returns the answers.
func (s *Server) Trigger(ctx context.Context, body []byte) ([]fakeplatform.Delivery, error) {
	var out []fakeplatform.Delivery
	for _, h := range s.Webhooks() {
		if h.DisabledAt != nil {
			continue
		}
		d, err := fakeplatform.Post(ctx, s.o.HTTPClient, h.URL, DeliveryHeaders(h.WebhookSecret, body), body)
		if err != nil {
			return out, err
		}
		out = append(out, d)
	}
	return out, nil
}
