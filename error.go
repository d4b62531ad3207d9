package orderhub

import (
	"errors"
	"fmt"
)

// Error codes. Each maps to exactly one HTTP status in package httpjson.
const (
	EInvalid      = "invalid"       // the input is malformed or breaks a rule
	ENotFound     = "not_found"     // no such thing, or not visible to the caller
	EConflict     = "conflict"      // the state forbids it: a bad transition, a duplicate, a shipped line
	EUnauthorized = "unauthorized"  // missing or wrong credentials or signature
	ETooLarge     = "too_large"     // the request body is over its cap
	EUnavailable  = "unavailable"   // a dependency is down; try again later
	EInternal     = "internal"      // our own fault
	ERateLimited  = "rate_limited"  // a remote API throttled us
	EUnsupported  = "not_supported" // a capability the deployment does not have
)

// Error is orderhub's one error type. Code is for programs, Message is safe
// to show a user, and Err carries the detail for the logs.
type Error struct {
	Code    string
	Message string
	Err     error
}

// Error implements error.
func (e *Error) Error() string {
	switch {
	case e.Err != nil && e.Message != "":
		return e.Message + ": " + e.Err.Error()
	case e.Err != nil:
		return e.Err.Error()
	}
	return e.Message
}

// Unwrap returns the underlying cause.
func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with code and a formatted user-safe message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// WrapError returns an *Error with code and message around a cause.
func WrapError(code string, err error, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...), Err: err}
}

// ErrorCode returns the code of the first *Error in err's chain, EInternal
// for any other non-nil error, and "" for nil.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EInternal
}

// ErrorMessage returns the user-safe message of the first *Error in err's
// chain, or a generic message for errors that may hold internal detail.
func ErrorMessage(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) && e.Message != "" {
		return e.Message
	}
	return "internal error"
}
