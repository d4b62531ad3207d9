package bigcommerce

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/orderhub/orderhub"
)

const clientSecret = "bc-client-secret-7f3a"

var body = []byte(`{"scope":"store/order/created","store_id":"1025646","data":{"type":"order","id":250},"hash":"dd70c0976e06b67aaf671e73f49dcb79230ebf9d","created_at":1561479335,"producer":"stores/{store_hash}"}`)

// handSigned builds the headers from the spec by hand, with the raw client
// secret as the HMAC key: the library BigCommerce's docs use is given
// base64(client_secret) and decodes it back to these bytes.
func handSigned(key, id string, ts int64, body []byte) http.Header {
	m := hmac.New(sha256.New, []byte(key))
	m.Write([]byte(id + "." + strconv.FormatInt(ts, 10) + "."))
	m.Write(body)
	h := http.Header{}
	h.Set("webhook-id", id)
	h.Set("webhook-timestamp", strconv.FormatInt(ts, 10))
	h.Set("webhook-signature", "v1,"+base64.StdEncoding.EncodeToString(m.Sum(nil)))
	return h
}

// webhookVerifier is the shape the intake holds for every connector.
type webhookVerifier interface {
	Verify(header http.Header, body []byte, now time.Time) error
}

var _ webhookVerifier = Verifier{}

func TestVerifySignature(t *testing.T) {
	const ts = 1795680000
	now := time.Unix(ts, 0).Add(10 * time.Second)
	good := handSigned(clientSecret, "msg_1", ts, body)
	tests := []struct {
		name    string
		header  http.Header
		body    []byte
		now     time.Time
		secrets []string
		wantErr string
	}{
		{"valid", good, body, now, []string{clientSecret}, ""},
		{"previous secret during rotation", good, body, now, []string{"new-secret", clientSecret}, ""},
		{"wrong secret", good, body, now, []string{"other"}, "signature does not match"},
		{"base64 of the secret is not the key", good, body, now, []string{base64.StdEncoding.EncodeToString([]byte(clientSecret))}, "signature does not match"},
		{"tampered body", good, append([]byte(" "), body...), now, []string{clientSecret}, "signature does not match"},
		{"too old", good, body, time.Unix(ts, 0).Add(6 * time.Minute), []string{clientSecret}, "old"},
		{"in the future", good, body, time.Unix(ts, 0).Add(-6 * time.Minute), []string{clientSecret}, "future"},
		{"missing signature", http.Header{"Webhook-Id": {"msg_1"}, "Webhook-Timestamp": {"1795680000"}}, body, now, []string{clientSecret}, "webhook-signature header is missing"},
		{"multiple signatures, rotated key second", func() http.Header {
			h := handSigned("old-secret", "msg_1", ts, body)
			h.Set("webhook-signature", h.Get("webhook-signature")+" "+good.Get("webhook-signature"))
			return h
		}(), body, now, []string{clientSecret}, ""},
		{"no secret", good, body, now, nil, "no webhook signing key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := VerifySignature(tt.header, tt.body, tt.now, tt.secrets...)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("VerifySignature: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("passed, want %q", tt.wantErr)
			}
			if orderhub.ErrorCode(err) != orderhub.EUnauthorized || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("err = %v (code %s), want unauthorized containing %q", err, orderhub.ErrorCode(err), tt.wantErr)
			}
			if strings.Contains(err.Error(), clientSecret) {
				t.Errorf("error leaks the secret: %v", err)
			}
		})
	}
}

func TestVerifierCustomHeader(t *testing.T) {
	now := time.Unix(1795680000, 0)
	signed, err := SignHeaders(clientSecret, "msg_2", now, body)
	if err != nil {
		t.Fatal(err)
	}
	withHeader := func(h http.Header, v string) http.Header {
		c := h.Clone()
		c.Set("X-Orderhub-Token", v)
		return c
	}
	tests := []struct {
		name    string
		v       Verifier
		header  http.Header
		wantErr string
	}{
		{"signature only", Verifier{ClientSecret: clientSecret}, signed, ""},
		{"custom header only", Verifier{CustomHeader: "x-orderhub-token", CustomValue: "tok-123"}, withHeader(http.Header{}, "tok-123"), ""},
		{"custom header wrong", Verifier{CustomHeader: "X-Orderhub-Token", CustomValue: "tok-123"}, withHeader(http.Header{}, "tok-124"), "X-Orderhub-Token header does not match"},
		{"custom header prefix", Verifier{CustomHeader: "X-Orderhub-Token", CustomValue: "tok-123"}, withHeader(http.Header{}, "tok-12"), "does not match"},
		{"custom header missing", Verifier{CustomHeader: "X-Orderhub-Token", CustomValue: "tok-123"}, http.Header{}, "X-Orderhub-Token header is missing"},
		{"custom header repeated", Verifier{CustomHeader: "X-Orderhub-Token", CustomValue: "tok-123"}, http.Header{"X-Orderhub-Token": {"tok-123", "x"}}, "does not match"},
		{"custom header without configured value", Verifier{CustomHeader: "X-Orderhub-Token"}, withHeader(http.Header{}, ""), "no value is configured"},
		{"both, both good", Verifier{ClientSecret: clientSecret, CustomHeader: "X-Orderhub-Token", CustomValue: "tok-123"}, withHeader(signed, "tok-123"), ""},
		{"both, header bad", Verifier{ClientSecret: clientSecret, CustomHeader: "X-Orderhub-Token", CustomValue: "tok-123"}, withHeader(signed, "nope"), "does not match"},
		{"both, signature missing", Verifier{ClientSecret: clientSecret, CustomHeader: "X-Orderhub-Token", CustomValue: "tok-123"}, withHeader(http.Header{}, "tok-123"), "webhook-id header is missing"},
		{"nothing configured", Verifier{}, signed, "no BigCommerce client secret or custom header"},
		{"tight tolerance", Verifier{ClientSecret: clientSecret, Tolerance: time.Second}, handSigned(clientSecret, "m", now.Unix()-5, body), "old"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.v.Verify(tt.header, body, now)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("Verify: %v", err)
				}
				return
			}
			if orderhub.ErrorCode(err) != orderhub.EUnauthorized || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("err = %v, want unauthorized containing %q", err, tt.wantErr)
			}
			if err != nil && strings.Contains(err.Error(), "tok-123") {
				t.Errorf("error leaks the header value: %v", err)
			}
		})
	}
}

func TestSignHeadersMatchesHandSigned(t *testing.T) {
	ts := time.Unix(1795680000, 0)
	h, err := SignHeaders(clientSecret, "msg_3", ts, body)
	if err != nil {
		t.Fatal(err)
	}
	want := handSigned(clientSecret, "msg_3", ts.Unix(), body)
	if h.Get("Webhook-Signature") != want.Get("Webhook-Signature") || h.Get("Webhook-Timestamp") != "1795680000" || h.Get("Webhook-Id") != "msg_3" {
		t.Fatalf("Sign = %v, want %v", h, want)
	}
	if _, err := SignHeaders("", "m", ts, body); err == nil {
		t.Fatal("Sign accepted an empty secret")
	}
}
