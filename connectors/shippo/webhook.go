package shippo

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/orderhub/orderhub"
)

// HeaderSignature carries the opt-in HMAC; HeaderEvent names the event
// (informational: the envelope says it too). TokenParam is the query
// parameter of URL-token auth.
const (
	HeaderSignature = "Shippo-Auth-Signature"
	HeaderEvent     = "X-Shippo-Event"
	TokenParam      = "token"
)

// Events orderhub acts on.
const (
	EventTrackUpdated       = "track_updated"
	EventTransactionCreated = "transaction_created"
	EventTransactionUpdated = "transaction_updated"
)

// DefaultTolerance is how far a signature's t may be from now.
const DefaultTolerance = 5 * time.Minute

// VerifyToken checks URL-token auth: the ?token= the hub's callback URL
// was registered with must equal the provider's webhook secret, compared
// in constant time.
func VerifyToken(token, secret string) error {
	switch {
	case secret == "":
		return orderhub.Errorf(orderhub.EUnauthorized, "no Shippo webhook secret is configured")
	case token == "":
		return orderhub.Errorf(orderhub.EUnauthorized, "the %s query parameter is missing", TokenParam)
	case subtle.ConstantTimeCompare([]byte(token), []byte(secret)) != 1:
		return orderhub.Errorf(orderhub.EUnauthorized, "the %s query parameter does not match", TokenParam)
	}
	return nil
}

// SignHMAC returns the Shippo-Auth-Signature value of body at t.
func SignHMAC(secret string, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	return "t=" + ts + ",v1=" + hex.EncodeToString(mac(secret, ts, body))
}

func mac(secret, ts string, body []byte) []byte {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(ts))
	m.Write([]byte{'.'})
	m.Write(body)
	return m.Sum(nil)
}

// VerifyHMAC checks "Shippo-Auth-Signature: t=<unix>,v1=<hex>" against the
// raw body: HMAC-SHA256(secret, t + "." + body), a t within tolerance of
// now (DefaultTolerance when tolerance <= 0), compared in constant time.
// Every failure is an Unauthorized error naming the check.
func VerifyHMAC(h http.Header, body []byte, secret string, now time.Time, tolerance time.Duration) error {
	if secret == "" {
		return orderhub.Errorf(orderhub.EUnauthorized, "no Shippo webhook secret is configured")
	}
	v := strings.TrimSpace(h.Get(HeaderSignature))
	if v == "" {
		return orderhub.Errorf(orderhub.EUnauthorized, "%s header is missing", HeaderSignature)
	}
	var ts string
	var sigs [][]byte
	for _, part := range strings.Split(v, ",") {
		k, val, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			continue
		}
		switch k {
		case "t":
			ts = val
		case "v1":
			if b, err := hex.DecodeString(val); err == nil {
				sigs = append(sigs, b)
			}
		}
	}
	if ts == "" || len(sigs) == 0 {
		return orderhub.Errorf(orderhub.EUnauthorized, "%s header is not t=<unix>,v1=<hex>", HeaderSignature)
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || sec < 0 || ts[0] == '+' {
		return orderhub.Errorf(orderhub.EUnauthorized, "%s t is not a Unix time", HeaderSignature)
	}
	if tolerance <= 0 {
		tolerance = DefaultTolerance
	}
	if d := now.Sub(time.Unix(sec, 0)); d > tolerance || d < -tolerance {
		return orderhub.Errorf(orderhub.EUnauthorized, "%s t is more than %s from now", HeaderSignature, tolerance)
	}
	want := mac(secret, ts, body)
	for _, s := range sigs {
		if hmac.Equal(s, want) {
			return nil
		}
	}
	return orderhub.Errorf(orderhub.EUnauthorized, "signature does not match")
}

// Webhook is a decoded envelope {"event", "test", "data"}, with what the
// hub needs to re-fetch the object: a transaction's id, or a track's
// carrier and number.
type Webhook struct {
	Event          string
	Test           bool
	TransactionID  string // transaction_* events
	Carrier        string // track_updated
	TrackingNumber string // track_updated
	Metadata       string // as the body says; untrusted
}

// maxDecodeBytes caps what DecodeWebhook reads.
const maxDecodeBytes = 8 << 20

// DecodeWebhook reads a callback's envelope. A body that is not the
// envelope, or a track or transaction event whose data lacks the keys to
// re-fetch it, is an Invalid error; it never panics, whatever the bytes.
// Other events decode with only Event set.
func DecodeWebhook(body []byte) (Webhook, error) {
	body = bytes.TrimSpace(body)
	if len(body) > maxDecodeBytes {
		return Webhook{}, orderhub.Errorf(orderhub.EInvalid, "shippo webhook: body is too large to decode")
	}
	if len(body) == 0 || body[0] != '{' {
		return Webhook{}, orderhub.Errorf(orderhub.EInvalid, "shippo webhook: the body is not a JSON object")
	}
	var env struct {
		Event string          `json:"event"`
		Test  bool            `json:"test"`
		Data  json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(body, &env); err != nil {
		return Webhook{}, orderhub.WrapError(orderhub.EInvalid, err, "shippo webhook: the body is not the expected JSON")
	}
	if env.Event == "" {
		return Webhook{}, orderhub.Errorf(orderhub.EInvalid, "shippo webhook: the event is missing")
	}
	w := Webhook{Event: env.Event, Test: env.Test}
	var data struct {
		ObjectID       string `json:"object_id"`
		Carrier        string `json:"carrier"`
		TrackingNumber string `json:"tracking_number"`
		Metadata       string `json:"metadata"`
	}
	switch env.Event {
	case EventTrackUpdated, EventTransactionCreated, EventTransactionUpdated:
		if len(env.Data) == 0 || env.Data[0] != '{' || json.Unmarshal(env.Data, &data) != nil {
			return Webhook{}, orderhub.Errorf(orderhub.EInvalid, "shippo webhook %s: data is not an object", env.Event)
		}
	default:
		return w, nil
	}
	w.Metadata = data.Metadata
	if env.Event == EventTrackUpdated {
		if !validID(data.Carrier) || !validID(data.TrackingNumber) {
			return Webhook{}, orderhub.Errorf(orderhub.EInvalid, "shippo webhook track_updated: data needs a carrier and a tracking_number")
		}
		w.Carrier, w.TrackingNumber = data.Carrier, data.TrackingNumber
		return w, nil
	}
	if !validID(data.ObjectID) {
		return Webhook{}, orderhub.Errorf(orderhub.EInvalid, "shippo webhook %s: data needs an object_id", env.Event)
	}
	w.TransactionID = data.ObjectID
	return w, nil
}
