package woocommerce

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/orderhub/orderhub"
)

// signWithKey signs with a key used verbatim, independent of Sign, so the
// tests check DecodeSecret against a hand-decoded key.
func signWithKey(key string, body []byte) string {
	m := hmac.New(sha256.New, []byte(key))
	m.Write(body)
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// webhookVerifier is the shape the intake holds for every connector.
type webhookVerifier interface {
	Verify(header http.Header, body []byte, now time.Time) error
}

var _ webhookVerifier = Verifier{}

func TestDecodeSecret(t *testing.T) {
	tests := map[string]string{
		"plain":                 "plain",
		"a&amp;b":               "a&b",
		"&lt;&gt;&quot;":        `<>"`,
		"it&#039;s":             "it's",
		"it&#39;s":              "it's",
		"it&#0039;s":            "it's",
		"it&#x27;s":             "it's",
		"it&#X027;s":            "it's",
		"&#38;&#x26;&#034;":     `&&"`,
		"&amp;lt;":              "&lt;", // one pass, like PHP strtr
		"&AMP;":                 "&AMP;",
		"&ndash;&nbsp;&copy;":   "&ndash;&nbsp;&copy;", // not in ENT_QUOTES' set
		"a&b":                   "a&b",
		"&":                     "&",
		"ck_&amp;&amp;x&#039;y": "ck_&&x'y",
	}
	for in, want := range tests {
		if got := DecodeSecret(in); got != want {
			t.Errorf("DecodeSecret(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestVerifyWebhook(t *testing.T) {
	body := []byte(`{"id":727,"status":"processing","_links":{"self":[{"href":"https:\/\/example.com\/wp-json\/wc\/v3\/orders\/727"}]}}`)
	hdr := func(sig string) http.Header {
		h := http.Header{}
		if sig != "" {
			h.Set(HeaderSignature, sig)
		}
		return h
	}
	tests := []struct {
		name    string
		header  http.Header
		body    []byte
		secrets []string
		wantErr string
	}{
		{"valid", hdr(signWithKey("s3cr3t", body)), body, []string{"s3cr3t"}, ""},
		{"entity-encoded secret signs with decoded key", hdr(signWithKey("a&b", body)), body, []string{"a&amp;b"}, ""},
		{"entity secret: raw key is not what Woo uses", hdr(signWithKey("a&amp;b", body)), body, []string{"a&amp;b"}, "signature does not match"},
		{"quote entities", hdr(signWithKey(`k'"<>`, body)), body, []string{"k&#039;&quot;&lt;&gt;"}, ""},
		{"previous secret", hdr(signWithKey("old", body)), body, []string{"new", "old"}, ""},
		{"wrong secret", hdr(signWithKey("s3cr3t", body)), body, []string{"other"}, "signature does not match"},
		{"tampered body (slashes unescaped)", hdr(signWithKey("s3cr3t", body)), []byte(strings.ReplaceAll(string(body), `\/`, `/`)), []string{"s3cr3t"}, "signature does not match"},
		{"missing header", hdr(""), body, []string{"s3cr3t"}, "X-Wc-Webhook-Signature header is missing"},
		{"garbage header", hdr("not base64!"), body, []string{"s3cr3t"}, "not a base64"},
		{"no secret", hdr(signWithKey("s3cr3t", body)), body, nil, "no WooCommerce webhook secret"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := VerifyWebhook(tt.header, tt.body, tt.secrets...)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("VerifyWebhook: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("passed, want %q", tt.wantErr)
			}
			if orderhub.ErrorCode(err) != orderhub.EUnauthorized {
				t.Errorf("code %q", orderhub.ErrorCode(err))
			}
			if !strings.Contains(strings.ToLower(err.Error()), strings.ToLower(tt.wantErr)) {
				t.Errorf("error %q does not contain %q", err, tt.wantErr)
			}
			for _, s := range tt.secrets {
				if strings.Contains(err.Error(), s) {
					t.Errorf("error %q contains a secret", err)
				}
			}
		})
	}
}

func TestSignUsesDecodedSecret(t *testing.T) {
	body := []byte(`{"id":1}`)
	if Sign("a&amp;b", body) != signWithKey("a&b", body) {
		t.Fatal("Sign does not decode entities in the secret")
	}
	v := Verifier{Secret: "a&amp;b"}
	if err := v.Verify(SignHeaders("a&amp;b", body, Delivery{Topic: "order.created"}), body, time.Now()); err != nil {
		t.Fatal(err)
	}
}

func TestIsPing(t *testing.T) {
	form := func(ct string) http.Header {
		h := http.Header{}
		if ct != "" {
			h.Set("Content-Type", ct)
		}
		return h
	}
	signed := form("application/x-www-form-urlencoded")
	signed.Set(HeaderSignature, "abc=")
	tests := []struct {
		name   string
		header http.Header
		body   string
		want   bool
	}{
		{"form ping", form("application/x-www-form-urlencoded"), "webhook_id=12", true},
		{"form ping with charset", form("application/x-www-form-urlencoded; charset=UTF-8"), "webhook_id=12", true},
		{"untyped ping", form(""), "webhook_id=7", true},
		{"json body", form("application/json"), `{"webhook_id":12}`, false},
		{"form body typed json", form("application/json"), "webhook_id=12", false},
		{"signed", signed, "webhook_id=12", false},
		{"extra field", form("application/x-www-form-urlencoded"), "webhook_id=12&x=1", false},
		{"repeated id", form("application/x-www-form-urlencoded"), "webhook_id=12&webhook_id=13", false},
		{"non-numeric id", form("application/x-www-form-urlencoded"), "webhook_id=abc", false},
		{"empty id", form("application/x-www-form-urlencoded"), "webhook_id=", false},
		{"empty body", form("application/x-www-form-urlencoded"), "", false},
		{"bad content type", form(";;;"), "webhook_id=12", false},
	}
	for _, tt := range tests {
		if got := IsPing(tt.header, []byte(tt.body)); got != tt.want {
			t.Errorf("%s: IsPing = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestDedupeKey(t *testing.T) {
	body := []byte(`{"id":727,"date_modified":"2017-03-22T16:28:08","date_modified_gmt":"2017-03-22T19:28:08"}`)
	h := SignHeaders("k", body, Delivery{Topic: "order.updated", WebhookID: "14", DeliveryID: "d41d8cd98f00"})
	if h.Get(HeaderResource) != "order" || h.Get(HeaderEvent) != "updated" {
		t.Fatalf("resource/event headers = %q/%q", h.Get(HeaderResource), h.Get(HeaderEvent))
	}
	key, topic, err := DedupeKey(h, body)
	if err != nil || key != "14:727:2017-03-22T19:28:08" || topic != "order.updated" {
		t.Fatalf("DedupeKey = %q %q %v", key, topic, err)
	}
	// Same order, a later change: a different key even with the same delivery id.
	later := []byte(`{"id":727,"date_modified_gmt":"2017-03-22T19:29:00"}`)
	if k2, _, _ := DedupeKey(h, later); k2 == key {
		t.Fatal("a later modification got the same key")
	}
	// Without the GMT date the local one is used.
	k3, _, err := DedupeKey(h, []byte(`{"id":"727","date_modified":"2017-03-22T16:28:08"}`))
	if err != nil || k3 != "14:727:2017-03-22T16:28:08" {
		t.Fatalf("fallback key = %q %v", k3, err)
	}
	// A deleted body has only an id.
	hd := SignHeaders("k", nil, Delivery{Topic: "order.deleted", WebhookID: "14", DeliveryID: "abc"})
	k4, _, err := DedupeKey(hd, []byte(`{"id":727}`))
	if err != nil || k4 != "14:727:deleted:abc" {
		t.Fatalf("deleted key = %q %v", k4, err)
	}
	// The topic is rebuilt from resource + event.
	hr := http.Header{}
	hr.Set(HeaderResource, "order")
	hr.Set(HeaderEvent, "created")
	hr.Set(HeaderWebhookID, "3")
	if _, topic, err := DedupeKey(hr, body); err != nil || topic != "order.created" {
		t.Fatalf("topic from resource/event = %q %v", topic, err)
	}

	for _, tt := range []struct {
		name string
		h    http.Header
		body string
		want string
	}{
		{"no webhook id", SignHeaders("k", nil, Delivery{Topic: "order.updated"}), string(body), HeaderWebhookID},
		{"no topic", SignHeaders("k", nil, Delivery{WebhookID: "1"}), string(body), HeaderTopic},
		{"no date", h, `{"id":727}`, "date_modified_gmt"},
		{"no id", h, `{"date_modified_gmt":"2017-03-22T19:28:08"}`, "id is missing"},
		{"float id", h, `{"id":7.5,"date_modified_gmt":"x"}`, "not an integer id"},
		{"deleted without delivery id", SignHeaders("k", nil, Delivery{Topic: "order.deleted", WebhookID: "1"}), `{"id":1}`, HeaderDeliveryID},
		{"not json", h, `webhook_id=1`, "malformed JSON"},
	} {
		_, _, err := DedupeKey(tt.h, []byte(tt.body))
		if orderhub.ErrorCode(err) != orderhub.EInvalid || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err = %v, want invalid containing %q", tt.name, err, tt.want)
		}
	}
}
