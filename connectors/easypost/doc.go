// Package easypost is orderhub's connector to EasyPost, a label provider:
// a client that creates shipments, buys the chosen rate and manages the
// webhook subscription, built on github.com/EasyPost/easypost-go/v4; and
// the webhook side, which verifies EasyPost's X-Hmac-Signature and decodes
// tracker events (PLATFORMS.md §5).
//
// It owns EasyPost's wire formats only. The client is its only I/O and
// every request goes through connectors/apiclient (retries, Retry-After,
// pacing, error codes): the SDK is handed an http.Client whose transport
// is the apiclient Client. Nothing here touches the store or decides a
// fulfillment's status, and it imports no other connector.
//
// # Exactly one label per fulfillment
//
// A shipment is created with reference = orderhub's fulfillment id; it
// costs nothing until bought, and buying is on one shipment id, which
// EasyPost refuses to buy twice. BuyShipment treats that refusal (a retried
// buy whose first attempt landed) as success when the shipment turns out
// to hold a label. The caller stores the shipment id before buying, so a
// retried job buys the same shipment or finds it bought.
//
// # Webhooks
//
// EasyPost signs an Event with HMAC-SHA256 over the raw body, keyed by the
// NFKD-normalised webhook secret, in "X-Hmac-Signature:
// hmac-sha256-hex=<hex>" (the algorithm of easypost-go's ValidateWebhook,
// re-implemented here so that it runs on the raw body with our error
// codes). There is no timestamp; dedupe on the Event id.
package easypost
