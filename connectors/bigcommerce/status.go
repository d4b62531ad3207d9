package bigcommerce

import "github.com/orderhub/orderhub"

// BigCommerce order status ids (GET /v2/order_statuses).
const (
	StatusIncomplete          = 0
	StatusPending             = 1
	StatusShipped             = 2
	StatusPartiallyShipped    = 3
	StatusRefunded            = 4
	StatusCancelled           = 5
	StatusDeclined            = 6
	StatusAwaitingPayment     = 7
	StatusAwaitingPickup      = 8
	StatusAwaitingShipment    = 9
	StatusCompleted           = 10
	StatusAwaitingFulfillment = 11
	StatusManualVerification  = 12
	StatusDisputed            = 13
	StatusPartiallyRefunded   = 14
)

// MapStatus maps a status_id, with the order's items_shipped and
// items_total, to an orderhub status. The table is in the package comment.
func MapStatus(statusID, itemsShipped, itemsTotal int64) orderhub.Status {
	switch statusID {
	case StatusAwaitingPayment, StatusManualVerification, StatusDisputed:
		return orderhub.StatusPaymentProcessing
	case StatusAwaitingFulfillment, StatusAwaitingShipment, StatusAwaitingPickup:
		return orderhub.StatusPaid
	case StatusPartiallyShipped:
		return orderhub.StatusPartiallyFulfilled
	case StatusShipped, StatusCompleted:
		return orderhub.StatusFulfilled
	case StatusCancelled, StatusDeclined:
		return orderhub.StatusCancelled
	case StatusRefunded:
		if itemsShipped > 0 {
			return orderhub.StatusRefunded
		}
		return orderhub.StatusCancelled
	case StatusPartiallyRefunded:
		switch {
		case itemsShipped <= 0:
			return orderhub.StatusPaid
		case itemsShipped < itemsTotal:
			return orderhub.StatusPartiallyFulfilled
		}
		return orderhub.StatusFulfilled
	}
	return orderhub.StatusPending
}

// IsPaid reports whether status_id means the payment was captured, so the
// order may be routed.
func IsPaid(statusID int64) bool {
	switch statusID {
	case StatusShipped, StatusPartiallyShipped, StatusAwaitingPickup, StatusAwaitingShipment,
		StatusCompleted, StatusAwaitingFulfillment, StatusPartiallyRefunded:
		return true
	}
	return false
}
