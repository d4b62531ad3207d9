package bigcommercetest

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/orderhub/orderhub"
)

// OrderSpec describes an order for BuildOrder. Zero fields get realistic
// defaults; amounts are decimal strings in Currency, written by the builder
// as the v2 API's 4-decimal strings.
type OrderSpec struct {
	ID             int64  // default 250
	StatusID       int64  // default 11 (Awaiting Fulfillment)
	Currency       string // default USD
	CustomerID     int64
	Lines          []LineSpec // default one line SKU-1 × 1 at 10.00
	ShippingMethod string     // default Flat Rate
	ShippingCost   string     // default 0
	ShipTo         Address    // default a US address; also the billing address
	CreatedAt      time.Time  // default 2026-11-20T10:00:00Z
	ModifiedAt     time.Time  // default CreatedAt
	StaffNotes     string
	CustomerNote   string
	// Digital leaves out the shipping address (the API answers 204).
	Digital bool
}

// LineSpec is one order product.
type LineSpec struct {
	ID        int64 // order_product_id; default derived from the order id
	ProductID int64
	VariantID int64
	SKU       string
	Name      string
	Quantity  int64  // default 1
	Price     string // price_ex_tax; default 10.00
	Discount  string // applied discount on the line; default 0
	Tax       string // total tax of the line; default 0
}

// Address is a billing or shipping address.
type Address struct {
	FirstName, LastName, Company, Street1, Street2, City string
	State, Zip, Country, CountryISO2, Email, Phone       string
}

func (a Address) withDefaults() Address {
	if a.Street1 == "" && a.City == "" && a.CountryISO2 == "" {
		return Address{FirstName: "Jane", LastName: "Doe", Street1: "123 Main Street", City: "Austin",
			State: "Texas", Zip: "78751", Country: "United States", CountryISO2: "US", Email: "janedoe@example.com"}
	}
	return a
}

func (a Address) json() map[string]any {
	return map[string]any{
		"first_name": a.FirstName, "last_name": a.LastName, "company": a.Company,
		"street_1": a.Street1, "street_2": a.Street2, "city": a.City, "state": a.State,
		"zip": a.Zip, "country": a.Country, "country_iso2": a.CountryISO2,
		"phone": a.Phone, "email": a.Email, "form_fields": []any{},
	}
}

// four formats m as the v2 API does: 4 decimals.
func four(m orderhub.Money) string {
	exp, _ := orderhub.CurrencyExponent(m.Currency)
	s := m.String()
	if exp == 0 {
		return s + ".0000"
	}
	for ; exp < 4; exp++ {
		s += "0"
	}
	return s
}

// BuildOrder returns the three v2 resources of an order: GET /orders/{id},
// /orders/{id}/products and /orders/{id}/shipping_addresses, ready for
// AddOrder and bigcommerce.NormalizeOrder. Totals are computed exactly.
func BuildOrder(spec OrderSpec) (orderJSON, products, shippingAddresses []byte, err error) {
	cur := spec.Currency
	if cur == "" {
		cur = "USD"
	}
	if spec.ID == 0 {
		spec.ID = 250
	}
	if spec.StatusID == 0 {
		spec.StatusID = 11
	}
	if len(spec.Lines) == 0 {
		spec.Lines = []LineSpec{{SKU: "SKU-1", Name: "Widget"}}
	}
	if spec.ShippingMethod == "" {
		spec.ShippingMethod = "Flat Rate"
	}
	if spec.CreatedAt.IsZero() {
		spec.CreatedAt = time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	}
	if spec.ModifiedAt.IsZero() {
		spec.ModifiedAt = spec.CreatedAt
	}
	parse := func(field, s string) (orderhub.Money, error) {
		if s == "" {
			return orderhub.Zero(cur), nil
		}
		m, err := orderhub.ParseMoney(s, cur)
		if err != nil {
			return m, fmt.Errorf("bigcommercetest: %s: %w", field, err)
		}
		return m, nil
	}
	ship, err := parse("shipping cost", spec.ShippingCost)
	if err != nil {
		return nil, nil, nil, err
	}
	addr := spec.ShipTo.withDefaults()
	addrID := spec.ID*10 + 1
	subtotal, discount, tax := orderhub.Zero(cur), orderhub.Zero(cur), orderhub.Zero(cur)
	var items int64
	prods := make([]any, 0, len(spec.Lines))
	for i, l := range spec.Lines {
		if l.Quantity == 0 {
			l.Quantity = 1
		}
		if l.Price == "" {
			l.Price = "10.00"
		}
		if l.ID == 0 {
			l.ID = spec.ID*100 + int64(i) + 1
		}
		if l.ProductID == 0 {
			l.ProductID = 77 + int64(i)
		}
		if l.Name == "" {
			l.Name = l.SKU
		}
		price, err := parse(fmt.Sprintf("lines[%d].price", i), l.Price)
		if err != nil {
			return nil, nil, nil, err
		}
		disc, err := parse(fmt.Sprintf("lines[%d].discount", i), l.Discount)
		if err != nil {
			return nil, nil, nil, err
		}
		lt, err := parse(fmt.Sprintf("lines[%d].tax", i), l.Tax)
		if err != nil {
			return nil, nil, nil, err
		}
		total, _ := price.Mul(l.Quantity)
		subtotal, _ = subtotal.Add(total)
		discount, _ = discount.Add(disc)
		tax, _ = tax.Add(lt)
		items += l.Quantity
		applied := []any{}
		if !disc.IsZero() {
			applied = append(applied, map[string]any{"id": "manual-discount", "amount": four(disc), "name": "Manual Discount", "code": nil, "target": "order"})
		}
		unitTax := lt.Share(1, l.Quantity)
		incTax, _ := price.Add(unitTax)
		totalInc, _ := total.Add(lt)
		oa := any(addrID)
		if spec.Digital {
			oa = 0
		}
		prods = append(prods, map[string]any{
			"id": l.ID, "order_id": spec.ID, "product_id": l.ProductID, "variant_id": nullableInt(l.VariantID),
			"order_address_id": oa, "name": l.Name, "sku": l.SKU, "type": map[bool]string{true: "digital", false: "physical"}[spec.Digital],
			"base_price": four(price), "price_ex_tax": four(price), "price_inc_tax": four(incTax), "price_tax": four(unitTax),
			"base_total": four(total), "total_ex_tax": four(total), "total_inc_tax": four(totalInc), "total_tax": four(lt),
			"quantity": l.Quantity, "quantity_shipped": 0, "applied_discounts": applied, "product_options": []any{},
			"parent_order_product_id": nil, "is_bundled_product": false,
		})
	}
	totalEx, _ := orderhub.Sum(cur, subtotal, ship)
	totalEx, _ = totalEx.Sub(discount)
	totalInc, _ := totalEx.Add(tax)
	subInc, _ := subtotal.Add(tax)
	o := map[string]any{
		"id": spec.ID, "customer_id": spec.CustomerID,
		"date_created": spec.CreatedAt.UTC().Format(time.RFC1123Z), "date_modified": spec.ModifiedAt.UTC().Format(time.RFC1123Z),
		"date_shipped": "", "status_id": spec.StatusID, "status": StatusNames[spec.StatusID], "custom_status": StatusNames[spec.StatusID],
		"subtotal_ex_tax": four(subtotal), "subtotal_inc_tax": four(subInc), "subtotal_tax": four(tax),
		"base_shipping_cost": four(ship), "shipping_cost_ex_tax": four(ship), "shipping_cost_inc_tax": four(ship), "shipping_cost_tax": four(orderhub.Zero(cur)),
		"base_handling_cost": "0.0000", "handling_cost_ex_tax": "0.0000", "handling_cost_inc_tax": "0.0000",
		"base_wrapping_cost": "0.0000", "wrapping_cost_ex_tax": "0.0000", "wrapping_cost_inc_tax": "0.0000",
		"total_ex_tax": four(totalEx), "total_inc_tax": four(totalInc), "total_tax": four(tax),
		"is_tax_inclusive_pricing": false, "items_total": items, "items_shipped": 0,
		"payment_method": "Credit Card", "payment_status": "captured", "refunded_amount": "0.0000",
		"order_is_digital": spec.Digital, "currency_code": cur, "currency_exchange_rate": "1.0000000000",
		"default_currency_code": cur, "store_default_currency_code": cur,
		"staff_notes": spec.StaffNotes, "customer_message": spec.CustomerNote,
		"discount_amount": four(discount), "coupon_discount": "0.0000",
		"shipping_address_count": map[bool]int{true: 0, false: 1}[spec.Digital],
		"billing_address":        addr.json(), "order_source": "www", "channel_id": 1, "external_source": nil,
		"coupons": map[string]any{"url": "", "resource": fmt.Sprintf("/orders/%d/coupons", spec.ID)},
	}
	addrs := []any{}
	if !spec.Digital {
		a := addr.json()
		a["id"], a["order_id"] = addrID, spec.ID
		a["items_total"], a["items_shipped"] = items, 0
		a["shipping_method"] = spec.ShippingMethod
		a["base_cost"], a["cost_ex_tax"], a["cost_inc_tax"], a["cost_tax"] = four(ship), four(ship), four(ship), "0.0000"
		addrs = append(addrs, a)
	}
	if orderJSON, err = json.Marshal(o); err != nil {
		return nil, nil, nil, err
	}
	if products, err = json.Marshal(prods); err != nil {
		return nil, nil, nil, err
	}
	shippingAddresses, err = json.Marshal(addrs)
	return orderJSON, products, shippingAddresses, err
}

func nullableInt(n int64) any {
	if n == 0 {
		return nil
	}
	return n
}

// MustBuildOrder is BuildOrder for specs written in code; it panics on a
// malformed amount.
func MustBuildOrder(spec OrderSpec) (orderJSON, products, shippingAddresses []byte) {
	o, p, a, err := BuildOrder(spec)
	if err != nil {
		panic(err)
	}
	return o, p, a
}

// AddBuiltOrder builds an order from spec and stores it; it returns the id.
func (s *Server) AddBuiltOrder(spec OrderSpec) (int64, error) {
	o, p, a, err := BuildOrder(spec)
	if err != nil {
		return 0, err
	}
	return s.AddOrder(o, p, a)
}
