package fulfillment

import (
	"context"
	"fmt"
	"strings"

	"github.com/orderhub/orderhub"
	"github.com/orderhub/orderhub/allocator"
)

// ThreePL is a 3PL account (ShipBob) as the 3PL executor needs it.
type ThreePL interface {
	// SubmitOrder returns the 3PL's order for o.Reference (the
	// fulfillment id), creating it only when the 3PL has none, so that
	// however often it is called there is one order. created says which.
	SubmitOrder(ctx context.Context, o ThreePLOrder) (externalID string, created bool, err error)
}

// ThreePLOrder is one fulfillment as a 3PL order.
type ThreePLOrder struct {
	Reference      string // the fulfillment id: the 3PL's idempotency key
	OrderNumber    string // what the merchant sees, e.g. #1001
	ShipTo         orderhub.Address
	Customer       orderhub.Customer
	ShippingMethod string // the shipping line's title; Standard when none
	Lines          []ThreePLLine
}

// ThreePLLine is a SKU and quantity.
type ThreePLLine struct {
	SKU      string
	Name     string
	Quantity int64
}

// DefaultShippingMethod is asked for when the order names none.
const DefaultShippingMethod = "Standard"

// ThreePLExecutor creates the 3PL order for a fulfillment at a 3PL
// location, through the location's provider. The order's reference is the
// fulfillment id, so a retry finds the order it made instead of making a
// second one. The fulfillment becomes submitted with the 3PL's order id as
// its external id; the 3PL's callbacks (or the tracking poll) move it on.
type ThreePLExecutor struct {
	Advancer  Advancer
	Locations map[string]string // location id → provider id
	Providers map[string]ThreePL
}

// Execute implements Executor.
func (x *ThreePLExecutor) Execute(ctx context.Context, f orderhub.Fulfillment, o orderhub.Order) error {
	pid := x.Locations[f.SourceID]
	p := x.Providers[pid]
	if pid == "" || p == nil {
		return orderhub.Errorf(orderhub.EUnsupported, "3PL location %s has no configured provider", f.SourceID)
	}
	req := ThreePLOrder{Reference: f.ID, OrderNumber: or(o.ExternalNumber, o.ExternalID), ShipTo: o.ShippingAddr, Customer: o.Customer,
		ShippingMethod: DefaultShippingMethod}
	if len(o.Shipping) > 0 && strings.TrimSpace(o.Shipping[0].Title) != "" {
		req.ShippingMethod = o.Shipping[0].Title
	}
	names := map[string]string{}
	for _, l := range o.Lines {
		names[l.ID] = l.Name
	}
	for _, l := range f.Lines {
		req.Lines = append(req.Lines, ThreePLLine{SKU: l.SKU, Name: names[l.LineID], Quantity: l.Quantity})
	}
	id, created, err := p.SubmitOrder(ctx, req)
	if err != nil {
		if permanent(err) {
			return fail(ctx, x.Advancer, f, pid, "3PL order refused: "+orderhub.ErrorMessage(err))
		}
		return err
	}
	note := fmt.Sprintf("3PL order %s created at %s", id, pid)
	if !created {
		note = fmt.Sprintf("3PL order %s found at %s (created by an earlier attempt)", id, pid)
	}
	_, err = x.Advancer.Advance(ctx, allocator.Progress{FulfillmentID: f.ID, Status: orderhub.FulfillmentSubmitted, ExternalID: id, Actor: pid, Note: note})
	return err
}
