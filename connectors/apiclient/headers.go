package apiclient

import (
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Rate-limit headers the client reads.
const (
	HeaderRetryAfter = "Retry-After"

	// HeaderShopifyCallLimit is Shopify REST's leaky bucket, "used/size".
	HeaderShopifyCallLimit = "X-Shopify-Shop-Api-Call-Limit"

	// BigCommerce sends all four on every answer.
	HeaderBCTimeWindowMs  = "X-Rate-Limit-Time-Window-Ms"
	HeaderBCTimeResetMs   = "X-Rate-Limit-Time-Reset-Ms"
	HeaderBCRequestsQuota = "X-Rate-Limit-Requests-Quota"
	HeaderBCRequestsLeft  = "X-Rate-Limit-Requests-Left"

	// ShipBob: seconds to wait on a 429, and calls left in the window.
	HeaderShipBobRetryAfter     = "X-Retry-After"
	HeaderShipBobRemainingCalls = "X-Remaining-Calls"
)

// RetryAfter reads a Retry-After header at now: a number of seconds
// (fractions allowed, as Shopify's "2.0") or an HTTP date. A date in the
// past means 0.
func RetryAfter(h http.Header, now time.Time) (time.Duration, bool) {
	v := strings.TrimSpace(h.Get(HeaderRetryAfter))
	if v == "" {
		return 0, false
	}
	if d, ok := parseSeconds(v); ok {
		return d, true
	}
	if t, err := http.ParseTime(v); err == nil {
		d := t.Sub(now)
		if d < 0 {
			d = 0
		}
		return d, true
	}
	return 0, false
}

// parseSeconds reads a non-negative decimal number of seconds.
func parseSeconds(v string) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || f < 0 || math.IsNaN(f) || math.IsInf(f, 0) || f > 1e7 {
		return 0, false
	}
	return time.Duration(f * float64(time.Second)), true
}

// ShopifyCallLimit reads X-Shopify-Shop-Api-Call-Limit, e.g. "32/40".
func ShopifyCallLimit(h http.Header) (used, size int, ok bool) {
	v := strings.TrimSpace(h.Get(HeaderShopifyCallLimit))
	a, b, found := strings.Cut(v, "/")
	if !found {
		return 0, 0, false
	}
	used, err1 := strconv.Atoi(strings.TrimSpace(a))
	size, err2 := strconv.Atoi(strings.TrimSpace(b))
	if err1 != nil || err2 != nil || used < 0 || size <= 0 {
		return 0, 0, false
	}
	return used, size, true
}

func headerInt(h http.Header, name string) (int64, bool) {
	v := strings.TrimSpace(h.Get(name))
	if v == "" {
		return 0, false
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return 0, false
	}
	return n, true
}
