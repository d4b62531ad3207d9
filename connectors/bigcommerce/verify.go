package bigcommerce

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"strings"
	"time"

	"github.com/orderhub/orderhub"
	"github.com/orderhub/orderhub/connectors/standardwebhooks"
)

// Tolerance is how far a callback's webhook-timestamp may be from now.
const Tolerance = standardwebhooks.DefaultTolerance

// Verifier holds one store's callback credentials. Set ClientSecret, a
// custom header, or both; every one that is set must pass.
type Verifier struct {
	ClientSecret         string        // the app's client secret: the Standard Webhooks key
	PreviousClientSecret string        // accepted too while a rotation settles; may be ""
	CustomHeader         string        // header name set in the hook's "headers"; may be ""
	CustomValue          string        // its expected value
	Tolerance            time.Duration // 0 means Tolerance
}

// Verify checks a callback at time now. Failures are Unauthorized errors
// that say what failed and never contain a secret.
func (v Verifier) Verify(header http.Header, body []byte, now time.Time) error {
	if v.ClientSecret == "" && v.PreviousClientSecret == "" && v.CustomHeader == "" {
		return orderhub.Errorf(orderhub.EUnauthorized, "no BigCommerce client secret or custom header is configured")
	}
	if v.CustomHeader != "" {
		if err := VerifyCustomHeader(header, v.CustomHeader, v.CustomValue); err != nil {
			return err
		}
	}
	if v.ClientSecret != "" || v.PreviousClientSecret != "" {
		tol := v.Tolerance
		if tol <= 0 {
			tol = Tolerance
		}
		return verifySignature(header, body, now, tol, v.ClientSecret, v.PreviousClientSecret)
	}
	return nil
}

// VerifySignature checks the Standard Webhooks signature with the 5-minute
// tolerance, under any of the client secrets (current and previous).
func VerifySignature(header http.Header, body []byte, now time.Time, clientSecrets ...string) error {
	return verifySignature(header, body, now, Tolerance, clientSecrets...)
}

func verifySignature(header http.Header, body []byte, now time.Time, tol time.Duration, clientSecrets ...string) error {
	var keys [][]byte
	for _, s := range clientSecrets {
		if s == "" {
			continue
		}
		k, err := standardwebhooks.DecodeSecret(s)
		if err != nil {
			return orderhub.Errorf(orderhub.EUnauthorized, "the configured client secret is unusable: %s", orderhub.ErrorMessage(err))
		}
		keys = append(keys, k)
	}
	_, err := standardwebhooks.Verify(header, body, now, tol, keys...)
	return err
}

// VerifyCustomHeader checks that header name carries exactly want. The
// values are hashed before a constant-time compare so that not even their
// length leaks.
func VerifyCustomHeader(header http.Header, name, want string) error {
	if want == "" {
		return orderhub.Errorf(orderhub.EUnauthorized, "no value is configured for the %s header", http.CanonicalHeaderKey(name))
	}
	values := header.Values(name)
	if len(values) == 0 {
		return orderhub.Errorf(orderhub.EUnauthorized, "%s header is missing", http.CanonicalHeaderKey(name))
	}
	got := sha256.Sum256([]byte(strings.TrimSpace(values[0])))
	exp := sha256.Sum256([]byte(want))
	if len(values) != 1 || subtle.ConstantTimeCompare(got[:], exp[:]) != 1 {
		return orderhub.Errorf(orderhub.EUnauthorized, "%s header does not match", http.CanonicalHeaderKey(name))
	}
	return nil
}

// SignHeaders returns the Standard Webhooks headers that make body a valid
// callback signed with clientSecret, as message id at ts; for tests, the
// sign-webhook command and the load generator. An empty secret, or a
// whsec_ secret that is not base64, is an Invalid error.
func SignHeaders(clientSecret, id string, ts time.Time, body []byte) (http.Header, error) {
	key, err := standardwebhooks.DecodeSecret(clientSecret)
	if err != nil {
		return nil, err
	}
	h := standardwebhooks.SignHeaders(key, id, ts, body)
	h.Set("Content-Type", "application/json")
	return h, nil
}
