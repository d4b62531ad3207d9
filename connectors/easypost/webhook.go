package easypost

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strings"

	"golang.org/x/text/unicode/norm"

	"github.com/orderhub/orderhub"
)

// HeaderSignature carries an event's HMAC; SignaturePrefix starts its
// value.
const (
	HeaderSignature = "X-Hmac-Signature"
	SignaturePrefix = "hmac-sha256-hex="
)

// Event descriptions orderhub acts on.
const (
	EventTrackerCreated = "tracker.created"
	EventTrackerUpdated = "tracker.updated"
)

// Tracker statuses EasyPost reports.
const (
	TrackerUnknown            = "unknown"
	TrackerPreTransit         = "pre_transit"
	TrackerInTransit          = "in_transit"
	TrackerOutForDelivery     = "out_for_delivery"
	TrackerDelivered          = "delivered"
	TrackerAvailableForPickup = "available_for_pickup"
	TrackerReturnToSender     = "return_to_sender"
	TrackerFailure            = "failure"
	TrackerCancelled          = "cancelled"
	TrackerError              = "error"
)

// Sign returns the X-Hmac-Signature value of body under secret, which is
// NFKD-normalised first, as EasyPost does.
func Sign(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(norm.NFKD.String(secret)))
	m.Write(body)
	return SignaturePrefix + hex.EncodeToString(m.Sum(nil))
}

// VerifyWebhook checks an event's X-Hmac-Signature against the raw body
// and one or more secrets (several while a rotation settles), in constant
// time. Every failure is an Unauthorized error that names the check,
// never a secret.
func VerifyWebhook(h http.Header, body []byte, secrets ...string) error {
	got := strings.TrimSpace(h.Get(HeaderSignature))
	if got == "" {
		return orderhub.Errorf(orderhub.EUnauthorized, "%s header is missing", HeaderSignature)
	}
	if !strings.HasPrefix(got, SignaturePrefix) {
		return orderhub.Errorf(orderhub.EUnauthorized, "%s header is not hmac-sha256-hex", HeaderSignature)
	}
	usable := false
	for _, s := range secrets {
		if s == "" {
			continue
		}
		usable = true
		if hmac.Equal([]byte(got), []byte(Sign(s, body))) {
			return nil
		}
	}
	if !usable {
		return orderhub.Errorf(orderhub.EUnauthorized, "no EasyPost webhook secret is configured")
	}
	return orderhub.Errorf(orderhub.EUnauthorized, "signature does not match")
}

// Event is a decoded webhook: its id (the dedupe key), what happened, and
// for tracker events the tracker.
type Event struct {
	ID          string
	Description string
	Mode        string
	Tracker     *TrackerUpdate // tracker.* events only
}

// TrackerUpdate is the tracker an event carries: the fields orderhub
// reads.
type TrackerUpdate struct {
	ID           string `json:"id"`
	Object       string `json:"object"`
	TrackingCode string `json:"tracking_code"`
	Status       string `json:"status"`
	StatusDetail string `json:"status_detail"`
	Carrier      string `json:"carrier"`
	ShipmentID   string `json:"shipment_id"`
	PublicURL    string `json:"public_url"`
	UpdatedAt    string `json:"updated_at"`
}

// maxDecodeBytes caps what DecodeEvent reads; the intake caps bodies
// before this.
const maxDecodeBytes = 8 << 20

// DecodeEvent reads a verified event. A body that is not an Event object
// with an id, or a tracker event whose result is not a tracker with a
// tracking code, is an Invalid error; it never panics, whatever the bytes.
func DecodeEvent(body []byte) (Event, error) {
	body = bytes.TrimSpace(body)
	if len(body) > maxDecodeBytes {
		return Event{}, orderhub.Errorf(orderhub.EInvalid, "easypost event: body is too large to decode")
	}
	if len(body) == 0 || body[0] != '{' {
		return Event{}, orderhub.Errorf(orderhub.EInvalid, "easypost event: the body is not a JSON object")
	}
	var raw struct {
		ID          string          `json:"id"`
		Object      string          `json:"object"`
		Description string          `json:"description"`
		Mode        string          `json:"mode"`
		Result      json.RawMessage `json:"result"`
	}
	if err := json.Unmarshal(body, &raw); err != nil {
		return Event{}, orderhub.WrapError(orderhub.EInvalid, err, "easypost event: the body is not the expected JSON")
	}
	if raw.ID == "" || raw.Description == "" {
		return Event{}, orderhub.Errorf(orderhub.EInvalid, "easypost event: id and description are required")
	}
	if raw.Object != "" && raw.Object != "Event" {
		return Event{}, orderhub.Errorf(orderhub.EInvalid, "easypost event: object is %q, not Event", raw.Object)
	}
	ev := Event{ID: raw.ID, Description: raw.Description, Mode: raw.Mode}
	if !strings.HasPrefix(raw.Description, "tracker.") {
		return ev, nil
	}
	var t TrackerUpdate
	if len(raw.Result) == 0 || raw.Result[0] != '{' || json.Unmarshal(raw.Result, &t) != nil {
		return Event{}, orderhub.Errorf(orderhub.EInvalid, "easypost event %s: the result is not a tracker", raw.ID)
	}
	if t.TrackingCode == "" || (t.Object != "" && t.Object != "Tracker") {
		return Event{}, orderhub.Errorf(orderhub.EInvalid, "easypost event %s: the result is not a tracker with a tracking code", raw.ID)
	}
	ev.Tracker = &t
	return ev, nil
}
