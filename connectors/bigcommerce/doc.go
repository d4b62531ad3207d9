// Package bigcommerce is orderhub's BigCommerce connector for webhook
// intake: it verifies callbacks (Standard Webhooks signature and/or the
// custom header set on the hook), decodes the thin callback payload, builds
// the dedupe key, and turns the v2 API's order, products and shipping
// addresses into an orderhub.Order.
//
// It owns BigCommerce's wire formats and a thin API client. The client in
// client.go (on connectors/apiclient) is its only I/O: it fetches orders and
// manages hooks. Nothing else here may do I/O; nothing here may touch the
// store, log, or import another connector except the standardwebhooks spec
// package and apiclient.
//
// # Verification
//
// BigCommerce signs callbacks per Standard Webhooks (PLATFORMS.md §3). Its
// docs verify with the standardwebhooks library constructed from
// base64(client_secret); the library base64-decodes that secret, so the HMAC
// key is the app's client secret bytes as issued. That is the
// interpretation here: ClientSecret is used raw (a "whsec_" secret would be
// base64-decoded instead). The header names webhook-id, webhook-timestamp
// and webhook-signature come from the spec, not from BigCommerce's page.
// Timestamps more than 5 minutes from the injected clock are refused.
// A hook may also carry a custom header configured at POST /v3/hooks; when
// the shop sets one, it must match too (constant-time compare). A shop must
// configure at least one of the two.
//
// # Dedupe
//
// The key is scope + ":" + hash from the body: BigCommerce documents that a
// hook firing twice for one event carries the same hash, and its samples for
// created and updated share a hash, so the scope is part of the key.
//
// # Status mapping
//
// MapStatus maps status_id (PLATFORMS.md §3):
//
//	0 Incomplete, 1 Pending                      pending
//	7 Awaiting Payment                           payment_processing
//	12 Manual Verification Required              payment_processing (held)
//	13 Disputed                                  payment_processing (held: the
//	                                             money is contested; not routed)
//	11 Awaiting Fulfillment, 9 Awaiting Shipment,
//	8 Awaiting Pickup                            paid
//	3 Partially Shipped                          partially_fulfilled
//	2 Shipped, 10 Completed                      fulfilled
//	5 Cancelled, 6 Declined                      cancelled
//	4 Refunded                                   refunded if items_shipped > 0,
//	                                             else cancelled
//	14 Partially Refunded                        paid, partially_fulfilled or
//	                                             fulfilled by items_shipped
//	anything else                                pending
//
// IsPaid is true for 2, 3, 8, 9, 10, 11 and 14: statuses BigCommerce only
// reaches once payment is captured. The v2 order has no paid-at time, so
// PaidAt is date_created (checkout) when IsPaid.
//
// # Money
//
// The v2 API sends 4-decimal strings ("62.6793"), so amounts are read with
// orderhub.ParseMoneyRounded into the order's transactional currency
// (default_currency_code, else currency_code; the docs call currency_code
// the display currency). A line's UnitPrice is price_ex_tax, its Discount
// the sum of applied_discounts[].amount (order-level discounts are
// distributed onto products there), its Tax total_tax. Totals: Subtotal
// subtotal_ex_tax, Discount discount_amount + coupon_discount (the first
// excludes coupons), Shipping shipping_cost_ex_tax, Tax total_tax, Total
// total_inc_tax, Refunded refunded_amount. Handling, wrapping and fees have
// no place in the domain yet and are only inside Total.
package bigcommerce
