package bigcommerce

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/orderhub/orderhub"
)

func fixture(t testing.TB, name string) []byte {
	t.Helper()
	p := filepath.Join("..", "..", "..", "shared", "fixtures", "bigcommerce", name)
	b, err := os.ReadFile(p)
	if os.IsNotExist(err) {
		t.Skipf("shared fixture %s is absent (the project keeps no copy; see PLATFORMS.md)", p)
	}
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func testdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDecodeWebhookFixture(t *testing.T) {
	e, err := DecodeWebhook(fixture(t, "webhook-store-order-created.json"))
	if err != nil {
		t.Fatal(err)
	}
	want := Event{
		Scope: "store/order/created", StoreID: "1025646", Type: "order", ID: "250", OrderID: "250",
		Hash: "dd70c0976e06b67aaf671e73f49dcb79230ebf9d", CreatedAt: time.Unix(1561479335, 0).UTC(), Producer: "stores/{store_hash}",
	}
	if e != want {
		t.Fatalf("event = %+v\nwant    %+v", e, want)
	}
	key, topic, err := DedupeKey(nil, fixture(t, "webhook-store-order-created.json"))
	if err != nil || key != "store/order/created:dd70c0976e06b67aaf671e73f49dcb79230ebf9d" || topic != "store/order/created" {
		t.Fatalf("DedupeKey = %q %q %v", key, topic, err)
	}
}

func TestDecodeWebhookTestdata(t *testing.T) {
	e, err := DecodeWebhook(testdata(t, "webhook-order-statusupdated.json"))
	if err != nil {
		t.Fatal(err)
	}
	if e.StoreID != "1025646" || e.OrderID != "5001" || e.Status == nil || e.Status.PreviousStatusID != 7 || e.Status.NewStatusID != 11 {
		t.Fatalf("status event = %+v (%+v)", e, e.Status)
	}
	s, err := DecodeWebhook(testdata(t, "webhook-shipment-created.json"))
	if err != nil {
		t.Fatal(err)
	}
	if s.Type != "shipment" || s.ID != "12" || s.OrderID != "5001" || s.Status != nil {
		t.Fatalf("shipment event = %+v", s)
	}
	// The same event's two scopes share a hash in BigCommerce's samples, so
	// the scope is part of the key.
	k1, _, _ := DedupeKey(nil, []byte(`{"scope":"store/order/created","hash":"h"}`))
	k2, _, _ := DedupeKey(nil, []byte(`{"scope":"store/order/updated","hash":"h"}`))
	if k1 == k2 || k1 == "" {
		t.Fatalf("keys %q and %q", k1, k2)
	}
}

func TestDecodeWebhookErrors(t *testing.T) {
	for _, tt := range []struct{ body, want string }{
		{``, "malformed JSON"},
		{`{"data":{"type":"order","id":1}}`, "scope: missing"},
		{`{"scope":"s","data":{"id":1.5}}`, "data.id: 1.5 is not an integer id"},
		{`{"scope":"s","data":{"id":[1]}}`, "data.id"},
		{`{"scope":"s","created_at":"yesterday"}`, "created_at"},
		{`{"scope":"s","created_at":-5}`, "created_at"},
		{`{"scope":"s","data":{"status":{"new_status_id":"x"}}}`, "data.status.new_status_id"},
		{`{"scope":"s","data":"order"}`, "data"},
	} {
		_, err := DecodeWebhook([]byte(tt.body))
		if orderhub.ErrorCode(err) != orderhub.EInvalid || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("DecodeWebhook(%s) = %v, want invalid containing %q", tt.body, err, tt.want)
		}
	}
	_, _, err := DedupeKey(nil, []byte(`{"scope":"store/order/created"}`))
	if orderhub.ErrorCode(err) != orderhub.EInvalid || !strings.Contains(err.Error(), "hash") {
		t.Errorf("DedupeKey without hash = %v", err)
	}
}
