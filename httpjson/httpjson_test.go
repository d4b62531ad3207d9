package httpjson_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/orderhub/orderhub"
	"github.com/orderhub/orderhub/httpjson"
)

func TestErrorMapping(t *testing.T) {
	tests := []struct {
		err    error
		status int
		code   string
		msg    string
	}{
		{orderhub.Errorf(orderhub.EInvalid, "line 2: bad quantity"), 400, "invalid", "line 2: bad quantity"},
		{orderhub.Errorf(orderhub.EUnauthorized, "signature does not match"), 401, "unauthorized", "signature does not match"},
		{orderhub.Errorf(orderhub.ENotFound, "no shop x"), 404, "not_found", "no shop x"},
		{orderhub.Errorf(orderhub.EConflict, "cannot move from paid to delivered"), 409, "conflict", "cannot move from paid to delivered"},
		{orderhub.Errorf(orderhub.ETooLarge, "body over 5 MiB"), 413, "too_large", "body over 5 MiB"},
		{orderhub.Errorf(orderhub.EUnavailable, "database is busy"), 503, "unavailable", "database is busy"},
		{errors.New("pq: password authentication failed for secret"), 500, "internal", "internal error"},
	}
	for _, tc := range tests {
		rec := httptest.NewRecorder()
		httpjson.Error(rec, httptest.NewRequest("GET", "/x", nil), nil, tc.err)
		if rec.Code != tc.status {
			t.Errorf("%v: status %d, want %d", tc.err, rec.Code, tc.status)
		}
		var body httpjson.ErrorBody
		if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
			t.Fatalf("body %q is not JSON: %v", rec.Body, err)
		}
		if body.Error.Code != tc.code || body.Error.Message != tc.msg {
			t.Errorf("%v: body %+v, want %s %q", tc.err, body, tc.code, tc.msg)
		}
		if ct := rec.Header().Get("Content-Type"); ct != "application/json; charset=utf-8" {
			t.Errorf("content type %q", ct)
		}
		if ra := rec.Header().Get("Retry-After"); (tc.status == 503) != (ra == "5") {
			t.Errorf("%v: Retry-After %q on a %d", tc.err, ra, tc.status)
		}
	}
	// A handler's own Retry-After is kept.
	rec := httptest.NewRecorder()
	rec.Header().Set("Retry-After", "30")
	httpjson.Error(rec, httptest.NewRequest("GET", "/x", nil), nil, orderhub.Errorf(orderhub.EUnavailable, "disk full"))
	if ra := rec.Header().Get("Retry-After"); ra != "30" {
		t.Errorf("Retry-After %q, want the handler's 30", ra)
	}
	if httpjson.StatusFor("anything-else") != http.StatusInternalServerError {
		t.Error("unknown codes are 500")
	}
}
