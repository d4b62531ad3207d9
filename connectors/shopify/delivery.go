package shopify

import (
	"net/http"
	"strings"
	"time"

	"github.com/orderhub/orderhub"
)

// Delivery is what the headers of one webhook delivery say about it.
type Delivery struct {
	Topic       string    // e.g. "orders/create"
	SubTopic    string    // optional
	ShopDomain  string    // e.g. "acme.myshopify.com"
	APIVersion  string    // e.g. "2025-01"
	WebhookID   string    // per delivery attempt chain
	EventID     string    // per event, shared by every subscription's delivery
	TriggeredAt time.Time // when Shopify fired it; zero when absent or unreadable
}

// ParseDelivery reads the delivery headers. It never fails: absent headers
// stay empty, and an unreadable X-Shopify-Triggered-At is left zero.
func ParseDelivery(header http.Header) Delivery {
	d := Delivery{
		Topic:      strings.TrimSpace(header.Get(HeaderTopic)),
		SubTopic:   strings.TrimSpace(header.Get(HeaderSubTopic)),
		ShopDomain: strings.TrimSpace(header.Get(HeaderShopDomain)),
		APIVersion: strings.TrimSpace(header.Get(HeaderAPIVersion)),
		WebhookID:  strings.TrimSpace(header.Get(HeaderWebhookID)),
		EventID:    strings.TrimSpace(header.Get(HeaderEventID)),
	}
	if t, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(header.Get(HeaderTriggeredAt))); err == nil {
		d.TriggeredAt = t.UTC()
	}
	return d
}

// DedupeKey returns the key that identifies one event, and the topic. The
// key is X-Shopify-Event-Id, else X-Shopify-Webhook-Id. The body is not
// needed; the parameter keeps the signature the same across connectors. A
// delivery with neither id, or without a topic, is an Invalid error naming
// the missing header.
func DedupeKey(header http.Header, body []byte) (key, topic string, err error) {
	d := ParseDelivery(header)
	if d.Topic == "" {
		return "", "", orderhub.Errorf(orderhub.EInvalid, "%s header is missing", HeaderTopic)
	}
	key = d.EventID
	if key == "" {
		key = d.WebhookID
	}
	if key == "" {
		return "", "", orderhub.Errorf(orderhub.EInvalid, "both %s and %s headers are missing", HeaderEventID, HeaderWebhookID)
	}
	return key, d.Topic, nil
}

// SignHeaders returns the headers of a correctly signed delivery of body,
// for tests, the sign-webhook command and the load generator. Empty fields
// of d are left out.
func SignHeaders(secret string, body []byte, d Delivery) http.Header {
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set(HeaderHmac, Sign(secret, body))
	set := func(k, v string) {
		if v != "" {
			h.Set(k, v)
		}
	}
	set(HeaderTopic, d.Topic)
	set(HeaderSubTopic, d.SubTopic)
	set(HeaderShopDomain, d.ShopDomain)
	set(HeaderAPIVersion, d.APIVersion)
	set(HeaderWebhookID, d.WebhookID)
	set(HeaderEventID, d.EventID)
	if !d.TriggeredAt.IsZero() {
		h.Set(HeaderTriggeredAt, d.TriggeredAt.UTC().Format(time.RFC3339Nano))
	}
	return h
}
