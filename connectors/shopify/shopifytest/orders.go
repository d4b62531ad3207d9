package shopifytest

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/orderhub/orderhub"
)

// OrderSpec describes an order for BuildOrder. Zero fields get realistic
// defaults; amounts are decimal strings in Currency.
type OrderSpec struct {
	ID              int64  // default 820982911946154508 + Number (beyond 2^53, as on Shopify)
	Number          int64  // order_number; default 1001
	Email           string // default customer@example.com
	Currency        string // default USD
	FinancialStatus string // default paid
	Note            string
	Tags            string
	Lines           []LineSpec // default one line SKU-1 × 1 at 10.00
	ShippingTitle   string     // default Standard
	ShippingPrice   string     // default 0.00
	ShipTo          Address    // default a New York address
	CreatedAt       time.Time  // default 2026-11-20T10:00:00Z
	UpdatedAt       time.Time  // default CreatedAt
	Cancelled       bool       // sets cancelled_at and cancel_reason
}

// LineSpec is one line item.
type LineSpec struct {
	ID        int64 // default derived from the order id
	ProductID int64
	VariantID int64
	SKU       string
	Title     string
	Quantity  int64  // default 1
	Price     string // unit price; default 10.00
	Discount  string // total discount allocated to the line; default 0
	Tax       string // total tax of the line; default 0
	// NoShipping marks a digital line (requires_shipping false).
	NoShipping bool
}

// Address is a shipping or billing address.
type Address struct {
	FirstName, LastName, Company, Address1, Address2, City   string
	Province, ProvinceCode, Zip, Country, CountryCode, Phone string
}

func (a Address) withDefaults() Address {
	if a.Address1 == "" && a.City == "" && a.CountryCode == "" {
		return Address{FirstName: "Ada", LastName: "Lovelace", Address1: "450 W 33rd St", City: "New York",
			Province: "New York", ProvinceCode: "NY", Zip: "10001", Country: "United States", CountryCode: "US", Phone: "+12125550100"}
	}
	return a
}

func (a Address) json() map[string]any {
	name := strings.TrimSpace(a.FirstName + " " + a.LastName)
	return map[string]any{
		"first_name": a.FirstName, "last_name": a.LastName, "name": name, "company": nullable(a.Company),
		"address1": a.Address1, "address2": nullable(a.Address2), "city": a.City,
		"province": a.Province, "province_code": a.ProvinceCode, "zip": a.Zip,
		"country": a.Country, "country_code": a.CountryCode, "phone": nullable(a.Phone),
		"latitude": nil, "longitude": nil,
	}
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func moneySet(m orderhub.Money) map[string]any {
	v := map[string]any{"amount": m.String(), "currency_code": m.Currency}
	return map[string]any{"shop_money": v, "presentment_money": v}
}

// BuildOrder returns a REST Order resource (bare, as an orders/* webhook
// body carries it) in Shopify's current field set: ids beyond 2^53,
// price_set, discount_allocations, tax_lines, shipping lines, addresses
// and a customer. Totals are computed exactly from the lines.
func BuildOrder(spec OrderSpec) ([]byte, error) {
	cur := spec.Currency
	if cur == "" {
		cur = "USD"
	}
	if spec.Number == 0 {
		spec.Number = 1001
	}
	if spec.ID == 0 {
		spec.ID = 820982911946154508 + spec.Number
	}
	if spec.Email == "" {
		spec.Email = "customer@example.com"
	}
	if spec.FinancialStatus == "" {
		spec.FinancialStatus = "paid"
	}
	if len(spec.Lines) == 0 {
		spec.Lines = []LineSpec{{SKU: "SKU-1", Title: "Widget"}}
	}
	if spec.ShippingTitle == "" {
		spec.ShippingTitle = "Standard"
	}
	if spec.CreatedAt.IsZero() {
		spec.CreatedAt = time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	}
	if spec.UpdatedAt.IsZero() {
		spec.UpdatedAt = spec.CreatedAt
	}
	parse := func(field, s string) (orderhub.Money, error) {
		if s == "" {
			return orderhub.Zero(cur), nil
		}
		m, err := orderhub.ParseMoney(s, cur)
		if err != nil {
			return m, fmt.Errorf("shopifytest: %s: %w", field, err)
		}
		return m, nil
	}
	ship, err := parse("shipping price", spec.ShippingPrice)
	if err != nil {
		return nil, err
	}
	lineTotal, discTotal, taxTotal := orderhub.Zero(cur), orderhub.Zero(cur), orderhub.Zero(cur)
	lines := make([]any, 0, len(spec.Lines))
	for i, l := range spec.Lines {
		if l.Quantity == 0 {
			l.Quantity = 1
		}
		if l.Price == "" {
			l.Price = "10.00"
		}
		if l.ID == 0 {
			l.ID = spec.ID%1_000_000_000_000 + 466157049 + int64(i)
		}
		if l.ProductID == 0 {
			l.ProductID = 632910392 + int64(i)
		}
		if l.VariantID == 0 {
			l.VariantID = 39072856 + int64(i)
		}
		if l.Title == "" {
			l.Title = l.SKU
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
		lineTotal, _ = lineTotal.Add(sub)
		discTotal, _ = discTotal.Add(disc)
		taxTotal, _ = taxTotal.Add(tax)
		allocs := []any{}
		if !disc.IsZero() {
			allocs = append(allocs, map[string]any{"amount": disc.String(), "amount_set": moneySet(disc), "discount_application_index": 0})
		}
		taxLines := []any{}
		if !tax.IsZero() {
			taxLines = append(taxLines, map[string]any{"title": "State Tax", "price": tax.String(), "price_set": moneySet(tax), "rate": 0.08875})
		}
		lines = append(lines, map[string]any{
			"id": l.ID, "admin_graphql_api_id": fmt.Sprintf("gid://shopify/LineItem/%d", l.ID),
			"product_id": l.ProductID, "variant_id": l.VariantID, "sku": l.SKU,
			"title": l.Title, "name": l.Title, "variant_title": nil, "vendor": "Acme",
			"quantity": l.Quantity, "current_quantity": l.Quantity, "fulfillable_quantity": l.Quantity,
			"price": price.String(), "price_set": moneySet(price),
			"total_discount": "0.00", "total_discount_set": moneySet(orderhub.Zero(cur)),
			"discount_allocations": allocs, "tax_lines": taxLines,
			"requires_shipping": !l.NoShipping, "taxable": true, "gift_card": false,
			"fulfillment_service": "manual", "fulfillment_status": nil, "grams": 200,
			"properties": []any{}, "product_exists": true,
		})
	}
	subtotal, _ := lineTotal.Sub(discTotal)
	total, _ := orderhub.Sum(cur, subtotal, ship, taxTotal)
	addr := spec.ShipTo.withDefaults()
	created := spec.CreatedAt.Format(time.RFC3339)
	o := map[string]any{
		"id": spec.ID, "admin_graphql_api_id": fmt.Sprintf("gid://shopify/Order/%d", spec.ID),
		"name": fmt.Sprintf("#%d", spec.Number), "order_number": spec.Number, "number": spec.Number - 1000,
		"email": spec.Email, "contact_email": spec.Email, "phone": nil,
		"currency": cur, "presentment_currency": cur,
		"financial_status": spec.FinancialStatus, "fulfillment_status": nil,
		"confirmed": true, "test": false, "taxes_included": false,
		"created_at": created, "processed_at": created, "updated_at": spec.UpdatedAt.Format(time.RFC3339),
		"cancelled_at": nil, "cancel_reason": nil, "closed_at": nil,
		"note": nullable(spec.Note), "tags": spec.Tags, "note_attributes": []any{},
		"subtotal_price": subtotal.String(), "subtotal_price_set": moneySet(subtotal),
		"total_line_items_price": lineTotal.String(), "total_line_items_price_set": moneySet(lineTotal),
		"total_discounts": discTotal.String(), "total_discounts_set": moneySet(discTotal),
		"total_tax": taxTotal.String(), "total_tax_set": moneySet(taxTotal),
		"total_price": total.String(), "total_price_set": moneySet(total),
		"total_shipping_price_set": moneySet(ship),
		"line_items":               lines,
		"shipping_lines": []any{map[string]any{
			"id": spec.ID%1_000_000_000 + 271878346, "title": spec.ShippingTitle, "code": spec.ShippingTitle,
			"source": "shopify", "price": ship.String(), "price_set": moneySet(ship),
			"discounted_price": ship.String(), "discount_allocations": []any{}, "tax_lines": []any{},
		}},
		"shipping_address": addr.json(),
		"billing_address":  addr.json(),
		"customer": map[string]any{
			"id": 115310627314723954 + spec.Number, "email": spec.Email,
			"first_name": addr.FirstName, "last_name": addr.LastName, "phone": nil,
		},
		"refunds": []any{}, "fulfillments": []any{}, "discount_codes": []any{},
		"source_name": "web", "gateway": "shopify_payments", "payment_gateway_names": []any{"shopify_payments"},
	}
	if spec.Cancelled {
		o["cancelled_at"] = spec.UpdatedAt.Format(time.RFC3339)
		o["cancel_reason"] = "customer"
	}
	return json.Marshal(o)
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
