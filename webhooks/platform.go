package webhooks

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/orderhub/orderhub"
	"github.com/orderhub/orderhub/connectors/bigcommerce"
	"github.com/orderhub/orderhub/connectors/shopify"
	"github.com/orderhub/orderhub/connectors/standardwebhooks"
	"github.com/orderhub/orderhub/connectors/woocommerce"
)

// ShopConfig is what the intake knows about one connected shop: plain
// values, so this package needs no config package.
type ShopConfig struct {
	ID       string
	Platform string // orderhub.PlatformShopify, PlatformWooCommerce or PlatformBigCommerce
	// WebhookSecret signs Shopify and WooCommerce deliveries;
	// PreviousWebhookSecret is accepted too while a rotation settles (for
	// BigCommerce it is the previous client secret).
	WebhookSecret         string
	PreviousWebhookSecret string
	// ClientSecret is BigCommerce's Standard Webhooks signing key; empty when
	// the shop verifies callbacks by AuthHeader alone.
	ClientSecret string
	// AuthHeader and AuthValue are the custom header BigCommerce echoes on
	// every callback, when the hook was registered with one.
	AuthHeader string
	AuthValue  string
}

// Verifier checks that a delivery's raw body was signed by the platform.
// Each connector's Verifier has this method.
type Verifier interface {
	Verify(header http.Header, body []byte, now time.Time) error
}

var (
	_ Verifier = shopify.Verifier{}
	_ Verifier = woocommerce.Verifier{}
	_ Verifier = bigcommerce.Verifier{}
)

// platform is what differs between platforms at intake.
type platform struct {
	name string
	// dedupe returns the key one event has on every delivery, and the topic.
	dedupe func(header http.Header, body []byte) (key, topic string, err error)
	// keep lists the headers stored with the receipt.
	keep []string
	// triggered is when the platform fired the event, zero when unknown.
	triggered func(header http.Header) time.Time
	// ping recognises an unsigned request that must get exactly 200.
	ping func(header http.Header, body []byte) bool
}

var platforms = map[string]platform{
	orderhub.PlatformShopify: {
		name:   orderhub.PlatformShopify,
		dedupe: shopify.DedupeKey,
		keep: []string{shopify.HeaderTopic, shopify.HeaderSubTopic, shopify.HeaderShopDomain, shopify.HeaderAPIVersion,
			shopify.HeaderWebhookID, shopify.HeaderEventID, shopify.HeaderTriggeredAt},
		triggered: func(h http.Header) time.Time { return shopify.ParseDelivery(h).TriggeredAt },
	},
	orderhub.PlatformWooCommerce: {
		name:   orderhub.PlatformWooCommerce,
		dedupe: woocommerce.DedupeKey,
		keep: []string{woocommerce.HeaderSource, woocommerce.HeaderTopic, woocommerce.HeaderResource, woocommerce.HeaderEvent,
			woocommerce.HeaderWebhookID, woocommerce.HeaderDeliveryID},
		triggered: func(http.Header) time.Time { return time.Time{} },
		ping:      woocommerce.IsPing,
	},
	orderhub.PlatformBigCommerce: {
		name:   orderhub.PlatformBigCommerce,
		dedupe: bigcommerce.DedupeKey,
		keep:   []string{standardwebhooks.HeaderID, standardwebhooks.HeaderTimestamp},
		triggered: func(h http.Header) time.Time {
			sec, err := strconv.ParseInt(strings.TrimSpace(h.Get(standardwebhooks.HeaderTimestamp)), 10, 64)
			if err != nil || sec <= 0 || sec > 1<<40 {
				return time.Time{}
			}
			return time.Unix(sec, 0).UTC()
		},
	},
}

// verifier builds the connector's verifier for a shop.
func (s ShopConfig) verifier() Verifier {
	switch s.Platform {
	case orderhub.PlatformShopify:
		return shopify.Verifier{Secret: s.WebhookSecret, PreviousSecret: s.PreviousWebhookSecret}
	case orderhub.PlatformWooCommerce:
		return woocommerce.Verifier{Secret: s.WebhookSecret, PreviousSecret: s.PreviousWebhookSecret}
	case orderhub.PlatformBigCommerce:
		v := bigcommerce.Verifier{ClientSecret: s.ClientSecret, CustomHeader: s.AuthHeader, CustomValue: s.AuthValue}
		if s.ClientSecret != "" {
			v.PreviousClientSecret = s.PreviousWebhookSecret
		}
		return v
	}
	return nil
}

// keptHeaders returns the headers of h worth storing: topic, ids and times,
// never a signature or a shop's custom auth header.
func (p platform) keptHeaders(h http.Header) map[string]string {
	out := make(map[string]string, len(p.keep)+1)
	for _, k := range p.keep {
		if v := strings.TrimSpace(h.Get(k)); v != "" {
			out[http.CanonicalHeaderKey(k)] = v
		}
	}
	if ct := h.Get("Content-Type"); ct != "" {
		out["Content-Type"] = ct
	}
	return out
}
