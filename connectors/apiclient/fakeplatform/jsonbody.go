package fakeplatform

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
)

// JSONString renders a decoded JSON value (from a decoder using
// UseNumber) as text: strings as they are, numbers in their literal form,
// nil as "".
func JSONString(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case json.Number:
		return x.String()
	}
	return fmt.Sprint(v)
}

// IDOf reads the numeric "id" of a decoded JSON object; 0 when absent.
func IDOf(o map[string]any) int64 {
	id, _ := strconv.ParseInt(JSONString(o["id"]), 10, 64)
	return id
}

// DecodeBody decodes a request's JSON body into v with numbers kept as
// json.Number; an empty body leaves v as it is.
func DecodeBody(r *http.Request, v any) error {
	b, err := io.ReadAll(r.Body)
	if err != nil {
		return err
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	return dec.Decode(v)
}
