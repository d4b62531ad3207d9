package bigcommerce

import (
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/orderhub/orderhub"
)

func read(name string) []byte {
	for _, dir := range []string{"testdata", filepath.Join("..", "..", "..", "shared", "fixtures", "bigcommerce")} {
		if b, err := os.ReadFile(filepath.Join(dir, name)); err == nil {
			return b
		}
	}
	return nil
}

func FuzzNormalizeOrder(f *testing.F) {
	f.Add(read("order-5001-kwd.json"), read("order-5001-products.json"), read("order-5001-shipping-addresses.json"))
	f.Add(read("order-v2-218-get-response.json"), read("order-v2-products-collection-response.json"), []byte(nil))
	f.Add([]byte(`{"id":1,"status_id":"11","currency_code":"JPY","total_inc_tax":100}`), []byte(`[{"id":1,"quantity":"2","price_ex_tax":1.5}]`), []byte(`null`))
	f.Fuzz(func(t *testing.T, order, products, addrs []byte) {
		o, err := NormalizeOrder(order, products, addrs)
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

func FuzzDecodeWebhook(f *testing.F) {
	for _, n := range []string{"webhook-store-order-created.json", "webhook-order-statusupdated.json", "webhook-shipment-created.json"} {
		if b := read(n); b != nil {
			f.Add(b)
		}
	}
	f.Add([]byte(`{"scope":"x","hash":"y","created_at":1e3}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		e, err := DecodeWebhook(body)
		if err != nil {
			if orderhub.ErrorCode(err) != orderhub.EInvalid {
				t.Fatalf("error code %q: %v", orderhub.ErrorCode(err), err)
			}
			return
		}
		if e.Scope == "" {
			t.Fatal("event accepted without scope")
		}
		key, _, err := DedupeKey(nil, body)
		if err == nil && key != e.Scope+":"+e.Hash {
			t.Fatalf("key %q for %+v", key, e)
		}
	})
}

func FuzzVerify(f *testing.F) {
	f.Add([]byte(`{}`), "msg", "1795680000", "v1,abc", "secret", "X-Token", "v")
	f.Add([]byte(nil), "", "", "", "", "", "")
	now := time.Unix(1795680000, 0)
	f.Fuzz(func(t *testing.T, body []byte, id, ts, sig, secret, hname, hval string) {
		h := http.Header{}
		h.Set("webhook-id", id)
		h.Set("webhook-timestamp", ts)
		h.Set("webhook-signature", sig)
		if http.CanonicalHeaderKey(hname) != "" {
			h.Set(hname, hval)
		}
		v := Verifier{ClientSecret: secret, CustomHeader: hname, CustomValue: hval}
		if err := v.Verify(h, body, now); err != nil && orderhub.ErrorCode(err) != orderhub.EUnauthorized {
			t.Fatalf("error code %q: %v", orderhub.ErrorCode(err), err)
		}
		if secret != "" && id != "" && id == strings.TrimSpace(id) {
			sh, err := SignHeaders(secret, id, now, body)
			if err != nil {
				return // a whsec_ secret that is not base64
			}
			if err := (Verifier{ClientSecret: secret}).Verify(sh, body, now.Add(time.Minute)); err != nil {
				t.Fatalf("own signature refused (ts %s): %v", strconv.FormatInt(now.Unix(), 10), err)
			}
		}
	})
}
