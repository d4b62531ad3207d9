package shopify

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"strings"
	"time"

	"github.com/orderhub/orderhub"
)

// Headers Shopify sets on every HTTPS webhook delivery.
const (
	HeaderHmac        = "X-Shopify-Hmac-Sha256"
	HeaderTopic       = "X-Shopify-Topic"
	HeaderSubTopic    = "X-Shopify-Sub-Topic"
	HeaderShopDomain  = "X-Shopify-Shop-Domain"
	HeaderAPIVersion  = "X-Shopify-API-Version"
	HeaderWebhookID   = "X-Shopify-Webhook-Id"
	HeaderEventID     = "X-Shopify-Event-Id"
	HeaderTriggeredAt = "X-Shopify-Triggered-At"
)

// Sign returns the X-Shopify-Hmac-Sha256 value for body under secret.
func Sign(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// VerifyWebhook checks X-Shopify-Hmac-Sha256 against the raw body under each
// non-empty secret (the current one and, during a rotation, the previous
// one), comparing in constant time. Every failure is an Unauthorized error
// that says what was wrong and never contains a secret.
func VerifyWebhook(header http.Header, body []byte, secrets ...string) error {
	sig := strings.TrimSpace(header.Get(HeaderHmac))
	if sig == "" {
		return orderhub.Errorf(orderhub.EUnauthorized, "%s header is missing", HeaderHmac)
	}
	got, err := base64.StdEncoding.DecodeString(sig)
	if err != nil || len(got) != sha256.Size {
		return orderhub.Errorf(orderhub.EUnauthorized, "%s header is not a base64 HMAC-SHA256", HeaderHmac)
	}
	tried := 0
	for _, s := range secrets {
		if s == "" {
			continue
		}
		tried++
		m := hmac.New(sha256.New, []byte(s))
		m.Write(body)
		if hmac.Equal(got, m.Sum(nil)) {
			return nil
		}
	}
	if tried == 0 {
		return orderhub.Errorf(orderhub.EUnauthorized, "no Shopify webhook secret is configured")
	}
	return orderhub.Errorf(orderhub.EUnauthorized, "signature does not match")
}

// Verifier holds one shop's secrets; its Verify method has the shape every
// connector's verifier shares, so the intake can hold any of them.
type Verifier struct {
	Secret         string // the app's client secret
	PreviousSecret string // accepted too while a rotation settles; may be ""
}

// Verify checks a delivery; now is unused because Shopify signs no time.
func (v Verifier) Verify(header http.Header, body []byte, now time.Time) error {
	return VerifyWebhook(header, body, v.Secret, v.PreviousSecret)
}
