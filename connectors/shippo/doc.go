// Package shippo is orderhub's connector to Shippo, a label provider: a
// thin REST client for shipments, transactions (label purchases) and
// tracks, and the webhook side, which authenticates Shippo's callbacks (a
// secret URL token, or the opt-in HMAC signature) and decodes their
// envelope (PLATFORMS.md §6).
//
// It owns Shippo's wire formats only. The client (on connectors/apiclient)
// is its only I/O; nothing here touches the store, decides a fulfillment's
// status or imports another connector.
//
// # Exactly one label per fulfillment
//
// Shippo has no idempotency key, and buying the same rate twice buys two
// labels. So a transaction carries metadata = orderhub's fulfillment id,
// and BuyLabel sends the purchase without in-process retries of an
// ambiguous failure: after a 5xx, a timeout or a lost answer it first
// looks for a transaction with that metadata created since the
// fulfillment (FindTransaction) and only buys again when there is none. A
// 429 is waited out and retried (it was not processed). The caller looks
// the same way before a retried job buys.
//
// # Webhooks
//
// Shippo does not sign by default. A provider is configured with auth
// url_token (the callback URL carries ?token=<webhook_secret>, compared in
// constant time) or hmac (Shippo-Auth-Signature: t=<unix>,v1=<hex
// HMAC-SHA256(secret, t + "." + body)>, a format from secondary sources).
// Either way the body is untrusted: the hub re-fetches the transaction or
// track by id before acting on it.
package shippo
