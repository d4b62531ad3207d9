package metrics

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"strings"

	"github.com/orderhub/orderhub"
	"github.com/orderhub/orderhub/httpjson"
)

// RequireToken serves next only to requests that carry
// "Authorization: Bearer <token>", compared in constant time; any other
// request gets a 401 JSON error. An empty token lets every request
// through, which is what metrics.token left unset means.
func RequireToken(token string, next http.Handler) http.Handler {
	if token == "" {
		return next
	}
	want := sha256.Sum256([]byte(token))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || strings.TrimSpace(raw) == "" {
			w.Header().Set("WWW-Authenticate", `Bearer realm="orderhub metrics"`)
			httpjson.Error(w, r, nil, orderhub.Errorf(orderhub.EUnauthorized, "missing bearer token: send Authorization: Bearer <metrics.token>"))
			return
		}
		// Hashing first makes the compare take the same time whatever the
		// length of what was sent.
		got := sha256.Sum256([]byte(strings.TrimSpace(raw)))
		if subtle.ConstantTimeCompare(got[:], want[:]) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="orderhub metrics", error="invalid_token"`)
			httpjson.Error(w, r, nil, orderhub.Errorf(orderhub.EUnauthorized, "bearer token is not valid"))
			return
		}
		next.ServeHTTP(w, r)
	})
}
