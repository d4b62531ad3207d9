package store

import (
	"context"
	"time"

	"github.com/orderhub/orderhub"
)

// CallbacksTx is the operations behind the source callbacks: the tracking
// and status reports 3PLs, label providers and dropship suppliers post to
// /webhooks/{kind}/{id}. A callback is recorded once per sender and event
// id, in the same transaction as the fulfillment change it causes, so a
// redelivered event is recognised and changes nothing; and a fulfillment
// can be found by what the sender knows of it, its external id or tracking
// number.
type CallbacksTx interface {
	// RecordCallback records that an event from a sender was applied. It
	// returns whether this call recorded it: false means the same source,
	// source id and event id were recorded before (a duplicate delivery),
	// and nothing is written. Missing source, source id or event id is
	// Invalid. It never fails with a unique violation, so it is safe inside
	// a PostgreSQL transaction that must go on.
	RecordCallback(ctx context.Context, p RecordCallbackParams) (created bool, err error)
	// GetCallback returns a recorded callback, or NotFound.
	GetCallback(ctx context.Context, source, sourceID, eventID string) (Callback, error)
	// FindFulfillment returns the newest fulfillment matching the external
	// id or, when that is empty or matches none, the tracking number, among
	// fulfillments of SourceKind when it is set. No match is NotFound;
	// neither key given is Invalid.
	FindFulfillment(ctx context.Context, p FindFulfillmentParams) (orderhub.Fulfillment, error)
}

// Callback is one recorded source callback.
type Callback struct {
	Source        string    `json:"source"`    // shipbob, easypost, shippo or supplier
	SourceID      string    `json:"source_id"` // the provider or supplier id
	EventID       string    `json:"event_id"`  // the sender's event or delivery id
	Topic         string    `json:"topic,omitempty"`
	FulfillmentID string    `json:"fulfillment_id,omitempty"`
	ReceivedAt    time.Time `json:"received_at"`
}

// RecordCallbackParams are the inputs of RecordCallback.
type RecordCallbackParams struct {
	Source        string
	SourceID      string
	EventID       string
	Topic         string
	FulfillmentID string // the fulfillment it applied to, when one
}

// FindFulfillmentParams say what a callback knows of a fulfillment.
type FindFulfillmentParams struct {
	SourceKind     string // warehouse, 3pl or supplier; empty: any
	ExternalID     string // the 3PL order, label shipment or PO id
	TrackingNumber string
}
