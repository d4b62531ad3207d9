package pgstore

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// TestTextEncodingRoundTrips checks that every string comes back exactly,
// that what PostgreSQL would store is valid UTF-8 without NUL, and that
// ordinary text is stored unchanged.
func TestTextEncodingRoundTrips(t *testing.T) {
	for _, s := range []string{
		"", "plain", "Jürgen O'Brien", `back\slash "quoted"`, "\x00", "a\x00b", "\x00\x00",
		textMarker, textMarker + "x", textMarker + `"a"`, "x" + textMarker, "\xff\xfe", "ok\x00\xc3",
	} {
		enc := encodeText(s)
		if strings.IndexByte(enc, 0) >= 0 || !utf8.ValidString(enc) {
			t.Errorf("encodeText(%q) = %q, which PostgreSQL refuses", s, enc)
		}
		if got := decodeText(enc); got != s {
			t.Errorf("decodeText(encodeText(%q)) = %q", s, got)
		}
		if !needsEncoding(s) && enc != s {
			t.Errorf("encodeText(%q) = %q, want it unchanged", s, enc)
		}
	}
}

func FuzzTextEncoding(f *testing.F) {
	f.Add("a\x00b")
	f.Add(textMarker + `"\x00"`)
	f.Fuzz(func(t *testing.T, s string) {
		enc := encodeText(s)
		if strings.IndexByte(enc, 0) >= 0 || !utf8.ValidString(enc) {
			t.Fatalf("encodeText(%q) = %q, which PostgreSQL refuses", s, enc)
		}
		if got := decodeText(enc); got != s {
			t.Fatalf("decodeText(encodeText(%q)) = %q", s, got)
		}
	})
}

func TestEncodeArgsLeavesOrdinaryArgsAlone(t *testing.T) {
	args := []any{"plain", int64(3), []byte("a\x00b"), `["SKU-A"]`}
	if out := encodeArgs("SELECT $1, $2, $3, $4::jsonb", args); &out[0] != &args[0] {
		t.Fatalf("encodeArgs copied args that need no encoding: %v", out)
	}
	out := encodeArgs("SELECT $1, $2::jsonb, $3", []any{"a\x00", `["S\u0000"]`, `["S\u0000"]`})
	if out[0] != encodeText("a\x00") {
		t.Errorf("text arg = %q", out[0])
	}
	if want := `["` + textMarker + `\"S\\x00\""]`; out[1] != want {
		t.Errorf("jsonb arg = %q, want %q", out[1], want)
	}
	if out[2] != `["S\u0000"]` {
		t.Errorf("a text arg that looks like JSON must stay as it is: %q", out[2])
	}
}

// BenchmarkEncodeArgs measures what the text encoding adds to a statement
// like a receipt insert, whose strings need no encoding: the common case.
func BenchmarkEncodeArgs(b *testing.B) {
	headers := `{"X-Shopify-Topic":"orders/create","X-Shopify-Shop-Domain":"acme.myshopify.com","X-Shopify-Webhook-Id":"b54557e4-bdd9-4b37-8a5f-bf7d70bcd043","X-Shopify-Triggered-At":"2026-11-28T11:59:00Z"}`
	args := []any{"0194e9f2-6a1b-7c3d-8e4f-5a6b7c8d9e0f", "shopify", "acme-shopify", "shopify:9f86d081884c7d659a2feaa0c55ad015", "orders/create",
		headers, []byte(`{"id":1}`), int64(1700000000000000), int64(0)}
	b.ReportAllocs()
	for b.Loop() {
		if out := encodeArgs("INSERT INTO webhook_receipts VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)", args); len(out) != len(args) {
			b.Fatal("args lost")
		}
	}
}
