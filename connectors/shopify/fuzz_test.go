package shopify

import (
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/orderhub/orderhub"
)

// seed adds every JSON file of testdata and, where present, the shared
// Shopify fixtures to a fuzz corpus.
func seed(f *testing.F) {
	for _, dir := range []string{"testdata", filepath.Join("..", "..", "..", "shared", "fixtures", "shopify")} {
		files, _ := filepath.Glob(filepath.Join(dir, "*.json"))
		for _, p := range files {
			if b, err := os.ReadFile(p); err == nil {
				f.Add(b)
			}
		}
	}
	f.Add([]byte(`{"id":1,"currency":"USD","line_items":[{"id":2,"price":"1.00","quantity":1,"properties":{"a":[1]}}]}`))
	f.Add([]byte(`{"order":{"id":"x"}}`))
	f.Add([]byte(``))
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
			for _, m := range []orderhub.Money{l.UnitPrice, l.Discount, l.Tax} {
				if m.Currency != o.Currency {
					t.Fatalf("line money in %q, order in %q", m.Currency, o.Currency)
				}
			}
			if l.Cancelled < 0 || l.Cancelled > l.Quantity {
				t.Fatalf("cancelled %d of %d", l.Cancelled, l.Quantity)
			}
		}
	})
}

func FuzzDecodeRefund(f *testing.F) {
	seed(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		r, err := DecodeRefund(body, "")
		if err != nil {
			if orderhub.ErrorCode(err) != orderhub.EInvalid {
				t.Fatalf("error code %q: %v", orderhub.ErrorCode(err), err)
			}
			return
		}
		if r.OrderID == "" {
			t.Fatal("refund accepted without order id")
		}
	})
}

func FuzzVerifyWebhook(f *testing.F) {
	f.Add([]byte(vectorBody), vectorHmac, "hush")
	f.Add([]byte{}, "", "")
	f.Add([]byte("{}"), "====", "k")
	f.Fuzz(func(t *testing.T, body []byte, sig, secret string) {
		h := http.Header{}
		h.Set(HeaderHmac, sig)
		if err := VerifyWebhook(h, body, secret); err != nil && orderhub.ErrorCode(err) != orderhub.EUnauthorized {
			t.Fatalf("error code %q: %v", orderhub.ErrorCode(err), err)
		}
		if secret != "" {
			h.Set(HeaderHmac, Sign(secret, body))
			if err := VerifyWebhook(h, body, secret); err != nil {
				t.Fatalf("own signature refused: %v", err)
			}
		}
	})
}

func FuzzDedupeKey(f *testing.F) {
	f.Add("orders/create", "ev", "wh", []byte("{}"))
	f.Add("", "", "", []byte(nil))
	f.Fuzz(func(t *testing.T, topic, event, webhook string, body []byte) {
		h := http.Header{}
		h.Set(HeaderTopic, topic)
		h.Set(HeaderEventID, event)
		h.Set(HeaderWebhookID, webhook)
		key, top, err := DedupeKey(h, body)
		if err != nil {
			if orderhub.ErrorCode(err) != orderhub.EInvalid {
				t.Fatalf("error code %q: %v", orderhub.ErrorCode(err), err)
			}
			return
		}
		if key == "" || top == "" {
			t.Fatalf("empty key %q or topic %q without error", key, top)
		}
	})
}
