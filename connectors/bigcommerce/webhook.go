package bigcommerce

import (
	"net/http"
	"strings"
	"time"

	"github.com/orderhub/orderhub"
)

// Event is a decoded callback. BigCommerce sends only ids; the order itself
// must be fetched from the v2 API.
type Event struct {
	Scope     string        // e.g. "store/order/created"
	StoreID   string        // the numeric store id, as a string
	Type      string        // data.type: "order", "shipment", ...
	ID        string        // data.id: the order id, or the shipment id
	OrderID   string        // the order concerned: data.id for orders, data.orderId for shipments
	Status    *StatusChange // data.status on store/order/statusUpdated
	Hash      string        // identical for every delivery of one event
	CreatedAt time.Time     // when BigCommerce created the event, UTC
	Producer  string        // "stores/{store_hash}"
}

// StatusChange is the status move a store/order/statusUpdated carries.
type StatusChange struct {
	PreviousStatusID int64
	NewStatusID      int64
}

type eventJSON struct {
	Scope   string `json:"scope"`
	StoreID value  `json:"store_id"`
	Data    struct {
		Type    string `json:"type"`
		ID      value  `json:"id"`
		OrderID value  `json:"orderId"`
		Status  *struct {
			Previous value `json:"previous_status_id"`
			New      value `json:"new_status_id"`
		} `json:"status"`
	} `json:"data"`
	Hash      string `json:"hash"`
	CreatedAt value  `json:"created_at"`
	Producer  string `json:"producer"`
}

// DecodeWebhook decodes a callback body. A missing scope, or a field of the
// wrong type, is an Invalid error naming it.
func DecodeWebhook(body []byte) (Event, error) {
	var in eventJSON
	if err := decodeJSON("bigcommerce callback", body, &in); err != nil {
		return Event{}, err
	}
	e := Event{Scope: strings.TrimSpace(in.Scope), Type: in.Data.Type, Hash: strings.TrimSpace(in.Hash), Producer: in.Producer}
	if e.Scope == "" {
		return Event{}, invalid("scope: missing")
	}
	var err error
	if e.StoreID, err = in.StoreID.ID("store_id"); err != nil {
		return Event{}, err
	}
	if e.ID, err = in.Data.ID.ID("data.id"); err != nil {
		return Event{}, err
	}
	if e.OrderID, err = in.Data.OrderID.ID("data.orderId"); err != nil {
		return Event{}, err
	}
	if e.OrderID == "" && e.Type == "order" {
		e.OrderID = e.ID
	}
	if s := in.Data.Status; s != nil {
		var c StatusChange
		if c.PreviousStatusID, err = s.Previous.Integer("data.status.previous_status_id"); err != nil {
			return Event{}, err
		}
		if c.NewStatusID, err = s.New.Integer("data.status.new_status_id"); err != nil {
			return Event{}, err
		}
		e.Status = &c
	}
	sec, err := in.CreatedAt.Integer("created_at")
	if err != nil {
		return Event{}, err
	}
	if sec < 0 || sec > 1<<40 {
		return Event{}, invalid("created_at: %d is not a plausible Unix time", sec)
	}
	if sec > 0 {
		e.CreatedAt = time.Unix(sec, 0).UTC()
	}
	return e, nil
}

// DedupeKey returns scope + ":" + hash, and the scope as the topic. The
// header is not needed; the parameter keeps the signature the same across
// connectors. A body without scope or hash is an Invalid error.
func DedupeKey(header http.Header, body []byte) (key, topic string, err error) {
	e, err := DecodeWebhook(body)
	if err != nil {
		return "", "", err
	}
	if e.Hash == "" {
		return "", "", orderhub.Errorf(orderhub.EInvalid, "hash: missing, so the callback cannot be de-duplicated")
	}
	return e.Scope + ":" + e.Hash, e.Scope, nil
}
