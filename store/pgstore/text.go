package pgstore

import (
	"encoding/json"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/orderhub/orderhub/store/sqlcore"
)

// PostgreSQL text refuses the NUL byte and invalid UTF-8 (SQLSTATE 22021),
// yet platforms may send "\u0000" in any JSON string: a customer name, a
// line title, a note. So every string orderhub stores passes through
// encodeText and every string it reads through decodeText, which makes the
// round trip exact for any Go string.
//
// A string PostgreSQL would refuse is stored as textMarker followed by its
// strconv.Quote form, which is plain ASCII; so is a string that happens to
// begin with textMarker, so that decoding is never ambiguous. Every other
// string, which is every string stored before this encoding existed, is
// stored as it is, so nothing needs migrating and queries compare, sort
// and index ordinary text as before. JSON columns need nothing:
// encoding/json already writes NUL as the escape \u0000.
//
// textMarker is U+FDD0, a Unicode noncharacter: the standard reserves it
// for a program's internal use and it never stands for text.
const textMarker = "\uFDD0"

// needsEncoding reports whether s cannot be stored as it is.
func needsEncoding(s string) bool {
	return strings.IndexByte(s, 0) >= 0 || strings.HasPrefix(s, textMarker) || !utf8.ValidString(s)
}

// encodeText returns the form of s that PostgreSQL stores.
func encodeText(s string) string {
	if !needsEncoding(s) {
		return s
	}
	return textMarker + strconv.Quote(s)
}

// decodeText reverses encodeText.
func decodeText(s string) string {
	if !strings.HasPrefix(s, textMarker) {
		return s
	}
	out, err := strconv.Unquote(s[len(textMarker):])
	if err != nil {
		return s // not written by encodeText: keep what is there
	}
	return out
}

// encodeArgs encodes the string arguments of query. An argument the query
// casts to jsonb is a JSON array of strings built by sqlcore (shop ids,
// SKUs): jsonb refuses the escape \u0000, and its elements must match the
// stored, encoded text, so those elements are encoded instead. It returns
// args itself when nothing needs encoding, which is almost always.
func encodeArgs(query string, args []any) []any {
	var out []any
	for i, a := range args {
		s, ok := a.(string)
		if !ok {
			continue
		}
		var enc string
		if strings.Contains(s, `\u0000`) && strings.HasPrefix(s, "[") && isJSONBParam(query, i+1) {
			enc = encodeJSONStrings(s)
		} else {
			enc = encodeText(s)
		}
		if enc == s {
			continue
		}
		if out == nil {
			out = append([]any(nil), args...)
		}
		out[i] = enc
	}
	if out == nil {
		return args
	}
	return out
}

// isJSONBParam reports whether query casts parameter n to jsonb.
func isJSONBParam(query string, n int) bool {
	return strings.Contains(query, "$"+strconv.Itoa(n)+"::jsonb")
}

// encodeJSONStrings encodes each element of a JSON array of strings; any
// other JSON is returned unchanged.
func encodeJSONStrings(s string) string {
	var elems []string
	if json.Unmarshal([]byte(s), &elems) != nil {
		return s
	}
	for i, e := range elems {
		elems[i] = encodeText(e)
	}
	b, err := json.Marshal(elems)
	if err != nil {
		return s
	}
	return string(b)
}

// decodeDest decodes the strings a Scan filled.
func decodeDest(dest []any) {
	for _, d := range dest {
		switch p := d.(type) {
		case *string:
			if p != nil {
				*p = decodeText(*p)
			}
		case **string:
			if p != nil && *p != nil {
				v := decodeText(**p)
				*p = &v
			}
		}
	}
}

// textRow decodes the strings of a single-row result.
type textRow struct{ r sqlcore.Row }

func (r textRow) Scan(dest ...any) error {
	if err := r.r.Scan(dest...); err != nil {
		return err
	}
	decodeDest(dest)
	return nil
}

// textRows decodes the strings of every row of a result set.
type textRows struct{ sqlcore.Rows }

func (r textRows) Scan(dest ...any) error {
	if err := r.Rows.Scan(dest...); err != nil {
		return err
	}
	decodeDest(dest)
	return nil
}
