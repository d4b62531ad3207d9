package shopify

import (
	"fmt"
	"strings"
	"time"

	"github.com/orderhub/orderhub"
)

// Refund is a refunds/create webhook: which order lines were refunded and
// how much money went back.
type Refund struct {
	ID        string
	OrderID   string
	Note      string
	CreatedAt time.Time
	Lines     []RefundLine
	// Amount is the sum of the refund's successful refund transactions:
	// the money that actually went back to the customer.
	Amount orderhub.Money
	// Shipping is what order_adjustments of kind shipping_refund gave back;
	// Shopify records it as a negative adjustment, kept here as positive.
	Shipping orderhub.Money
}

// RefundLine is one refunded quantity of an order line.
type RefundLine struct {
	LineItemID  string         // the order's line_items[].id
	Quantity    int64          // units refunded
	RestockType string         // no_restock, cancel, return, legacy_restock
	Subtotal    orderhub.Money // refunded amount before tax
	Tax         orderhub.Money // refunded tax
}

type refundJSON struct {
	ID              value             `json:"id"`
	OrderID         value             `json:"order_id"`
	Note            string            `json:"note"`
	CreatedAt       string            `json:"created_at"`
	RefundLineItems []refundLineJSON  `json:"refund_line_items"`
	Transactions    []transactionJSON `json:"transactions"`
	OrderAdjust     []struct {
		Kind   string `json:"kind"`
		Amount value  `json:"amount"`
	} `json:"order_adjustments"`
}

type refundLineJSON struct {
	LineItemID  value     `json:"line_item_id"`
	Quantity    value     `json:"quantity"`
	RestockType string    `json:"restock_type"`
	Subtotal    value     `json:"subtotal"`
	TotalTax    value     `json:"total_tax"`
	SubtotalSet *priceSet `json:"subtotal_set"`
}

// DecodeRefund decodes a refunds/create body. currency is the order's shop
// currency, which the caller knows from the stored order; when it is ""
// the refund's own transactions or subtotal_set must name it. Errors are
// Invalid and name the field.
func DecodeRefund(body []byte, currency string) (Refund, error) {
	body = unwrap(body, "refund")
	var in refundJSON
	if err := decodeJSON("shopify refund", body, &in); err != nil {
		return Refund{}, err
	}
	var r Refund
	var err error
	if r.ID, err = in.ID.ID("id"); err != nil {
		return r, err
	}
	if r.OrderID, err = in.OrderID.ID("order_id"); err != nil {
		return r, err
	}
	if r.OrderID == "" {
		return r, invalid("order_id: missing")
	}
	if r.CreatedAt, err = parseTime("created_at", in.CreatedAt); err != nil {
		return r, err
	}
	r.Note = in.Note
	if currency == "" {
		for _, tx := range in.Transactions {
			if currency = tx.Currency; currency != "" {
				break
			}
		}
	}
	if currency == "" {
		for _, l := range in.RefundLineItems {
			if l.SubtotalSet != nil {
				if currency = l.SubtotalSet.ShopMoney.CurrencyCode; currency != "" {
					break
				}
			}
		}
	}
	if strings.TrimSpace(currency) == "" {
		return r, invalid("currency: not given and not in the refund")
	}
	cur, err := orderhub.NormalizeCurrency(currency)
	if err != nil {
		return r, invalid("currency: %s", orderhub.ErrorMessage(err))
	}
	for i, l := range in.RefundLineItems {
		p := fmt.Sprintf("refund_line_items[%d]", i)
		var rl RefundLine
		if rl.LineItemID, err = l.LineItemID.ID(p + ".line_item_id"); err != nil {
			return r, err
		}
		if rl.LineItemID == "" {
			return r, invalid("%s.line_item_id: missing", p)
		}
		if rl.Quantity, err = l.Quantity.Integer(p + ".quantity"); err != nil {
			return r, err
		}
		if rl.Quantity < 0 {
			return r, invalid("%s.quantity: %d is negative", p, rl.Quantity)
		}
		rl.RestockType = l.RestockType
		if rl.Subtotal, err = l.Subtotal.Money(p+".subtotal", cur, false); err != nil {
			return r, err
		}
		if rl.Tax, err = l.TotalTax.Money(p+".total_tax", cur, false); err != nil {
			return r, err
		}
		r.Lines = append(r.Lines, rl)
	}
	r.Amount = orderhub.Zero(cur)
	for i, tx := range in.Transactions {
		if tx.Kind != "refund" || tx.Status != "success" {
			continue
		}
		p := fmt.Sprintf("transactions[%d].amount", i)
		m, err := tx.Amount.Money(p, cur, false)
		if err != nil {
			return r, err
		}
		if err := add(p, &r.Amount, m); err != nil {
			return r, err
		}
	}
	r.Shipping = orderhub.Zero(cur)
	for i, a := range in.OrderAdjust {
		if a.Kind != "shipping_refund" {
			continue
		}
		p := fmt.Sprintf("order_adjustments[%d].amount", i)
		m, err := a.Amount.Money(p, cur, false)
		if err != nil {
			return r, err
		}
		if m.Amount < 0 {
			m.Amount = -m.Amount
		}
		if err := add(p, &r.Shipping, m); err != nil {
			return r, err
		}
	}
	return r, nil
}
