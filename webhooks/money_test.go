package webhooks_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/orderhub/orderhub"
	"github.com/orderhub/orderhub/store"
)

// A delivery with money the platform never sends, such as a negative line
// price, becomes a dead letter on its first attempt, naming the field, and
// stores no order; the rest of its batch is applied.
func TestBadMoneyIsADeadLetterNamingTheField(t *testing.T) {
	eachStore(t, testBadMoneyIsADeadLetterNamingTheField)
}

func testBadMoneyIsADeadLetterNamingTheField(t *testing.T, setup setupFunc) {
	b := setup(t)
	jpy := strings.NewReplacer(`"currency": "USD"`, `"currency": "JPY"`, `"price": "10.00"`, `"price": "-3000"`,
		`"25.00"`, `"1000"`, `"20.00"`, `"-6000"`, `"0.00"`, `"0"`, `"5.00"`, `"160"`).Replace(string(shopifyOrder("7501", "paid", "", "", "2026-11-28T10:00:00Z")))
	good := shopifyOrder("7502", "paid", "", "", "2026-11-28T10:00:00Z")
	woo := strings.Replace(string(testdata(t, "woocommerce", "order-1042-eur-coupon-entities.json")), `"shipping_total": "4.90"`, `"shipping_total": "-4.90"`, 1)
	bcProducts := strings.Replace(string(testdata(t, "bigcommerce", "order-5001-products.json")), `"price_ex_tax": "5.0000"`, `"price_ex_tax": "-5.0000"`, 1)
	b.bc.set("5001", testdata(t, "bigcommerce", "order-5001-kwd.json"), []byte(bcProducts), testdata(t, "bigcommerce", "order-5001-shipping-addresses.json"))
	bcBody := testdata(t, "bigcommerce", "webhook-order-statusupdated.json")

	want := map[string]string{
		b.accept("shopify", "acme-shopify", []byte(jpy), shopifyHeaders([]byte(jpy), "orders/create", "neg-1")): `line_items[0].price: "-3000" is negative`,
		b.accept("woocommerce", "acme-woo", []byte(woo), wooHeaders([]byte(woo), "order.updated")):              `shipping_total: "-4.90" is negative`,
		b.accept("bigcommerce", "acme-bc", bcBody, b.bcHeaders(bcBody, "neg-3")):                                `products[1].price_ex_tax: "-5.0000" is negative`,
	}
	goodID := b.accept("shopify", "acme-shopify", good, shopifyHeaders(good, "orders/create", "ok-1"))
	require.Equal(t, 4, b.drain())

	dead, err := b.store.ListDeadReceipts(ctxT(t), store.ListReceiptsParams{Limit: 10})
	require.NoError(t, err)
	require.Len(t, dead.Receipts, len(want), "every bad delivery, and only those, is a dead letter at once")
	for _, r := range dead.Receipts {
		field, ok := want[r.ID]
		require.True(t, ok, "receipt %s (%s) is dead", r.ID, r.LastError)
		require.Equal(t, 1, r.Attempts, "retrying cannot fix a payload")
		require.Contains(t, r.LastError, field)
		require.NotContains(t, r.LastError, "gave up after")
	}
	require.Equal(t, store.ReceiptProcessed, b.receipt(goodID).Status)
	orders := b.orders()
	require.Len(t, orders, 1, "no order is stored from bad money")
	require.Equal(t, "7502", orders[0].ExternalID)
	b.clock.Advance(24 * time.Hour)
	require.Zero(t, b.drain(), "dead letters are not retried")
}

// Text with NUL bytes, which a platform may send as \u0000 in any string,
// arrives through the intake and is stored exactly, on every store.
func TestNULInAnOrderSurvivesTheIntake(t *testing.T) { eachStore(t, testNULInAnOrderSurvivesTheIntake) }

func testNULInAnOrderSurvivesTheIntake(t *testing.T, setup setupFunc) {
	b := setup(t)
	body := []byte(strings.NewReplacer(`"name": "Mug"`, `"name": "Mu\u0000g", "properties": [{"name": "en\u0000grave", "value": "A\u0000B"}]`,
		`"first_name": "Ann"`, `"first_name": "A\u0000nn"`, `"email": "ann@example.com",`, `"email": "ann@example.com", "note": "ring \u0000 twice",`).
		Replace(string(shopifyOrder("7601", "paid", "", "", "2026-11-28T10:00:00Z"))))
	id := b.accept("shopify", "acme-shopify", body, shopifyHeaders(body, "orders/create", "nul-1"))
	b.drain()
	require.Equal(t, store.ReceiptProcessed, b.receipt(id).Status, b.receipt(id).LastError)
	o := b.order("acme-shopify", "7601")
	require.Equal(t, "Mu\x00g", o.Lines[0].Name)
	require.Equal(t, "A\x00nn", o.Customer.FirstName)
	require.Equal(t, "ring \x00 twice", o.Note)
	require.Equal(t, "en\x00grave", o.Lines[0].Properties[0].Name)
	require.JSONEq(t, `"A\u0000B"`, string(o.Lines[0].Properties[0].Value))
	require.Equal(t, orderhub.StatusPaid, o.Status)
}
