package woocommerce

import (
	"net/http"
	"strings"

	"github.com/orderhub/orderhub"
)

// Delivery is what the headers of one webhook delivery say about it.
type Delivery struct {
	Source     string // the site URL
	Topic      string // e.g. "order.updated"
	Resource   string // e.g. "order"
	Event      string // e.g. "updated"
	WebhookID  string // the subscription
	DeliveryID string // not unique: derived from the webhook id and the second
}

// ParseDelivery reads the delivery headers. It never fails; absent headers
// stay empty. A missing topic is rebuilt from resource and event.
func ParseDelivery(header http.Header) Delivery {
	get := func(k string) string { return strings.TrimSpace(header.Get(k)) }
	d := Delivery{
		Source:     get(HeaderSource),
		Topic:      get(HeaderTopic),
		Resource:   get(HeaderResource),
		Event:      get(HeaderEvent),
		WebhookID:  get(HeaderWebhookID),
		DeliveryID: get(HeaderDeliveryID),
	}
	if d.Topic == "" && d.Resource != "" && d.Event != "" {
		d.Topic = d.Resource + "." + d.Event
	}
	return d
}

type resourceStamp struct {
	ID              value  `json:"id"`
	DateModifiedGMT string `json:"date_modified_gmt"`
	DateModified    string `json:"date_modified"`
}

// DedupeKey returns "<webhook id>:<resource id>:<date_modified_gmt>" and the
// topic. The date falls back to date_modified; a *.deleted body, which is
// only {"id": N}, uses "deleted:<delivery id>" instead. Anything missing is
// an Invalid error naming it.
func DedupeKey(header http.Header, body []byte) (key, topic string, err error) {
	d := ParseDelivery(header)
	if d.Topic == "" {
		return "", "", orderhub.Errorf(orderhub.EInvalid, "%s header is missing", HeaderTopic)
	}
	if d.WebhookID == "" {
		return "", "", orderhub.Errorf(orderhub.EInvalid, "%s header is missing", HeaderWebhookID)
	}
	var r resourceStamp
	if err := decodeJSON("woocommerce "+d.Topic+" body", body, &r); err != nil {
		return "", "", err
	}
	id, err := r.ID.ID("id")
	if err != nil {
		return "", "", err
	}
	if id == "" {
		return "", "", orderhub.Errorf(orderhub.EInvalid, "body id is missing")
	}
	stamp := strings.TrimSpace(r.DateModifiedGMT)
	if stamp == "" {
		stamp = strings.TrimSpace(r.DateModified)
	}
	if stamp == "" {
		if !strings.HasSuffix(d.Topic, ".deleted") {
			return "", "", orderhub.Errorf(orderhub.EInvalid, "body date_modified_gmt and date_modified are missing")
		}
		if d.DeliveryID == "" {
			return "", "", orderhub.Errorf(orderhub.EInvalid, "%s header is missing on a %s delivery", HeaderDeliveryID, d.Topic)
		}
		stamp = "deleted:" + d.DeliveryID
	}
	return d.WebhookID + ":" + id + ":" + stamp, d.Topic, nil
}

// SignHeaders returns the headers of a correctly signed delivery of body,
// for tests, the sign-webhook command and the load generator. Empty fields
// of d are left out; Resource and Event are derived from Topic when empty.
func SignHeaders(secret string, body []byte, d Delivery) http.Header {
	if d.Topic != "" && d.Resource == "" && d.Event == "" {
		d.Resource, d.Event, _ = strings.Cut(d.Topic, ".")
	}
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set(HeaderSignature, Sign(secret, body))
	for k, v := range map[string]string{
		HeaderSource: d.Source, HeaderTopic: d.Topic, HeaderResource: d.Resource,
		HeaderEvent: d.Event, HeaderWebhookID: d.WebhookID, HeaderDeliveryID: d.DeliveryID,
	} {
		if v != "" {
			h.Set(k, v)
		}
	}
	return h
}
