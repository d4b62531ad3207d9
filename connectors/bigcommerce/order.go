package bigcommerce

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/orderhub/orderhub"
)

// orderJSON is the part of GET /v2/orders/{id} that orderhub reads.
type orderJSON struct {
	ID                  value  `json:"id"`
	CustomerID          value  `json:"customer_id"`
	DateCreated         string `json:"date_created"`
	DateModified        string `json:"date_modified"`
	StatusID            value  `json:"status_id"`
	Status              string `json:"status"`
	SubtotalExTax       value  `json:"subtotal_ex_tax"`
	SubtotalIncTax      value  `json:"subtotal_inc_tax"`
	SubtotalTax         value  `json:"subtotal_tax"`
	ShippingCostExTax   value  `json:"shipping_cost_ex_tax"`
	ShippingCostTax     value  `json:"shipping_cost_tax"`
	TotalIncTax         value  `json:"total_inc_tax"`
	TotalTax            value  `json:"total_tax"`
	DiscountAmount      value  `json:"discount_amount"`
	CouponDiscount      value  `json:"coupon_discount"`
	RefundedAmount      value  `json:"refunded_amount"`
	ItemsTotal          value  `json:"items_total"`
	ItemsShipped        value  `json:"items_shipped"`
	CurrencyCode        string `json:"currency_code"`
	DefaultCurrencyCode string `json:"default_currency_code"`
	CustomerMessage     string `json:"customer_message"`
	BillingAddress      struct {
		FirstName  string          `json:"first_name"`
		LastName   string          `json:"last_name"`
		Phone      string          `json:"phone"`
		Email      string          `json:"email"`
		FormFields json.RawMessage `json:"form_fields"`
	} `json:"billing_address"`
}

type productJSON struct {
	ID               value  `json:"id"`
	OrderID          value  `json:"order_id"`
	ProductID        value  `json:"product_id"`
	VariantID        value  `json:"variant_id"`
	Name             string `json:"name"`
	SKU              string `json:"sku"`
	Type             string `json:"type"`
	PriceExTax       value  `json:"price_ex_tax"`
	TotalTax         value  `json:"total_tax"`
	Quantity         value  `json:"quantity"`
	AppliedDiscounts []struct {
		Amount value `json:"amount"`
	} `json:"applied_discounts"`
	ProductOptions []struct {
		DisplayName  string `json:"display_name"`
		DisplayValue string `json:"display_value"`
	} `json:"product_options"`
}

type shippingAddressJSON struct {
	ID             value  `json:"id"`
	OrderID        value  `json:"order_id"`
	FirstName      string `json:"first_name"`
	LastName       string `json:"last_name"`
	Company        string `json:"company"`
	Street1        string `json:"street_1"`
	Street2        string `json:"street_2"`
	City           string `json:"city"`
	State          string `json:"state"`
	Zip            string `json:"zip"`
	Country        string `json:"country"`
	CountryISO2    string `json:"country_iso2"`
	Phone          string `json:"phone"`
	Email          string `json:"email"`
	ShippingMethod string `json:"shipping_method"`
	CostExTax      value  `json:"cost_ex_tax"`
	CostTax        value  `json:"cost_tax"`
}

// NormalizeOrder builds an orderhub.Order from the three v2 API responses a
// callback makes us fetch: GET /v2/orders/{id}, /v2/orders/{id}/products and
// /v2/orders/{id}/shipping_addresses, each collection as one JSON array
// (join the pages: the v2 API pages at 50). Empty or null collections are allowed
// (BigCommerce answers 204 for empty lists); products or addresses of another
// order are an Invalid error, since they mean the fetch got mixed up. Money
// is rounded from the API's 4 decimals to the currency's minor unit. Every
// amount but refunded_amount is read with NonNegativeMoney: BigCommerce
// never sends a negative price, tax, discount, shipping cost or total, so
// one is refused with its field rather than stored.
func NormalizeOrder(order, products, shippingAddresses []byte) (orderhub.Order, error) {
	var in orderJSON
	if err := decodeJSON("bigcommerce order", order, &in); err != nil {
		return orderhub.Order{}, err
	}
	var prods []productJSON
	if err := decodeList("bigcommerce order products", products, &prods); err != nil {
		return orderhub.Order{}, err
	}
	var addrs []shippingAddressJSON
	if err := decodeList("bigcommerce order shipping addresses", shippingAddresses, &addrs); err != nil {
		return orderhub.Order{}, err
	}

	var o orderhub.Order
	var err error
	o.Platform = orderhub.PlatformBigCommerce
	if o.ExternalID, err = in.ID.ID("id"); err != nil {
		return o, err
	}
	if o.ExternalID == "" {
		return o, invalid("id: missing")
	}
	o.ExternalNumber = o.ExternalID
	code := in.DefaultCurrencyCode
	if strings.TrimSpace(code) == "" {
		code = in.CurrencyCode
	}
	if strings.TrimSpace(code) == "" {
		return o, invalid("default_currency_code: missing")
	}
	cur, err := orderhub.NormalizeCurrency(code)
	if err != nil {
		return o, invalid("default_currency_code: %s", orderhub.ErrorMessage(err))
	}
	o.Currency = cur

	statusID, err := in.StatusID.Integer("status_id")
	if err != nil {
		return o, err
	}
	if in.StatusID.Null() {
		return o, invalid("status_id: missing")
	}
	shipped, err := in.ItemsShipped.Integer("items_shipped")
	if err != nil {
		return o, err
	}
	total, err := in.ItemsTotal.Integer("items_total")
	if err != nil {
		return o, err
	}
	o.Status = MapStatus(statusID, shipped, total)
	o.PlatformStatus = in.Status
	// TaxesIncluded says whether the amounts read here contain tax, and they
	// never do: lines take price_ex_tax and totals subtotal_ex_tax and
	// shipping_cost_ex_tax, with the tax beside them, whatever the store's
	// is_tax_inclusive_pricing display setting (subtotal_inc_tax minus
	// subtotal_ex_tax is only the tax, not a pricing mode).
	o.TaxesIncluded = false
	if o.PlatformStatus == "" {
		o.PlatformStatus = fmt.Sprint(statusID)
	}
	if o.CreatedAt, err = parseTime("date_created", in.DateCreated); err != nil {
		return o, err
	}
	if o.PlatformUpdate, err = parseTime("date_modified", in.DateModified); err != nil {
		return o, err
	}
	if IsPaid(statusID) && !o.CreatedAt.IsZero() {
		at := o.CreatedAt
		o.PaidAt = &at
	}
	o.Note = in.CustomerMessage
	if o.Attributes, err = formFields("billing_address.form_fields", in.BillingAddress.FormFields); err != nil {
		return o, err
	}
	if o.Customer.ExternalID, err = in.CustomerID.ID("customer_id"); err != nil {
		return o, err
	}
	if o.Customer.ExternalID == "0" {
		o.Customer.ExternalID = "" // a guest
	}
	o.Customer.Email = in.BillingAddress.Email
	o.Customer.Phone = in.BillingAddress.Phone
	o.Customer.FirstName, o.Customer.LastName = in.BillingAddress.FirstName, in.BillingAddress.LastName

	o.Lines = make([]orderhub.Line, 0, len(prods))
	for i, p := range prods {
		l, err := line(fmt.Sprintf("products[%d]", i), p, o.ExternalID, cur)
		if err != nil {
			return o, err
		}
		o.Lines = append(o.Lines, l)
	}

	for i, a := range addrs {
		path := fmt.Sprintf("shipping_addresses[%d]", i)
		oid, err := a.OrderID.ID(path + ".order_id")
		if err != nil {
			return o, err
		}
		if oid != "" && oid != o.ExternalID {
			return o, invalid("%s.order_id: %s is not order %s", path, oid, o.ExternalID)
		}
		if i == 0 {
			// The address id is the order_address_id a shipment written
			// back must name.
			addrID, err := a.ID.ID(path + ".id")
			if err != nil {
				return o, err
			}
			o.ShippingAddr = orderhub.Address{
				ExternalID: addrID,
				Name:       strings.TrimSpace(a.FirstName + " " + a.LastName),
				Company:    a.Company,
				Address1:   a.Street1,
				Address2:   a.Street2,
				City:       a.City,
				Province:   a.State,
				Zip:        a.Zip,
				Country:    a.CountryISO2,
				Phone:      a.Phone,
			}
			if o.ShippingAddr.Country == "" {
				o.ShippingAddr.Country = a.Country
			}
		}
		s := orderhub.ShipLine{Title: a.ShippingMethod, Discount: orderhub.Zero(cur)}
		if s.Price, err = a.CostExTax.NonNegativeMoney(path+".cost_ex_tax", cur, true); err != nil {
			return o, err
		}
		if s.Tax, err = a.CostTax.NonNegativeMoney(path+".cost_tax", cur, true); err != nil {
			return o, err
		}
		o.Shipping = append(o.Shipping, s)
	}

	t := &o.Totals
	if t.Subtotal, err = in.SubtotalExTax.NonNegativeMoney("subtotal_ex_tax", cur, true); err != nil {
		return o, err
	}
	// The charged total is built from the tax-inclusive subtotal and the
	// subtotal's tax; where the stored ex-tax subtotal disagrees with them
	// (BigCommerce's own documented order 218 does, by 0.76), the
	// inclusive figure less its tax is the one the total adds up from.
	if !in.SubtotalIncTax.Null() && !in.SubtotalTax.Null() {
		inc, err := in.SubtotalIncTax.NonNegativeMoney("subtotal_inc_tax", cur, true)
		if err != nil {
			return o, err
		}
		tax, err := in.SubtotalTax.NonNegativeMoney("subtotal_tax", cur, true)
		if err != nil {
			return o, err
		}
		if t.Subtotal, err = inc.Sub(tax); err != nil {
			return o, err
		}
	}
	if t.Shipping, err = in.ShippingCostExTax.NonNegativeMoney("shipping_cost_ex_tax", cur, true); err != nil {
		return o, err
	}
	if len(addrs) == 0 && !t.Shipping.IsZero() {
		s := orderhub.ShipLine{Title: "Shipping", Price: t.Shipping, Discount: orderhub.Zero(cur)}
		if s.Tax, err = in.ShippingCostTax.NonNegativeMoney("shipping_cost_tax", cur, true); err != nil {
			return o, err
		}
		o.Shipping = append(o.Shipping, s)
	}
	if t.Tax, err = in.TotalTax.NonNegativeMoney("total_tax", cur, true); err != nil {
		return o, err
	}
	if t.Total, err = in.TotalIncTax.NonNegativeMoney("total_inc_tax", cur, true); err != nil {
		return o, err
	}
	if t.Refunded, err = in.RefundedAmount.Money("refunded_amount", cur, true); err != nil {
		return o, err
	}
	discount, err := in.DiscountAmount.NonNegativeMoney("discount_amount", cur, true)
	if err != nil {
		return o, err
	}
	coupon, err := in.CouponDiscount.NonNegativeMoney("coupon_discount", cur, true)
	if err != nil {
		return o, err
	}
	t.Discount = discount
	if err := add("coupon_discount", &t.Discount, coupon); err != nil {
		return o, err
	}
	o.Raw = append(orderhub.RawPayload(nil), order...)
	return o, nil
}

// decodeList decodes a v2 collection; an empty body (204) or null is empty.
func decodeList(what string, body []byte, dst any) error {
	b := bytes.TrimSpace(body)
	if len(b) == 0 || bytes.Equal(b, []byte("null")) {
		return nil
	}
	return decodeJSON(what, b, dst)
}

func line(path string, p productJSON, orderID, cur string) (orderhub.Line, error) {
	var l orderhub.Line
	var err error
	oid, err := p.OrderID.ID(path + ".order_id")
	if err != nil {
		return l, err
	}
	if oid != "" && oid != orderID {
		return l, invalid("%s.order_id: %s is not order %s", path, oid, orderID)
	}
	if l.ExternalID, err = p.ID.ID(path + ".id"); err != nil {
		return l, err
	}
	if l.ExternalID == "" {
		return l, invalid("%s.id: missing", path)
	}
	if l.ProductID, err = p.ProductID.ID(path + ".product_id"); err != nil {
		return l, err
	}
	if l.VariantID, err = p.VariantID.ID(path + ".variant_id"); err != nil {
		return l, err
	}
	if l.ProductID == "0" {
		l.ProductID = "" // a custom product
	}
	if l.VariantID == "0" {
		l.VariantID = ""
	}
	l.SKU = p.SKU
	l.Name = p.Name
	if l.Quantity, err = p.Quantity.Integer(path + ".quantity"); err != nil {
		return l, err
	}
	if l.Quantity < 0 {
		return l, invalid("%s.quantity: %d is negative", path, l.Quantity)
	}
	if l.UnitPrice, err = p.PriceExTax.NonNegativeMoney(path+".price_ex_tax", cur, true); err != nil {
		return l, err
	}
	if l.Tax, err = p.TotalTax.NonNegativeMoney(path+".total_tax", cur, true); err != nil {
		return l, err
	}
	l.Discount = orderhub.Zero(cur)
	for i, d := range p.AppliedDiscounts {
		dp := fmt.Sprintf("%s.applied_discounts[%d].amount", path, i)
		m, err := d.Amount.NonNegativeMoney(dp, cur, true)
		if err != nil {
			return l, err
		}
		if err := add(dp, &l.Discount, m); err != nil {
			return l, err
		}
	}
	for _, opt := range p.ProductOptions {
		v, _ := json.Marshal(opt.DisplayValue)
		l.Properties = append(l.Properties, orderhub.Attribute{Name: opt.DisplayName, Value: v})
	}
	// Order products say what they are: type "physical" ships, "digital"
	// (a download) and "giftcertificate" (sent by email) do not; an absent
	// type is taken as physical, so nothing is left unshipped by mistake.
	l.RequiresShp = p.Type == "" || p.Type == "physical"
	if !l.RequiresShp {
		l.NoShippingReason = fmt.Sprintf("BigCommerce product type is %q, not physical", p.Type)
	}
	return l, nil
}

// formFields reads custom checkout fields [{name, value}] whose value may
// be a string, a number or an array.
func formFields(path string, raw json.RawMessage) ([]orderhub.Attribute, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return nil, nil
	}
	var items []struct {
		Name  value           `json:"name"`
		Value json.RawMessage `json:"value"`
	}
	if err := decodeJSON(path, raw, &items); err != nil {
		return nil, err
	}
	var out []orderhub.Attribute
	for i, it := range items {
		name, ok := it.Name.Str()
		if !ok {
			return nil, invalid("%s[%d].name: %s is not a string", path, i, it.Name.Shown())
		}
		v := bytes.TrimSpace(it.Value)
		if len(v) == 0 {
			v = []byte("null")
		}
		out = append(out, orderhub.Attribute{Name: name, Value: json.RawMessage(v)})
	}
	return out, nil
}
