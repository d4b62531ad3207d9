package writeback

import (
	"context"
	"fmt"
	"strings"

	"github.com/orderhub/orderhub"
	"github.com/orderhub/orderhub/allocator"
	"github.com/orderhub/orderhub/store"
)

// Hooks returns the allocator hooks that enqueue write-back jobs in the
// transaction of each change:
//
//   - Progressed: a fulfillment got a new tracking number, or shipped;
//   - Routed: a note with where each line goes, the shipments and the
//     backorders;
//   - Cancelled: a note with the cancelled units and the refund;
//   - Filled: a note for a backorder filled from a restock.
func (s *Service) Hooks() allocator.Hooks {
	return allocator.Hooks{Routed: s.Routed, Progressed: s.Progressed, Cancelled: s.Cancelled, Filled: s.Filled}
}

// Progressed enqueues a fulfillment write-back when its tracking number
// changed or it shipped.
func (s *Service) Progressed(ctx context.Context, tx store.Tx, before, after orderhub.Fulfillment) error {
	if !NeedsWriteBack(before, after) {
		return nil
	}
	args := FulfillmentArgs{FulfillmentID: after.ID, TrackingNumber: after.TrackingNumber, Shipped: shipped(after.Status)}
	_, err := tx.InsertJob(ctx, args, s.InsertOpts())
	return err
}

// NeedsWriteBack reports whether a fulfillment change is news for the
// platform: a new tracking number, or the shipment leaving.
func NeedsWriteBack(before, after orderhub.Fulfillment) bool {
	switch after.Status {
	case orderhub.FulfillmentCancelled, orderhub.FulfillmentFailed:
		return false
	}
	if after.TrackingNumber != "" && after.TrackingNumber != before.TrackingNumber {
		return true
	}
	return shipped(after.Status) && !shipped(before.Status)
}

func shipped(st orderhub.FulfillmentStatus) bool {
	return st == orderhub.FulfillmentShipped || st == orderhub.FulfillmentDelivered
}

func (s *Service) note(ctx context.Context, tx store.Tx, orderID, key, text string) error {
	_, err := tx.InsertJob(ctx, NoteArgs{OrderID: orderID, Key: key, Text: text}, s.InsertOpts())
	return err
}

// Routed enqueues the routing note.
func (s *Service) Routed(ctx context.Context, tx store.Tx, o orderhub.Order, res allocator.RouteResult) error {
	return s.note(ctx, tx, o.ID, "routed", RoutedText(o, res))
}

// Cancelled enqueues a note of a cancellation.
func (s *Service) Cancelled(ctx context.Context, tx store.Tx, o orderhub.Order, r allocator.Refund) error {
	key := "cancel"
	if len(r.Events) > 0 {
		key = fmt.Sprintf("cancel-%d", r.Events[0])
	}
	return s.note(ctx, tx, o.ID, key, CancelledText(r))
}

// Filled enqueues a note of a backorder fill.
func (s *Service) Filled(ctx context.Context, tx store.Tx, f allocator.Fill) error {
	b, err := tx.GetBackorder(ctx, f.BackorderID)
	if err != nil {
		return err
	}
	// Filled only grows, so it tells one fill of a backorder from another.
	key := fmt.Sprintf("fill-%s-%d", f.BackorderID, b.Filled)
	text := fmt.Sprintf("Backorder filled: %d × %s from a restock, added to shipment %s", f.Quantity, f.SKU, f.FulfillmentID)
	if !f.Complete {
		text += fmt.Sprintf("; %d still to come", b.Remaining())
	}
	return s.note(ctx, tx, f.OrderID, key, text)
}

// RoutedText describes a routing decision for the merchant.
func RoutedText(o orderhub.Order, res allocator.RouteResult) string {
	var parts []string
	for _, f := range res.Fulfillments {
		var items []string
		for _, l := range f.Lines {
			items = append(items, fmt.Sprintf("%d × %s", l.Quantity, l.SKU))
		}
		where := "from " + f.SourceID
		switch f.SourceKind {
		case orderhub.SourceSupplier:
			where = "dropshipped by " + f.SourceID
		case orderhub.Source3PL:
			where = "from " + f.SourceID + " (3PL)"
		}
		parts = append(parts, strings.Join(items, ", ")+" "+where)
	}
	for _, b := range res.Backorders {
		p := fmt.Sprintf("%d × %s backordered", b.Quantity, b.SKU)
		if b.ETA != nil {
			p += ", estimated " + b.ETA.Format("2006-01-02")
		}
		parts = append(parts, p)
	}
	if len(parts) == 0 {
		return "Routed by orderhub: nothing to ship."
	}
	text := "Routed by orderhub: " + strings.Join(parts, "; ")
	switch n := len(res.Fulfillments); {
	case n > 1:
		text += fmt.Sprintf(". Split into %d shipments.", n)
	case n == 1:
		text += ". One shipment."
	default:
		text += "."
	}
	return text
}

// CancelledText describes a cancellation and its refund.
func CancelledText(r allocator.Refund) string {
	var parts []string
	for _, l := range r.Lines {
		parts = append(parts, fmt.Sprintf("%d × %s (%s)", l.Quantity, l.SKU, l.Amount.Display()))
	}
	text := "Cancelled by orderhub: " + strings.Join(parts, ", ") + "; refund " + r.Amount.Display()
	if r.Reason != "" {
		text += ": " + r.Reason
	}
	return text
}
