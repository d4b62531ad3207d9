package sqlcore

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/orderhub/orderhub"
	"github.com/orderhub/orderhub/store"
)

func checkStockKey(location, sku string) error {
	if strings.TrimSpace(location) == "" || strings.TrimSpace(sku) == "" {
		return orderhub.Errorf(orderhub.EInvalid, "location and sku are required")
	}
	return nil
}

func (c *Core) movement(ctx context.Context, loc, sku string, onHand, reserved int64, reason, ref, actor string, at time.Time) error {
	_, err := c.q.Exec(ctx, c.sql("InsertMovement"), loc, sku, onHand, reserved, reason, ref, actor, micros(at))
	return c.mapErr(err)
}

// stockForUpdate reads a level, creating the row at zero when missing;
// on PostgreSQL it locks the row until the transaction ends.
func (c *Core) stockForUpdate(ctx context.Context, loc, sku string, now time.Time) (onHand, reserved int64, err error) {
	if _, err := c.q.Exec(ctx, c.sql("EnsureStock"), loc, sku, micros(now)); err != nil {
		return 0, 0, c.mapErr(err)
	}
	err = c.q.QueryRow(ctx, c.sql("GetStockForUpdate"), loc, sku).Scan(&onHand, &reserved)
	return onHand, reserved, c.mapErr(err)
}

// SetStock implements store.InventoryTx.
func (c *Core) SetStock(ctx context.Context, p store.SetStockParams) (orderhub.StockLevel, error) {
	if err := checkStockKey(p.LocationID, p.SKU); err != nil {
		return orderhub.StockLevel{}, err
	}
	if p.OnHand < 0 {
		return orderhub.StockLevel{}, orderhub.Errorf(orderhub.EInvalid, "on_hand: %d is negative", p.OnHand)
	}
	var out orderhub.StockLevel
	err := c.write(ctx, func(tc *Core) error {
		now := tc.now().UTC()
		onHand, reserved, err := tc.stockForUpdate(ctx, p.LocationID, p.SKU, now)
		if err != nil {
			return err
		}
		if p.OnHand < reserved {
			return orderhub.Errorf(orderhub.EConflict, "%s at %s: on_hand %d is below the %d units reserved for open fulfillments", p.SKU, p.LocationID, p.OnHand, reserved)
		}
		n, err := tc.q.Exec(ctx, tc.sql("SetStock"), p.LocationID, p.SKU, p.OnHand, micros(now))
		if err != nil {
			return tc.mapErr(err)
		}
		if n != 1 {
			return orderhub.Errorf(orderhub.EConflict, "%s at %s changed concurrently", p.SKU, p.LocationID)
		}
		if err := tc.movement(ctx, p.LocationID, p.SKU, p.OnHand-onHand, 0, reasonOr(p.Reason, "set"), "", p.Actor, now); err != nil {
			return err
		}
		out = orderhub.StockLevel{LocationID: p.LocationID, SKU: p.SKU, OnHand: p.OnHand, Reserved: reserved}
		return nil
	})
	return out, err
}

func reasonOr(r, d string) string {
	if strings.TrimSpace(r) == "" {
		return d
	}
	return r
}

// AdjustStock implements store.InventoryTx.
func (c *Core) AdjustStock(ctx context.Context, p store.AdjustStockParams) (orderhub.StockLevel, error) {
	if err := checkStockKey(p.LocationID, p.SKU); err != nil {
		return orderhub.StockLevel{}, err
	}
	if p.Delta == 0 {
		return orderhub.StockLevel{}, orderhub.Errorf(orderhub.EInvalid, "delta: must not be zero")
	}
	var out orderhub.StockLevel
	err := c.write(ctx, func(tc *Core) error {
		now := tc.now().UTC()
		if _, err := tc.q.Exec(ctx, tc.sql("EnsureStock"), p.LocationID, p.SKU, micros(now)); err != nil {
			return tc.mapErr(err)
		}
		out = orderhub.StockLevel{LocationID: p.LocationID, SKU: p.SKU}
		err := tc.q.QueryRow(ctx, tc.sql("AdjustStock"), p.LocationID, p.SKU, p.Delta, micros(now)).Scan(&out.OnHand, &out.Reserved)
		if tc.d.IsNoRows(err) {
			cur, _ := tc.GetStock(ctx, p.LocationID, p.SKU)
			return orderhub.Errorf(orderhub.EConflict, "%s at %s: adjusting on_hand %d by %d would leave less than the %d units reserved", p.SKU, p.LocationID, cur.OnHand, p.Delta, cur.Reserved)
		}
		if err != nil {
			return tc.mapErr(err)
		}
		return tc.movement(ctx, p.LocationID, p.SKU, p.Delta, 0, reasonOr(p.Reason, "adjust"), "", p.Actor, now)
	})
	return out, err
}

// GetStock implements store.InventoryTx.
func (c *Core) GetStock(ctx context.Context, locationID, sku string) (orderhub.StockLevel, error) {
	l := orderhub.StockLevel{LocationID: locationID, SKU: sku}
	err := c.q.QueryRow(ctx, c.sql("GetStock"), locationID, sku).Scan(&l.LocationID, &l.SKU, &l.OnHand, &l.Reserved)
	if err != nil && c.d.IsNoRows(err) {
		return l, nil
	}
	return l, c.mapErr(err)
}

// ListStock implements store.InventoryTx.
func (c *Core) ListStock(ctx context.Context, p store.ListStockParams) ([]orderhub.StockLevel, error) {
	var rows Rows
	var err error
	if p.SKUs != nil {
		rows, err = c.q.Query(ctx, c.sql("ListStockForSKUs"), mustJSON(p.SKUs), p.LocationIDs == nil, mustJSON(nonNil(p.LocationIDs)))
	} else {
		rows, err = c.q.Query(ctx, c.sql("ListStock"), true, "[]", p.LocationIDs == nil, mustJSON(nonNil(p.LocationIDs)))
	}
	if err != nil {
		return nil, c.mapErr(err)
	}
	defer rows.Close()
	var out []orderhub.StockLevel
	for rows.Next() {
		var l orderhub.StockLevel
		if err := rows.Scan(&l.LocationID, &l.SKU, &l.OnHand, &l.Reserved); err != nil {
			return nil, err
		}
		out = append(out, l)
	}
	return out, rows.Err()
}

func checkMove(p store.StockMove) error {
	if err := checkStockKey(p.LocationID, p.SKU); err != nil {
		return err
	}
	if p.Quantity <= 0 {
		return orderhub.Errorf(orderhub.EInvalid, "quantity: %d is not positive", p.Quantity)
	}
	if p.SafetyStock < 0 {
		return orderhub.Errorf(orderhub.EInvalid, "safety stock: %d is negative", p.SafetyStock)
	}
	return nil
}

// Reserve implements store.InventoryTx.
func (c *Core) Reserve(ctx context.Context, p store.StockMove) error {
	if err := checkMove(p); err != nil {
		return err
	}
	return c.write(ctx, func(tc *Core) error {
		now := tc.now().UTC()
		n, err := tc.q.Exec(ctx, tc.sql("ReserveStock"), p.LocationID, p.SKU, p.Quantity, p.SafetyStock, micros(now))
		if err != nil {
			return tc.mapErr(err)
		}
		if n != 1 {
			return orderhub.Errorf(orderhub.EConflict, "%s at %s: fewer than %d available", p.SKU, p.LocationID, p.Quantity)
		}
		return tc.movement(ctx, p.LocationID, p.SKU, 0, p.Quantity, reasonOr(p.Reason, "reserve"), p.Ref, "", now)
	})
}

// Release implements store.InventoryTx.
func (c *Core) Release(ctx context.Context, p store.StockMove) error {
	if err := checkMove(p); err != nil {
		return err
	}
	return c.write(ctx, func(tc *Core) error {
		now := tc.now().UTC()
		n, err := tc.q.Exec(ctx, tc.sql("ReleaseStock"), p.LocationID, p.SKU, p.Quantity, micros(now))
		if err != nil {
			return tc.mapErr(err)
		}
		if n != 1 {
			return orderhub.Errorf(orderhub.EConflict, "%s at %s: fewer than %d reserved to release", p.SKU, p.LocationID, p.Quantity)
		}
		return tc.movement(ctx, p.LocationID, p.SKU, 0, -p.Quantity, reasonOr(p.Reason, "release"), p.Ref, "", now)
	})
}

// Ship implements store.InventoryTx.
func (c *Core) Ship(ctx context.Context, p store.StockMove) error {
	if err := checkMove(p); err != nil {
		return err
	}
	return c.write(ctx, func(tc *Core) error {
		now := tc.now().UTC()
		n, err := tc.q.Exec(ctx, tc.sql("ShipStock"), p.LocationID, p.SKU, p.Quantity, micros(now))
		if err != nil {
			return tc.mapErr(err)
		}
		if n != 1 {
			return orderhub.Errorf(orderhub.EConflict, "%s at %s: fewer than %d reserved to ship", p.SKU, p.LocationID, p.Quantity)
		}
		return tc.movement(ctx, p.LocationID, p.SKU, -p.Quantity, -p.Quantity, reasonOr(p.Reason, "ship"), p.Ref, "", now)
	})
}

// StockLedger implements store.InventoryTx.
func (c *Core) StockLedger(ctx context.Context) ([]orderhub.StockLevel, error) {
	rows, err := c.q.Query(ctx, c.sql("SumMovements"))
	if err != nil {
		return nil, c.mapErr(err)
	}
	defer rows.Close()
	var out []orderhub.StockLevel
	for rows.Next() {
		var l orderhub.StockLevel
		if err := rows.Scan(&l.LocationID, &l.SKU, &l.OnHand, &l.Reserved); err != nil {
			return nil, err
		}
		out = append(out, l)
	}
	return out, rows.Err()
}

// CreateFulfillment implements store.InventoryTx.
func (c *Core) CreateFulfillment(ctx context.Context, f orderhub.Fulfillment) (orderhub.Fulfillment, error) {
	if f.OrderID == "" || f.SourceID == "" || f.SourceKind == "" {
		return f, orderhub.Errorf(orderhub.EInvalid, "fulfillment needs an order, a source and a source kind")
	}
	if f.ID == "" {
		f.ID = NewID()
	}
	if f.Status == "" {
		f.Status = orderhub.FulfillmentPending
	}
	if !f.Status.Valid() {
		return f, orderhub.Errorf(orderhub.EInvalid, "fulfillment status %q is not valid", f.Status)
	}
	now := c.now().UTC().Truncate(time.Microsecond)
	f.CreatedAt, f.UpdatedAt = now, now
	err := c.write(ctx, func(tc *Core) error {
		_, err := tc.q.Exec(ctx, tc.sql("InsertFulfillment"), f.ID, f.OrderID, f.ShopID, f.SourceKind, f.SourceID, string(f.Status),
			f.Carrier, f.TrackingNumber, f.TrackingURL, f.LabelURL, f.ExternalID, f.PlatformID, micros(now), micros(now))
		if err != nil {
			return tc.mapErr(err)
		}
		return tc.addLines(ctx, f.ID, f.Lines)
	})
	if err != nil {
		return orderhub.Fulfillment{}, fmt.Errorf("create fulfillment: %w", err)
	}
	return f, nil
}

func (c *Core) addLines(ctx context.Context, id string, lines []orderhub.FulfillmentLine) error {
	for _, l := range lines {
		if l.Quantity <= 0 {
			return orderhub.Errorf(orderhub.EInvalid, "fulfillment line %s: quantity %d is not positive", l.LineID, l.Quantity)
		}
		if _, err := c.q.Exec(ctx, c.sql("UpsertFulfillmentLine"), id, l.LineID, l.SKU, l.Quantity); err != nil {
			return c.mapErr(err)
		}
	}
	return nil
}

// AddFulfillmentLines implements store.InventoryTx.
func (c *Core) AddFulfillmentLines(ctx context.Context, fulfillmentID string, lines []orderhub.FulfillmentLine) error {
	return c.write(ctx, func(tc *Core) error { return tc.addLines(ctx, fulfillmentID, lines) })
}

// RemoveFulfillmentLine implements store.InventoryTx.
func (c *Core) RemoveFulfillmentLine(ctx context.Context, fulfillmentID, lineID string, quantity int64) error {
	if quantity <= 0 {
		return orderhub.Errorf(orderhub.EInvalid, "quantity: %d is not positive", quantity)
	}
	return c.write(ctx, func(tc *Core) error {
		n, err := tc.q.Exec(ctx, tc.sql("ReduceFulfillmentLine"), fulfillmentID, lineID, quantity)
		if err != nil {
			return tc.mapErr(err)
		}
		if n == 1 {
			return nil
		}
		n, err = tc.q.Exec(ctx, tc.sql("DeleteFulfillmentLine"), fulfillmentID, lineID, quantity)
		if err != nil {
			return tc.mapErr(err)
		}
		if n != 1 {
			return orderhub.Errorf(orderhub.EConflict, "fulfillment %s holds fewer than %d of line %s", fulfillmentID, quantity, lineID)
		}
		return nil
	})
}

func (c *Core) scanFulfillment(row Row) (orderhub.Fulfillment, error) {
	var f orderhub.Fulfillment
	var status string
	var created, updated int64
	err := row.Scan(&f.ID, &f.OrderID, &f.ShopID, &f.SourceKind, &f.SourceID, &status, &f.Carrier, &f.TrackingNumber,
		&f.TrackingURL, &f.LabelURL, &f.ExternalID, &f.PlatformID, &created, &updated)
	f.Status = orderhub.FulfillmentStatus(status)
	f.CreatedAt, f.UpdatedAt = fromMicros(created), fromMicros(updated)
	return f, err
}

func (c *Core) fulfillmentLines(ctx context.Context, query string, arg string) (map[string][]orderhub.FulfillmentLine, error) {
	rows, err := c.q.Query(ctx, query, arg)
	if err != nil {
		return nil, c.mapErr(err)
	}
	defer rows.Close()
	out := map[string][]orderhub.FulfillmentLine{}
	for rows.Next() {
		var fid string
		var l orderhub.FulfillmentLine
		if err := rows.Scan(&fid, &l.LineID, &l.SKU, &l.Quantity); err != nil {
			return nil, err
		}
		out[fid] = append(out[fid], l)
	}
	return out, rows.Err()
}

// GetFulfillment implements store.InventoryTx.
func (c *Core) GetFulfillment(ctx context.Context, id string) (orderhub.Fulfillment, error) {
	f, err := c.scanFulfillment(c.q.QueryRow(ctx, c.sql("GetFulfillment"), id))
	if err != nil {
		if c.d.IsNoRows(err) {
			return f, orderhub.Errorf(orderhub.ENotFound, "fulfillment %s not found", id)
		}
		return f, c.mapErr(err)
	}
	lines, err := c.fulfillmentLines(ctx, c.sql("ListLinesOfFulfillment"), id)
	f.Lines = lines[id]
	return f, err
}

// ListFulfillments implements store.InventoryTx.
func (c *Core) ListFulfillments(ctx context.Context, orderID string) ([]orderhub.Fulfillment, error) {
	rows, err := c.q.Query(ctx, c.sql("ListFulfillments"), orderID)
	if err != nil {
		return nil, c.mapErr(err)
	}
	var out []orderhub.Fulfillment
	for rows.Next() {
		f, err := c.scanFulfillment(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, f)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	lines, err := c.fulfillmentLines(ctx, c.sql("ListFulfillmentLines"), orderID)
	if err != nil {
		return nil, err
	}
	for i := range out {
		out[i].Lines = lines[out[i].ID]
	}
	return out, nil
}

// UpdateFulfillment implements store.InventoryTx.
func (c *Core) UpdateFulfillment(ctx context.Context, p store.UpdateFulfillmentParams) (orderhub.Fulfillment, error) {
	var out orderhub.Fulfillment
	err := c.write(ctx, func(tc *Core) error {
		cur, err := tc.GetFulfillment(ctx, p.ID)
		if err != nil {
			return err
		}
		next := cur
		if p.Status != "" && p.Status != cur.Status {
			if !cur.Status.CanTransition(p.Status) {
				return orderhub.Errorf(orderhub.EConflict, "fulfillment %s cannot move from %s to %s", p.ID, cur.Status, p.Status)
			}
			next.Status = p.Status
		}
		set := func(dst *string, v string) {
			if v != "" {
				*dst = v
			}
		}
		set(&next.Carrier, p.Carrier)
		set(&next.TrackingNumber, p.TrackingNumber)
		set(&next.TrackingURL, p.TrackingURL)
		set(&next.LabelURL, p.LabelURL)
		set(&next.ExternalID, p.ExternalID)
		set(&next.PlatformID, p.PlatformID)
		next.UpdatedAt = tc.now().UTC().Truncate(time.Microsecond)
		n, err := tc.q.Exec(ctx, tc.sql("UpdateFulfillment"), p.ID, string(cur.Status), string(next.Status), next.Carrier, next.TrackingNumber,
			next.TrackingURL, next.LabelURL, next.ExternalID, next.PlatformID, micros(next.UpdatedAt))
		if err != nil {
			return tc.mapErr(err)
		}
		if n != 1 {
			return orderhub.Errorf(orderhub.EConflict, "fulfillment %s changed concurrently", p.ID)
		}
		out = next
		return nil
	})
	return out, err
}

// CreateBackorder implements store.InventoryTx. A backorder waits for a
// restock of its SKU, so one without a SKU could never be filled: routing
// holds such a line for the operator instead (routing.LinePlan.Held), and
// the store refuses it here rather than keep a backorder nothing can fill.
func (c *Core) CreateBackorder(ctx context.Context, b orderhub.Backorder) (orderhub.Backorder, error) {
	if b.OrderID == "" || b.LineID == "" || b.SKU == "" || b.Quantity <= 0 {
		return b, orderhub.Errorf(orderhub.EInvalid, "backorder needs an order, a line, a sku and a positive quantity")
	}
	if b.ID == "" {
		b.ID = NewID()
	}
	if b.Status == "" {
		b.Status = orderhub.BackorderPending
	}
	now := c.now().UTC().Truncate(time.Microsecond)
	b.CreatedAt, b.UpdatedAt = now, now
	b.PaidAt = b.PaidAt.UTC().Truncate(time.Microsecond)
	err := c.write(ctx, func(tc *Core) error {
		_, err := tc.q.Exec(ctx, tc.sql("InsertBackorder"), b.ID, b.OrderID, b.ShopID, b.LineID, b.SKU, b.Quantity, b.Filled,
			string(b.Status), micros(b.PaidAt), nullMicros(b.ETA), micros(now), micros(now))
		return tc.mapErr(err)
	})
	return b, err
}

func scanBackorder(row Row) (orderhub.Backorder, error) {
	var b orderhub.Backorder
	var status string
	var paid, created, updated int64
	var eta, decided *int64
	err := row.Scan(&b.ID, &b.OrderID, &b.ShopID, &b.LineID, &b.SKU, &b.Quantity, &b.Filled, &status, &paid, &eta, &created, &updated,
		&b.Decision, &b.DecidedBy, &decided)
	b.Status = orderhub.BackorderStatus(status)
	b.PaidAt, b.CreatedAt, b.UpdatedAt = fromMicros(paid), fromMicros(created), fromMicros(updated)
	if eta != nil {
		t := fromMicros(*eta)
		b.ETA = &t
	}
	if decided != nil {
		t := fromMicros(*decided)
		b.DecidedAt = &t
	}
	return b, err
}

// GetBackorder implements store.InventoryTx.
func (c *Core) GetBackorder(ctx context.Context, id string) (orderhub.Backorder, error) {
	b, err := scanBackorder(c.q.QueryRow(ctx, c.sql("GetBackorder"), id))
	if err != nil && c.d.IsNoRows(err) {
		return b, orderhub.Errorf(orderhub.ENotFound, "backorder %s not found", id)
	}
	return b, c.mapErr(err)
}

func (c *Core) backorders(ctx context.Context, query string, args ...any) ([]orderhub.Backorder, error) {
	rows, err := c.q.Query(ctx, query, args...)
	if err != nil {
		return nil, c.mapErr(err)
	}
	defer rows.Close()
	var out []orderhub.Backorder
	for rows.Next() {
		b, err := scanBackorder(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, rows.Err()
}

// ListBackorders implements store.InventoryTx.
func (c *Core) ListBackorders(ctx context.Context, p store.ListBackordersParams) (store.BackorderPage, error) {
	limit := store.ListLimit(p.Limit)
	bs, err := c.backorders(ctx, c.sql("ListBackorders"), p.ShopIDs == nil, mustJSON(nonNil(p.ShopIDs)),
		string(p.Status), p.SKU, p.OrderID, p.After, limit+1)
	if err != nil {
		return store.BackorderPage{}, err
	}
	page := store.BackorderPage{Backorders: bs}
	if len(bs) > limit {
		page.Backorders = bs[:limit]
		page.Next = bs[limit-1].ID
	}
	return page, nil
}

// OpenBackorders implements store.InventoryTx.
func (c *Core) OpenBackorders(ctx context.Context, sku string, limit int) ([]orderhub.Backorder, error) {
	if limit <= 0 {
		limit = 1000
	}
	return c.backorders(ctx, c.sql("OpenBackordersFIFO"), sku, limit)
}

// UpdateBackorder implements store.InventoryTx.
func (c *Core) UpdateBackorder(ctx context.Context, p store.UpdateBackorderParams) (orderhub.Backorder, error) {
	var out orderhub.Backorder
	err := c.write(ctx, func(tc *Core) error {
		cur, err := tc.GetBackorder(ctx, p.ID)
		if err != nil {
			return err
		}
		if p.From != "" && cur.Status != p.From {
			return orderhub.Errorf(orderhub.EConflict, "backorder %s is %s, not %s", p.ID, cur.Status, p.From)
		}
		qty := cur.Quantity
		if p.Quantity > 0 {
			qty = p.Quantity
		}
		if p.Filled < cur.Filled || p.Filled > qty {
			return orderhub.Errorf(orderhub.EInvalid, "backorder %s: filled %d is outside %d..%d", p.ID, p.Filled, cur.Filled, qty)
		}
		if !cur.Status.Open() && p.Status != cur.Status {
			return orderhub.Errorf(orderhub.EConflict, "backorder %s is already %s", p.ID, cur.Status)
		}
		now := tc.now().UTC().Truncate(time.Microsecond)
		n, err := tc.q.Exec(ctx, tc.sql("UpdateBackorder"), p.ID, string(cur.Status), p.Filled, string(p.Status), micros(now), qty)
		if err != nil {
			return tc.mapErr(err)
		}
		if n != 1 {
			return orderhub.Errorf(orderhub.EConflict, "backorder %s changed concurrently", p.ID)
		}
		out = cur
		out.Filled, out.Status, out.UpdatedAt, out.Quantity = p.Filled, p.Status, now, qty
		return nil
	})
	return out, err
}

// SetExplanations implements store.InventoryTx.
func (c *Core) SetExplanations(ctx context.Context, orderID string, ex []orderhub.Explanation) error {
	return c.write(ctx, func(tc *Core) error {
		n, err := tc.q.Exec(ctx, tc.sql("SetExplanations"), orderID, mustJSON(nonNil(ex)), micros(tc.now()))
		if err != nil {
			return tc.mapErr(err)
		}
		if n != 1 {
			return orderhub.Errorf(orderhub.ENotFound, "order %s not found", orderID)
		}
		return nil
	})
}

// CancelLineQuantity implements store.InventoryTx.
func (c *Core) CancelLineQuantity(ctx context.Context, orderID, lineID string, quantity int64) error {
	if quantity <= 0 {
		return orderhub.Errorf(orderhub.EInvalid, "quantity: %d is not positive", quantity)
	}
	return c.write(ctx, func(tc *Core) error {
		n, err := tc.q.Exec(ctx, tc.sql("CancelLineQuantity"), lineID, orderID, quantity)
		if err != nil {
			return tc.mapErr(err)
		}
		if n != 1 {
			return orderhub.Errorf(orderhub.EConflict, "line %s of order %s has fewer than %d units left to cancel", lineID, orderID, quantity)
		}
		return nil
	})
}

// SetOrderTotals implements store.InventoryTx.
func (c *Core) SetOrderTotals(ctx context.Context, orderID string, t orderhub.Totals) error {
	return c.write(ctx, func(tc *Core) error {
		n, err := tc.q.Exec(ctx, tc.sql("UpdateOrderMoney"), orderID, t.Subtotal.Amount, t.Discount.Amount, t.Shipping.Amount,
			t.Tax.Amount, t.Total.Amount, t.Refunded.Amount, micros(tc.now()))
		if err != nil {
			return tc.mapErr(err)
		}
		if n != 1 {
			return orderhub.Errorf(orderhub.ENotFound, "order %s not found", orderID)
		}
		return nil
	})
}
