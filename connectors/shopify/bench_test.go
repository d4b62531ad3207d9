package shopify

import (
	"net/http"
	"testing"
)

func BenchmarkNormalizeOrder(b *testing.B) {
	body := testdata(b, "order-jpy-paid-modern.json")
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if _, err := NormalizeOrder(body); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyWebhook(b *testing.B) {
	body := testdata(b, "order-jpy-paid-modern.json")
	h := http.Header{}
	h.Set(HeaderHmac, Sign("secret", body))
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if err := VerifyWebhook(h, body, "secret"); err != nil {
			b.Fatal(err)
		}
	}
}
