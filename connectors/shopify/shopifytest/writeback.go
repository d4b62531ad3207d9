package shopifytest

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// fulfillmentNodesLocked renders an order's fulfillments as Order.fulfillments
// does: a plain list (not a connection) of Fulfillment objects with their
// tracking info and fulfillment line items, oldest first. Write-back reads it
// to find a fulfillment it created before an answer was lost.
func (s *Server) fulfillmentNodesLocked(orderID int64) []any {
	out := []any{}
	for _, f := range s.fulfillment {
		if f.OrderID != orderID {
			continue
		}
		lines := []any{}
		for _, l := range f.LineItems {
			lines = append(lines, map[string]any{
				"id":       fmt.Sprintf("gid://shopify/FulfillmentLineItem/%d%d", f.ID, l.FulfillmentOrderLineItemID),
				"quantity": l.Quantity,
				"lineItem": map[string]any{"id": fmt.Sprintf("gid://shopify/LineItem/%d", l.LineItemID)},
			})
		}
		tracking := []any{}
		if f.TrackingNumber != "" || f.TrackingCompany != "" || f.TrackingURL != "" {
			tracking = append(tracking, map[string]any{"company": f.TrackingCompany, "number": f.TrackingNumber, "url": f.TrackingURL})
		}
		out = append(out, map[string]any{
			"id": f.GID(), "legacyResourceId": strconv.FormatInt(f.ID, 10), "status": strings.ToUpper(f.Status),
			"createdAt":            f.CreatedAt.Format(time.RFC3339),
			"trackingInfo":         tracking,
			"fulfillmentLineItems": map[string]any{"nodes": lines, "edges": edgesOf(lines)},
		})
	}
	return out
}

// FulfillmentsOf returns the fulfillments of one order, oldest first.
func (s *Server) FulfillmentsOf(orderID int64) []Fulfillment {
	var out []Fulfillment
	for _, f := range s.Fulfillments() {
		if f.OrderID == orderID {
			out = append(out, f)
		}
	}
	return out
}
