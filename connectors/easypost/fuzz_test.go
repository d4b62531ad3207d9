package easypost_test

import (
	"net/http"
	"testing"

	"github.com/orderhub/orderhub"
	"github.com/orderhub/orderhub/connectors/easypost"
)

// FuzzDecodeEvent: any bytes decode or give an Invalid error, never a
// panic; a tracker event always comes with a tracking code.
func FuzzDecodeEvent(f *testing.F) {
	f.Add(testdata(f, "tracker-updated.json"))
	f.Add([]byte(`{"id":"e","description":"tracker.created","result":{"tracking_code":"1"}}`))
	f.Add([]byte(`{"id":"e","description":"tracker.","result":null}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		ev, err := easypost.DecodeEvent(body)
		if err != nil {
			if orderhub.ErrorCode(err) != orderhub.EInvalid {
				t.Fatalf("error code %q, want invalid", orderhub.ErrorCode(err))
			}
			return
		}
		if ev.ID == "" || (ev.Tracker != nil && ev.Tracker.TrackingCode == "") {
			t.Fatalf("decoded an unusable event: %+v", ev)
		}
	})
}

// FuzzVerifyWebhook: any signature and body are refused unless correct,
// never a panic.
func FuzzVerifyWebhook(f *testing.F) {
	f.Add(ownSignature, testdata(f, "tracker-updated.json"), vectorSecret)
	f.Add("", []byte{}, "")
	f.Add("hmac-sha256-hex=", []byte("x"), "\xff\xfe")
	f.Fuzz(func(t *testing.T, sig string, body []byte, secret string) {
		h := http.Header{}
		h.Set("X-Hmac-Signature", sig)
		err := easypost.VerifyWebhook(h, body, secret)
		if err == nil {
			if sig != easypost.Sign(secret, body) {
				t.Fatalf("accepted a signature that is not the body's")
			}
			return
		}
		if orderhub.ErrorCode(err) != orderhub.EUnauthorized {
			t.Fatalf("error code %q, want unauthorized", orderhub.ErrorCode(err))
		}
	})
}
