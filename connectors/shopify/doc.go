// Package shopify is orderhub's Shopify connector for webhook intake: it
// verifies deliveries exactly as Shopify signs them, extracts the dedupe key
// and topic, and decodes order and refund payloads into the orderhub domain.
//
// It owns Shopify's wire formats and a thin Admin API client. The client in
// client.go (on connectors/apiclient) is its only I/O; nothing here may touch
// the store, log, or import another connector except apiclient. The webhook
// intake calls it through small interfaces and the composition root wires
// it in.
//
// # Verification
//
// X-Shopify-Hmac-Sha256 is base64(HMAC-SHA256(secret, raw body)). Shopify
// takes up to an hour to sign with a rotated secret, so VerifyWebhook accepts
// any of the configured secrets (current and previous). No timestamp is
// signed, so there is no replay window to check.
//
// # Dedupe
//
// The key is X-Shopify-Event-Id when present, else X-Shopify-Webhook-Id
// (PLATFORMS.md §1: the docs disagree, so the event id, which is the same
// across every subscription's delivery of one event, wins).
//
// # Status mapping
//
// MapStatus folds financial_status, fulfillment_status and cancelled_at into
// an orderhub.Status:
//
//	cancelled_at set                     cancelled
//	financial_status voided, expired     cancelled
//	financial_status refunded            refunded if anything was fulfilled,
//	                                     else cancelled (orderhub only refunds
//	                                     shipped orders; unshipped is a cancel)
//	pending, unpaid, "" or unknown       pending
//	authorized, partially_paid           payment_processing
//	paid, partially_refunded             paid, or partially_fulfilled /
//	                                     fulfilled when fulfillment_status is
//	                                     partial / fulfilled
//
// IsPaid is true for paid and partially_refunded only: those are the orders
// to route. Shopify's order has no paid-at time, so PaidAt is processed_at
// (else created_at) when IsPaid: the moment the customer checked out, which
// keeps backorder FIFO fair for delayed captures too.
//
// # Money
//
// Amounts are the shop-currency strings (price, not price_set) read exactly
// with orderhub.ParseMoney; ids are strings because they exceed 2^53. A
// line's Discount is the sum of discount_allocations[].amount, or the older
// total_discount when the payload has no allocations; its Tax is the sum of
// tax_lines[].price. Totals come from the order's own fields: Subtotal is
// total_line_items_price (before discounts), Shipping is
// total_shipping_price_set.shop_money (else the sum of shipping lines),
// Refunded is the sum of successful refund transactions. taxes_included
// becomes Order.TaxesIncluded: when true, prices already contain the tax.
package shopify
