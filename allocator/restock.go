package allocator

import (
	"context"
	"fmt"

	"github.com/riverqueue/river"

	"github.com/orderhub/orderhub"
	"github.com/orderhub/orderhub/store"
)

// Fill is a quantity of a backorder filled from a restock.
type Fill struct {
	BackorderID   string `json:"backorder_id"`
	OrderID       string `json:"order_id"`
	SKU           string `json:"sku"`
	Quantity      int64  `json:"quantity"`
	FulfillmentID string `json:"fulfillment_id"`
	Complete      bool   `json:"complete"`
}

// fillBatch is how many backorders a restock reads at a time.
const fillBatch = 500

// FillBackordersTx fills a SKU's open backorders from what is available at
// a location, oldest paid first, inside the caller's transaction (the one
// that raised the stock). It fills partially where it must, reserves what
// it fills, and adds the units to the order's pending fulfillment at that
// location or creates one.
func (a *Allocator) FillBackordersTx(ctx context.Context, tx store.Tx, locationID, sku string) ([]Fill, error) {
	loc, ok := a.locations[locationID]
	if !ok {
		return nil, nil // stock at a place orderhub does not ship from fills nothing
	}
	var fills []Fill
	for {
		level, err := tx.GetStock(ctx, locationID, sku)
		if err != nil {
			return fills, err
		}
		avail := level.Available(loc.SafetyStock)
		if avail <= 0 {
			return fills, nil
		}
		open, err := tx.OpenBackorders(ctx, sku, fillBatch)
		if err != nil {
			return fills, err
		}
		progressed := false
		for _, b := range open {
			if avail <= 0 {
				break
			}
			f, err := a.fillOne(ctx, tx, loc, b, avail)
			if err != nil {
				return fills, err
			}
			if f.Quantity == 0 {
				continue
			}
			progressed = true
			avail -= f.Quantity
			fills = append(fills, f)
		}
		if !progressed || len(open) < fillBatch {
			return fills, nil
		}
	}
}

func (a *Allocator) fillOne(ctx context.Context, tx store.Tx, loc orderhub.Location, b orderhub.Backorder, avail int64) (Fill, error) {
	o, err := tx.GetOrder(ctx, b.OrderID)
	if err != nil {
		return Fill{}, err
	}
	switch o.Status {
	case orderhub.StatusAwaitingFulfillment, orderhub.StatusPartiallyFulfilled:
	default:
		return Fill{}, nil // a cancelled or closed order takes no stock
	}
	q := b.Remaining()
	if q > avail {
		q = avail
	}
	err = tx.Reserve(ctx, store.StockMove{LocationID: loc.ID, SKU: b.SKU, Quantity: q, SafetyStock: loc.SafetyStock, Ref: b.ID, Reason: "backorder fill"})
	if orderhub.ErrorCode(err) == orderhub.EConflict {
		return Fill{}, nil
	}
	if err != nil {
		return Fill{}, err
	}
	fs, err := tx.ListFulfillments(ctx, o.ID)
	if err != nil {
		return Fill{}, err
	}
	line := orderhub.FulfillmentLine{LineID: b.LineID, SKU: b.SKU, Quantity: q}
	var fid string
	for _, f := range fs {
		if f.SourceID == loc.ID && f.Status == orderhub.FulfillmentPending {
			fid = f.ID
			if err := tx.AddFulfillmentLines(ctx, f.ID, []orderhub.FulfillmentLine{line}); err != nil {
				return Fill{}, err
			}
			break
		}
	}
	if fid == "" {
		f, err := tx.CreateFulfillment(ctx, orderhub.Fulfillment{OrderID: o.ID, ShopID: o.ShopID, SourceKind: loc.Kind, SourceID: loc.ID,
			Lines: []orderhub.FulfillmentLine{line}})
		if err != nil {
			return Fill{}, err
		}
		fid = f.ID
		if _, err := tx.InsertJob(ctx, orderhub.FulfillmentArgs{FulfillmentID: f.ID}, &river.InsertOpts{Queue: QueueFulfillment}); err != nil {
			return Fill{}, err
		}
	}
	status := b.Status
	complete := b.Filled+q == b.Quantity
	if complete {
		status = orderhub.BackorderFilled
	}
	if _, err := tx.UpdateBackorder(ctx, store.UpdateBackorderParams{ID: b.ID, From: b.Status, Filled: b.Filled + q, Status: status}); err != nil {
		return Fill{}, err
	}
	f := Fill{BackorderID: b.ID, OrderID: o.ID, SKU: b.SKU, Quantity: q, FulfillmentID: fid, Complete: complete}
	note := fmt.Sprintf("restock at %s filled %d × %s of backorder %s", loc.ID, q, b.SKU, b.ID)
	if !complete {
		note += fmt.Sprintf(" (%d still to come)", b.Quantity-b.Filled-q)
	}
	if _, err := tx.AddEvent(ctx, orderhub.OrderEvent{OrderID: o.ID, Kind: orderhub.EventBackorder, Actor: ActorRouting, Note: note, Data: eventData(f)}); err != nil {
		return Fill{}, err
	}
	if a.hooks.Filled != nil {
		if err := a.hooks.Filled(ctx, tx, f); err != nil {
			return Fill{}, err
		}
	}
	return f, nil
}

// SetStock sets a location's on-hand count and, when that raises what is
// available, fills the SKU's backorders in the same transaction.
func (a *Allocator) SetStock(ctx context.Context, p store.SetStockParams) (orderhub.StockLevel, []Fill, error) {
	var level orderhub.StockLevel
	var fills []Fill
	err := a.store.InTx(ctx, func(ctx context.Context, tx store.Tx) error {
		var err error
		if level, err = tx.SetStock(ctx, p); err != nil {
			return err
		}
		if fills, err = a.FillBackordersTx(ctx, tx, p.LocationID, p.SKU); err != nil {
			return err
		}
		level, err = tx.GetStock(ctx, p.LocationID, p.SKU)
		return err
	})
	return level, fills, err
}

// AdjustStock adjusts a location's on-hand count and, when that raises what
// is available, fills the SKU's backorders in the same transaction.
func (a *Allocator) AdjustStock(ctx context.Context, p store.AdjustStockParams) (orderhub.StockLevel, []Fill, error) {
	var level orderhub.StockLevel
	var fills []Fill
	err := a.store.InTx(ctx, func(ctx context.Context, tx store.Tx) error {
		var err error
		if level, err = tx.AdjustStock(ctx, p); err != nil {
			return err
		}
		if p.Delta > 0 {
			if fills, err = a.FillBackordersTx(ctx, tx, p.LocationID, p.SKU); err != nil {
				return err
			}
		}
		level, err = tx.GetStock(ctx, p.LocationID, p.SKU)
		return err
	})
	return level, fills, err
}
