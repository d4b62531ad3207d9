// Package httpjson writes orderhub's JSON responses. It owns the one
// mapping from orderhub error codes to HTTP statuses, so the webhook intake,
// the admin API and the operations endpoints answer errors alike:
// {"error": {"code": "...", "message": "..."}}. It must not decide business
// outcomes; callers pass it the error they already have.
package httpjson

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/orderhub/orderhub"
)

// StatusFor returns the HTTP status for an orderhub error code.
func StatusFor(code string) int {
	switch code {
	case orderhub.EInvalid:
		return http.StatusBadRequest
	case orderhub.EUnauthorized:
		return http.StatusUnauthorized
	case orderhub.ENotFound:
		return http.StatusNotFound
	case orderhub.EConflict:
		return http.StatusConflict
	case orderhub.ETooLarge:
		return http.StatusRequestEntityTooLarge
	case orderhub.ERateLimited:
		return http.StatusTooManyRequests
	case orderhub.EUnsupported:
		return http.StatusNotImplemented
	case orderhub.EUnavailable:
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

// ErrorBody is the JSON shape of every error response.
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail is the code and the user-safe message of an error.
type ErrorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Write encodes v as JSON with status.
func Write(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

// RetryAfterSeconds is the Retry-After of a 503 whose handler set none:
// long enough for a busy or full database to recover a little, short
// enough that a platform's retry finds it back soon.
const RetryAfterSeconds = 5

// Error answers err as JSON with the status its code maps to. Internal
// errors are logged with their detail and shown to the caller only as
// "internal error". A 503 carries Retry-After (RetryAfterSeconds unless
// the handler set its own), so senders retry instead of giving up.
func Error(w http.ResponseWriter, r *http.Request, logger *slog.Logger, err error) {
	code := orderhub.ErrorCode(err)
	status := StatusFor(code)
	if status == http.StatusServiceUnavailable && w.Header().Get("Retry-After") == "" {
		w.Header().Set("Retry-After", strconv.Itoa(RetryAfterSeconds))
	}
	if status >= 500 && logger != nil {
		logger.ErrorContext(r.Context(), "request failed", "err", err, "method", r.Method, "path", r.URL.Path)
	}
	Write(w, status, ErrorBody{Error: ErrorDetail{Code: code, Message: orderhub.ErrorMessage(err)}})
}
