package apiclient

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/orderhub/orderhub"
)

// StatusError is the detail of a failed call, kept as the Err of the
// *orderhub.Error a Client returns; find it with errors.As.
type StatusError struct {
	Platform   string
	Method     string
	Path       string        // the URL path, without query or credentials
	StatusCode int           // 0 when no answer came back
	Message    string        // the platform's own message, or the network error
	RetryAfter time.Duration // the wait a final 429 asked for, if any
	Attempts   int
}

// Error says what happened in a few words; the *orderhub.Error around it
// carries the context.
func (e *StatusError) Error() string {
	if e.StatusCode == 0 {
		return fmt.Sprintf("%s (%d attempt(s))", e.Message, e.Attempts)
	}
	return fmt.Sprintf("HTTP %d %s (%d attempt(s))", e.StatusCode, http.StatusText(e.StatusCode), e.Attempts)
}

// CodeForStatus maps a final HTTP status to an orderhub error code: 404
// not found, 401 and 403 unauthorized, 429 rate limited, 5xx (and no
// answer, 0) unavailable, any other status invalid.
func CodeForStatus(status int) string {
	switch {
	case status == http.StatusNotFound:
		return orderhub.ENotFound
	case status == http.StatusUnauthorized, status == http.StatusForbidden:
		return orderhub.EUnauthorized
	case status == http.StatusTooManyRequests:
		return orderhub.ERateLimited
	case status == 0, status >= 500:
		return orderhub.EUnavailable
	}
	return orderhub.EInvalid
}

// maxMessage caps a platform message quoted in an error.
const maxMessage = 300

// PlatformMessage extracts the human message from an error body in any of
// the platforms' shapes, or "" when there is none:
//
//	{"errors": "..."}                      Shopify REST
//	{"errors": {"field": ["..."]}}         Shopify REST validation
//	{"errors": [{"message": "..."}]}       Shopify GraphQL
//	{"code": "...", "message": "..."}      WooCommerce, ShipBob
//	[{"status": 404, "message": "..."}]    BigCommerce v2
//	{"title": "...", "detail": "..."}      BigCommerce v3 (plus "errors")
//	{"error": "..."} / {"error": {"message": "..."}}
//
// Plain text is quoted as is; HTML error pages are not quoted. The result
// is one line of at most 300 characters.
func PlatformMessage(body []byte) string {
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return ""
	}
	var v any
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		if body[0] == '<' || !utf8.Valid(body) {
			return ""
		}
		return clip(string(body))
	}
	return clip(messageOf(v, 0))
}

func messageOf(v any, depth int) string {
	if depth > 4 {
		return ""
	}
	switch x := v.(type) {
	case string:
		return x
	case []any:
		var parts []string
		for _, e := range x {
			if m := messageOf(e, depth+1); m != "" {
				parts = append(parts, m)
			}
		}
		return strings.Join(parts, "; ")
	case map[string]any:
		var parts []string
		if t, ok := x["title"].(string); ok && t != "" {
			parts = append(parts, t)
		}
		if d, ok := x["detail"].(string); ok && d != "" {
			parts = append(parts, d)
		}
		for _, k := range []string{"message", "error_description"} {
			if m, ok := x[k].(string); ok && m != "" {
				parts = append(parts, m)
			}
		}
		if len(parts) == 0 {
			if e, ok := x["error"]; ok {
				if m := messageOf(e, depth+1); m != "" {
					parts = append(parts, m)
				}
			}
		}
		if errs, ok := x["errors"]; ok {
			if m := fieldMessages(errs, depth+1); m != "" {
				parts = append(parts, m)
			}
		}
		return strings.Join(parts, ": ")
	}
	return ""
}

// fieldMessages renders {"field": ["msg"]} as "field: msg", and any other
// shape as messageOf does.
func fieldMessages(v any, depth int) string {
	m, ok := v.(map[string]any)
	if !ok {
		return messageOf(v, depth)
	}
	if _, has := m["message"]; has {
		return messageOf(v, depth)
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		if s := messageOf(m[k], depth+1); s != "" {
			parts = append(parts, k+": "+s)
		}
	}
	return strings.Join(parts, "; ")
}

func clip(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) <= maxMessage {
		return s
	}
	r := []rune(s)
	return string(r[:maxMessage]) + "…"
}

// scrub replaces every configured secret in s.
func (c *Client) scrub(s string) string {
	for _, sec := range c.o.Secrets {
		if len(sec) >= 4 {
			s = strings.ReplaceAll(s, sec, "[redacted]")
		}
	}
	return s
}
