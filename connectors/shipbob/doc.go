// Package shipbob is orderhub's connector to ShipBob, the 3PL: a thin REST
// client that creates an order for a fulfillment, finds it again by its
// reference_id, polls for tracking and manages webhook subscriptions; and
// the webhook side, which verifies ShipBob's Standard Webhooks signatures
// and decodes its order and shipment events (PLATFORMS.md §4).
//
// It owns ShipBob's wire formats only. The client (on connectors/apiclient)
// is its only I/O; nothing here touches the store, decides a fulfillment's
// status or imports another connector except the standardwebhooks spec
// package and apiclient.
//
// # Exactly one order per fulfillment
//
// An order's reference_id is orderhub's fulfillment id. ShipBob treats
// reference_id plus shipbob_channel_id as an idempotency key and answers a
// second create with 422, so EnsureOrder looks the reference up first,
// creates only when it is missing, and after a 422 (a retried create whose
// first attempt did land) looks it up again and returns the order that
// exists. A retry of the job, or a retried POST inside one call, can never
// make a second order.
//
// # Webhooks
//
// ShipBob signs deliveries per Standard Webhooks with the subscription's
// whsec_ secret and sends the topic in x-webhook-topic (dated APIs) or
// shipbob-topic (legacy 1.0/2.0 subscriptions). order.shipped carries the
// Order view model, the order.shipment.* topics a Shipment view model;
// DecodeWebhook reads either (and a {"data": ...} envelope) into an Event.
package shipbob
