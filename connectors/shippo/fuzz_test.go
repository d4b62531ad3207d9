package shippo_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/orderhub/orderhub"
	"github.com/orderhub/orderhub/connectors/shippo"
)

// FuzzDecodeWebhook: any bytes decode or give an Invalid error, never a
// panic; a track or transaction event always has what re-fetching needs.
func FuzzDecodeWebhook(f *testing.F) {
	f.Add(testdata(f, "track-updated.json"))
	f.Add(testdata(f, "transaction-updated.json"))
	f.Add([]byte(`{"event":"all","data":null}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		w, err := shippo.DecodeWebhook(body)
		if err != nil {
			if orderhub.ErrorCode(err) != orderhub.EInvalid {
				t.Fatalf("error code %q, want invalid", orderhub.ErrorCode(err))
			}
			return
		}
		switch w.Event {
		case shippo.EventTrackUpdated:
			if w.Carrier == "" || w.TrackingNumber == "" {
				t.Fatalf("track event without its keys: %+v", w)
			}
		case shippo.EventTransactionCreated, shippo.EventTransactionUpdated:
			if w.TransactionID == "" {
				t.Fatalf("transaction event without its id: %+v", w)
			}
		}
	})
}

// FuzzVerify: any header, token and body are refused unless correct,
// never a panic.
func FuzzVerify(f *testing.F) {
	now := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	body := testdata(f, "track-updated.json")
	f.Add(shippo.SignHMAC("whsecret", now, body), "tok", body)
	f.Add("t=,v1=", "", []byte{})
	f.Add("t=-1,v1=00,v1=zz,t=99999999999999999999", "whsecret", []byte("x"))
	f.Fuzz(func(t *testing.T, sig, token string, body []byte) {
		h := http.Header{}
		h.Set("Shippo-Auth-Signature", sig)
		if err := shippo.VerifyHMAC(h, body, "whsecret", now, 0); err != nil && orderhub.ErrorCode(err) != orderhub.EUnauthorized {
			t.Fatalf("HMAC error code %q", orderhub.ErrorCode(err))
		}
		if err := shippo.VerifyToken(token, "whsecret"); (err == nil) != (token == "whsecret") {
			t.Fatalf("token %q: err %v", token, err)
		}
	})
}
