package allocator

import (
	"context"
	"fmt"

	"github.com/orderhub/orderhub"
	"github.com/orderhub/orderhub/store"
)

// Decision is a customer's answer to a backorder notice.
type Decision string

// Decisions.
const (
	DecisionWait   Decision = "wait"
	DecisionCancel Decision = "cancel"
)

// Decide records a decision on a backorder and carries it out: wait keeps
// it in the queue; cancel cancels its remaining units with their refund.
// It is the operator's path (the API, the dashboard), so it may replace a
// decision already recorded, turning a customer's wait into a cancel, as
// long as the backorder is still open. A filled or cancelled backorder is a
// Conflict.
func (a *Allocator) Decide(ctx context.Context, backorderID string, d Decision, actor string) (orderhub.Backorder, *Refund, error) {
	return a.decide(ctx, backorderID, d, actor, true)
}

// DecideOnce is Decide for the customer's own answer, through the links of
// a backorder notice: the first decision is final. A backorder already
// decided, by the customer or by an operator, is a Conflict and nothing
// changes; of two answers at once, one is kept.
func (a *Allocator) DecideOnce(ctx context.Context, backorderID string, d Decision, actor string) (orderhub.Backorder, *Refund, error) {
	return a.decide(ctx, backorderID, d, actor, false)
}

func (a *Allocator) decide(ctx context.Context, backorderID string, d Decision, actor string, override bool) (orderhub.Backorder, *Refund, error) {
	if d != DecisionWait && d != DecisionCancel {
		return orderhub.Backorder{}, nil, orderhub.Errorf(orderhub.EInvalid, "decision: %q is not one of wait, cancel", d)
	}
	var out orderhub.Backorder
	var refund *Refund
	err := a.store.InTx(ctx, func(ctx context.Context, tx store.Tx) error {
		b, err := tx.GetBackorder(ctx, backorderID)
		if err != nil {
			return err
		}
		if !override && b.Decision != "" {
			return orderhub.Errorf(orderhub.EConflict, "backorder %s was already decided: %s", b.ID, b.Decision)
		}
		if !b.Status.Open() {
			return orderhub.Errorf(orderhub.EConflict, "backorder %s is already %s", b.ID, b.Status)
		}
		// Recorded first: its guard makes the first answer the one kept.
		if _, err := tx.RecordBackorderDecision(ctx, store.RecordBackorderDecisionParams{ID: b.ID, Decision: string(d),
			Actor: actorOr(actor), Override: override}); err != nil {
			return err
		}
		if d == DecisionWait {
			if _, err = tx.UpdateBackorder(ctx, store.UpdateBackorderParams{ID: b.ID, From: b.Status, Filled: b.Filled, Status: orderhub.BackorderWaiting}); err != nil {
				return err
			}
			if _, err = tx.AddEvent(ctx, orderhub.OrderEvent{OrderID: b.OrderID, Kind: orderhub.EventBackorder, Actor: actorOr(actor),
				Note: fmt.Sprintf("customer chose to wait for %d × %s", b.Remaining(), b.SKU)}); err != nil {
				return err
			}
		} else {
			r, err := a.CancelTx(ctx, tx, CancelRequest{OrderID: b.OrderID, Lines: []LineQuantity{{LineID: b.LineID, Quantity: b.Remaining()}},
				Reason: "customer cancelled the backordered units", Actor: actorOr(actor)})
			if err != nil {
				return err
			}
			refund = &r
		}
		out, err = tx.GetBackorder(ctx, b.ID)
		return err
	})
	return out, refund, err
}
