package woocommerce

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html"
	"strings"

	"github.com/orderhub/orderhub"
)

// orderJSON is the part of GET /wc/v3/orders/{id} that orderhub reads.
type orderJSON struct {
	ID               value          `json:"id"`
	Number           string         `json:"number"`
	Status           string         `json:"status"`
	Currency         string         `json:"currency"`
	DateCreated      string         `json:"date_created"`
	DateCreatedGMT   string         `json:"date_created_gmt"`
	DateModified     string         `json:"date_modified"`
	DateModifiedGMT  string         `json:"date_modified_gmt"`
	DatePaid         string         `json:"date_paid"`
	DatePaidGMT      string         `json:"date_paid_gmt"`
	DateCompleted    string         `json:"date_completed"`
	DateCompletedGMT string         `json:"date_completed_gmt"`
	DiscountTotal    value          `json:"discount_total"`
	ShippingTotal    value          `json:"shipping_total"`
	Total            value          `json:"total"`
	TotalTax         value          `json:"total_tax"`
	CustomerID       value          `json:"customer_id"`
	CustomerNote     string         `json:"customer_note"`
	Billing          addressJSON    `json:"billing"`
	Shipping         addressJSON    `json:"shipping"`
	MetaData         []metaJSON     `json:"meta_data"`
	LineItems        []lineItemJSON `json:"line_items"`
	ShippingLines    []shipLineJSON `json:"shipping_lines"`
	Refunds          []struct {
		Total value `json:"total"`
	} `json:"refunds"`
}

type addressJSON struct {
	FirstName string `json:"first_name"`
	LastName  string `json:"last_name"`
	Company   string `json:"company"`
	Address1  string `json:"address_1"`
	Address2  string `json:"address_2"`
	City      string `json:"city"`
	State     string `json:"state"`
	Postcode  string `json:"postcode"`
	Country   string `json:"country"`
	Email     string `json:"email"`
	Phone     string `json:"phone"`
}

func (a addressJSON) empty() bool {
	return a.FirstName == "" && a.LastName == "" && a.Company == "" && a.Address1 == "" &&
		a.Address2 == "" && a.City == "" && a.State == "" && a.Postcode == "" && a.Country == ""
}

type metaJSON struct {
	Key   value           `json:"key"`
	Value json.RawMessage `json:"value"`
}

type lineItemJSON struct {
	ID          value      `json:"id"`
	Name        string     `json:"name"`
	ProductID   value      `json:"product_id"`
	VariationID value      `json:"variation_id"`
	Quantity    value      `json:"quantity"`
	Subtotal    value      `json:"subtotal"`
	Total       value      `json:"total"`
	TotalTax    value      `json:"total_tax"`
	SKU         string     `json:"sku"`
	Price       value      `json:"price"`
	MetaData    []metaJSON `json:"meta_data"`
}

type shipLineJSON struct {
	MethodTitle string `json:"method_title"`
	MethodID    string `json:"method_id"`
	Total       value  `json:"total"`
	TotalTax    value  `json:"total_tax"`
}

// NormalizeOrder decodes an order.* webhook body (or a GET /wc/v3/orders/{id}
// response) into an orderhub.Order. Platform is set; ID and ShopID are left
// for the caller. Malformed input is an Invalid error naming the field, and
// so is a negative amount where WooCommerce never sends one (line amounts,
// shipping, the order's total, discount and shipping totals), e.g.
// `line_items[0].total: "-7.50" is negative`.
func NormalizeOrder(body []byte) (orderhub.Order, error) {
	var in orderJSON
	if err := decodeJSON("woocommerce order", body, &in); err != nil {
		return orderhub.Order{}, err
	}
	var o orderhub.Order
	var err error
	o.Platform = orderhub.PlatformWooCommerce
	if o.ExternalID, err = in.ID.ID("id"); err != nil {
		return o, err
	}
	if o.ExternalID == "" {
		return o, invalid("id: missing")
	}
	if strings.TrimSpace(in.Currency) == "" {
		return o, invalid("currency: missing")
	}
	cur, err := orderhub.NormalizeCurrency(in.Currency)
	if err != nil {
		return o, invalid("currency: %s", orderhub.ErrorMessage(err))
	}
	o.Currency = cur
	o.ExternalNumber = in.Number
	if o.ExternalNumber == "" {
		o.ExternalNumber = o.ExternalID
	}
	o.PlatformStatus = in.Status
	// TaxesIncluded says whether the amounts read here contain tax, and they
	// never do: WooCommerce stores and returns line subtotal and total
	// without tax (subtotal_tax and total_tax beside them) whatever
	// prices_include_tax says, which is only how the shop entered and shows
	// prices. Taking prices_include_tax would make Line.Total drop the tax.
	o.TaxesIncluded = false

	pick := func(gmt, local string) string {
		if strings.TrimSpace(gmt) != "" {
			return gmt
		}
		return local
	}
	if o.CreatedAt, err = parseTime("date_created_gmt", pick(in.DateCreatedGMT, in.DateCreated)); err != nil {
		return o, err
	}
	if o.PlatformUpdate, err = parseTime("date_modified_gmt", pick(in.DateModifiedGMT, in.DateModified)); err != nil {
		return o, err
	}
	paidAt, err := parseTime("date_paid_gmt", pick(in.DatePaidGMT, in.DatePaid))
	if err != nil {
		return o, err
	}
	completedAt, err := parseTime("date_completed_gmt", pick(in.DateCompletedGMT, in.DateCompleted))
	if err != nil {
		return o, err
	}
	o.Status = MapStatus(in.Status, !paidAt.IsZero(), !completedAt.IsZero())
	if IsPaid(in.Status, !paidAt.IsZero()) {
		at := paidAt
		if at.IsZero() {
			at = o.PlatformUpdate // a status that means paid, without date_paid
		}
		if !at.IsZero() {
			o.PaidAt = &at
		}
	}
	o.Note = in.CustomerNote
	if o.Attributes, err = attributes("meta_data", in.MetaData); err != nil {
		return o, err
	}

	if o.Customer.ExternalID, err = in.CustomerID.ID("customer_id"); err != nil {
		return o, err
	}
	if o.Customer.ExternalID == "0" {
		o.Customer.ExternalID = "" // a guest
	}
	o.Customer.Email = in.Billing.Email
	o.Customer.Phone = in.Billing.Phone
	o.Customer.FirstName, o.Customer.LastName = in.Billing.FirstName, in.Billing.LastName
	if !in.Shipping.empty() {
		a := in.Shipping
		o.ShippingAddr = orderhub.Address{
			Name:     strings.TrimSpace(a.FirstName + " " + a.LastName),
			Company:  a.Company,
			Address1: a.Address1,
			Address2: a.Address2,
			City:     a.City,
			Province: a.State,
			Zip:      a.Postcode,
			Country:  a.Country,
			Phone:    a.Phone,
		}
		if o.ShippingAddr.Phone == "" {
			o.ShippingAddr.Phone = in.Billing.Phone // shipping phone exists only since WC 5.6
		}
	}
	// Whether a line ships is a property of its product ("virtual" on
	// GET /wc/v3/products/{id}; WooCommerce ships a product unless it is
	// virtual, and a downloadable one is usually virtual too). Order line
	// items do not carry it: the REST API's order line item (docs
	// woocommerce-rest-api-docs _orders.md, and the shared fixture order
	// 727) holds ids, name, quantity, tax class, money, taxes, meta_data,
	// sku and price; webhook bodies are that same order resource. What the
	// order does say is whether the checkout asked for shipping at all: a
	// cart of virtual products only gets no shipping line and asks for no
	// shipping address (the behaviour OM4's "Always Ask for Shipping
	// Address" plugin exists to change, as its readme says). So an order
	// with neither needs no shipping, and every other order ships every
	// line, a virtual one in a mixed order included, since the order
	// cannot tell it apart; nothing is ever left unshipped by guesswork.
	ships := len(in.ShippingLines) > 0 || !in.Shipping.empty()

	subtotal := orderhub.Zero(cur)
	o.Lines = make([]orderhub.Line, 0, len(in.LineItems))
	for i, li := range in.LineItems {
		path := fmt.Sprintf("line_items[%d]", i)
		l, lineSubtotal, err := line(path, li, cur)
		if err != nil {
			return o, err
		}
		l.RequiresShp = ships
		if !ships {
			l.NoShippingReason = "WooCommerce order has no shipping line and no shipping address (virtual products only)"
		}
		if err := add(path+".subtotal", &subtotal, lineSubtotal); err != nil {
			return o, err
		}
		o.Lines = append(o.Lines, l)
	}
	for i, sl := range in.ShippingLines {
		path := fmt.Sprintf("shipping_lines[%d]", i)
		s := orderhub.ShipLine{Title: html.UnescapeString(sl.MethodTitle), Code: sl.MethodID, Discount: orderhub.Zero(cur)}
		if s.Price, err = sl.Total.NonNegativeMoney(path+".total", cur, true); err != nil {
			return o, err
		}
		if s.Tax, err = sl.TotalTax.NonNegativeMoney(path+".total_tax", cur, true); err != nil {
			return o, err
		}
		o.Shipping = append(o.Shipping, s)
	}

	t := &o.Totals
	t.Subtotal = subtotal
	if t.Discount, err = in.DiscountTotal.NonNegativeMoney("discount_total", cur, true); err != nil {
		return o, err
	}
	if t.Shipping, err = in.ShippingTotal.NonNegativeMoney("shipping_total", cur, true); err != nil {
		return o, err
	}
	// The order's tax alone may be signed: it includes the tax of fee
	// lines, and a negative fee (a common way to give a discount) carries
	// negative tax, which this order-level sum can in principle fall below
	// zero with. Every other amount WooCommerce sends in an order is
	// unsigned, bar the refunds, which it lists as negative totals.
	if t.Tax, err = in.TotalTax.Money("total_tax", cur, true); err != nil {
		return o, err
	}
	if t.Total, err = in.Total.NonNegativeMoney("total", cur, true); err != nil {
		return o, err
	}
	t.Refunded = orderhub.Zero(cur)
	for i, r := range in.Refunds {
		p := fmt.Sprintf("refunds[%d].total", i)
		m, err := r.Total.Money(p, cur, true) // a refund keeps its sign
		if err != nil {
			return o, err
		}
		if m.Amount < 0 { // refunds are listed as negative totals
			m.Amount = -m.Amount
		}
		if err := add(p, &t.Refunded, m); err != nil {
			return o, err
		}
	}
	o.Raw = append(orderhub.RawPayload(nil), body...)
	return o, nil
}

// line converts one line item and also returns its subtotal (before
// discounts), which the order's subtotal adds up.
func line(path string, li lineItemJSON, cur string) (orderhub.Line, orderhub.Money, error) {
	var l orderhub.Line
	var err error
	if l.ExternalID, err = li.ID.ID(path + ".id"); err != nil {
		return l, orderhub.Money{}, err
	}
	if l.ProductID, err = li.ProductID.ID(path + ".product_id"); err != nil {
		return l, orderhub.Money{}, err
	}
	if l.VariantID, err = li.VariationID.ID(path + ".variation_id"); err != nil {
		return l, orderhub.Money{}, err
	}
	if l.ProductID == "0" {
		l.ProductID = "" // a product deleted since, or a custom line
	}
	if l.VariantID == "0" {
		l.VariantID = ""
	}
	l.SKU = li.SKU
	l.Name = html.UnescapeString(li.Name)
	if l.Quantity, err = li.Quantity.Integer(path + ".quantity"); err != nil {
		return l, orderhub.Money{}, err
	}
	if l.Quantity < 0 {
		return l, orderhub.Money{}, invalid("%s.quantity: %d is negative", path, l.Quantity)
	}
	total, err := li.Total.NonNegativeMoney(path+".total", cur, true)
	if err != nil {
		return l, orderhub.Money{}, err
	}
	if l.Tax, err = li.TotalTax.NonNegativeMoney(path+".total_tax", cur, true); err != nil {
		return l, orderhub.Money{}, err
	}
	var subtotal orderhub.Money
	if li.Subtotal.Null() {
		subtotal = total
		if l.UnitPrice, err = li.Price.NonNegativeMoney(path+".price", cur, true); err != nil {
			return l, orderhub.Money{}, err
		}
	} else {
		if subtotal, err = li.Subtotal.NonNegativeMoney(path+".subtotal", cur, true); err != nil {
			return l, orderhub.Money{}, err
		}
		if l.Quantity > 0 {
			l.UnitPrice = subtotal.Share(1, l.Quantity) // exact when it divides
		} else if l.UnitPrice, err = li.Price.NonNegativeMoney(path+".price", cur, true); err != nil {
			return l, orderhub.Money{}, err
		}
	}
	if l.Discount, err = subtotal.Sub(total); err != nil {
		return l, orderhub.Money{}, invalid("%s: subtotal − total: %s", path, orderhub.ErrorMessage(err))
	}
	if l.Properties, err = attributes(path+".meta_data", li.MetaData); err != nil {
		return l, orderhub.Money{}, err
	}
	return l, subtotal, nil
}

// attributes turns meta_data [{id, key, value}] into attributes; value keeps
// whatever JSON shape it had.
func attributes(path string, meta []metaJSON) ([]orderhub.Attribute, error) {
	var out []orderhub.Attribute
	for i, m := range meta {
		name, ok := m.Key.Str()
		if !ok {
			return nil, invalid("%s[%d].key: %s is not a string", path, i, m.Key.Shown())
		}
		v := bytes.TrimSpace(m.Value)
		if len(v) == 0 {
			v = []byte("null")
		}
		out = append(out, orderhub.Attribute{Name: name, Value: json.RawMessage(v)})
	}
	return out, nil
}
