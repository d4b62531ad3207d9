package allocator

import (
	"context"
	"fmt"

	"github.com/orderhub/orderhub"
	"github.com/orderhub/orderhub/store"
)

// SyncStatusTx moves a routed order forward to match its fulfillments:
// partially_fulfilled once some units ship, fulfilled when every open unit
// has shipped, delivered when every shipment has arrived. It never moves an
// order back, and records each step it takes.
func (a *Allocator) SyncStatusTx(ctx context.Context, tx store.Tx, orderID, actor string) (orderhub.Status, error) {
	o, err := tx.GetOrder(ctx, orderID)
	if err != nil {
		return "", err
	}
	switch o.Status {
	case orderhub.StatusAwaitingFulfillment, orderhub.StatusPartiallyFulfilled, orderhub.StatusFulfilled:
	default:
		return o.Status, nil
	}
	fs, err := tx.ListFulfillments(ctx, o.ID)
	if err != nil {
		return "", err
	}
	// Every open unit that needs shipping counts, held ones (a line without
	// a SKU) included: shipping the rest makes the order partially
	// fulfilled, never fulfilled.
	var shipped, delivered int64
	open := openShipping(o)
	for _, f := range fs {
		for _, fl := range f.Lines {
			switch f.Status {
			case orderhub.FulfillmentShipped:
				shipped += fl.Quantity
			case orderhub.FulfillmentDelivered:
				shipped += fl.Quantity
				delivered += fl.Quantity
			}
		}
	}
	target := o.Status
	switch {
	case shipped == 0:
		return o.Status, nil
	case shipped < open:
		target = orderhub.StatusPartiallyFulfilled
	case delivered >= open:
		target = orderhub.StatusDelivered
	default:
		target = orderhub.StatusFulfilled
	}
	path, ok := o.Status.PathTo(target)
	if !ok {
		return o.Status, nil
	}
	for _, st := range path {
		note := fmt.Sprintf("%d of %d units shipped, %d delivered", shipped, open, delivered)
		if o, _, err = tx.TransitionOrder(ctx, store.TransitionParams{OrderID: o.ID, To: st, Actor: actorOr(actor), Note: note}); err != nil {
			return "", err
		}
	}
	return o.Status, nil
}
