package standardwebhooks

import (
	"encoding/base64"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/orderhub/orderhub"
)

// The Standard Webhooks reference libraries' published test vector.
const (
	vectorSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	vectorID     = "msg_p5jXN8AQM9LWM0D4loKWxJek"
	vectorTS     = 1614265330
	vectorBody   = `{"test": 2432232314}`
	vectorSig    = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
)

func vectorKey(t *testing.T) []byte {
	t.Helper()
	k, err := DecodeSecret(vectorSecret)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestSignMatchesSpecVector(t *testing.T) {
	got := Sign(vectorKey(t), vectorID, time.Unix(vectorTS, 0), []byte(vectorBody))
	if got != vectorSig {
		t.Fatalf("Sign = %q, want %q", got, vectorSig)
	}
}

func TestDecodeSecret(t *testing.T) {
	raw, err := DecodeSecret("plain-client-secret")
	if err != nil || string(raw) != "plain-client-secret" {
		t.Fatalf("raw secret: %q, %v", raw, err)
	}
	want := []byte("0123456789abcdefghij")
	enc := base64.StdEncoding.EncodeToString(want)
	for _, s := range []string{SecretPrefix + enc, SecretPrefix + strings.TrimRight(enc, "=")} {
		k, err := DecodeSecret(s)
		if err != nil || string(k) != string(want) {
			t.Errorf("DecodeSecret(%q) = %q, %v", s, k, err)
		}
	}
	for _, bad := range []string{"", "whsec_", "whsec_!!notbase64!!"} {
		_, err := DecodeSecret(bad)
		if orderhub.ErrorCode(err) != orderhub.EInvalid {
			t.Errorf("DecodeSecret(%q) err = %v, want invalid", bad, err)
		}
		if bad != "" && bad != "whsec_" && strings.Contains(orderhub.ErrorMessage(err), "notbase64") {
			t.Errorf("error repeats the secret: %v", err)
		}
	}
}

func TestVerify(t *testing.T) {
	key := vectorKey(t)
	now := time.Unix(vectorTS, 0).Add(30 * time.Second)
	body := []byte(vectorBody)
	good := func() http.Header {
		h := http.Header{}
		h.Set("Webhook-Id", vectorID)
		h.Set("Webhook-Timestamp", "1614265330")
		h.Set("Webhook-Signature", vectorSig)
		return h
	}
	other := []byte("another key")

	tests := []struct {
		name    string
		header  func() http.Header
		body    []byte
		now     time.Time
		keys    [][]byte
		wantErr string // substring; "" means valid
	}{
		{"valid", good, body, now, [][]byte{key}, ""},
		{"valid with rotation, new key second", good, body, now, [][]byte{other, key}, ""},
		{"wrong key", good, body, now, [][]byte{other}, "signature does not match"},
		{"no key", good, body, now, nil, "no webhook signing key"},
		{"empty key", good, body, now, [][]byte{{}}, "no webhook signing key"},
		{"tampered body", good, []byte(`{"test": 2432232315}`), now, [][]byte{key}, "signature does not match"},
		{"missing id", func() http.Header { h := good(); h.Del(HeaderID); return h }, body, now, [][]byte{key}, "webhook-id header is missing"},
		{"missing timestamp", func() http.Header { h := good(); h.Del(HeaderTimestamp); return h }, body, now, [][]byte{key}, "webhook-timestamp header is missing"},
		{"missing signature", func() http.Header { h := good(); h.Del(HeaderSignature); return h }, body, now, [][]byte{key}, "webhook-signature header is missing"},
		{"changed id", func() http.Header { h := good(); h.Set(HeaderID, "msg_other"); return h }, body, now, [][]byte{key}, "signature does not match"},
		{"timestamp not numeric", func() http.Header { h := good(); h.Set(HeaderTimestamp, "1614265330.0"); return h }, body, now, [][]byte{key}, "not a Unix time"},
		{"negative timestamp", func() http.Header { h := good(); h.Set(HeaderTimestamp, "-1"); return h }, body, now, [][]byte{key}, "not a Unix time"},
		{"too old", good, body, time.Unix(vectorTS, 0).Add(5*time.Minute + time.Second), [][]byte{key}, "old"},
		{"exactly at tolerance", good, body, time.Unix(vectorTS, 0).Add(5 * time.Minute), [][]byte{key}, ""},
		{"in the future", good, body, time.Unix(vectorTS, 0).Add(-5*time.Minute - time.Second), [][]byte{key}, "future"},
		{"several signatures, one good", func() http.Header {
			h := good()
			h.Set(HeaderSignature, "v1,Ym9ndXM= v1a,c29tZXRoaW5n "+vectorSig)
			return h
		}, body, now, [][]byte{key}, ""},
		{"only other versions", func() http.Header { h := good(); h.Set(HeaderSignature, "v2,"+vectorSig[3:]); return h }, body, now, [][]byte{key}, "no v1 signature"},
		{"signature not base64", func() http.Header { h := good(); h.Set(HeaderSignature, "v1,@@@"); return h }, body, now, [][]byte{key}, "signature does not match"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msg, err := Verify(tt.header(), tt.body, tt.now, 0, tt.keys...)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("Verify: %v", err)
				}
				if msg.ID != vectorID || msg.Timestamp.Unix() != vectorTS || msg.Timestamp.Location() != time.UTC {
					t.Fatalf("message = %+v", msg)
				}
				return
			}
			if err == nil {
				t.Fatalf("Verify succeeded, want error containing %q", tt.wantErr)
			}
			if orderhub.ErrorCode(err) != orderhub.EUnauthorized {
				t.Errorf("code = %s, want unauthorized", orderhub.ErrorCode(err))
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error %q does not contain %q", err, tt.wantErr)
			}
			if strings.Contains(err.Error(), vectorSecret[6:]) {
				t.Errorf("error leaks the secret: %v", err)
			}
		})
	}
}

func TestCustomTolerance(t *testing.T) {
	key := []byte("k")
	ts := time.Unix(1700000000, 0)
	h := SignHeaders(key, "id-1", ts, []byte("{}"))
	if _, err := Verify(h, []byte("{}"), ts.Add(time.Minute), 30*time.Second, key); err == nil {
		t.Fatal("a 1 minute old message passed a 30 s tolerance")
	}
	if _, err := Verify(h, []byte("{}"), ts.Add(20*time.Second), 30*time.Second, key); err != nil {
		t.Fatalf("within tolerance: %v", err)
	}
}

func TestSignHeadersRoundTrip(t *testing.T) {
	key := []byte("raw-client-secret")
	ts := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	body := []byte(`{"scope":"store/order/created"}`)
	h := SignHeaders(key, "abc", ts, body)
	if h.Get(HeaderTimestamp) != "1795867200" {
		t.Fatalf("timestamp header = %q", h.Get(HeaderTimestamp))
	}
	if !strings.HasPrefix(h.Get(HeaderSignature), "v1,") {
		t.Fatalf("signature header = %q", h.Get(HeaderSignature))
	}
	if _, err := Verify(h, body, ts, 0, key); err != nil {
		t.Fatalf("round trip: %v", err)
	}
}

func FuzzVerify(f *testing.F) {
	f.Add(vectorID, "1614265330", vectorSig, []byte(vectorBody), []byte("k"))
	f.Add("", "", "", []byte{}, []byte{})
	f.Add("id", "99999999999999999999", "v1,=== v1, ,", []byte("x"), []byte("k"))
	now := time.Unix(vectorTS, 0)
	f.Fuzz(func(t *testing.T, id, ts, sig string, body, key []byte) {
		h := http.Header{}
		h.Set(HeaderID, id)
		h.Set(HeaderTimestamp, ts)
		h.Set(HeaderSignature, sig)
		if _, err := Verify(h, body, now, 0, key); err != nil && orderhub.ErrorCode(err) != orderhub.EUnauthorized {
			t.Fatalf("error code %s: %v", orderhub.ErrorCode(err), err)
		}
		// Whatever the inputs, a message we sign ourselves verifies.
		if len(key) > 0 && strings.TrimSpace(id) == id && id != "" {
			sh := SignHeaders(key, id, now, body)
			if _, err := Verify(sh, body, now, 0, key); err != nil {
				t.Fatalf("own signature refused: %v", err)
			}
		}
	})
}

func FuzzDecodeSecret(f *testing.F) {
	f.Add(vectorSecret)
	f.Add("whsec_")
	f.Add("raw")
	f.Fuzz(func(t *testing.T, s string) {
		k, err := DecodeSecret(s)
		if err == nil && len(k) == 0 {
			t.Fatalf("DecodeSecret(%q) returned an empty key without error", s)
		}
	})
}
