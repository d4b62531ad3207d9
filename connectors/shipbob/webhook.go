package shipbob

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/orderhub/orderhub"
	"github.com/orderhub/orderhub/connectors/standardwebhooks"
)

// Headers that name a delivery's topic: dated subscriptions send
// x-webhook-topic, legacy (1.0/2.0) ones shipbob-topic.
const (
	HeaderTopic          = "x-webhook-topic"
	HeaderLegacyTopic    = "shipbob-topic"
	HeaderSubscriptionID = "shipbob-subscription-id"
)

// Topics, dated names first, then the legacy names they replace.
const (
	TopicOrderShipped       = "order.shipped"
	TopicOrderDelivered     = "order.delivered"
	TopicShipmentDelivered  = "order.shipment.delivered"
	TopicShipmentException  = "order.shipment.exception"
	TopicShipmentOnHold     = "order.shipment.on_hold"
	TopicShipmentCancelled  = "order.shipment.cancelled"
	TopicTrackingUpdated    = "order.shipment.tracking.updated"
	TopicTrackingReceived   = "order.shipment.tracking_received"
	LegacyOrderShipped      = "order_shipped"
	LegacyShipmentDelivered = "shipment_delivered"
	LegacyShipmentException = "shipment_exception"
	LegacyShipmentOnHold    = "shipment_onhold"
	LegacyShipmentCancelled = "shipment_cancelled"
)

// maxDecodeBytes caps what DecodeWebhook reads; the intake caps bodies
// before this.
const maxDecodeBytes = 8 << 20

// WebhookTopics are the topics orderhub subscribes to: what moves a
// fulfillment.
var WebhookTopics = []string{TopicOrderShipped, TopicShipmentDelivered, TopicShipmentException, TopicShipmentCancelled}

// EventKind is what a topic means for a fulfillment.
type EventKind string

// Event kinds.
const (
	KindShipped   EventKind = "shipped"   // a label was bought and scanned: it left the warehouse
	KindDelivered EventKind = "delivered" // the carrier delivered it
	KindException EventKind = "exception" // ShipBob cannot fulfil it as is (stock, address)
	KindOnHold    EventKind = "on_hold"
	KindCancelled EventKind = "cancelled"
	KindTracking  EventKind = "tracking" // tracking details only
	KindOther     EventKind = "other"    // a topic orderhub does not act on
)

// KindOf maps a topic, dated or legacy, to its kind.
func KindOf(topic string) EventKind {
	switch strings.ToLower(strings.TrimSpace(topic)) {
	case TopicOrderShipped, LegacyOrderShipped:
		return KindShipped
	case TopicShipmentDelivered, TopicOrderDelivered, LegacyShipmentDelivered:
		return KindDelivered
	case TopicShipmentException, LegacyShipmentException:
		return KindException
	case TopicShipmentOnHold, LegacyShipmentOnHold:
		return KindOnHold
	case TopicShipmentCancelled, LegacyShipmentCancelled:
		return KindCancelled
	case TopicTrackingUpdated, TopicTrackingReceived:
		return KindTracking
	}
	return KindOther
}

// TopicOf returns a delivery's topic from its headers, "" when it names
// none.
func TopicOf(h http.Header) string {
	if t := strings.TrimSpace(h.Get(HeaderTopic)); t != "" {
		return t
	}
	return strings.TrimSpace(h.Get(HeaderLegacyTopic))
}

// VerifyWebhook checks a delivery's Standard Webhooks signature with the
// subscription secret (whsec_ base64, or raw bytes otherwise) at now. It
// returns the message id, the key to dedupe on. Every failure is an
// Unauthorized error that names the check, never the secret.
func VerifyWebhook(h http.Header, body []byte, secret string, now time.Time) (standardwebhooks.Message, error) {
	key, err := standardwebhooks.DecodeSecret(secret)
	if err != nil {
		return standardwebhooks.Message{}, orderhub.WrapError(orderhub.EUnauthorized, err, "shipbob webhook secret is not usable")
	}
	return standardwebhooks.Verify(h, body, now, 0, key)
}

// Event is one decoded delivery: which ShipBob order it is about (its
// reference_id is orderhub's fulfillment id) and what it says.
type Event struct {
	Topic       string
	Kind        EventKind
	ReferenceID string
	OrderID     int64
	ShipmentID  int64
	Status      string // the shipment (or order) status, when given
	Carrier     string
	Tracking    string
	TrackingURL string
	Detail      string // why, for exceptions and holds
	OccurredAt  time.Time
}

// payload is the union of the shapes ShipBob sends: an Order view model
// (order.shipped), a Shipment view model (order.shipment.*), the logistics
// tracking event, or any of them inside {"data": ...}.
type payload struct {
	ID            *int64          `json:"id"`
	OrderID       *int64          `json:"order_id"`
	ReferenceID   string          `json:"reference_id"`
	Status        string          `json:"status"`
	Tracking      *Tracking       `json:"tracking"`
	Shipments     []Shipment      `json:"shipments"`
	EventTime     string          `json:"event_time"`
	StatusDetails json.RawMessage `json:"status_details"`
	Data          json.RawMessage `json:"data"`
}

// DecodeWebhook reads a verified delivery of topic. A body that is not a
// JSON object, or that names neither a reference id nor an order, is an
// Invalid error; it never panics, whatever the bytes.
func DecodeWebhook(topic string, body []byte) (Event, error) {
	if len(body) > maxDecodeBytes {
		return Event{}, orderhub.Errorf(orderhub.EInvalid, "shipbob webhook: body is too large to decode")
	}
	var p payload
	if err := decodeObject(body, &p); err != nil {
		return Event{}, err
	}
	if p.ReferenceID == "" && p.ID == nil && p.OrderID == nil && len(p.Data) > 0 && p.Data[0] == '{' {
		var inner payload
		if err := decodeObject(p.Data, &inner); err != nil {
			return Event{}, err
		}
		if inner.EventTime == "" {
			inner.EventTime = p.EventTime
		}
		p = inner
	}
	ev := Event{Topic: topic, Kind: KindOf(topic), ReferenceID: strings.TrimSpace(p.ReferenceID), Status: p.Status}
	if p.OrderID != nil { // a shipment (or the logistics tracking event)
		ev.OrderID = *p.OrderID
		if p.ID != nil {
			ev.ShipmentID = *p.ID
		}
		ev.setTracking(p.Tracking)
	} else { // an order
		if p.ID != nil {
			ev.OrderID = *p.ID
		}
		ev.fromShipments(p.Shipments)
	}
	if ev.ReferenceID == "" && ev.OrderID == 0 {
		return Event{}, orderhub.Errorf(orderhub.EInvalid, "shipbob webhook: the body names neither a reference_id nor an order")
	}
	if t, err := time.Parse(time.RFC3339Nano, p.EventTime); err == nil {
		ev.OccurredAt = t.UTC()
	}
	ev.Detail = statusDetail(p.StatusDetails)
	return ev, nil
}

// fromShipments takes the tracking of an order's shipments: the first one
// with a tracking number (an order_shipped fires per shipment, so any
// shipped one will do), and its status.
func (ev *Event) fromShipments(ss []Shipment) {
	for _, s := range ss {
		if s.Tracking.Number() != "" {
			ev.ShipmentID, ev.Status = s.ID, s.Status
			ev.setTracking(s.Tracking)
			return
		}
	}
	if len(ss) > 0 {
		ev.ShipmentID = ss[0].ID
		if ev.Status == "" {
			ev.Status = ss[0].Status
		}
	}
}

func (ev *Event) setTracking(t *Tracking) {
	if t == nil {
		return
	}
	ev.Carrier, ev.Tracking, ev.TrackingURL = t.Carrier, t.Number(), t.TrackingURL
}

func decodeObject(b []byte, out any) error {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || b[0] != '{' {
		return orderhub.Errorf(orderhub.EInvalid, "shipbob webhook: the body is not a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(out); err != nil {
		return orderhub.WrapError(orderhub.EInvalid, err, "shipbob webhook: the body is not the expected JSON")
	}
	return nil
}

// statusDetail renders status_details ([{"name","description"}] or a
// string) as one line.
func statusDetail(raw json.RawMessage) string {
	if len(raw) == 0 {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var list []struct {
		Name        string `json:"name"`
		Description string `json:"description"`
	}
	if json.Unmarshal(raw, &list) != nil {
		return ""
	}
	var parts []string
	for _, d := range list {
		switch {
		case d.Name != "" && d.Description != "":
			parts = append(parts, d.Name+": "+d.Description)
		case d.Name != "" || d.Description != "":
			parts = append(parts, d.Name+d.Description)
		}
	}
	return strings.Join(parts, "; ")
}
