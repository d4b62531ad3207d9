package fulfillment

import (
	"context"
	"fmt"
	"time"

	"github.com/orderhub/orderhub"
	"github.com/orderhub/orderhub/allocator"
)

// PurchaseOrders sends purchase orders to dropship suppliers.
type PurchaseOrders interface {
	// Send delivers po to its supplier, tagged with po.ID (the fulfillment
	// id) so that a redelivery is recognised as the same order, and
	// returns the supplier's own reference when it gives one.
	Send(ctx context.Context, po PurchaseOrder) (reference string, err error)
}

// PurchaseOrder is one fulfillment as a supplier's order.
type PurchaseOrder struct {
	ID          string // the fulfillment id
	SupplierID  string
	OrderID     string
	OrderNumber string
	ShopID      string
	CreatedAt   time.Time
	ShipTo      orderhub.Address
	Customer    orderhub.Customer
	Lines       []PurchaseOrderLine
}

// PurchaseOrderLine is a SKU, a quantity and the agreed unit cost (zero
// when the supplier lists no cost for the SKU).
type PurchaseOrderLine struct {
	LineID   string
	SKU      string
	Name     string
	Quantity int64
	UnitCost orderhub.Money
}

// DropshipExecutor sends a purchase order for a fulfillment to its
// supplier. The delivery is tagged with the fulfillment id, so a retried
// job repeats the same order and the supplier drops the repeat. The
// fulfillment becomes submitted with the supplier's reference (or the
// fulfillment id) as its external id; the supplier's callbacks move it on.
type DropshipExecutor struct {
	Advancer  Advancer
	Suppliers map[string]orderhub.Supplier // for unit costs
	Sender    PurchaseOrders
}

// Execute implements Executor.
func (x *DropshipExecutor) Execute(ctx context.Context, f orderhub.Fulfillment, o orderhub.Order) error {
	if x.Sender == nil {
		return orderhub.Errorf(orderhub.EUnsupported, "no purchase order delivery is configured")
	}
	sup := x.Suppliers[f.SourceID]
	po := PurchaseOrder{ID: f.ID, SupplierID: f.SourceID, OrderID: o.ID, OrderNumber: or(o.ExternalNumber, o.ExternalID), ShopID: o.ShopID,
		CreatedAt: f.CreatedAt, ShipTo: o.ShippingAddr, Customer: o.Customer}
	names := map[string]string{}
	for _, l := range o.Lines {
		names[l.ID] = l.Name
	}
	for _, l := range f.Lines {
		po.Lines = append(po.Lines, PurchaseOrderLine{LineID: l.LineID, SKU: l.SKU, Name: names[l.LineID], Quantity: l.Quantity, UnitCost: sup.SKUs[l.SKU].Cost})
	}
	ref, err := x.Sender.Send(ctx, po)
	if err != nil {
		if permanent(err) {
			return fail(ctx, x.Advancer, f, f.SourceID, "purchase order refused: "+orderhub.ErrorMessage(err))
		}
		return err
	}
	note := fmt.Sprintf("purchase order sent to %s", f.SourceID)
	if ref != "" && ref != f.ID {
		note += " (their reference " + ref + ")"
	}
	_, err = x.Advancer.Advance(ctx, allocator.Progress{FulfillmentID: f.ID, Status: orderhub.FulfillmentSubmitted, ExternalID: or(ref, f.ID),
		Actor: f.SourceID, Note: note})
	return err
}
