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
