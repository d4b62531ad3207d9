package shopify

import (
	"strings"
	"testing"
	"time"

	"github.com/orderhub/orderhub"
)

func TestDecodeRefund(t *testing.T) {
	body := testdata(t, "refund-create.json")
	for _, cur := range []string{"JPY", ""} {
		r, err := DecodeRefund(body, cur)
		if err != nil {
			t.Fatalf("currency %q: %v", cur, err)
		}
		if r.ID != "929361465" || r.OrderID != "820982911946154508" || r.Note != "damaged in transit" {
			t.Fatalf("refund = %+v", r)
		}
		if !r.CreatedAt.Equal(time.Date(2026, 11, 21, 14, 0, 0, 0, time.UTC)) {
			t.Errorf("created %v", r.CreatedAt)
		}
		if len(r.Lines) != 1 {
			t.Fatalf("lines = %+v", r.Lines)
		}
		l := r.Lines[0]
		if l.LineItemID != "487817672276298554" || l.Quantity != 1 || l.RestockType != "return" {
			t.Errorf("line = %+v", l)
		}
		// subtotal arrives as the JSON number 1400.0 and is still exact.
		if l.Subtotal != (orderhub.Money{Amount: 1400, Currency: "JPY"}) || l.Tax.Amount != 112 {
			t.Errorf("line money = %v %v", l.Subtotal, l.Tax)
		}
		// Only the successful transaction counts.
		if r.Amount != (orderhub.Money{Amount: 1512, Currency: "JPY"}) {
			t.Errorf("amount = %v", r.Amount)
		}
		if r.Shipping.Amount != 100 {
			t.Errorf("shipping refund = %v", r.Shipping)
		}
	}
}

func TestDecodeRefundErrors(t *testing.T) {
	for _, tt := range []struct{ body, cur, want string }{
		{`{"id":1,"order_id":2,"refund_line_items":[]}`, "", "currency"},
		{`{"id":1,"refund_line_items":[]}`, "USD", "order_id: missing"},
		{`{"id":1,"order_id":2,"refund_line_items":[{"line_item_id":3,"quantity":"x"}]}`, "USD", "refund_line_items[0].quantity"},
		{`{"id":1,"order_id":2,"refund_line_items":[{"quantity":1}]}`, "USD", "refund_line_items[0].line_item_id: missing"},
		{`{"id":1,"order_id":2,"transactions":[{"kind":"refund","status":"success","amount":"1.234"}]}`, "USD", "transactions[0].amount"},
		{`nope`, "USD", "malformed"},
	} {
		_, err := DecodeRefund([]byte(tt.body), tt.cur)
		if orderhub.ErrorCode(err) != orderhub.EInvalid || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("DecodeRefund(%s) = %v, want invalid containing %q", tt.body, err, tt.want)
		}
	}
}
