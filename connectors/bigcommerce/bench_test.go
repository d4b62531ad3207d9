package bigcommerce

import (
	"testing"
	"time"
)

func BenchmarkNormalizeOrder(b *testing.B) {
	order, products, addrs := testdata(b, "order-5001-kwd.json"), testdata(b, "order-5001-products.json"), testdata(b, "order-5001-shipping-addresses.json")
	b.SetBytes(int64(len(order) + len(products) + len(addrs)))
	for b.Loop() {
		if _, err := NormalizeOrder(order, products, addrs); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerify(b *testing.B) {
	now := time.Unix(1795680000, 0)
	h, err := SignHeaders(clientSecret, "msg_b", now, body)
	if err != nil {
		b.Fatal(err)
	}
	v := Verifier{ClientSecret: clientSecret}
	for b.Loop() {
		if err := v.Verify(h, body, now); err != nil {
			b.Fatal(err)
		}
	}
}
