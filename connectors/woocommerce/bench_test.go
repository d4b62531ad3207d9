package woocommerce

import (
	"net/http"
	"testing"
)

func BenchmarkNormalizeOrder(b *testing.B) {
	body := testdata(b, "order-1042-eur-coupon-entities.json")
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if _, err := NormalizeOrder(body); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyWebhook(b *testing.B) {
	body := testdata(b, "order-1042-eur-coupon-entities.json")
	h := http.Header{}
	h.Set(HeaderSignature, Sign("a&amp;b", body))
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if err := VerifyWebhook(h, body, "a&amp;b"); err != nil {
			b.Fatal(err)
		}
	}
}
