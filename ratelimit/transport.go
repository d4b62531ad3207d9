package ratelimit

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/go-cleanhttp"

	"github.com/orderhub/orderhub/connectors/apiclient"
)

// Transport is an http.RoundTripper that pauses its key on the Limiter when
// a platform answers 429 (or 503) with a wait: Retry-After, BigCommerce's
// X-Rate-Limit-Time-Reset-Ms or ShipBob's X-Retry-After. The client that got
// the answer retries after that wait by itself; the pause keeps every other
// call to the same shop, from this instance or (with Redis) any other, from
// starting before it.
type Transport struct {
	Base    http.RoundTripper // nil means http.DefaultTransport
	Limiter *Limiter
	Key     string // the limiter key of the shop, e.g. "shopify:acme"
	// Now reads HTTP-date Retry-After values; nil means time.Now.
	Now func() time.Time
}

// RoundTrip implements http.RoundTripper.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	base := t.Base
	if base == nil {
		base = http.DefaultTransport
	}
	resp, err := base.RoundTrip(req)
	if err != nil || resp == nil || t.Limiter == nil {
		return resp, err
	}
	if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable {
		if d, ok := serverWait(resp.Header, t.now()); ok {
			t.Limiter.Pause(req.Context(), t.Key, d)
		}
	}
	return resp, nil
}

func (t *Transport) now() time.Time {
	if t.Now != nil {
		return t.Now()
	}
	return time.Now()
}

// serverWait is the longest wait the answer asks for.
func serverWait(h http.Header, now time.Time) (time.Duration, bool) {
	best, found := apiclient.RetryAfter(h, now)
	if v := strings.TrimSpace(h.Get(apiclient.HeaderBCTimeResetMs)); v != "" {
		if ms, err := strconv.ParseInt(v, 10, 64); err == nil && ms >= 0 {
			if d := time.Duration(ms) * time.Millisecond; !found || d > best {
				best, found = d, true
			}
		}
	}
	if v := strings.TrimSpace(h.Get(apiclient.HeaderShipBobRetryAfter)); v != "" {
		if f, err := strconv.ParseFloat(v, 64); err == nil && f >= 0 && f < 1e7 {
			if d := time.Duration(f * float64(time.Second)); !found || d > best {
				best, found = d, true
			}
		}
	}
	return best, found
}

// HTTPClient returns a copy of base (a pooled client with the apiclient
// default timeout when nil) whose transport pauses key on l when the
// platform asks for a wait.
func HTTPClient(base *http.Client, l *Limiter, key string) *http.Client {
	var c http.Client
	if base != nil {
		c = *base
	} else {
		c.Timeout = apiclient.DefaultTimeout
	}
	rt := c.Transport
	if rt == nil {
		rt = cleanhttp.DefaultPooledTransport()
	}
	c.Transport = &Transport{Base: rt, Limiter: l, Key: key}
	return &c
}
