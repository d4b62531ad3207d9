package shopify

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/orderhub/orderhub"
)

// fixtures is shared/fixtures beside the repository; tests that read it
// skip where it is absent, and the package's own testdata always runs.
func fixture(t testing.TB, name string) []byte {
	t.Helper()
	p := filepath.Join("..", "..", "..", "shared", "fixtures", "shopify", name)
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

func money(t *testing.T, s, cur string) orderhub.Money {
	t.Helper()
	return orderhub.MustParseMoney(s, cur)
}

func eqMoney(t *testing.T, what string, got, want orderhub.Money) {
	t.Helper()
	if got != want {
		t.Errorf("%s = %s %s (%d), want %s", what, got, got.Currency, got.Amount, want.Display())
	}
}

func TestNormalizeFixtureOrder1001(t *testing.T) {
	body := fixture(t, "order-1001-three-line-items-discount-code-tax-shipping.json")
	o, err := NormalizeOrder(body)
	if err != nil {
		t.Fatal(err)
	}
	if o.Platform != orderhub.PlatformShopify || o.ExternalID != "450789469" || o.ExternalNumber != "#1001" {
		t.Fatalf("ids: platform %q id %q number %q", o.Platform, o.ExternalID, o.ExternalNumber)
	}
	if o.Currency != "USD" || o.PlatformStatus != "authorized" || o.Status != orderhub.StatusPaymentProcessing {
		t.Fatalf("currency %q platform status %q status %q", o.Currency, o.PlatformStatus, o.Status)
	}
	if o.PaidAt != nil {
		t.Errorf("authorized order has PaidAt %v", o.PaidAt)
	}
	wantTime := time.Date(2008, 1, 10, 16, 0, 0, 0, time.UTC)
	if !o.CreatedAt.Equal(wantTime) || !o.PlatformUpdate.Equal(wantTime) || o.CreatedAt.Location() != time.UTC {
		t.Errorf("created %v updated %v", o.CreatedAt, o.PlatformUpdate)
	}
	if len(o.Lines) != 3 {
		t.Fatalf("%d lines, want 3", len(o.Lines))
	}
	wantSKUs := []string{"IPOD2008GREEN", "IPOD2008RED", "IPOD2008BLACK"}
	wantIDs := []string{"466157049", "518995019", "703073504"}
	for i, l := range o.Lines {
		if l.SKU != wantSKUs[i] || l.ExternalID != wantIDs[i] || l.Quantity != 1 || !l.RequiresShp {
			t.Errorf("line %d = %+v", i, l)
		}
		eqMoney(t, "unit price", l.UnitPrice, money(t, "199.00", "USD"))
		eqMoney(t, "line discount", l.Discount, orderhub.Zero("USD"))
		eqMoney(t, "line tax", l.Tax, orderhub.Zero("USD"))
		if l.ProductID != "632910392" {
			t.Errorf("line %d product id %q", i, l.ProductID)
		}
	}
	if o.Lines[0].VariantID != "39072856" || o.Lines[0].Name != "IPod Nano - 8gb - green" {
		t.Errorf("line 0 variant %q name %q", o.Lines[0].VariantID, o.Lines[0].Name)
	}
	if len(o.Lines[0].Properties) != 1 || o.Lines[0].Properties[0].Name != "Custom Engraving" ||
		string(o.Lines[0].Properties[0].Value) != `"Happy Birthday"` {
		t.Errorf("line 0 properties = %+v", o.Lines[0].Properties)
	}
	if len(o.Lines[1].Properties) != 0 {
		t.Errorf("line 1 properties = %+v, want none", o.Lines[1].Properties)
	}
	eqMoney(t, "subtotal", o.Totals.Subtotal, money(t, "398.00", "USD"))
	eqMoney(t, "tax", o.Totals.Tax, money(t, "11.94", "USD"))
	eqMoney(t, "total", o.Totals.Total, money(t, "409.94", "USD"))
	eqMoney(t, "discount", o.Totals.Discount, orderhub.Zero("USD"))
	eqMoney(t, "shipping", o.Totals.Shipping, orderhub.Zero("USD"))
	if len(o.Shipping) != 1 || o.Shipping[0].Title != "Free Shipping" || o.Shipping[0].Code != "Free Shipping" || !o.Shipping[0].Price.IsZero() {
		t.Errorf("shipping lines = %+v", o.Shipping)
	}
	a := o.ShippingAddr
	if a.Name != "Bob Norman" || a.Address1 != "Chestnut Street 92" || a.City != "Louisville" ||
		a.Province != "KY" || a.Country != "US" || a.Zip != "40202" || a.Phone != "555-625-1199" {
		t.Errorf("shipping address = %+v", a)
	}
	// This old fixture sends coordinates as strings.
	if !a.HasCoordinates() || *a.Latitude != 45.41634 || *a.Longitude != -75.6868 {
		t.Errorf("coordinates = %v, %v", a.Latitude, a.Longitude)
	}
	c := o.Customer
	if c.ExternalID != "207119551" || c.Email != "bob.norman@hostmail.com" || c.FirstName != "Bob" || c.LastName != "Norman" {
		t.Errorf("customer = %+v", c)
	}
	if len(o.Attributes) != 2 || o.Attributes[0].Name != "custom engraving" || string(o.Attributes[1].Value) != `"green"` {
		t.Errorf("note attributes = %+v", o.Attributes)
	}
	if o.Note != "" || len(o.Tags) != 0 {
		t.Errorf("note %q tags %v", o.Note, o.Tags)
	}
	if len(o.Raw) == 0 || !json.Valid(o.Raw) || !strings.HasPrefix(strings.TrimSpace(string(o.Raw)), "{") {
		t.Errorf("raw payload not kept")
	}
}

func TestNormalizeModernJPYOrder(t *testing.T) {
	o, err := NormalizeOrder(testdata(t, "order-jpy-paid-modern.json"))
	if err != nil {
		t.Fatal(err)
	}
	const jpy = "JPY"
	// The id is above 2^53: float64 would have turned it into ...504.
	if o.ExternalID != "820982911946154508" || o.ExternalNumber != "#9999" {
		t.Fatalf("id %q number %q", o.ExternalID, o.ExternalNumber)
	}
	if o.Status != orderhub.StatusPaid || o.PlatformStatus != "paid" {
		t.Fatalf("status %q (%q)", o.Status, o.PlatformStatus)
	}
	wantPaid := time.Date(2026, 11, 20, 1, 15, 3, 0, time.UTC)
	if o.PaidAt == nil || !o.PaidAt.Equal(wantPaid) {
		t.Fatalf("PaidAt = %v, want processed_at %v", o.PaidAt, wantPaid)
	}
	if !o.PlatformUpdate.Equal(time.Date(2026, 11, 20, 1, 16, 30, 0, time.UTC)) {
		t.Errorf("PlatformUpdate = %v", o.PlatformUpdate)
	}
	if len(o.Lines) != 3 {
		t.Fatalf("%d lines", len(o.Lines))
	}
	matcha, whisk, card := o.Lines[0], o.Lines[1], o.Lines[2]
	if matcha.ExternalID != "5731198025891" || matcha.ProductID != "7513594773667" || matcha.VariantID != "42322903974051" || matcha.SKU != "TEA-MATCHA-100" {
		t.Errorf("matcha ids = %+v", matcha)
	}
	eqMoney(t, "matcha unit", matcha.UnitPrice, orderhub.Money{Amount: 3000, Currency: jpy})
	eqMoney(t, "matcha discount (sum of allocations)", matcha.Discount, orderhub.Money{Amount: 1200, Currency: jpy})
	eqMoney(t, "matcha tax (sum of tax lines)", matcha.Tax, orderhub.Money{Amount: 720, Currency: jpy})
	if matcha.Cancelled != 0 || matcha.OpenQuantity() != 3 {
		t.Errorf("matcha cancelled %d", matcha.Cancelled)
	}
	props := matcha.Properties
	if len(props) != 4 {
		t.Fatalf("matcha properties = %+v", props)
	}
	if props[0].Name != "Engraving" || string(props[0].Value) != `"はなこ"` {
		t.Errorf("property 0 = %s=%s", props[0].Name, props[0].Value)
	}
	if props[1].Name != "Cups" || string(props[1].Value) != `2` || props[3].Name != "Cups" || string(props[3].Value) != `3` {
		t.Errorf("numeric / repeated properties = %s=%s, %s=%s", props[1].Name, props[1].Value, props[3].Name, props[3].Value)
	}
	var bundle struct {
		ID    string  `json:"id"`
		Parts []int64 `json:"parts"`
	}
	if err := json.Unmarshal(props[2].Value, &bundle); err != nil || bundle.ID != "b-1" || len(bundle.Parts) != 2 {
		t.Errorf("object property = %s (%v)", props[2].Value, err)
	}

	if whisk.ExternalID != "487817672276298554" || whisk.ProductID != "" || whisk.VariantID != "" {
		t.Errorf("whisk ids = %q %q %q", whisk.ExternalID, whisk.ProductID, whisk.VariantID)
	}
	eqMoney(t, "whisk unit (no decimals)", whisk.UnitPrice, orderhub.Money{Amount: 1500, Currency: jpy})
	if whisk.Quantity != 2 || whisk.Cancelled != 1 || whisk.OpenQuantity() != 1 {
		t.Errorf("whisk quantity %d cancelled %d", whisk.Quantity, whisk.Cancelled)
	}
	if len(whisk.Properties) != 2 || whisk.Properties[0].Name != "colour" || whisk.Properties[1].Name != "size" || string(whisk.Properties[1].Value) != "80" {
		t.Errorf("object-map properties = %+v", whisk.Properties)
	}
	if card.RequiresShp || card.Properties != nil || !card.Discount.IsZero() || card.Discount.Currency != jpy {
		t.Errorf("gift card line = %+v", card)
	}

	if len(o.Shipping) != 1 {
		t.Fatalf("shipping lines = %+v", o.Shipping)
	}
	s := o.Shipping[0]
	if s.Title != "Yamato Express" || s.Code != "YAMATO" || s.Price.Amount != 1000 || s.Discount.Amount != 100 || s.Tax.Amount != 80 {
		t.Errorf("shipping line = %+v", s)
	}
	tt := o.Totals
	if tt.Subtotal.Amount != 14500 || tt.Discount.Amount != 1400 || tt.Shipping.Amount != 1000 || tt.Tax.Amount != 1040 || tt.Total.Amount != 15140 || !tt.Refunded.IsZero() {
		t.Errorf("totals = %+v", tt)
	}
	if got := tt.Subtotal.Amount - tt.Discount.Amount + tt.Shipping.Amount + tt.Tax.Amount; got != tt.Total.Amount {
		t.Errorf("totals do not add up: %d != %d", got, tt.Total.Amount)
	}
	a := o.ShippingAddr
	if a.Province != "JP-13" || a.Country != "JP" || a.Zip != "100-0001" || a.Address2 != "Apt 3" || a.Company != "" {
		t.Errorf("address = %+v", a)
	}
	if !a.HasCoordinates() || *a.Latitude != 35.685 || *a.Longitude != 139.7528 {
		t.Errorf("coordinates %v %v", a.Latitude, a.Longitude)
	}
	if o.Customer.ExternalID != "6940095643811" || o.Customer.Phone != "+81312345678" {
		t.Errorf("customer = %+v", o.Customer)
	}
	if len(o.Tags) != 2 || o.Tags[0] != "vip" || o.Tags[1] != "wholesale" || o.Note != "Please gift wrap" {
		t.Errorf("tags %q note %q", o.Tags, o.Note)
	}
	if len(o.Attributes) != 2 || o.Attributes[1].Name != "delivery_slot" || !strings.Contains(string(o.Attributes[1].Value), `"window": "AM"`) {
		t.Errorf("note attributes = %+v", o.Attributes)
	}
}

func TestNormalizeCancelledLegacyOrder(t *testing.T) {
	o, err := NormalizeOrder(testdata(t, "order-cancelled-legacy-usd.json"))
	if err != nil {
		t.Fatal(err)
	}
	if o.Status != orderhub.StatusCancelled || o.Currency != "USD" || o.PaidAt != nil {
		t.Fatalf("status %q currency %q paid %v", o.Status, o.Currency, o.PaidAt)
	}
	if len(o.Lines) != 1 || o.Lines[0].Name != "IPod Nano - 8gb" || o.Lines[0].Properties != nil {
		t.Fatalf("lines = %+v", o.Lines)
	}
	// No discount_allocations: the older total_discount is the discount.
	eqMoney(t, "legacy total_discount", o.Lines[0].Discount, money(t, "5.00", "USD"))
	total, err := o.Lines[0].Total(o.TaxesIncluded)
	if err != nil || total.Amount != 5498 {
		t.Errorf("line total = %v, %v", total, err)
	}
}

func TestNormalizeErrors(t *testing.T) {
	base := string(testdata(t, "order-jpy-paid-modern.json"))
	tests := []struct {
		name, body, want string
	}{
		{"empty body", ``, "malformed JSON"},
		{"not JSON", `<html>`, "malformed JSON"},
		{"array", `[]`, "not an object"},
		{"truncated", base[:200], "malformed JSON"},
		{"bad price", strings.Replace(base, `"price": "1500"`, `"price": "abc"`, 1), `line_items[1].price: "abc" is not a decimal`},
		{"price as object", strings.Replace(base, `"price": "1500"`, `"price": {}`, 1), `line_items[1].price: {} is not a decimal`},
		{"sub-yen price", strings.Replace(base, `"price": "1500"`, `"price": "1500.5"`, 1), `line_items[1].price`},
		{"float id", strings.Replace(base, `"id": 487817672276298554`, `"id": 4.8e17`, 1), `line_items[1].id: 4.8e17 is not an integer id`},
		{"quantity string", strings.Replace(base, `"quantity": 2`, `"quantity": "two"`, 1), `line_items[1].quantity`},
		{"negative quantity", strings.Replace(base, `"quantity": 2`, `"quantity": -2`, 1), `negative`},
		{"bad allocation", strings.Replace(base, `"amount": "100"`, `"amount": true`, 1), `discount_allocations[0].amount`},
		{"bad tax", strings.Replace(base, `"price": "240"`, `"price": "2,40"`, 1), `line_items[1].tax_lines[0].price`},
		{"missing currency", strings.Replace(base, `"currency": "JPY"`, `"currency": ""`, 1), "currency: missing"},
		{"bad currency", strings.Replace(base, `"currency": "JPY"`, `"currency": "YEN!"`, 1), "currency:"},
		{"bad time", strings.Replace(base, `"updated_at": "2026-11-20T10:16:30+09:00"`, `"updated_at": "yesterday"`, 1), "updated_at"},
		{"bad latitude", strings.Replace(base, `"latitude": 35.685`, `"latitude": "north"`, 1), "shipping_address.latitude"},
		{"missing id", `{"currency":"USD","line_items":[]}`, "id: missing"},
		{"line items not array", `{"id":1,"currency":"USD","line_items":{}}`, "line_items"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NormalizeOrder([]byte(tt.body))
			if err == nil {
				t.Fatalf("no error, want %q", tt.want)
			}
			if orderhub.ErrorCode(err) != orderhub.EInvalid {
				t.Errorf("code %q, want invalid: %v", orderhub.ErrorCode(err), err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not contain %q", err, tt.want)
			}
		})
	}
}

func TestMapStatus(t *testing.T) {
	tests := []struct {
		financial, fulfillment string
		cancelled              bool
		want                   orderhub.Status
		paid                   bool
	}{
		{"pending", "", false, orderhub.StatusPending, false},
		{"", "", false, orderhub.StatusPending, false},
		{"something_new", "", false, orderhub.StatusPending, false},
		{"authorized", "", false, orderhub.StatusPaymentProcessing, false},
		{"partially_paid", "", false, orderhub.StatusPaymentProcessing, false},
		{"paid", "", false, orderhub.StatusPaid, true},
		{"paid", "partial", false, orderhub.StatusPartiallyFulfilled, true},
		{"paid", "fulfilled", false, orderhub.StatusFulfilled, true},
		{"partially_refunded", "", false, orderhub.StatusPaid, true},
		{"refunded", "fulfilled", false, orderhub.StatusRefunded, false},
		{"refunded", "", false, orderhub.StatusCancelled, false},
		{"voided", "", false, orderhub.StatusCancelled, false},
		{"expired", "", false, orderhub.StatusCancelled, false},
		{"paid", "", true, orderhub.StatusCancelled, true},
	}
	for _, tt := range tests {
		if got := MapStatus(tt.financial, tt.fulfillment, tt.cancelled); got != tt.want {
			t.Errorf("MapStatus(%q, %q, %v) = %q, want %q", tt.financial, tt.fulfillment, tt.cancelled, got, tt.want)
		}
		if got := IsPaid(tt.financial); got != tt.paid {
			t.Errorf("IsPaid(%q) = %v", tt.financial, got)
		}
	}
}

func TestAttributesShapes(t *testing.T) {
	tests := []struct {
		raw   string
		names []string
		vals  []string
	}{
		{``, nil, nil},
		{`null`, nil, nil},
		{`[]`, nil, nil},
		{`{}`, nil, nil},
		{`[{"name":"a","value":null}]`, []string{"a"}, []string{"null"}},
		{`[{"name":"a"}]`, []string{"a"}, []string{"null"}},
		{`[{"name":7,"value":[1,{"x":2}]}]`, []string{"7"}, []string{`[1,{"x":2}]`}},
		{`["loose", 3]`, []string{"", ""}, []string{`"loose"`, `3`}},
		{`{"b":1,"a":{"n":true}}`, []string{"b", "a"}, []string{`1`, `{"n":true}`}},
		{`"just text"`, []string{""}, []string{`"just text"`}},
	}
	for _, tt := range tests {
		got, err := attributes("p", json.RawMessage(tt.raw))
		if err != nil {
			t.Errorf("attributes(%s): %v", tt.raw, err)
			continue
		}
		if len(got) != len(tt.names) {
			t.Errorf("attributes(%s) = %+v", tt.raw, got)
			continue
		}
		for i := range got {
			if got[i].Name != tt.names[i] || string(got[i].Value) != tt.vals[i] {
				t.Errorf("attributes(%s)[%d] = %s=%s", tt.raw, i, got[i].Name, got[i].Value)
			}
		}
	}
}

func TestTaxesIncluded(t *testing.T) {
	body := testdata(t, "order-jpy-paid-modern.json")
	o, err := NormalizeOrder(body)
	if err != nil {
		t.Fatal(err)
	}
	if o.TaxesIncluded {
		t.Fatal("taxes_included false must give TaxesIncluded false")
	}
	incl := []byte(strings.Replace(string(body), `"taxes_included": false`, `"taxes_included": true`, 1))
	o, err = NormalizeOrder(incl)
	if err != nil {
		t.Fatal(err)
	}
	if !o.TaxesIncluded {
		t.Fatal("taxes_included true must give TaxesIncluded true")
	}
	// Tax-inclusive prices: the line total is price × quantity − discount,
	// with no tax added on top.
	l := o.Lines[0]
	total, err := l.Total(o.TaxesIncluded)
	if err != nil {
		t.Fatal(err)
	}
	if want := l.UnitPrice.Amount*l.Quantity - l.Discount.Amount; total.Amount != want || l.Tax.IsZero() {
		t.Fatalf("line total = %d, want %d (tax %d is inside)", total.Amount, want, l.Tax.Amount)
	}
}

// Shopify never sends a negative price, discount, tax, shipping charge or
// order total in an order: one is corrupt, and storing it would make a
// later cancellation "refund" a charge. The error names the field.
func TestNormalizeRefusesNegativeMoney(t *testing.T) {
	base := string(testdata(t, "order-jpy-paid-modern.json"))
	for _, tt := range []struct{ name, old, new, want string }{
		{"line price", `"price": "3000.00",`, `"price": "-3000",`, `line_items[0].price: "-3000" is negative`},
		{"line price number", `"price": "1500"`, `"price": -1500`, `line_items[1].price: -1500 is negative`},
		{"line discount", `"amount": "900"`, `"amount": "-900"`, `line_items[0].discount_allocations[0].amount: "-900" is negative`},
		{"legacy line discount", `"total_discount": "0.00",
      "discount_allocations": [
        {"amount": "900", "discount_application_index": 0},
        {"amount": "300.00", "discount_application_index": 1}
      ],`, `"total_discount": "-1.00",`, `line_items[0].total_discount: "-1.00" is negative`},
		{"line tax", `"price": "648"`, `"price": "-648"`, `line_items[0].tax_lines[0].price: "-648" is negative`},
		{"shipping price", `"price": "1000",
      "discounted_price"`, `"price": "-1000",
      "discounted_price"`, `shipping_lines[0].price: "-1000" is negative`},
		{"shipping discounted price", `"price": "1000",
      "discounted_price": "900",
      "discount_allocations": [{"amount": "100", "discount_application_index": 1}],`, `"price": "1000",
      "discounted_price": "-900",`, `shipping_lines[0].discounted_price: "-900" is negative`},
		{"shipping tax", `"price": "80"`, `"price": "-80"`, `shipping_lines[0].tax_lines[0].price: "-80" is negative`},
		{"total price", `"total_price": "15140"`, `"total_price": "-15140"`, `total_price: "-15140" is negative`},
		{"line items total", `"total_line_items_price": "14500"`, `"total_line_items_price": "-1"`, `total_line_items_price: "-1" is negative`},
		{"total discounts", `"total_discounts": "1400"`, `"total_discounts": "-1400"`, `total_discounts: "-1400" is negative`},
		{"total tax", `"total_tax": "1040"`, `"total_tax": "-1040"`, `total_tax: "-1040" is negative`},
		{"total shipping", `{"amount": "1000", "currency_code": "JPY"},
    "presentment_money"`, `{"amount": "-1000", "currency_code": "JPY"},
    "presentment_money"`, `total_shipping_price_set.shop_money.amount: "-1000" is negative`},
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
	// Zero is a price, and a negative zero is zero.
	o, err := NormalizeOrder([]byte(strings.Replace(base, `"price": "2500"`, `"price": "-0"`, 1)))
	if err != nil {
		t.Fatal(err)
	}
	eqMoney(t, "free line", o.Lines[2].UnitPrice, orderhub.Zero("JPY"))
}

func TestNormalizeRefusesAShippingDiscountAboveThePrice(t *testing.T) {
	base := string(testdata(t, "order-jpy-paid-modern.json"))
	body := strings.Replace(base, `"discounted_price": "900",
      "discount_allocations": [{"amount": "100", "discount_application_index": 1}],`, `"discounted_price": "1100",`, 1)
	_, err := NormalizeOrder([]byte(body))
	if orderhub.ErrorCode(err) != orderhub.EInvalid || !strings.Contains(err.Error(), `shipping_lines[0].discounted_price: "1100" is more than the price "1000"`) {
		t.Errorf("err = %v", err)
	}
}
