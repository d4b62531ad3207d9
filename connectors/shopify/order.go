package shopify

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/orderhub/orderhub"
)

// orderJSON is the part of Shopify's REST Order resource that orderhub
// reads. Money and ids are values so they never pass through float64.
type orderJSON struct {
	ID                    value           `json:"id"`
	Name                  string          `json:"name"`
	OrderNumber           value           `json:"order_number"`
	Email                 string          `json:"email"`
	ContactEmail          string          `json:"contact_email"`
	Phone                 string          `json:"phone"`
	Currency              string          `json:"currency"`
	FinancialStatus       string          `json:"financial_status"`
	FulfillmentStatus     string          `json:"fulfillment_status"`
	TaxesIncluded         bool            `json:"taxes_included"`
	CancelledAt           string          `json:"cancelled_at"`
	CreatedAt             string          `json:"created_at"`
	UpdatedAt             string          `json:"updated_at"`
	ProcessedAt           string          `json:"processed_at"`
	Note                  string          `json:"note"`
	Tags                  string          `json:"tags"`
	TotalPrice            value           `json:"total_price"`
	TotalLineItemsPrice   value           `json:"total_line_items_price"`
	TotalDiscounts        value           `json:"total_discounts"`
	TotalTax              value           `json:"total_tax"`
	TotalShippingPriceSet *priceSet       `json:"total_shipping_price_set"`
	NoteAttributes        json.RawMessage `json:"note_attributes"`
	LineItems             []lineItemJSON  `json:"line_items"`
	ShippingLines         []shipLineJSON  `json:"shipping_lines"`
	ShippingAddress       *addressJSON    `json:"shipping_address"`
	BillingAddress        *addressJSON    `json:"billing_address"`
	Customer              *customerJSON   `json:"customer"`
	Refunds               []struct {
		Transactions []transactionJSON `json:"transactions"`
	} `json:"refunds"`
}

type priceSet struct {
	ShopMoney struct {
		Amount       value  `json:"amount"`
		CurrencyCode string `json:"currency_code"`
	} `json:"shop_money"`
}

type lineItemJSON struct {
	ID                  value             `json:"id"`
	ProductID           value             `json:"product_id"`
	VariantID           value             `json:"variant_id"`
	SKU                 string            `json:"sku"`
	Name                string            `json:"name"`
	Title               string            `json:"title"`
	Quantity            value             `json:"quantity"`
	CurrentQuantity     value             `json:"current_quantity"`
	Price               value             `json:"price"`
	TotalDiscount       value             `json:"total_discount"`
	DiscountAllocations *[]allocationJSON `json:"discount_allocations"`
	TaxLines            []taxLineJSON     `json:"tax_lines"`
	Properties          json.RawMessage   `json:"properties"`
	RequiresShipping    *bool             `json:"requires_shipping"`
}

type allocationJSON struct {
	Amount value `json:"amount"`
}

type taxLineJSON struct {
	Price value  `json:"price"`
	Title string `json:"title"`
}

type shipLineJSON struct {
	Title               string            `json:"title"`
	Code                string            `json:"code"`
	Price               value             `json:"price"`
	DiscountedPrice     value             `json:"discounted_price"`
	DiscountAllocations *[]allocationJSON `json:"discount_allocations"`
	TaxLines            []taxLineJSON     `json:"tax_lines"`
}

type addressJSON struct {
	Name         string `json:"name"`
	FirstName    string `json:"first_name"`
	LastName     string `json:"last_name"`
	Company      string `json:"company"`
	Address1     string `json:"address1"`
	Address2     string `json:"address2"`
	City         string `json:"city"`
	Province     string `json:"province"`
	ProvinceCode string `json:"province_code"`
	Zip          string `json:"zip"`
	Country      string `json:"country"`
	CountryCode  string `json:"country_code"`
	Phone        string `json:"phone"`
	Latitude     value  `json:"latitude"`
	Longitude    value  `json:"longitude"`
}

type customerJSON struct {
	ID        value  `json:"id"`
	Email     string `json:"email"`
	Phone     string `json:"phone"`
	FirstName string `json:"first_name"`
	LastName  string `json:"last_name"`
}

type transactionJSON struct {
	Kind     string `json:"kind"`
	Status   string `json:"status"`
	Amount   value  `json:"amount"`
	Currency string `json:"currency"`
}

// unwrap returns the resource inside a {"order": {...}} envelope, which the
// REST API uses and webhook bodies do not, so both decode the same way. It
// peeks at the first key so that webhook bodies, the hot path, are parsed
// once.
func unwrap(body []byte, name string) []byte {
	dec := json.NewDecoder(bytes.NewReader(body))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return body
	}
	if key, err := dec.Token(); err != nil || key != name {
		return body
	}
	var env map[string]json.RawMessage
	if json.Unmarshal(body, &env) != nil || len(env) != 1 {
		return body
	}
	inner := bytes.TrimSpace(env[name])
	if len(inner) == 0 || inner[0] != '{' {
		return body
	}
	return inner
}

// NormalizeOrder decodes an order webhook body (orders/create, orders/paid,
// orders/updated, orders/cancelled, ...) or a REST {"order": ...} response
// into an orderhub.Order. Platform is set; ID and ShopID are left for the
// caller. Any malformed input is an Invalid error naming the field, e.g.
// `line_items[1].price: "abc" is not a decimal amount in USD (...)`.
func NormalizeOrder(body []byte) (orderhub.Order, error) {
	body = unwrap(body, "order")
	var in orderJSON
	if err := decodeJSON("shopify order", body, &in); err != nil {
		return orderhub.Order{}, err
	}
	return normalize(in, body)
}

// normalize reads every price, discount, tax, shipping charge and total
// with NonNegativeMoney: an order resource never holds a negative one
// (Shopify signs only refunds and their order adjustments, which DecodeRefund
// reads), so a negative amount is refused with its field rather than
// stored, where a later cancellation would "refund" it as a charge.
func normalize(in orderJSON, body []byte) (orderhub.Order, error) {
	var o orderhub.Order
	var err error
	o.Platform = orderhub.PlatformShopify
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
	o.ExternalNumber = in.Name
	if o.ExternalNumber == "" {
		n, err := in.OrderNumber.ID("order_number")
		if err != nil {
			return o, err
		}
		if n != "" {
			o.ExternalNumber = "#" + n
		}
	}
	o.PlatformStatus = in.FinancialStatus
	// Line prices and discount allocations are what the shop entered: with
	// tax inside when the shop prices tax-inclusive.
	o.TaxesIncluded = in.TaxesIncluded
	cancelledAt, err := parseTime("cancelled_at", in.CancelledAt)
	if err != nil {
		return o, err
	}
	o.Status = MapStatus(in.FinancialStatus, in.FulfillmentStatus, !cancelledAt.IsZero())
	if o.CreatedAt, err = parseTime("created_at", in.CreatedAt); err != nil {
		return o, err
	}
	if o.PlatformUpdate, err = parseTime("updated_at", in.UpdatedAt); err != nil {
		return o, err
	}
	processed, err := parseTime("processed_at", in.ProcessedAt)
	if err != nil {
		return o, err
	}
	if IsPaid(in.FinancialStatus) {
		at := processed
		if at.IsZero() {
			at = o.CreatedAt
		}
		if !at.IsZero() {
			o.PaidAt = &at
		}
	}
	o.Note = in.Note
	o.Tags = splitTags(in.Tags)
	if o.Attributes, err = attributes("note_attributes", in.NoteAttributes); err != nil {
		return o, err
	}

	if o.Customer, err = customer(in); err != nil {
		return o, err
	}
	if in.ShippingAddress != nil {
		if o.ShippingAddr, err = address("shipping_address", *in.ShippingAddress); err != nil {
			return o, err
		}
	}

	o.Lines = make([]orderhub.Line, 0, len(in.LineItems))
	for i, li := range in.LineItems {
		l, err := line(fmt.Sprintf("line_items[%d]", i), li, cur)
		if err != nil {
			return o, err
		}
		o.Lines = append(o.Lines, l)
	}
	for i, sl := range in.ShippingLines {
		s, err := shipLine(fmt.Sprintf("shipping_lines[%d]", i), sl, cur)
		if err != nil {
			return o, err
		}
		o.Shipping = append(o.Shipping, s)
	}
	if o.Totals, err = totals(in, o.Shipping, cur); err != nil {
		return o, err
	}
	o.Raw = append(orderhub.RawPayload(nil), body...)
	return o, nil
}

func customer(in orderJSON) (orderhub.Customer, error) {
	c := orderhub.Customer{Email: in.Email, Phone: in.Phone}
	if c.Email == "" {
		c.Email = in.ContactEmail
	}
	if in.Customer != nil {
		var err error
		if c.ExternalID, err = in.Customer.ID.ID("customer.id"); err != nil {
			return c, err
		}
		if c.Email == "" {
			c.Email = in.Customer.Email
		}
		if c.Phone == "" {
			c.Phone = in.Customer.Phone
		}
		c.FirstName, c.LastName = in.Customer.FirstName, in.Customer.LastName
	}
	for _, a := range []*addressJSON{in.BillingAddress, in.ShippingAddress} {
		if a != nil && c.FirstName == "" && c.LastName == "" {
			c.FirstName, c.LastName = a.FirstName, a.LastName
		}
	}
	return c, nil
}

func address(path string, a addressJSON) (orderhub.Address, error) {
	out := orderhub.Address{
		Name:     a.Name,
		Company:  a.Company,
		Address1: a.Address1,
		Address2: a.Address2,
		City:     a.City,
		Province: a.ProvinceCode,
		Zip:      a.Zip,
		Country:  a.CountryCode,
		Phone:    a.Phone,
	}
	if out.Name == "" {
		out.Name = strings.TrimSpace(a.FirstName + " " + a.LastName)
	}
	if out.Province == "" {
		out.Province = a.Province
	}
	if out.Country == "" {
		out.Country = a.Country
	}
	var err error
	if out.Latitude, err = a.Latitude.Float(path + ".latitude"); err != nil {
		return out, err
	}
	if out.Longitude, err = a.Longitude.Float(path + ".longitude"); err != nil {
		return out, err
	}
	return out, nil
}

func line(path string, li lineItemJSON, cur string) (orderhub.Line, error) {
	var l orderhub.Line
	var err error
	if l.ExternalID, err = li.ID.ID(path + ".id"); err != nil {
		return l, err
	}
	if l.ProductID, err = li.ProductID.ID(path + ".product_id"); err != nil {
		return l, err
	}
	if l.VariantID, err = li.VariantID.ID(path + ".variant_id"); err != nil {
		return l, err
	}
	l.SKU = li.SKU
	l.Name = li.Name
	if l.Name == "" {
		l.Name = li.Title
	}
	if l.Quantity, err = li.Quantity.Integer(path + ".quantity"); err != nil {
		return l, err
	}
	if l.Quantity < 0 {
		return l, invalid("%s.quantity: %d is negative", path, l.Quantity)
	}
	if !li.CurrentQuantity.Null() {
		// Units removed on Shopify by an order edit or a refund: never ship them.
		cq, err := li.CurrentQuantity.Integer(path + ".current_quantity")
		if err != nil {
			return l, err
		}
		if cq < 0 || cq > l.Quantity {
			return l, invalid("%s.current_quantity: %d is outside 0..%d", path, cq, l.Quantity)
		}
		l.Cancelled = l.Quantity - cq
	}
	if l.UnitPrice, err = li.Price.NonNegativeMoney(path+".price", cur, false); err != nil {
		return l, err
	}
	if l.Discount, err = discount(path, li.DiscountAllocations, li.TotalDiscount, cur); err != nil {
		return l, err
	}
	if l.Tax, err = taxes(path, li.TaxLines, cur); err != nil {
		return l, err
	}
	if l.Properties, err = attributes(path+".properties", li.Properties); err != nil {
		return l, err
	}
	l.RequiresShp = li.RequiresShipping == nil || *li.RequiresShipping
	if !l.RequiresShp {
		// Shopify marks each line item: a digital product or a gift card
		// has requires_shipping false.
		l.NoShippingReason = "Shopify says requires_shipping: false (a digital product or a gift card)"
	}
	return l, nil
}

// discount sums discount_allocations when the payload has them (even
// empty), else falls back to the pre-2019 total_discount.
func discount(path string, allocs *[]allocationJSON, legacy value, cur string) (orderhub.Money, error) {
	total := orderhub.Zero(cur)
	if allocs == nil {
		return legacy.NonNegativeMoney(path+".total_discount", cur, false)
	}
	for i, a := range *allocs {
		p := fmt.Sprintf("%s.discount_allocations[%d].amount", path, i)
		m, err := a.Amount.NonNegativeMoney(p, cur, false)
		if err != nil {
			return total, err
		}
		if err := add(p, &total, m); err != nil {
			return total, err
		}
	}
	return total, nil
}

func taxes(path string, lines []taxLineJSON, cur string) (orderhub.Money, error) {
	total := orderhub.Zero(cur)
	for i, t := range lines {
		p := fmt.Sprintf("%s.tax_lines[%d].price", path, i)
		m, err := t.Price.NonNegativeMoney(p, cur, false)
		if err != nil {
			return total, err
		}
		if err := add(p, &total, m); err != nil {
			return total, err
		}
	}
	return total, nil
}

func shipLine(path string, sl shipLineJSON, cur string) (orderhub.ShipLine, error) {
	s := orderhub.ShipLine{Title: sl.Title, Code: sl.Code}
	var err error
	if s.Price, err = sl.Price.NonNegativeMoney(path+".price", cur, false); err != nil {
		return s, err
	}
	switch {
	case sl.DiscountAllocations != nil:
		if s.Discount, err = discount(path, sl.DiscountAllocations, value{}, cur); err != nil {
			return s, err
		}
	case !sl.DiscountedPrice.Null():
		dp, err := sl.DiscountedPrice.NonNegativeMoney(path+".discounted_price", cur, false)
		if err != nil {
			return s, err
		}
		if s.Discount, err = s.Price.Sub(dp); err != nil {
			return s, invalid("%s.discounted_price: %s", path, orderhub.ErrorMessage(err))
		}
		if s.Discount.Amount < 0 {
			return s, invalid("%s.discounted_price: %s is more than the price %s", path, sl.DiscountedPrice.Shown(), sl.Price.Shown())
		}
	default:
		s.Discount = orderhub.Zero(cur)
	}
	if s.Tax, err = taxes(path, sl.TaxLines, cur); err != nil {
		return s, err
	}
	return s, nil
}

func totals(in orderJSON, ships []orderhub.ShipLine, cur string) (orderhub.Totals, error) {
	var t orderhub.Totals
	var err error
	if t.Subtotal, err = in.TotalLineItemsPrice.NonNegativeMoney("total_line_items_price", cur, false); err != nil {
		return t, err
	}
	if t.Discount, err = in.TotalDiscounts.NonNegativeMoney("total_discounts", cur, false); err != nil {
		return t, err
	}
	if t.Tax, err = in.TotalTax.NonNegativeMoney("total_tax", cur, false); err != nil {
		return t, err
	}
	if t.Total, err = in.TotalPrice.NonNegativeMoney("total_price", cur, false); err != nil {
		return t, err
	}
	t.Shipping = orderhub.Zero(cur)
	if in.TotalShippingPriceSet != nil && !in.TotalShippingPriceSet.ShopMoney.Amount.Null() {
		if t.Shipping, err = in.TotalShippingPriceSet.ShopMoney.Amount.NonNegativeMoney("total_shipping_price_set.shop_money.amount", cur, false); err != nil {
			return t, err
		}
	} else {
		for i, s := range ships {
			if err := add(fmt.Sprintf("shipping_lines[%d].price", i), &t.Shipping, s.Price); err != nil {
				return t, err
			}
		}
	}
	t.Refunded = orderhub.Zero(cur)
	for i, r := range in.Refunds {
		for j, tx := range r.Transactions {
			if tx.Kind != "refund" || tx.Status != "success" {
				continue
			}
			p := fmt.Sprintf("refunds[%d].transactions[%d].amount", i, j)
			m, err := tx.Amount.Money(p, cur, false) // a refund keeps its sign
			if err != nil {
				return t, err
			}
			if err := add(p, &t.Refunded, m); err != nil {
				return t, err
			}
		}
	}
	return t, nil
}

// splitTags reads Shopify's comma-separated tag string.
func splitTags(s string) []string {
	var tags []string
	for _, t := range strings.Split(s, ",") {
		if t = strings.TrimSpace(t); t != "" {
			tags = append(tags, t)
		}
	}
	return tags
}

// attributes reads line-item properties or note attributes of any shape:
// an array of {name, value} (value of any JSON type, names may repeat), an
// object map, [], null or absent. An array element that is not an object
// is kept with an empty name rather than failing the order.
func attributes(path string, raw json.RawMessage) ([]orderhub.Attribute, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return nil, nil
	}
	switch raw[0] {
	case '[':
		var items []json.RawMessage
		if err := json.Unmarshal(raw, &items); err != nil {
			return nil, invalid("%s: %v", path, err)
		}
		var out []orderhub.Attribute
		for i, it := range items {
			it = bytes.TrimSpace(it)
			if len(it) == 0 || it[0] != '{' {
				out = append(out, orderhub.Attribute{Value: json.RawMessage(it)})
				continue
			}
			var kv struct {
				Name  value           `json:"name"`
				Value json.RawMessage `json:"value"`
			}
			if err := json.Unmarshal(it, &kv); err != nil {
				return nil, invalid("%s[%d]: %v", path, i, err)
			}
			name, ok := kv.Name.Str()
			if !ok {
				name = kv.Name.Raw()
			}
			v := bytes.TrimSpace(kv.Value)
			if len(v) == 0 {
				v = []byte("null")
			}
			out = append(out, orderhub.Attribute{Name: name, Value: json.RawMessage(v)})
		}
		return out, nil
	case '{':
		return objectAttributes(path, raw)
	}
	return []orderhub.Attribute{{Value: json.RawMessage(raw)}}, nil
}

// objectAttributes reads {"name": value, ...} keeping the document's order.
func objectAttributes(path string, raw json.RawMessage) ([]orderhub.Attribute, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if _, err := dec.Token(); err != nil { // {
		return nil, invalid("%s: %v", path, err)
	}
	var out []orderhub.Attribute
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, invalid("%s: %v", path, err)
		}
		name, _ := tok.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, invalid("%s.%s: %v", path, name, err)
		}
		out = append(out, orderhub.Attribute{Name: name, Value: v})
	}
	return out, nil
}
