package woocommerce

import (
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/orderhub/orderhub"
)

func seed(f *testing.F) {
	for _, dir := range []string{"testdata", filepath.Join("..", "..", "..", "shared", "fixtures", "woocommerce")} {
		files, _ := filepath.Glob(filepath.Join(dir, "*.json"))
		for _, p := range files {
			if b, err := os.ReadFile(p); err == nil {
				f.Add(b)
			}
		}
	}
	f.Add([]byte(`{"id":1,"currency":"USD","line_items":[{"id":2,"quantity":0,"subtotal":"1","price":1e400}]}`))
	f.Add([]byte(`webhook_id=1`))
}

func FuzzNormalizeOrder(f *testing.F) {
	seed(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		o, err := NormalizeOrder(body)
		if err != nil {
			if orderhub.ErrorCode(err) != orderhub.EInvalid {
				t.Fatalf("error code %q: %v", orderhub.ErrorCode(err), err)
			}
			return
		}
		if o.ExternalID == "" || !o.Status.Valid() {
			t.Fatalf("accepted order without id or with status %q", o.Status)
		}
		for _, l := range o.Lines {
			if l.UnitPrice.Currency != o.Currency || l.Discount.Currency != o.Currency || l.Tax.Currency != o.Currency {
				t.Fatalf("line currency differs from %q: %+v", o.Currency, l)
			}
		}
	})
}

func FuzzVerifyWebhook(f *testing.F) {
	f.Add([]byte(`{"id":1}`), "", "a&amp;b")
	f.Add([]byte{}, "AAAA", "")
	f.Fuzz(func(t *testing.T, body []byte, sig, secret string) {
		h := http.Header{}
		h.Set(HeaderSignature, sig)
		if err := VerifyWebhook(h, body, secret); err != nil && orderhub.ErrorCode(err) != orderhub.EUnauthorized {
			t.Fatalf("error code %q: %v", orderhub.ErrorCode(err), err)
		}
		if secret != "" {
			h.Set(HeaderSignature, Sign(secret, body))
			if err := VerifyWebhook(h, body, secret); err != nil {
				t.Fatalf("own signature refused: %v", err)
			}
		}
		_ = DecodeSecret(secret)
	})
}

func FuzzIsPing(f *testing.F) {
	f.Add("application/x-www-form-urlencoded", []byte("webhook_id=12"))
	f.Add("", []byte("%zz"))
	f.Fuzz(func(t *testing.T, ct string, body []byte) {
		h := http.Header{}
		h.Set("Content-Type", ct)
		if IsPing(h, body) {
			h.Set(HeaderSignature, "x")
			if IsPing(h, body) {
				t.Fatal("a signed request was taken for a ping")
			}
		}
	})
}

func FuzzDedupeKey(f *testing.F) {
	seed(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		h := http.Header{}
		h.Set(HeaderTopic, "order.updated")
		h.Set(HeaderWebhookID, "9")
		key, _, err := DedupeKey(h, body)
		if err != nil {
			if orderhub.ErrorCode(err) != orderhub.EInvalid {
				t.Fatalf("error code %q: %v", orderhub.ErrorCode(err), err)
			}
			return
		}
		if len(key) < len("9:x:y") {
			t.Fatalf("short key %q", key)
		}
	})
}
