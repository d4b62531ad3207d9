// Package woocommerce is orderhub's WooCommerce connector for webhook
// intake: it verifies deliveries exactly as WooCommerce core signs them,
// recognises the unsigned creation ping, builds the dedupe key and decodes
// order payloads (the GET /wc/v3/orders/{id} representation) into the
// orderhub domain.
//
// It owns WooCommerce's wire formats and a thin REST client. The client in
// client.go (on connectors/apiclient) is its only I/O; nothing here may touch
// the store, log, or import another connector except apiclient.
//
// # Verification
//
// X-WC-Webhook-Signature is base64(HMAC-SHA256(key, raw body)) where key is
// the secret after PHP's wp_specialchars_decode(secret, ENT_QUOTES): a
// secret saved as "a&amp;b" signs with "a&b" (woocommerce PR #22722).
// WooCommerce signs no timestamp. A site can swap the hash through the
// woocommerce_webhook_hash_algorithm filter; only the SHA-256 default is
// supported.
//
// On creation WooCommerce POSTs the form body "webhook_id=<id>" without a
// signature and needs exactly 200 back; IsPing recognises it so the intake
// can answer 200 without verifying or storing anything.
//
// # Dedupe
//
// X-WC-Webhook-Delivery-ID is derived from the webhook id and the second, so
// it is not unique. The key is X-WC-Webhook-ID, the resource id and
// date_modified_gmt (else date_modified) from the body: the same order state
// delivered twice dedupes, a later change does not. A *.deleted body is just
// {"id": N}; its key uses the delivery id in place of the date.
//
// # Status mapping
//
// MapStatus maps the order status:
//
//	pending, checkout-draft   pending
//	failed                    pending (payment failed; the customer may pay
//	                          again, so it must not be a terminal status)
//	on-hold                   payment_processing (awaiting confirmation, e.g.
//	                          bank transfer)
//	processing                paid (payment received, to fulfil)
//	completed                 fulfilled
//	cancelled, trash          cancelled
//	refunded                  refunded if date_completed is set (it shipped),
//	                          else cancelled
//	anything else (plugins)   paid when date_paid is set, else pending
//
// IsPaid is true for processing and completed, and for unknown statuses
// when date_paid is set; PaidAt is date_paid_gmt (else date_paid, else
// date_modified_gmt for a paid status without a payment date, as on orders
// an admin moves to processing by hand).
//
// # Money
//
// Amount strings are read with orderhub.ParseMoneyRounded, because a store's
// "number of decimals" setting may exceed the currency's. A line's unit
// price is subtotal/quantity computed exactly in minor units: exact when it
// divides, else rounded half away from zero, so UnitPrice×Quantity may then
// differ from subtotal by less than Quantity/2 minor units. The JSON number
// "price" (a PHP float) is only the fallback when subtotal is absent. Line
// Discount is subtotal − total and Tax is total_tax. Fee lines have no place
// in the domain yet, so Totals.Total (the platform's) includes them while
// the other totals do not.
//
// Line names and shipping method titles are HTML-entity decoded
// ("Ship Your Idea &ndash; Color: Black" becomes "Ship Your Idea – ...").
// Line items do not say whether they ship, so RequiresShp is true when the
// order has shipping lines or a shipping address; an order with neither is
// one of virtual products only, and its lines get RequiresShp false with a
// NoShippingReason saying so (see NormalizeOrder).
package woocommerce
