package woocommerce

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/orderhub/orderhub"
)

// Headers WooCommerce sets on every webhook delivery.
const (
	HeaderSource     = "X-WC-Webhook-Source"
	HeaderTopic      = "X-WC-Webhook-Topic"
	HeaderResource   = "X-WC-Webhook-Resource"
	HeaderEvent      = "X-WC-Webhook-Event"
	HeaderSignature  = "X-WC-Webhook-Signature"
	HeaderWebhookID  = "X-WC-Webhook-ID"
	HeaderDeliveryID = "X-WC-Webhook-Delivery-ID"
)

var (
	// The numeric forms wp_specialchars_decode first normalises, in its order.
	entityForms = []struct {
		re  *regexp.Regexp
		out string
	}{
		{regexp.MustCompile(`&#0*39;`), "&#039;"},
		{regexp.MustCompile(`(?i)&#x0*27;`), "&#x27;"},
		{regexp.MustCompile(`&#0*34;`), "&#034;"},
		{regexp.MustCompile(`(?i)&#x0*22;`), "&#x22;"},
		{regexp.MustCompile(`&#0*60;`), "&#060;"},
		{regexp.MustCompile(`&#0*62;`), "&#062;"},
		{regexp.MustCompile(`&#0*38;`), "&#038;"},
		{regexp.MustCompile(`(?i)&#x0*26;`), "&#x26;"},
	}
	// Then one strtr pass; no key is a prefix of another, so order is moot.
	entityTable = strings.NewReplacer(
		"&#039;", "'", "&#x27;", "'",
		"&quot;", `"`, "&#034;", `"`, "&#x22;", `"`,
		"&lt;", "<", "&#060;", "<",
		"&gt;", ">", "&#062;", ">",
		"&amp;", "&", "&#038;", "&", "&#x26;", "&",
	)
)

// DecodeSecret returns the HMAC key WooCommerce derives from a webhook
// secret: PHP's wp_specialchars_decode(secret, ENT_QUOTES). It decodes
// &amp; &lt; &gt; &quot; &#039; (and &#39;, &#x27;, zero-padded and hex
// forms) in one pass, so "&amp;lt;" becomes "&lt;", exactly as PHP does.
func DecodeSecret(secret string) string {
	if !strings.Contains(secret, "&") {
		return secret
	}
	for _, f := range entityForms {
		secret = f.re.ReplaceAllLiteralString(secret, f.out)
	}
	return entityTable.Replace(secret)
}

// Sign returns the X-WC-Webhook-Signature value for body under the secret
// as entered in WooCommerce (entities are decoded first, as WooCommerce does).
func Sign(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(DecodeSecret(secret)))
	m.Write(body)
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// VerifyWebhook checks X-WC-Webhook-Signature against the raw body under
// each non-empty secret, in constant time. Pass the secret exactly as it was
// entered in WooCommerce. Failures are Unauthorized errors that never
// contain a secret. Check IsPing first: the creation ping is unsigned.
func VerifyWebhook(header http.Header, body []byte, secrets ...string) error {
	sig := strings.TrimSpace(header.Get(HeaderSignature))
	if sig == "" {
		return orderhub.Errorf(orderhub.EUnauthorized, "%s header is missing", HeaderSignature)
	}
	got, err := base64.StdEncoding.DecodeString(sig)
	if err != nil || len(got) != sha256.Size {
		return orderhub.Errorf(orderhub.EUnauthorized, "%s header is not a base64 HMAC-SHA256", HeaderSignature)
	}
	tried := 0
	for _, s := range secrets {
		if s == "" {
			continue
		}
		tried++
		m := hmac.New(sha256.New, []byte(DecodeSecret(s)))
		m.Write(body)
		if hmac.Equal(got, m.Sum(nil)) {
			return nil
		}
	}
	if tried == 0 {
		return orderhub.Errorf(orderhub.EUnauthorized, "no WooCommerce webhook secret is configured")
	}
	return orderhub.Errorf(orderhub.EUnauthorized, "signature does not match")
}

// IsPing reports whether a request is WooCommerce's creation ping: no
// signature, a form-encoded (or untyped) body that is exactly
// "webhook_id=<digits>". The intake answers it with exactly 200 and does
// nothing else; being unsigned, it proves nothing and carries nothing.
func IsPing(header http.Header, body []byte) bool {
	if strings.TrimSpace(header.Get(HeaderSignature)) != "" {
		return false
	}
	if ct := header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || mt != "application/x-www-form-urlencoded" {
			return false
		}
	}
	if len(body) > 64 {
		return false
	}
	vals, err := url.ParseQuery(string(body))
	if err != nil || len(vals) != 1 {
		return false
	}
	ids := vals["webhook_id"]
	return len(ids) == 1 && isDigits(ids[0])
}

// Verifier holds one shop's webhook secret; its Verify method has the shape
// every connector's verifier shares.
type Verifier struct {
	Secret         string // as entered in WooCommerce
	PreviousSecret string // accepted too while a change settles; may be ""
}

// Verify checks a delivery; now is unused because WooCommerce signs no time.
func (v Verifier) Verify(header http.Header, body []byte, now time.Time) error {
	return VerifyWebhook(header, body, v.Secret, v.PreviousSecret)
}
