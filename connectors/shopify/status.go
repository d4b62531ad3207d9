package shopify

import "github.com/orderhub/orderhub"

// MapStatus maps Shopify's financial_status and fulfillment_status, and
// whether cancelled_at is set, to an orderhub status. The table is in the
// package comment.
func MapStatus(financialStatus, fulfillmentStatus string, cancelled bool) orderhub.Status {
	if cancelled {
		return orderhub.StatusCancelled
	}
	switch financialStatus {
	case "voided", "expired":
		return orderhub.StatusCancelled
	case "refunded":
		if fulfillmentStatus == "fulfilled" || fulfillmentStatus == "partial" {
			return orderhub.StatusRefunded
		}
		return orderhub.StatusCancelled
	case "authorized", "partially_paid":
		return orderhub.StatusPaymentProcessing
	case "paid", "partially_refunded":
		switch fulfillmentStatus {
		case "fulfilled":
			return orderhub.StatusFulfilled
		case "partial":
			return orderhub.StatusPartiallyFulfilled
		}
		return orderhub.StatusPaid
	}
	return orderhub.StatusPending
}

// IsPaid reports whether the payment is captured, so the order may be
// routed: financial_status paid or partially_refunded.
func IsPaid(financialStatus string) bool {
	return financialStatus == "paid" || financialStatus == "partially_refunded"
}
