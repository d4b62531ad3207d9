package bigcommerce

// This file is the same small JSON toolkit in every order connector: adapters
// never import each other, and these helpers are too small for a package.

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

// value is one JSON value kept as its literal text. Money and ids are read
// from the text, so they never pass through float64, and a wrong type is
// reported with the field's path instead of failing the whole decode.
type value struct{ raw string }

// UnmarshalJSON keeps the literal; encoding/json has already checked that it
// is well-formed JSON.
func (v *value) UnmarshalJSON(b []byte) error {
	v.raw = string(b)
	return nil
}

func (v value) null() bool { return v.raw == "" || v.raw == "null" }

// str returns the contents of a JSON string, or the literal of a number.
func (v value) str() (string, bool) {
	if v.null() {
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

// shown is the literal cut short for error messages.
func (v value) shown() string {
	const max = 40
	if len(v.raw) > max {
		return v.raw[:max] + "…"
	}
	return v.raw
}

func invalid(format string, args ...any) error {
	return orderhub.Errorf(orderhub.EInvalid, format, args...)
}

// id reads an identifier: a JSON integer or a non-empty string, as a string.
// Ids exceed 2^53, so they are never numbers in Go.
func (v value) id(path string) (string, error) {
	if v.null() {
		return "", nil
	}
	s, ok := v.str()
	if !ok {
		return "", invalid("%s: %s is not an id", path, v.shown())
	}
	if v.raw[0] != '"' && !isDigits(s) {
		return "", invalid("%s: %s is not an integer id", path, v.shown())
	}
	return strings.TrimSpace(s), nil
}

// integer reads a whole number sent as a JSON integer or a string of digits.
func (v value) integer(path string) (int64, error) {
	s, ok := v.str()
	if !ok {
		return 0, invalid("%s: %s is not an integer", path, v.shown())
	}
	if s == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil {
		return 0, invalid("%s: %s is not an integer", path, v.shown())
	}
	return n, nil
}

// money reads a decimal amount sent as a JSON string or number. Absent or
// null is zero. round allows more fraction digits than the currency has.
func (v value) money(path, currency string, round bool) (orderhub.Money, error) {
	s, ok := v.str()
	if !ok {
		return orderhub.Money{}, invalid("%s: %s is not a decimal", path, v.shown())
	}
	if v.null() {
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
		return orderhub.Money{}, invalid("%s: %s is not a decimal amount in %s (%s)", path, v.shown(), currency, reason)
	}
	return m, nil
}

// float reads a coordinate, which is geography and not money, from a JSON
// number or numeric string. Absent, null or "" is nil.
func (v value) float(path string) (*float64, error) {
	s, ok := v.str()
	if !ok {
		return nil, invalid("%s: %s is not a number", path, v.shown())
	}
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return nil, invalid("%s: %s is not a number", path, v.shown())
	}
	return &f, nil
}

func isDigits(s string) bool {
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

// decodeJSON unmarshals body into dst and turns encoding/json's errors into
// Invalid errors that name the field.
func decodeJSON(what string, body []byte, dst any) error {
	err := json.Unmarshal(body, dst)
	if err == nil {
		return nil
	}
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return invalid("%s: malformed JSON at byte %d: %s", what, se.Offset, se.Error())
	case errors.As(err, &te):
		field := te.Field
		if field == "" {
			field = "body"
		}
		return invalid("%s: %s: JSON %s is not %s", what, field, te.Value, kindName(te.Type))
	case errors.Is(err, io.ErrUnexpectedEOF):
		return invalid("%s: truncated JSON", what)
	}
	return invalid("%s: %v", what, err)
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

// parseTime reads the v2 API's RFC 2822 dates ("Tue, 05 Mar 2019 21:40:11
// +0000") into UTC; "" is the zero time. RFC 3339 is accepted too.
func parseTime(path, s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	for _, layout := range []string{time.RFC1123Z, time.RFC1123, time.RFC3339} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, invalid("%s: %q is not an RFC 2822 date", path, cut(s))
}

func cut(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}

// add adds m to *total; an overflow or a currency mix is an Invalid error
// naming path.
func add(path string, total *orderhub.Money, m orderhub.Money) error {
	s, err := total.Add(m)
	if err != nil {
		return invalid("%s: %s", path, orderhub.ErrorMessage(err))
	}
	*total = s
	return nil
}
