// Package jsonvalue is the small JSON toolkit the order connectors share:
// values kept as their literal text so money and ids never pass through
// float64, and decoding errors that name the field's path. It does no I/O
// and knows no platform.
package jsonvalue

import (
	"encoding/json"
	"errors"
	"io"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/orderhub/orderhub"
)

// Value is one JSON value kept as its literal text. Money and ids are read
// from the text, so they never pass through float64, and a wrong type is
// reported with the field's path instead of failing the whole decode.
type Value struct{ raw string }

// Raw returns the literal text.
func (v Value) Raw() string { return v.raw }

// UnmarshalJSON keeps the literal; encoding/json has already checked that it
// is well-formed JSON.
func (v *Value) UnmarshalJSON(b []byte) error {
	v.raw = string(b)
	return nil
}

func (v Value) Null() bool { return v.raw == "" || v.raw == "null" }

// Str returns the contents of a JSON string, or the literal of a number.
func (v Value) Str() (string, bool) {
	if v.Null() {
		return "", true
	}
	switch c := v.raw[0]; {
	case c == '"':
		var s string
		if json.Unmarshal([]byte(v.raw), &s) != nil {
			return "", false
		}
		return s, true
	case c == '-' || (c >= '0' && c <= '9'):
		return v.raw, true
	}
	return "", false
}

// Shown is the literal cut short for error messages.
func (v Value) Shown() string {
	const max = 40
	if len(v.raw) > max {
		return v.raw[:max] + "…"
	}
	return v.raw
}

// Invalid is an orderhub Invalid error with a formatted message.
func Invalid(format string, args ...any) error {
	return orderhub.Errorf(orderhub.EInvalid, format, args...)
}

// ID reads an identifier: a JSON integer or a non-empty string, as a string.
// Ids exceed 2^53, so they are never numbers in Go.
func (v Value) ID(path string) (string, error) {
	if v.Null() {
		return "", nil
	}
	s, ok := v.Str()
	if !ok {
		return "", Invalid("%s: %s is not an id", path, v.Shown())
	}
	if v.raw[0] != '"' && !IsDigits(s) {
		return "", Invalid("%s: %s is not an integer id", path, v.Shown())
	}
	return strings.TrimSpace(s), nil
}

// Integer reads a whole number sent as a JSON integer or a string of digits.
func (v Value) Integer(path string) (int64, error) {
	s, ok := v.Str()
	if !ok {
		return 0, Invalid("%s: %s is not an integer", path, v.Shown())
	}
	if s == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil {
		return 0, Invalid("%s: %s is not an integer", path, v.Shown())
	}
	return n, nil
}

// Money reads a decimal amount sent as a JSON string or number. Absent or
// null is zero. round allows more fraction digits than the currency has.
func (v Value) Money(path, currency string, round bool) (orderhub.Money, error) {
	s, ok := v.Str()
	if !ok {
		return orderhub.Money{}, Invalid("%s: %s is not a decimal", path, v.Shown())
	}
	if v.Null() {
		return orderhub.Zero(currency), nil
	}
	parse := orderhub.ParseMoney
	if round {
		parse = orderhub.ParseMoneyRounded
	}
	m, err := parse(s, currency)
	if err != nil {
		reason := orderhub.ErrorMessage(err) // `amount "x" for USD: why`
		if i := strings.LastIndex(reason, ": "); i >= 0 {
			reason = reason[i+2:]
		}
		return orderhub.Money{}, Invalid("%s: %s is not a decimal amount in %s (%s)", path, v.Shown(), currency, reason)
	}
	return m, nil
}

// NonNegativeMoney reads an amount like Money and refuses a negative one,
// for the prices, quantities' money, shipping charges and totals that a
// platform never sends below zero: such an amount is corrupt, and storing
// it would turn a later cancellation's refund into a charge. The error
// names the field and the literal, e.g. `line_items[0].price: "-3000" is
// negative`. Refunds and adjustments, which platforms do sign, are read
// with Money.
func (v Value) NonNegativeMoney(path, currency string, round bool) (orderhub.Money, error) {
	m, err := v.Money(path, currency, round)
	if err != nil {
		return m, err
	}
	if m.Amount < 0 {
		return orderhub.Money{}, Invalid("%s: %s is negative", path, v.Shown())
	}
	return m, nil
}

// Float reads a coordinate, which is geography and not money, from a JSON
// number or numeric string. Absent, null or "" is nil.
func (v Value) Float(path string) (*float64, error) {
	s, ok := v.Str()
	if !ok {
		return nil, Invalid("%s: %s is not a number", path, v.Shown())
	}
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return nil, Invalid("%s: %s is not a number", path, v.Shown())
	}
	return &f, nil
}

func IsDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// DecodeJSON unmarshals body into dst and turns encoding/json's errors into
// Invalid errors that name the field.
func DecodeJSON(what string, body []byte, dst any) error {
	err := json.Unmarshal(body, dst)
	if err == nil {
		return nil
	}
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return Invalid("%s: malformed JSON at byte %d: %s", what, se.Offset, se.Error())
	case errors.As(err, &te):
		field := te.Field
		if field == "" {
			field = "body"
		}
		return Invalid("%s: %s: JSON %s is not %s", what, field, te.Value, kindName(te.Type))
	case errors.Is(err, io.ErrUnexpectedEOF):
		return Invalid("%s: truncated JSON", what)
	}
	return Invalid("%s: %v", what, err)
}

func kindName(t reflect.Type) string {
	if t == nil {
		return "the expected type"
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Int, reflect.Int64, reflect.Int32, reflect.Uint, reflect.Uint64:
		return "an integer"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Struct, reflect.Map:
		return "an object"
	case reflect.Pointer:
		return kindName(t.Elem())
	}
	return "a " + t.String()
}

// ParseTime reads s with the first of layouts that fits, into UTC; "" is
// the zero time. what names the expected form in the error, e.g. "an RFC
// 3339 time".
func ParseTime(path, s, what string, layouts ...string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	for _, layout := range layouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, Invalid("%s: %q is not %s", path, Cut(s), what)
}

// Cut shortens s for an error message.
func Cut(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}

// Add adds m to *total; an overflow or a currency mix is an Invalid error
// naming path.
func Add(path string, total *orderhub.Money, m orderhub.Money) error {
	s, err := total.Add(m)
	if err != nil {
		return Invalid("%s: %s", path, orderhub.ErrorMessage(err))
	}
	*total = s
	return nil
}
