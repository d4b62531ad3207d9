package shopify

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/orderhub/orderhub"
)

// From bold-commerce/go-shopify's oauth_test.go (PLATFORMS.md §1).
const (
	vectorSecret = "hush"
	vectorBody   = `"my secret message"`
	vectorHmac   = "hMTq0K2x7oyOjoBwGYeTj5oxfnaVYXzbanUG9aajpKI="
)

// webhookVerifier is the shape the intake holds for every connector.
type webhookVerifier interface {
	Verify(header http.Header, body []byte, now time.Time) error
}

var _ webhookVerifier = Verifier{}

func TestSignMatchesVector(t *testing.T) {
	if len(vectorBody) != 19 {
		t.Fatalf("vector body is %d bytes, want 19", len(vectorBody))
	}
	if got := Sign(vectorSecret, []byte(vectorBody)); got != vectorHmac {
		t.Fatalf("Sign = %q, want %q", got, vectorHmac)
	}
}

func TestVerifyWebhook(t *testing.T) {
	hdr := func(v string) http.Header {
		h := http.Header{}
		if v != "" {
			h.Set(HeaderHmac, v)
		}
		return h
	}
	tests := []struct {
		name    string
		header  http.Header
		body    string
		secrets []string
		wantErr string
	}{
		{"valid", hdr(vectorHmac), vectorBody, []string{"hush"}, ""},
		{"valid with surrounding space", hdr(" " + vectorHmac + " "), vectorBody, []string{"hush"}, ""},
		{"lower-case header name", http.Header{"x-shopify-hmac-sha256": {vectorHmac}}, vectorBody, []string{"hush"}, "missing"},
		{"rotation: previous secret still accepted", hdr(vectorHmac), vectorBody, []string{"new-secret", "hush"}, ""},
		{"rotation: empty previous secret ignored", hdr(vectorHmac), vectorBody, []string{"hush", ""}, ""},
		{"wrong secret", hdr(vectorHmac), vectorBody, []string{"hush2"}, "signature does not match"},
		{"tampered body", hdr(vectorHmac), `"my secret messagE"`, []string{"hush"}, "signature does not match"},
		{"body without quotes", hdr(vectorHmac), `my secret message`, []string{"hush"}, "signature does not match"},
		{"missing header", hdr(""), vectorBody, []string{"hush"}, "X-Shopify-Hmac-Sha256 header is missing"},
		{"hex instead of base64", hdr("84c4ead0adb1ee8c8e8e80701987938f9a317e769561 7cdb6a7506f5a6a8a4a2"), vectorBody, []string{"hush"}, "not a base64"},
		{"truncated signature", hdr(vectorHmac[:20]), vectorBody, []string{"hush"}, "not a base64"},
		{"no secret configured", hdr(vectorHmac), vectorBody, []string{""}, "no Shopify webhook secret"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := VerifyWebhook(tt.header, []byte(tt.body), tt.secrets...)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("VerifyWebhook: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("VerifyWebhook passed, want %q", tt.wantErr)
			}
			if orderhub.ErrorCode(err) != orderhub.EUnauthorized {
				t.Errorf("code = %q, want unauthorized", orderhub.ErrorCode(err))
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error %q does not contain %q", err, tt.wantErr)
			}
			for _, s := range tt.secrets {
				if s != "" && strings.Contains(err.Error(), s) {
					t.Errorf("error %q contains a secret", err)
				}
			}
		})
	}
}

func TestVerifier(t *testing.T) {
	body := []byte(`{"id":1}`)
	h := SignHeaders("old", body, Delivery{Topic: "orders/paid", WebhookID: "w1"})
	now := time.Now()
	if err := (Verifier{Secret: "new", PreviousSecret: "old"}).Verify(h, body, now); err != nil {
		t.Fatalf("previous secret refused: %v", err)
	}
	if err := (Verifier{Secret: "new"}).Verify(h, body, now); err == nil {
		t.Fatal("old signature accepted once the previous secret was dropped")
	}
}

func TestSignHeadersAndDedupeKey(t *testing.T) {
	body := []byte(`{"id":820982911946154508}`)
	at := time.Date(2026, 11, 28, 1, 2, 3, 0, time.UTC)
	h := SignHeaders("s3cret", body, Delivery{
		Topic: "orders/create", ShopDomain: "acme.myshopify.com", APIVersion: "2025-01",
		WebhookID: "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043", EventID: "ev-1", TriggeredAt: at,
	})
	if err := VerifyWebhook(h, body, "s3cret"); err != nil {
		t.Fatalf("own headers do not verify: %v", err)
	}
	d := ParseDelivery(h)
	if d.ShopDomain != "acme.myshopify.com" || d.APIVersion != "2025-01" || !d.TriggeredAt.Equal(at) {
		t.Fatalf("ParseDelivery = %+v", d)
	}
	key, topic, err := DedupeKey(h, body)
	if err != nil || key != "ev-1" || topic != "orders/create" {
		t.Fatalf("DedupeKey = %q, %q, %v; want event id", key, topic, err)
	}
	h.Del(HeaderEventID)
	key, _, err = DedupeKey(h, body)
	if err != nil || key != "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043" {
		t.Fatalf("DedupeKey without event id = %q, %v; want webhook id", key, err)
	}
	h.Del(HeaderWebhookID)
	if _, _, err = DedupeKey(h, body); orderhub.ErrorCode(err) != orderhub.EInvalid || !strings.Contains(err.Error(), HeaderWebhookID) {
		t.Fatalf("DedupeKey without ids: %v", err)
	}
	h.Set(HeaderEventID, "ev-2")
	h.Del(HeaderTopic)
	if _, _, err = DedupeKey(h, body); orderhub.ErrorCode(err) != orderhub.EInvalid || !strings.Contains(err.Error(), HeaderTopic) {
		t.Fatalf("DedupeKey without topic: %v", err)
	}
}
