package woocommercetest

import (
	"fmt"
	"strconv"
	"time"

	"github.com/orderhub/orderhub"
)

// OrderSpec describes an order for BuildOrder. Zero fields get realistic
// defaults; amounts are decimal strings in Currency.
type OrderSpec struct {
	ID             int64  // default 727
	Status         string // default processing
	Currency       string // default USD
	CustomerNote   string
	Lines          []LineSpec // default one line SKU-1 × 1 at 10.00
	ShippingTitle  string     // default Flat rate
	ShippingTotal  string     // default 0.00
	Billing        Address    // default a US address; also the shipping address
	Shipping       *Address   // nil means the billing address
	CreatedAt      time.Time  // default 2026-11-20T10:00:00Z
	ModifiedAt     time.Time  // default CreatedAt
	PaymentMethod  string     // default stripe
	Location       *time.Location
	PricesIncludeT bool // prices_include_tax
}

// LineSpec is one line item.
type LineSpec struct {
	ID          int64 // default derived from the order id
	ProductID   int64
	VariationID int64
	SKU         string
	Name        string // may hold HTML entities, as WooCommerce sends them
	Quantity    int64  // default 1
	Price       string // unit price before discounts; default 10.00
	Discount    string // total discount on the line; default 0
	Tax         string // total tax of the line; default 0
}

// Address is a billing or shipping address.
type Address struct {
	FirstName, LastName, Company, Address1, Address2, City string
	State, Postcode, Country, Email, Phone                 string
}

func (a Address) withDefaults() Address {
	if a.Address1 == "" && a.City == "" && a.Country == "" {
		return Address{FirstName: "John", LastName: "Doe", Address1: "969 Market", City: "San Francisco",
			State: "CA", Postcode: "94103", Country: "US", Email: "john.doe@example.com", Phone: "(555) 555-5555"}
	}
	return a
}

func (a Address) json(withContact bool) map[string]any {
	m := map[string]any{
		"first_name": a.FirstName, "last_name": a.LastName, "company": a.Company,
		"address_1": a.Address1, "address_2": a.Address2, "city": a.City,
		"state": a.State, "postcode": a.Postcode, "country": a.Country, "phone": a.Phone,
	}
	if withContact {
		m["email"] = a.Email
	}
	return m
}

// BuildOrder returns a v3 order (GET /wc/v3/orders/{id}, which is also the
// order.* webhook body) with line items, taxes, a shipping line and
// addresses; totals are computed exactly from the lines.
func BuildOrder(spec OrderSpec) ([]byte, error) {
	cur := spec.Currency
	if cur == "" {
		cur = "USD"
	}
	if spec.ID == 0 {
		spec.ID = 727
	}
	if spec.Status == "" {
		spec.Status = "processing"
	}
	if len(spec.Lines) == 0 {
		spec.Lines = []LineSpec{{SKU: "SKU-1", Name: "Widget"}}
	}
	if spec.ShippingTitle == "" {
		spec.ShippingTitle = "Flat rate"
	}
	if spec.PaymentMethod == "" {
		spec.PaymentMethod = "stripe"
	}
	if spec.CreatedAt.IsZero() {
		spec.CreatedAt = time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	}
	if spec.ModifiedAt.IsZero() {
		spec.ModifiedAt = spec.CreatedAt
	}
	loc := spec.Location
	if loc == nil {
		loc = time.UTC
	}
	parse := func(field, s string) (orderhub.Money, error) {
		if s == "" {
			return orderhub.Zero(cur), nil
		}
		m, err := orderhub.ParseMoney(s, cur)
		if err != nil {
			return m, fmt.Errorf("woocommercetest: %s: %w", field, err)
		}
		return m, nil
	}
	ship, err := parse("shipping total", spec.ShippingTotal)
	if err != nil {
		return nil, err
	}
	discTotal, cartTax, lineTotals := orderhub.Zero(cur), orderhub.Zero(cur), orderhub.Zero(cur)
	lines := make([]any, 0, len(spec.Lines))
	for i, l := range spec.Lines {
		if l.Quantity == 0 {
			l.Quantity = 1
		}
		if l.Price == "" {
			l.Price = "10.00"
		}
		if l.ID == 0 {
			l.ID = spec.ID*10 + int64(i) + 1
		}
		if l.ProductID == 0 {
			l.ProductID = 93 + int64(i)
		}
		if l.Name == "" {
			l.Name = l.SKU
		}
		price, err := parse(fmt.Sprintf("lines[%d].price", i), l.Price)
		if err != nil {
			return nil, err
		}
		disc, err := parse(fmt.Sprintf("lines[%d].discount", i), l.Discount)
		if err != nil {
			return nil, err
		}
		tax, err := parse(fmt.Sprintf("lines[%d].tax", i), l.Tax)
		if err != nil {
			return nil, err
		}
		sub, _ := price.Mul(l.Quantity)
		total, _ := sub.Sub(disc)
		discTotal, _ = discTotal.Add(disc)
		cartTax, _ = cartTax.Add(tax)
		lineTotals, _ = lineTotals.Add(total)
		taxes := []any{}
		if !tax.IsZero() {
			taxes = append(taxes, map[string]any{"id": 75, "total": tax.String(), "subtotal": tax.String()})
		}
		// price is a PHP float in WooCommerce: total / quantity.
		pf, _ := strconv.ParseFloat(total.String(), 64)
		lines = append(lines, map[string]any{
			"id": l.ID, "name": l.Name, "product_id": l.ProductID, "variation_id": l.VariationID,
			"quantity": l.Quantity, "tax_class": "",
			"subtotal": sub.String(), "subtotal_tax": tax.String(),
			"total": total.String(), "total_tax": tax.String(),
			"taxes": taxes, "meta_data": []any{}, "sku": l.SKU, "price": pf / float64(l.Quantity),
		})
	}
	total, _ := orderhub.Sum(cur, lineTotals, ship, cartTax)
	billing := spec.Billing.withDefaults()
	shipping := billing
	if spec.Shipping != nil {
		shipping = *spec.Shipping
	}
	created, modified := spec.CreatedAt, spec.ModifiedAt
	local := func(t time.Time) string { return t.In(loc).Format(wooTime) }
	o := map[string]any{
		"id": spec.ID, "parent_id": 0, "number": strconv.FormatInt(spec.ID, 10),
		"order_key": fmt.Sprintf("wc_order_%x", spec.ID*7919), "created_via": "checkout", "version": "9.4.2",
		"status": spec.Status, "currency": cur,
		"date_created": local(created), "date_created_gmt": gmt(created),
		"date_modified": local(modified), "date_modified_gmt": gmt(modified),
		"discount_total": discTotal.String(), "discount_tax": orderhub.Zero(cur).String(),
		"shipping_total": ship.String(), "shipping_tax": orderhub.Zero(cur).String(),
		"cart_tax": cartTax.String(), "total": total.String(), "total_tax": cartTax.String(),
		"prices_include_tax": spec.PricesIncludeT, "customer_id": 0,
		"customer_ip_address": "", "customer_user_agent": "", "customer_note": spec.CustomerNote,
		"billing": billing.json(true), "shipping": shipping.json(false),
		"payment_method": spec.PaymentMethod, "payment_method_title": "Credit card", "transaction_id": "",
		"date_paid": nil, "date_paid_gmt": nil, "date_completed": nil, "date_completed_gmt": nil,
		"cart_hash": "", "meta_data": []any{}, "line_items": lines,
		"tax_lines": []any{}, "fee_lines": []any{}, "coupon_lines": []any{}, "refunds": []any{},
		"shipping_lines": []any{map[string]any{
			"id": spec.ID*10 + 9, "method_title": spec.ShippingTitle, "method_id": "flat_rate", "instance_id": "1",
			"total": ship.String(), "total_tax": "0.00", "taxes": []any{}, "meta_data": []any{},
		}},
	}
	if !cartTax.IsZero() {
		o["tax_lines"] = []any{map[string]any{"id": spec.ID*10 + 8, "rate_code": "US-CA-STATE TAX", "rate_id": 75,
			"label": "State Tax", "compound": false, "tax_total": cartTax.String(), "shipping_tax_total": "0.00"}}
	}
	switch spec.Status {
	case "processing", "completed":
		o["date_paid"], o["date_paid_gmt"] = local(created), gmt(created)
	}
	if spec.Status == "completed" {
		o["date_completed"], o["date_completed_gmt"] = local(modified), gmt(modified)
	}
	return phpJSON(o)
}

// MustBuildOrder is BuildOrder for specs written in code; it panics on a
// malformed amount.
func MustBuildOrder(spec OrderSpec) []byte {
	b, err := BuildOrder(spec)
	if err != nil {
		panic(err)
	}
	return b
}
