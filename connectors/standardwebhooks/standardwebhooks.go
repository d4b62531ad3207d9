// Package standardwebhooks signs and verifies webhooks in the Standard
// Webhooks format (standardwebhooks.com): three headers, webhook-id,
// webhook-timestamp and webhook-signature, where a signature is
// "v1,<base64 HMAC-SHA256(key, id + "." + timestamp + "." + body)>" and the
// signature header may carry several of them separated by spaces.
//
// It owns the wire format only, so that every connector that receives such
// webhooks (BigCommerce, ShipBob, supplier callbacks) shares one audited
// implementation. It must not know about any platform, shop or config: the
// caller decides which key to use and passes the clock in. Secrets never
// appear in an error message.
package standardwebhooks

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/orderhub/orderhub"
)

// The three headers of the spec. Go canonicalises header names, so lookups
// through http.Header find them whatever case the sender used.
const (
	HeaderID        = "webhook-id"
	HeaderTimestamp = "webhook-timestamp"
	HeaderSignature = "webhook-signature"
)

// DefaultTolerance is how far a webhook-timestamp may be from now, in either
// direction, before the message is refused as a replay or a forgery. It is
// the reference libraries' default.
const DefaultTolerance = 5 * time.Minute

// SecretPrefix marks a secret written as "whsec_" followed by the base64 of
// the key, as Svix and ShipBob issue them.
const SecretPrefix = "whsec_"

// signatureVersion is the only scheme the spec defines for symmetric keys.
const signatureVersion = "v1"

// DecodeSecret turns a configured secret into the HMAC key. A secret that
// starts with "whsec_" is the base64 of the key and is decoded (padding
// optional); any other secret is used as raw bytes, which is what BigCommerce
// does with an app's client secret. An empty secret, or a whsec_ secret that
// is not base64, is an Invalid error that does not repeat the secret.
func DecodeSecret(secret string) ([]byte, error) {
	if secret == "" {
		return nil, orderhub.Errorf(orderhub.EInvalid, "webhook secret is empty")
	}
	if !strings.HasPrefix(secret, SecretPrefix) {
		return []byte(secret), nil
	}
	enc := strings.TrimPrefix(secret, SecretPrefix)
	key, err := base64.StdEncoding.DecodeString(enc)
	if err != nil {
		key, err = base64.RawStdEncoding.DecodeString(enc)
	}
	if err != nil || len(key) == 0 {
		return nil, orderhub.Errorf(orderhub.EInvalid, "webhook secret has the whsec_ prefix but is not base64")
	}
	return key, nil
}

// Message is what a verified delivery's headers said.
type Message struct {
	ID        string    // webhook-id: unique per message, stable across retries
	Timestamp time.Time // webhook-timestamp, in UTC
}

// Sign returns the "v1,<base64>" signature of one message.
func Sign(key []byte, id string, ts time.Time, body []byte) string {
	return signatureVersion + "," + base64.StdEncoding.EncodeToString(mac(key, id, strconv.FormatInt(ts.Unix(), 10), body))
}

// SignHeaders returns the three headers that make body a valid message with
// this id and timestamp, for tests, the sign-webhook command and load tools.
func SignHeaders(key []byte, id string, ts time.Time, body []byte) http.Header {
	h := http.Header{}
	h.Set(HeaderID, id)
	h.Set(HeaderTimestamp, strconv.FormatInt(ts.Unix(), 10))
	h.Set(HeaderSignature, Sign(key, id, ts, body))
	return h
}

func mac(key []byte, id, ts string, body []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(id))
	m.Write([]byte{'.'})
	m.Write([]byte(ts))
	m.Write([]byte{'.'})
	m.Write(body)
	return m.Sum(nil)
}

func unauthorized(format string, args ...any) error {
	return orderhub.Errorf(orderhub.EUnauthorized, format, args...)
}

// Verify checks a delivery against one or more keys (several while a
// secret rotation settles). It requires the three headers, a timestamp
// within tolerance of now (DefaultTolerance when tolerance <= 0), and at
// least one v1 signature in the header that matches one key, compared in
// constant time. Every failure is an Unauthorized error saying which check
// failed.
func Verify(header http.Header, body []byte, now time.Time, tolerance time.Duration, keys ...[]byte) (Message, error) {
	id := strings.TrimSpace(header.Get(HeaderID))
	tsText := strings.TrimSpace(header.Get(HeaderTimestamp))
	sigs := strings.TrimSpace(header.Get(HeaderSignature))
	switch {
	case id == "":
		return Message{}, unauthorized("%s header is missing", HeaderID)
	case tsText == "":
		return Message{}, unauthorized("%s header is missing", HeaderTimestamp)
	case sigs == "":
		return Message{}, unauthorized("%s header is missing", HeaderSignature)
	}
	usable := 0
	for _, k := range keys {
		if len(k) > 0 {
			usable++
		}
	}
	if usable == 0 {
		return Message{}, unauthorized("no webhook signing key is configured")
	}
	sec, err := parseTimestamp(tsText)
	if err != nil {
		return Message{}, err
	}
	if tolerance <= 0 {
		tolerance = DefaultTolerance
	}
	ts := time.Unix(sec, 0).UTC()
	if now.Sub(ts) > tolerance {
		return Message{}, unauthorized("%s %s is more than %s old", HeaderTimestamp, tsText, tolerance)
	}
	if ts.Sub(now) > tolerance {
		return Message{}, unauthorized("%s %s is more than %s in the future", HeaderTimestamp, tsText, tolerance)
	}
	msg := Message{ID: id, Timestamp: ts}
	sawV1 := false
	for _, sig := range strings.Fields(sigs) {
		version, value, ok := strings.Cut(sig, ",")
		if !ok || version != signatureVersion {
			continue // other schemes (v1a asymmetric) are not ours to check
		}
		sawV1 = true
		got, err := base64.StdEncoding.DecodeString(value)
		if err != nil {
			continue
		}
		for _, k := range keys {
			if len(k) > 0 && hmac.Equal(got, mac(k, id, tsText, body)) {
				return msg, nil
			}
		}
	}
	if !sawV1 {
		return Message{}, unauthorized("%s header has no v1 signature", HeaderSignature)
	}
	return Message{}, unauthorized("signature does not match")
}

// parseTimestamp reads Unix seconds as plain digits; signs, spaces and
// exponents are refused so that the signed text and the checked time agree.
func parseTimestamp(s string) (int64, error) {
	if len(s) > 18 {
		return 0, unauthorized("%s header is not a Unix time in seconds", HeaderTimestamp)
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, unauthorized("%s header is not a Unix time in seconds", HeaderTimestamp)
		}
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, unauthorized("%s header is not a Unix time in seconds", HeaderTimestamp)
	}
	return v, nil
}
