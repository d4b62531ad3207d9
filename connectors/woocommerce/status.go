package woocommerce

import "github.com/orderhub/orderhub"

// MapStatus maps a WooCommerce order status to an orderhub status.
// datePaid and dateCompleted say whether date_paid and date_completed are
// set; the table is in the package comment.
func MapStatus(status string, datePaid, dateCompleted bool) orderhub.Status {
	switch status {
	case "pending", "checkout-draft", "failed":
		return orderhub.StatusPending
	case "on-hold":
		return orderhub.StatusPaymentProcessing
	case "processing":
		return orderhub.StatusPaid
	case "completed":
		return orderhub.StatusFulfilled
	case "cancelled", "trash":
		return orderhub.StatusCancelled
	case "refunded":
		if dateCompleted {
			return orderhub.StatusRefunded
		}
		return orderhub.StatusCancelled
	}
	if datePaid {
		return orderhub.StatusPaid
	}
	return orderhub.StatusPending
}

// IsPaid reports whether the order may be routed: processing or completed,
// or a plugin's own status on an order that has date_paid.
func IsPaid(status string, datePaid bool) bool {
	switch status {
	case "processing", "completed":
		return true
	case "pending", "checkout-draft", "failed", "on-hold", "cancelled", "trash", "refunded":
		return false
	}
	return datePaid
}
