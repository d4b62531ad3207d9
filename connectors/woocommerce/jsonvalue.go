package woocommerce

// The JSON toolkit shared by the order connectors, under the names this
// package's decoders use.

import (
	"time"

	"github.com/orderhub/orderhub"
	"github.com/orderhub/orderhub/connectors/internal/jsonvalue"
)

// value is one JSON value kept as its literal text.
type value = jsonvalue.Value

func invalid(format string, args ...any) error { return jsonvalue.Invalid(format, args...) }

func isDigits(s string) bool { return jsonvalue.IsDigits(s) }

func decodeJSON(what string, body []byte, dst any) error {
	return jsonvalue.DecodeJSON(what, body, dst)
}

func cut(s string) string { return jsonvalue.Cut(s) }

func add(path string, total *orderhub.Money, m orderhub.Money) error {
	return jsonvalue.Add(path, total, m)
}

// parseTime reads a WooCommerce date into UTC; "" is the zero time.
func parseTime(path, s string) (time.Time, error) {
	return jsonvalue.ParseTime(path, s, "a WooCommerce date", "2006-01-02T15:04:05", time.RFC3339)
}
