package woocommerce

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/orderhub/orderhub"
)

func fixture(t testing.TB, name string) []byte {
	t.Helper()
	p := filepath.Join("..", "..", "..", "shared", "fixtures", "woocommerce", name)
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

func m(amount int64, cur string) orderhub.Money { return orderhub.Money{Amount: amount, Currency: cur} }

func eqMoney(t *testing.T, what string, got, want orderhub.Money) {
	t.Helper()
	if got != want {
		t.Errorf("%s = %d %s, want %s", what, got.Amount, got.Currency, want.Display())
	}
}

func TestNormalizeFixtureOrder727(t *testing.T) {
	o, err := NormalizeOrder(fixture(t, "order-727-processing-2-line-items-tax-shipping.json"))
	if err != nil {
		t.Fatal(err)
	}
	if o.Platform != orderhub.PlatformWooCommerce || o.ExternalID != "727" || o.ExternalNumber != "727" || o.Currency != "USD" {
		t.Fatalf("ids %q %q %q %q", o.Platform, o.ExternalID, o.ExternalNumber, o.Currency)
	}
	if o.PlatformStatus != "processing" || o.Status != orderhub.StatusPaid {
		t.Fatalf("status %q → %q", o.PlatformStatus, o.Status)
	}
	paid := time.Date(2017, 3, 22, 19, 28, 8, 0, time.UTC)
	if o.PaidAt == nil || !o.PaidAt.Equal(paid) {
		t.Errorf("PaidAt = %v, want %v", o.PaidAt, paid)
	}
	if !o.PlatformUpdate.Equal(paid) || !o.CreatedAt.Equal(time.Date(2017, 3, 22, 19, 28, 2, 0, time.UTC)) {
		t.Errorf("created %v modified %v", o.CreatedAt, o.PlatformUpdate)
	}
	if len(o.Lines) != 2 {
		t.Fatalf("%d lines", len(o.Lines))
	}
	l0, l1 := o.Lines[0], o.Lines[1]
	if l0.ExternalID != "315" || l0.ProductID != "93" || l0.VariantID != "" || l0.SKU != "" || l0.Quantity != 2 || l0.Name != "Woo Single #1" {
		t.Errorf("line 0 = %+v", l0)
	}
	eqMoney(t, "line 0 unit (6.00/2)", l0.UnitPrice, m(300, "USD"))
	eqMoney(t, "line 0 discount", l0.Discount, m(0, "USD"))
	eqMoney(t, "line 0 tax", l0.Tax, m(45, "USD"))
	if l0.Properties != nil {
		t.Errorf("line 0 properties = %+v", l0.Properties)
	}
	if l1.Name != "Ship Your Idea – Color: Black, Size: M Test" {
		t.Errorf("line 1 name %q: &ndash; not decoded", l1.Name)
	}
	if l1.ExternalID != "316" || l1.ProductID != "22" || l1.VariantID != "23" || l1.SKU != "Bar3" || l1.Quantity != 1 || !l1.RequiresShp {
		t.Errorf("line 1 = %+v", l1)
	}
	eqMoney(t, "line 1 unit", l1.UnitPrice, m(1200, "USD"))
	eqMoney(t, "line 1 tax", l1.Tax, m(90, "USD"))
	if len(l1.Properties) != 2 || l1.Properties[0].Name != "pa_color" || string(l1.Properties[0].Value) != `"black"` ||
		l1.Properties[1].Name != "size" || string(l1.Properties[1].Value) != `"M Test"` {
		t.Errorf("line 1 properties = %+v", l1.Properties)
	}
	tt := o.Totals
	eqMoney(t, "subtotal", tt.Subtotal, m(1800, "USD"))
	eqMoney(t, "discount", tt.Discount, m(0, "USD"))
	eqMoney(t, "shipping", tt.Shipping, m(1000, "USD"))
	eqMoney(t, "tax", tt.Tax, m(135, "USD"))
	eqMoney(t, "total", tt.Total, m(2935, "USD"))
	eqMoney(t, "refunded", tt.Refunded, m(0, "USD"))
	if len(o.Shipping) != 1 || o.Shipping[0].Title != "Flat Rate" || o.Shipping[0].Code != "flat_rate" || o.Shipping[0].Price != m(1000, "USD") {
		t.Errorf("shipping = %+v", o.Shipping)
	}
	a := o.ShippingAddr
	if a.Name != "John Doe" || a.Address1 != "969 Market" || a.City != "San Francisco" || a.Province != "CA" || a.Zip != "94103" || a.Country != "US" {
		t.Errorf("address = %+v", a)
	}
	if a.Phone != "(555) 555-5555" {
		t.Errorf("address phone %q: want the billing phone fallback", a.Phone)
	}
	c := o.Customer
	if c.ExternalID != "" || c.Email != "john.doe@example.com" || c.FirstName != "John" || c.LastName != "Doe" {
		t.Errorf("customer = %+v (guest: no id)", c)
	}
	if len(o.Attributes) != 1 || o.Attributes[0].Name != "_download_permissions_granted" {
		t.Errorf("attributes = %+v", o.Attributes)
	}
}

func TestNormalizeCompletedEUROrder(t *testing.T) {
	o, err := NormalizeOrder(testdata(t, "order-1042-eur-coupon-entities.json"))
	if err != nil {
		t.Fatal(err)
	}
	const eur = "EUR"
	if o.Status != orderhub.StatusFulfilled || o.PaidAt == nil || !o.PaidAt.Equal(time.Date(2026, 11, 2, 8, 30, 5, 0, time.UTC)) {
		t.Fatalf("status %q paid %v", o.Status, o.PaidAt)
	}
	mug, esp := o.Lines[0], o.Lines[1]
	if mug.Name != "Kaffeebecher – Farbe: Blau & Weiß" {
		t.Errorf("name %q", mug.Name)
	}
	// 10.00 over 3 units does not divide: 3.33 each, and the discount is
	// still exactly subtotal − total.
	eqMoney(t, "mug unit", mug.UnitPrice, m(333, eur))
	eqMoney(t, "mug discount", mug.Discount, m(250, eur))
	eqMoney(t, "mug tax", mug.Tax, m(143, eur))
	if mug.VariantID != "312" || mug.SKU != "MUG-BLUE" {
		t.Errorf("mug = %+v", mug)
	}
	if len(mug.Properties) != 3 {
		t.Fatalf("mug properties = %+v", mug.Properties)
	}
	var engraving struct {
		Font  string   `json:"font"`
		Lines []string `json:"lines"`
	}
	if err := json.Unmarshal(mug.Properties[1].Value, &engraving); err != nil || mug.Properties[1].Name != "_engraving" ||
		engraving.Font != "serif" || len(engraving.Lines) != 2 || engraving.Lines[0] != "Für" {
		t.Errorf("object-shaped meta = %s (%v)", mug.Properties[1].Value, err)
	}
	if string(mug.Properties[2].Value) != "6" {
		t.Errorf("numeric meta = %s", mug.Properties[2].Value)
	}
	eqMoney(t, "espresso unit", esp.UnitPrice, m(1000, eur))
	eqMoney(t, "espresso discount", esp.Discount, m(0, eur))
	if esp.VariantID != "" || esp.Properties != nil {
		t.Errorf("espresso = %+v", esp)
	}
	tt := o.Totals
	if tt.Subtotal != m(2000, eur) || tt.Discount != m(250, eur) || tt.Shipping != m(490, eur) || tt.Tax != m(426, eur) || tt.Total != m(2666, eur) || tt.Refunded != m(250, eur) {
		t.Errorf("totals = %+v", tt)
	}
	if tt.Subtotal.Amount-tt.Discount.Amount+tt.Shipping.Amount+tt.Tax.Amount != tt.Total.Amount {
		t.Error("totals do not add up")
	}
	if len(o.Shipping) != 1 || o.Shipping[0].Title != "DHL Paket – Standard" || o.Shipping[0].Tax != m(93, eur) {
		t.Errorf("shipping = %+v", o.Shipping)
	}
	a := o.ShippingAddr
	if a.Company != "Rock & Roll GmbH" || a.Address2 != "Hinterhaus" || a.Phone != "+49301234567" || a.Name != "Jürgen O'Brien" {
		t.Errorf("address = %+v", a)
	}
	if o.Customer.ExternalID != "57" || o.Note != "Bitte beim Nachbarn abgeben" {
		t.Errorf("customer %+v note %q", o.Customer, o.Note)
	}
	if len(o.Attributes) != 2 || !strings.Contains(string(o.Attributes[1].Value), "Glück") {
		t.Errorf("attributes = %+v", o.Attributes)
	}
}

func TestNormalizePendingVirtualOrder(t *testing.T) {
	o, err := NormalizeOrder(testdata(t, "order-1043-pending-guest-virtual.json"))
	if err != nil {
		t.Fatal(err)
	}
	if o.Status != orderhub.StatusPending || o.PaidAt != nil {
		t.Fatalf("status %q paid %v", o.Status, o.PaidAt)
	}
	l := o.Lines[0]
	if l.RequiresShp || l.ProductID != "" || l.Properties != nil {
		t.Errorf("virtual line = %+v", l)
	}
	if !strings.Contains(l.NoShippingReason, "no shipping line and no shipping address") {
		t.Errorf("no shipping reason = %q", l.NoShippingReason)
	}
	// The store is set to 3 decimals; USD has 2, so 19.995 rounds half away from zero.
	eqMoney(t, "unit", l.UnitPrice, m(2000, "USD"))
	eqMoney(t, "total", o.Totals.Total, m(2000, "USD"))
	if o.ShippingAddr != (orderhub.Address{}) || o.Customer.ExternalID != "" {
		t.Errorf("address %+v customer %+v", o.ShippingAddr, o.Customer)
	}
}

func TestNormalizeErrors(t *testing.T) {
	base := string(testdata(t, "order-1042-eur-coupon-entities.json"))
	for _, tt := range []struct{ name, body, want string }{
		{"empty", ``, "malformed JSON"},
		{"ping body", `webhook_id=3`, "malformed JSON"},
		{"deleted body", `{"id": 1042}`, "currency: missing"},
		{"bad subtotal", strings.Replace(base, `"subtotal": "10.00",`, `"subtotal": "ten",`, 1), `line_items[0].subtotal: "ten" is not a decimal`},
		{"bad total", strings.Replace(base, `"total": "7.50"`, `"total": [1]`, 1), `line_items[0].total: [1] is not a decimal`},
		{"quantity float", strings.Replace(base, `"quantity": 3`, `"quantity": 3.5`, 1), `line_items[0].quantity`},
		{"bad date", strings.Replace(base, `"date_paid_gmt": "2026-11-02T08:30:05"`, `"date_paid_gmt": "02/11/2026"`, 1), `date_paid_gmt`},
		{"bad meta key", strings.Replace(base, `"key": "pa_farbe"`, `"key": {}`, 1), `line_items[0].meta_data[0].key`},
		{"line items object", `{"id":1,"currency":"USD","line_items":{"a":1}}`, `line_items`},
		{"bad refund", strings.Replace(base, `"total": "-2.50"`, `"total": "-2.5x"`, 1), `refunds[0].total`},
	} {
		_, err := NormalizeOrder([]byte(tt.body))
		if orderhub.ErrorCode(err) != orderhub.EInvalid || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err = %v, want invalid containing %q", tt.name, err, tt.want)
		}
	}
}

func TestMapStatus(t *testing.T) {
	for _, tt := range []struct {
		status          string
		paid, completed bool
		want            orderhub.Status
		isPaid          bool
	}{
		{"pending", false, false, orderhub.StatusPending, false},
		{"checkout-draft", false, false, orderhub.StatusPending, false},
		{"failed", false, false, orderhub.StatusPending, false},
		{"on-hold", false, false, orderhub.StatusPaymentProcessing, false},
		{"on-hold", true, false, orderhub.StatusPaymentProcessing, false},
		{"processing", true, false, orderhub.StatusPaid, true},
		{"processing", false, false, orderhub.StatusPaid, true},
		{"completed", true, true, orderhub.StatusFulfilled, true},
		{"cancelled", true, false, orderhub.StatusCancelled, false},
		{"trash", false, false, orderhub.StatusCancelled, false},
		{"refunded", true, true, orderhub.StatusRefunded, false},
		{"refunded", true, false, orderhub.StatusCancelled, false},
		{"shipped", true, false, orderhub.StatusPaid, true},
		{"awaiting-shipment", false, false, orderhub.StatusPending, false},
	} {
		if got := MapStatus(tt.status, tt.paid, tt.completed); got != tt.want {
			t.Errorf("MapStatus(%q, %v, %v) = %q, want %q", tt.status, tt.paid, tt.completed, got, tt.want)
		}
		if got := IsPaid(tt.status, tt.paid); got != tt.isPaid {
			t.Errorf("IsPaid(%q, %v) = %v", tt.status, tt.paid, got)
		}
	}
}

// WooCommerce line amounts never contain tax, whatever prices_include_tax
// says, so TaxesIncluded stays false and a line's total adds its tax.
func TestTaxesIncludedFollowsTheAmounts(t *testing.T) {
	body := testdata(t, "order-1042-eur-coupon-entities.json")
	for _, b := range [][]byte{body, []byte(strings.Replace(string(body), `"prices_include_tax": false`, `"prices_include_tax": true`, 1))} {
		o, err := NormalizeOrder(b)
		if err != nil {
			t.Fatal(err)
		}
		if o.TaxesIncluded {
			t.Fatal("TaxesIncluded must be false: line subtotal and total exclude tax")
		}
		taxed := false
		for i, l := range o.Lines {
			total, err := l.Total(o.TaxesIncluded)
			if err != nil {
				t.Fatal(err)
			}
			sub, _ := l.Subtotal()
			if want := sub.Amount - l.Discount.Amount + l.Tax.Amount; total.Amount != want {
				t.Errorf("line %d total = %d, want %d", i, total.Amount, want)
			}
			taxed = taxed || !l.Tax.IsZero()
		}
		if !taxed {
			t.Fatal("the fixture must have a taxed line for this test to mean anything")
		}
	}
}

// WooCommerce never sends a negative line amount, shipping charge or order
// total; refunds, listed as negative totals, keep their sign. The error
// names the field.
func TestNormalizeRefusesNegativeMoney(t *testing.T) {
	base := string(testdata(t, "order-1042-eur-coupon-entities.json"))
	for _, tt := range []struct{ name, old, new, want string }{
		{"line subtotal", `"subtotal": "10.00",
      "subtotal_tax": "1.90",
      "total": "7.50"`, `"subtotal": "-10.00",
      "subtotal_tax": "1.90",
      "total": "7.50"`, `line_items[0].subtotal: "-10.00" is negative`},
		{"line total", `"total": "7.50"`, `"total": "-7.50"`, `line_items[0].total: "-7.50" is negative`},
		{"line tax", `"total_tax": "1.43"`, `"total_tax": "-1.43"`, `line_items[0].total_tax: "-1.43" is negative`},
		{"line quantity", `"quantity": 3`, `"quantity": -3`, `line_items[0].quantity: -3 is negative`},
		{"shipping", `"total": "4.90"`, `"total": "-4.90"`, `shipping_lines[0].total: "-4.90" is negative`},
		{"shipping tax", `"total_tax": "0.93", "taxes"`, `"total_tax": "-0.93", "taxes"`, `shipping_lines[0].total_tax: "-0.93" is negative`},
		{"order total", `"total": "26.66"`, `"total": "-26.66"`, `total: "-26.66" is negative`},
		{"shipping total", `"shipping_total": "4.90"`, `"shipping_total": "-4.90"`, `shipping_total: "-4.90" is negative`},
		{"discount total", `"discount_total": "2.50"`, `"discount_total": "-2.50"`, `discount_total: "-2.50" is negative`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if !strings.Contains(base, tt.old) {
				t.Fatalf("testdata has no %q", tt.old)
			}
			_, err := NormalizeOrder([]byte(strings.Replace(base, tt.old, tt.new, 1)))
			if orderhub.ErrorCode(err) != orderhub.EInvalid || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want invalid containing %q", err, tt.want)
			}
		})
	}
	// The price fallback, used without a subtotal, is checked too.
	noSub := strings.Replace(base, `"subtotal": "10.00",
      "subtotal_tax": "1.90",
      "total": "7.50"`, `"total": "7.50"`, 1)
	_, err := NormalizeOrder([]byte(strings.Replace(noSub, `"price": 3.3333333333333335`, `"price": -3.33`, 1)))
	if orderhub.ErrorCode(err) != orderhub.EInvalid || !strings.Contains(err.Error(), `line_items[0].price: -3.33 is negative`) {
		t.Errorf("price fallback: err = %v", err)
	}
	// The refund, negative as WooCommerce lists it, still reads as 2.50.
	o, err := NormalizeOrder([]byte(base))
	if err != nil {
		t.Fatal(err)
	}
	eqMoney(t, "refunded", o.Totals.Refunded, m(250, "EUR"))
}
