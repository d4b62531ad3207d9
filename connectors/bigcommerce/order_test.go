package bigcommerce

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/orderhub/orderhub"
)

func m(amount int64, cur string) orderhub.Money { return orderhub.Money{Amount: amount, Currency: cur} }

func eqMoney(t *testing.T, what string, got, want orderhub.Money) {
	t.Helper()
	if got != want {
		t.Errorf("%s = %d %s, want %s", what, got.Amount, got.Currency, want.Display())
	}
}

func TestNormalizeFixtureOrder218(t *testing.T) {
	order := fixture(t, "order-v2-218-get-response.json")
	products := fixture(t, "order-v2-products-collection-response.json")

	// BigCommerce's documentation examples are of different orders (218 and
	// 149): taken as they are, the mix-up is refused.
	_, err := NormalizeOrder(order, products, nil)
	if orderhub.ErrorCode(err) != orderhub.EInvalid || !strings.Contains(err.Error(), "products[0].order_id: 149 is not order 218") {
		t.Fatalf("mixed orders: %v", err)
	}
	products = bytes.ReplaceAll(products, []byte(`"order_id": 149`), []byte(`"order_id": 218`))
	o, err := NormalizeOrder(order, products, nil)
	if err != nil {
		t.Fatal(err)
	}
	if o.Platform != orderhub.PlatformBigCommerce || o.ExternalID != "218" || o.ExternalNumber != "218" || o.Currency != "USD" {
		t.Fatalf("ids %q %q %q %q", o.Platform, o.ExternalID, o.ExternalNumber, o.Currency)
	}
	if o.Status != orderhub.StatusPaymentProcessing || o.PlatformStatus != "Awaiting Payment" || o.PaidAt != nil {
		t.Fatalf("status %q (%q) paid %v", o.Status, o.PlatformStatus, o.PaidAt)
	}
	if !o.CreatedAt.Equal(time.Date(2019, 3, 5, 21, 40, 11, 0, time.UTC)) || !o.PlatformUpdate.Equal(time.Date(2019, 3, 11, 15, 17, 25, 0, time.UTC)) {
		t.Errorf("created %v modified %v", o.CreatedAt, o.PlatformUpdate)
	}
	if len(o.Lines) != 2 {
		t.Fatalf("%d lines", len(o.Lines))
	}
	towel, brew := o.Lines[0], o.Lines[1]
	if towel.ExternalID != "65" || towel.ProductID != "77" || towel.SKU != "S-ORAN" || towel.Quantity != 1 || towel.Name != "Fog Linen Chambray Towel - Beige Stripe" || !towel.RequiresShp {
		t.Errorf("towel = %+v", towel)
	}
	eqMoney(t, "towel unit", towel.UnitPrice, m(5599, "USD"))
	eqMoney(t, "towel discount (applied_discounts)", towel.Discount, m(159, "USD"))
	eqMoney(t, "towel tax", towel.Tax, m(924, "USD"))
	if len(towel.Properties) != 5 || towel.Properties[0].Name != "Size" || string(towel.Properties[0].Value) != `"S"` ||
		towel.Properties[1].Name != "Color" || string(towel.Properties[1].Value) != `"Orange"` {
		t.Errorf("towel options = %+v", towel.Properties)
	}
	if brew.ExternalID != "66" || brew.SKU != "ABS" || !brew.UnitPrice.IsZero() || !brew.Discount.IsZero() || brew.Properties != nil {
		t.Errorf("bundled line = %+v", brew)
	}
	tt := o.Totals
	// subtotal_inc_tax 67.84 less subtotal_tax 4.40: the documented
	// subtotal_ex_tax 62.6793 disagrees with the total; this one adds up.
	eqMoney(t, "subtotal (67.84 − 4.40)", tt.Subtotal, m(6344, "USD"))
	if tt.Subtotal.Amount-tt.Discount.Amount+tt.Shipping.Amount+tt.Tax.Amount != tt.Total.Amount {
		t.Error("totals do not add up")
	}
	eqMoney(t, "discount (discount_amount + coupon_discount)", tt.Discount, m(1000, "USD"))
	eqMoney(t, "shipping", tt.Shipping, m(1109, "USD"))
	eqMoney(t, "tax", tt.Tax, m(531, "USD"))
	eqMoney(t, "total", tt.Total, m(6984, "USD"))
	eqMoney(t, "refunded", tt.Refunded, m(0, "USD"))
	// No shipping addresses were given: one line from the order's shipping cost.
	if len(o.Shipping) != 1 || o.Shipping[0].Price != m(1109, "USD") || o.Shipping[0].Tax != m(91, "USD") {
		t.Errorf("shipping lines = %+v", o.Shipping)
	}
	c := o.Customer
	if c.ExternalID != "11" || c.Email != "janedoe@example.com" || c.FirstName != "Jane" || c.Phone != "1234567890" {
		t.Errorf("customer = %+v", c)
	}
	if len(o.Attributes) != 1 || o.Attributes[0].Name != "Delivery Instructions" || string(o.Attributes[0].Value) != `"Leave in backyard"` {
		t.Errorf("attributes = %+v", o.Attributes)
	}
}

func TestNormalizeKWDOrder(t *testing.T) {
	o, err := NormalizeOrder(testdata(t, "order-5001-kwd.json"), testdata(t, "order-5001-products.json"), testdata(t, "order-5001-shipping-addresses.json"))
	if err != nil {
		t.Fatal(err)
	}
	const kwd = "KWD"
	if o.Currency != kwd || o.Status != orderhub.StatusPaid || o.PlatformStatus != "Awaiting Fulfillment" {
		t.Fatalf("currency %q status %q (%q)", o.Currency, o.Status, o.PlatformStatus)
	}
	if o.PaidAt == nil || !o.PaidAt.Equal(time.Date(2026, 11, 25, 8, 0, 0, 0, time.UTC)) {
		t.Fatalf("PaidAt = %v", o.PaidAt)
	}
	if len(o.Lines) != 3 {
		t.Fatalf("%d lines", len(o.Lines))
	}
	oud, wrap, guide := o.Lines[0], o.Lines[1], o.Lines[2]
	// Three-decimal currency: fils, not cents.
	eqMoney(t, "oud unit", oud.UnitPrice, m(10250, kwd))
	eqMoney(t, "oud discount", oud.Discount, m(1250, kwd))
	eqMoney(t, "oud tax (0.5125 rounded half away)", oud.Tax, m(513, kwd))
	if oud.VariantID != "501" || oud.Quantity != 2 || len(oud.Properties) != 1 || string(oud.Properties[0].Value) != `"50 ml"` {
		t.Errorf("oud = %+v", oud)
	}
	if wrap.ProductID != "" || wrap.VariantID != "" || wrap.Discount != m(250, kwd) || !wrap.RequiresShp {
		t.Errorf("custom product = %+v", wrap)
	}
	if guide.RequiresShp || guide.SKU != "GUIDE-PDF" {
		t.Errorf("digital product = %+v", guide)
	}
	tt := o.Totals
	if tt.Subtotal != m(25500, kwd) || tt.Discount != m(1500, kwd) || tt.Shipping != m(1250, kwd) || tt.Tax != m(763, kwd) || tt.Total != m(26013, kwd) {
		t.Errorf("totals = %+v", tt)
	}
	if tt.Subtotal.Amount-tt.Discount.Amount+tt.Shipping.Amount+tt.Tax.Amount != tt.Total.Amount {
		t.Error("totals do not add up")
	}
	var lineDiscounts int64
	for _, l := range o.Lines {
		lineDiscounts += l.Discount.Amount
	}
	if lineDiscounts != tt.Discount.Amount {
		t.Errorf("line discounts %d != order discount %d", lineDiscounts, tt.Discount.Amount)
	}
	a := o.ShippingAddr
	if a.Name != "Fatima Al-Sabah" || a.Address1 != "Block 3, Street 12, House 7" || a.Address2 != "Floor 3" || a.City != "Salmiya" ||
		a.Province != "Hawalli" || a.Zip != "22001" || a.Country != "KW" || a.Phone != "+96550000000" {
		t.Errorf("address = %+v", a)
	}
	if len(o.Shipping) != 1 || o.Shipping[0].Title != "Aramex Express" || o.Shipping[0].Price != m(1250, kwd) || o.Shipping[0].Tax != m(0, kwd) {
		t.Errorf("shipping = %+v", o.Shipping)
	}
	if o.Customer.ExternalID != "" || o.Customer.Email != "fatima@example.com.kw" || o.Note != "Call before delivery" {
		t.Errorf("customer %+v note %q", o.Customer, o.Note)
	}
	if len(o.Attributes) != 3 || string(o.Attributes[1].Value) != `["S", "M"]` || string(o.Attributes[2].Value) != `3` {
		t.Errorf("form fields = %+v", o.Attributes)
	}
}

func TestNormalizeEmptyCollections(t *testing.T) {
	order := testdata(t, "order-5001-kwd.json")
	for _, empty := range [][]byte{nil, []byte(""), []byte(" \n"), []byte("null"), []byte("[]")} {
		o, err := NormalizeOrder(order, empty, empty)
		if err != nil {
			t.Fatalf("empty %q: %v", empty, err)
		}
		if len(o.Lines) != 0 || len(o.Shipping) != 1 || o.Shipping[0].Title != "Shipping" {
			t.Errorf("empty %q: lines %d shipping %+v", empty, len(o.Lines), o.Shipping)
		}
	}
}

func TestNormalizeErrors(t *testing.T) {
	order := string(testdata(t, "order-5001-kwd.json"))
	products := string(testdata(t, "order-5001-products.json"))
	addrs := string(testdata(t, "order-5001-shipping-addresses.json"))
	for _, tt := range []struct{ name, order, products, addrs, want string }{
		{"order not JSON", `<`, products, addrs, "bigcommerce order: malformed JSON"},
		{"products object", order, `{"id":1}`, addrs, "bigcommerce order products"},
		{"no currency", strings.NewReplacer(`"currency_code": "KWD"`, `"currency_code": ""`, `"default_currency_code": "KWD"`, `"default_currency_code": ""`).Replace(order), products, addrs, "default_currency_code: missing"},
		{"no status", strings.Replace(order, `"status_id": 11,`, ``, 1), products, addrs, "status_id: missing"},
		{"bad price", order, strings.Replace(products, `"price_ex_tax": "5.0000"`, `"price_ex_tax": "5,00"`, 1), addrs, `products[1].price_ex_tax: "5,00" is not a decimal`},
		{"bad discount", order, strings.Replace(products, `"amount": "1.0000"`, `"amount": null`, 1), addrs, ""},
		{"bad date", strings.Replace(order, `"date_modified": "Wed, 25 Nov 2026 08:05:30 +0000"`, `"date_modified": "25/11/2026"`, 1), products, addrs, "date_modified"},
		{"address of another order", order, products, strings.Replace(addrs, `"order_id": 5001`, `"order_id": 5002`, 1), "shipping_addresses[0].order_id: 5002 is not order 5001"},
		{"bad shipping cost", order, products, strings.Replace(addrs, `"cost_ex_tax": "1.2500"`, `"cost_ex_tax": true`, 1), "shipping_addresses[0].cost_ex_tax"},
		{"product without id", order, `[{"order_id":5001,"quantity":1}]`, addrs, "products[0].id: missing"},
		{"bad form field", strings.Replace(order, `{"name": "Floor", "value": 3}`, `{"name": {}, "value": 3}`, 1), products, addrs, "form_fields[2].name"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NormalizeOrder([]byte(tt.order), []byte(tt.products), []byte(tt.addrs))
			if tt.want == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if orderhub.ErrorCode(err) != orderhub.EInvalid || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want invalid containing %q", err, tt.want)
			}
		})
	}
}

func TestMapStatus(t *testing.T) {
	for _, tt := range []struct {
		id, shipped, total int64
		want               orderhub.Status
		paid               bool
	}{
		{0, 0, 1, orderhub.StatusPending, false},
		{1, 0, 1, orderhub.StatusPending, false},
		{7, 0, 1, orderhub.StatusPaymentProcessing, false},
		{12, 0, 1, orderhub.StatusPaymentProcessing, false},
		{13, 0, 1, orderhub.StatusPaymentProcessing, false},
		{11, 0, 1, orderhub.StatusPaid, true},
		{9, 0, 1, orderhub.StatusPaid, true},
		{8, 0, 1, orderhub.StatusPaid, true},
		{3, 1, 2, orderhub.StatusPartiallyFulfilled, true},
		{2, 2, 2, orderhub.StatusFulfilled, true},
		{10, 2, 2, orderhub.StatusFulfilled, true},
		{5, 0, 2, orderhub.StatusCancelled, false},
		{6, 0, 2, orderhub.StatusCancelled, false},
		{4, 2, 2, orderhub.StatusRefunded, false},
		{4, 0, 2, orderhub.StatusCancelled, false},
		{14, 0, 2, orderhub.StatusPaid, true},
		{14, 1, 2, orderhub.StatusPartiallyFulfilled, true},
		{14, 2, 2, orderhub.StatusFulfilled, true},
		{99, 0, 1, orderhub.StatusPending, false},
	} {
		if got := MapStatus(tt.id, tt.shipped, tt.total); got != tt.want {
			t.Errorf("MapStatus(%d, %d, %d) = %q, want %q", tt.id, tt.shipped, tt.total, got, tt.want)
		}
		if got := IsPaid(tt.id); got != tt.paid {
			t.Errorf("IsPaid(%d) = %v", tt.id, got)
		}
	}
}

// BigCommerce lines are read ex tax (price_ex_tax), so TaxesIncluded is
// false even for a store with tax-inclusive pricing, and a line's total
// adds its tax.
func TestTaxesIncludedFollowsTheAmounts(t *testing.T) {
	order := testdata(t, "order-5001-kwd.json")
	incl := []byte(strings.Replace(string(order), `"is_tax_inclusive_pricing": false`, `"is_tax_inclusive_pricing": true`, 1))
	for _, b := range [][]byte{order, incl} {
		o, err := NormalizeOrder(b, testdata(t, "order-5001-products.json"), testdata(t, "order-5001-shipping-addresses.json"))
		if err != nil {
			t.Fatal(err)
		}
		if o.TaxesIncluded {
			t.Fatal("TaxesIncluded must be false: lines are read ex tax")
		}
		l := o.Lines[0]
		total, err := l.Total(o.TaxesIncluded)
		if err != nil {
			t.Fatal(err)
		}
		sub, _ := l.Subtotal()
		if want := sub.Amount - l.Discount.Amount + l.Tax.Amount; total.Amount != want || l.Tax.IsZero() {
			t.Fatalf("line total = %d, want %d with tax %d", total.Amount, want, l.Tax.Amount)
		}
	}
}

// BigCommerce never sends a negative product price, tax, discount,
// shipping cost or order total; the error names the field.
func TestNormalizeRefusesNegativeMoney(t *testing.T) {
	order := string(testdata(t, "order-5001-kwd.json"))
	products := string(testdata(t, "order-5001-products.json"))
	addrs := string(testdata(t, "order-5001-shipping-addresses.json"))
	for _, tt := range []struct{ name, file, old, new, want string }{
		{"product price", "products", `"price_ex_tax": "5.0000"`, `"price_ex_tax": "-5.0000"`, `products[1].price_ex_tax: "-5.0000" is negative`},
		{"product tax", "products", `"total_tax": "0.2500"`, `"total_tax": "-0.2500"`, `products[1].total_tax: "-0.2500" is negative`},
		{"product discount", "products", `"amount": "1.0000"`, `"amount": "-1.0000"`, `products[0].applied_discounts[0].amount: "-1.0000" is negative`},
		{"product quantity", "products", `"quantity": 2`, `"quantity": -2`, `products[0].quantity: -2 is negative`},
		{"shipping cost", "addrs", `"cost_ex_tax": "1.2500"`, `"cost_ex_tax": "-1.2500"`, `shipping_addresses[0].cost_ex_tax: "-1.2500" is negative`},
		{"shipping tax", "addrs", `"cost_tax": "0.0000"`, `"cost_tax": "-0.5000"`, `shipping_addresses[0].cost_tax: "-0.5000" is negative`},
		{"subtotal", "order", `"subtotal_ex_tax": "25.5000"`, `"subtotal_ex_tax": "-25.5000"`, `subtotal_ex_tax: "-25.5000" is negative`},
		{"subtotal inc tax", "order", `"subtotal_inc_tax": "26.2625"`, `"subtotal_inc_tax": "-26.2625"`, `subtotal_inc_tax: "-26.2625" is negative`},
		{"subtotal tax", "order", `"subtotal_tax": "0.7625"`, `"subtotal_tax": "-0.7625"`, `subtotal_tax: "-0.7625" is negative`},
		{"order shipping", "order", `"shipping_cost_ex_tax": "1.2500"`, `"shipping_cost_ex_tax": "-1.2500"`, `shipping_cost_ex_tax: "-1.2500" is negative`},
		{"order total", "order", `"total_inc_tax": "26.0130"`, `"total_inc_tax": "-26.0130"`, `total_inc_tax: "-26.0130" is negative`},
		{"order tax", "order", `"total_tax": "0.7625"`, `"total_tax": "-0.7625"`, `total_tax: "-0.7625" is negative`},
		{"discount", "order", `"discount_amount": "0.5000"`, `"discount_amount": "-0.5000"`, `discount_amount: "-0.5000" is negative`},
		{"coupon", "order", `"coupon_discount": "1.0000"`, `"coupon_discount": "-1.0000"`, `coupon_discount: "-1.0000" is negative`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			o, p, a := order, products, addrs
			src := map[string]*string{"order": &o, "products": &p, "addrs": &a}[tt.file]
			if !strings.Contains(*src, tt.old) {
				t.Fatalf("testdata has no %q", tt.old)
			}
			*src = strings.Replace(*src, tt.old, tt.new, 1)
			_, err := NormalizeOrder([]byte(o), []byte(p), []byte(a))
			if orderhub.ErrorCode(err) != orderhub.EInvalid || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want invalid containing %q", err, tt.want)
			}
		})
	}
	// Without shipping addresses the order's shipping tax becomes a line.
	_, err := NormalizeOrder([]byte(strings.Replace(order, `"shipping_cost_tax": "0.0000"`, `"shipping_cost_tax": "-0.1000"`, 1)), []byte(products), nil)
	if orderhub.ErrorCode(err) != orderhub.EInvalid || !strings.Contains(err.Error(), `shipping_cost_tax: "-0.1000" is negative`) {
		t.Errorf("shipping_cost_tax: err = %v", err)
	}
}
