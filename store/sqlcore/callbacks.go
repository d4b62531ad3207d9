package sqlcore

import (
	"context"
	"strings"

	"github.com/orderhub/orderhub"
	"github.com/orderhub/orderhub/store"
)

var _ store.CallbacksTx = (*Core)(nil)

// RecordCallback implements store.CallbacksTx.
func (c *Core) RecordCallback(ctx context.Context, p store.RecordCallbackParams) (bool, error) {
	if strings.TrimSpace(p.Source) == "" || strings.TrimSpace(p.SourceID) == "" || strings.TrimSpace(p.EventID) == "" {
		return false, orderhub.Errorf(orderhub.EInvalid, "a callback needs a source, a source id and an event id")
	}
	var created bool
	err := c.write(ctx, func(tc *Core) error {
		n, err := tc.q.Exec(ctx, tc.sql("CallbacksInsert"), p.Source, p.SourceID, p.EventID, p.Topic, p.FulfillmentID, micros(tc.now()))
		if err != nil {
			return tc.mapErr(err)
		}
		created = n == 1
		return nil
	})
	return created, err
}

// GetCallback implements store.CallbacksTx.
func (c *Core) GetCallback(ctx context.Context, source, sourceID, eventID string) (store.Callback, error) {
	var cb store.Callback
	var at int64
	err := c.q.QueryRow(ctx, c.sql("CallbacksGet"), source, sourceID, eventID).
		Scan(&cb.Source, &cb.SourceID, &cb.EventID, &cb.Topic, &cb.FulfillmentID, &at)
	if err != nil {
		if c.d.IsNoRows(err) {
			return cb, orderhub.Errorf(orderhub.ENotFound, "no %s callback %s from %s", source, eventID, sourceID)
		}
		return cb, c.mapErr(err)
	}
	cb.ReceivedAt = fromMicros(at)
	return cb, nil
}

// FindFulfillment implements store.CallbacksTx.
func (c *Core) FindFulfillment(ctx context.Context, p store.FindFulfillmentParams) (orderhub.Fulfillment, error) {
	if p.ExternalID == "" && p.TrackingNumber == "" {
		return orderhub.Fulfillment{}, orderhub.Errorf(orderhub.EInvalid, "finding a fulfillment needs an external id or a tracking number")
	}
	for _, k := range []struct{ query, value string }{{"CallbacksFindByExternalID", p.ExternalID}, {"CallbacksFindByTracking", p.TrackingNumber}} {
		if k.value == "" {
			continue
		}
		var id string
		err := c.q.QueryRow(ctx, c.sql(k.query), k.value, p.SourceKind).Scan(&id)
		if err == nil {
			return c.GetFulfillment(ctx, id)
		}
		if !c.d.IsNoRows(err) {
			return orderhub.Fulfillment{}, c.mapErr(err)
		}
	}
	return orderhub.Fulfillment{}, orderhub.Errorf(orderhub.ENotFound, "no fulfillment with external id %q or tracking number %q", p.ExternalID, p.TrackingNumber)
}
