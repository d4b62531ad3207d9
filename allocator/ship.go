package allocator

import (
	"context"
	"fmt"

	"github.com/orderhub/orderhub"
	"github.com/orderhub/orderhub/store"
)

// Progress is news about one fulfillment from its source: a 3PL, a label
// provider's tracker or a supplier.
type Progress struct {
	FulfillmentID  string
	Status         orderhub.FulfillmentStatus // submitted, shipped, delivered, cancelled or failed
	Carrier        string
	TrackingNumber string
	TrackingURL    string
	LabelURL       string
	ExternalID     string
	Actor          string // who reported it, e.g. "shipbob"
	Note           string
}

// ProgressResult says what Advance changed.
type ProgressResult struct {
	Fulfillment orderhub.Fulfillment
	Changed     bool            // false for a repeat or a stale report
	OrderStatus orderhub.Status // after syncing
}

// AdvanceTx applies a source's report to a fulfillment in the caller's
// transaction. Shipping consumes the reserved stock; a cancelled
// fulfillment releases it (a failed one keeps it, to be retried). A report that would move the fulfillment
// backwards (delivered, then "in transit" again) or repeat its status only
// updates tracking details, so callbacks may arrive in any order and more
// than once. The order's status then follows its fulfillments.
func (a *Allocator) AdvanceTx(ctx context.Context, tx store.Tx, p Progress) (ProgressResult, error) {
	f, err := tx.GetFulfillment(ctx, p.FulfillmentID)
	if err != nil {
		return ProgressResult{}, err
	}
	next := p.Status
	if next == orderhub.FulfillmentDelivered && !f.Status.CanTransition(next) && f.Status.CanTransition(orderhub.FulfillmentShipped) {
		// Delivered without a shipped report first: it shipped, then arrived.
		step := p
		step.Status = orderhub.FulfillmentShipped
		if _, err := a.AdvanceTx(ctx, tx, step); err != nil {
			return ProgressResult{}, err
		}
		if f, err = tx.GetFulfillment(ctx, p.FulfillmentID); err != nil {
			return ProgressResult{}, err
		}
	}
	moving := next != "" && next != f.Status && f.Status.CanTransition(next)
	upd := store.UpdateFulfillmentParams{ID: f.ID, Carrier: p.Carrier, TrackingNumber: p.TrackingNumber, TrackingURL: p.TrackingURL, LabelURL: p.LabelURL, ExternalID: p.ExternalID}
	if moving {
		upd.Status = next
	}
	trackingNews := (p.TrackingNumber != "" && p.TrackingNumber != f.TrackingNumber) || (p.Carrier != "" && p.Carrier != f.Carrier) ||
		(p.TrackingURL != "" && p.TrackingURL != f.TrackingURL) || (p.LabelURL != "" && p.LabelURL != f.LabelURL) || (p.ExternalID != "" && p.ExternalID != f.ExternalID)
	if !moving && !trackingNews {
		st, err := a.currentStatus(ctx, tx, f.OrderID)
		return ProgressResult{Fulfillment: f, OrderStatus: st}, err
	}
	nf, err := tx.UpdateFulfillment(ctx, upd)
	if err != nil {
		return ProgressResult{}, err
	}
	if moving && f.SourceKind != orderhub.SourceSupplier {
		if err := a.moveStock(ctx, tx, f, next); err != nil {
			return ProgressResult{}, err
		}
	}
	note := fmt.Sprintf("fulfillment %s from %s", f.ID, f.SourceID)
	if moving {
		note += fmt.Sprintf(" is %s", next)
	} else {
		note += " updated"
	}
	if nf.TrackingNumber != "" {
		note += fmt.Sprintf("; tracking %s %s", nf.Carrier, nf.TrackingNumber)
	}
	if p.Note != "" {
		note += ": " + p.Note
	}
	if _, err := tx.AddEvent(ctx, orderhub.OrderEvent{OrderID: f.OrderID, Kind: orderhub.EventFulfillment, Actor: actorOr(p.Actor), Note: note, Data: eventData(nf)}); err != nil {
		return ProgressResult{}, err
	}
	st, err := a.SyncStatusTx(ctx, tx, f.OrderID, actorOr(p.Actor))
	if err != nil {
		return ProgressResult{}, err
	}
	if a.hooks.Progressed != nil {
		if err := a.hooks.Progressed(ctx, tx, f, nf); err != nil {
			return ProgressResult{}, err
		}
	}
	return ProgressResult{Fulfillment: nf, Changed: true, OrderStatus: st}, nil
}

func (a *Allocator) currentStatus(ctx context.Context, tx store.Tx, orderID string) (orderhub.Status, error) {
	o, err := tx.GetOrder(ctx, orderID)
	return o.Status, err
}

// moveStock consumes the reservation when units leave the building and
// releases it when the fulfillment is abandoned.
func (a *Allocator) moveStock(ctx context.Context, tx store.Tx, f orderhub.Fulfillment, to orderhub.FulfillmentStatus) error {
	for _, l := range f.Lines {
		m := store.StockMove{LocationID: f.SourceID, SKU: l.SKU, Quantity: l.Quantity, Ref: f.ID}
		switch {
		case to == orderhub.FulfillmentShipped:
			m.Reason = "shipped"
			if err := tx.Ship(ctx, m); err != nil {
				return err
			}
		case to == orderhub.FulfillmentCancelled:
			// A failed fulfillment keeps its reservation: it may be retried.
			m.Reason = "fulfillment cancelled"
			if err := tx.Release(ctx, m); err != nil {
				return err
			}
		}
	}
	return nil
}

// Advance is AdvanceTx in a transaction of its own.
func (a *Allocator) Advance(ctx context.Context, p Progress) (ProgressResult, error) {
	var res ProgressResult
	err := a.store.InTx(ctx, func(ctx context.Context, tx store.Tx) error {
		var err error
		res, err = a.AdvanceTx(ctx, tx, p)
		return err
	})
	return res, err
}
