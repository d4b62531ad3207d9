package apiclient

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/hashicorp/go-cleanhttp"
	"github.com/hashicorp/go-retryablehttp"

	"github.com/orderhub/orderhub"
)

// Defaults for the zero values of Options.
const (
	DefaultMaxRetries      = 4
	DefaultMinBackoff      = 500 * time.Millisecond
	DefaultMaxBackoff      = 30 * time.Second
	DefaultMaxRetryAfter   = 2 * time.Minute
	DefaultTimeout         = 30 * time.Second
	DefaultShopifyLeakRate = 2.0 // calls per second, Shopify's standard plan
	// MaxResponseBytes caps how much of an answer is read; platforms page
	// their lists far below it.
	MaxResponseBytes = 32 << 20
)

// Options configure a Client. The zero value works; set Platform and Shop
// so that errors and logs say which API and which shop failed.
type Options struct {
	Platform string       // e.g. "shopify"; names the API in errors and logs
	Shop     string       // the shop (or provider) id; for logs and the limiter key
	Logger   *slog.Logger // nil discards; retries are logged at Info

	// HTTPClient sends the requests; nil means a pooled client with a
	// DefaultTimeout per attempt.
	HTTPClient *http.Client

	// MaxRetries is how many times a failed call is retried after the first
	// attempt: 0 means DefaultMaxRetries, a negative value means never.
	MaxRetries int
	// MinBackoff and MaxBackoff bound the exponential backoff used when the
	// server says nothing about when to come back.
	MinBackoff, MaxBackoff time.Duration
	// MaxRetryAfter is the longest server-requested wait slept in-process;
	// beyond it the call fails at once with ERateLimited.
	MaxRetryAfter time.Duration

	// Sleep waits d or until ctx ends; nil means Sleep (a real timer).
	// Tests inject a fake to make backoff instant and observable.
	Sleep func(ctx context.Context, d time.Duration) error
	// Now is the clock, for HTTP-date Retry-After values and pacing; nil
	// means time.Now.
	Now func() time.Time
	// Jitter returns a random duration in [0, n); nil means math/rand/v2.
	Jitter func(n time.Duration) time.Duration

	// Limiter, when set, is waited on before every attempt with LimiterKey
	// (default Platform + ":" + Shop).
	Limiter    Limiter
	LimiterKey string

	// Secrets are scrubbed from every error message and log line this
	// client writes, in case a platform echoes a credential back.
	Secrets []string
	// UserAgent is sent on every request; default "orderhub".
	UserAgent string
	// ShopifyLeakRate is the rate Shopify's REST bucket drains at, in calls
	// per second; 0 means DefaultShopifyLeakRate.
	ShopifyLeakRate float64
}

// Client sends requests to one platform account with retries, pacing and
// error mapping. It is safe for concurrent use.
type Client struct {
	o          Options
	http       *http.Client
	log        *slog.Logger
	maxRetries int

	mu        sync.Mutex
	notBefore time.Time // no attempt starts before this (pacing)
}

// New returns a Client with o's defaults filled in.
func New(o Options) *Client {
	if o.Platform == "" {
		o.Platform = "remote"
	}
	if o.MinBackoff <= 0 {
		o.MinBackoff = DefaultMinBackoff
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = DefaultMaxBackoff
	}
	if o.MaxBackoff < o.MinBackoff {
		o.MaxBackoff = o.MinBackoff
	}
	if o.MaxRetryAfter <= 0 {
		o.MaxRetryAfter = DefaultMaxRetryAfter
	}
	if o.Sleep == nil {
		o.Sleep = Sleep
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Jitter == nil {
		o.Jitter = func(n time.Duration) time.Duration {
			if n <= 0 {
				return 0
			}
			return rand.N(n)
		}
	}
	if o.LimiterKey == "" {
		o.LimiterKey = o.Platform + ":" + o.Shop
	}
	if o.UserAgent == "" {
		o.UserAgent = "orderhub"
	}
	if o.ShopifyLeakRate <= 0 {
		o.ShopifyLeakRate = DefaultShopifyLeakRate
	}
	c := &Client{o: o, log: o.Logger}
	if o.HTTPClient != nil {
		hc := *o.HTTPClient
		c.http = &hc
	} else {
		c.http = cleanhttp.DefaultPooledClient()
		c.http.Timeout = DefaultTimeout
	}
	c.http.CheckRedirect = sameHostRedirect
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	switch {
	case o.MaxRetries < 0:
		c.maxRetries = 0
	case o.MaxRetries == 0:
		c.maxRetries = DefaultMaxRetries
	default:
		c.maxRetries = o.MaxRetries
	}
	return c
}

// Platform returns the platform name the client reports in errors.
func (c *Client) Platform() string { return c.o.Platform }

// Sleep waits d, or until ctx ends, in which case it returns ctx's error.
func Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Request is one API call. Header carries the credentials; it is never
// logged.
type Request struct {
	Method string
	URL    string // absolute
	Header http.Header
	Body   []byte // sent as is; set Content-Type in Header
	// Throttled, when set, inspects every 2xx answer for a throttle the
	// platform reports in the body (Shopify GraphQL's THROTTLED) and
	// returns how long to wait before retrying. A throttled answer that
	// outlives the retries is an ERateLimited error.
	Throttled func(*Response) (wait time.Duration, throttled bool)
	// Unsafe marks a call that is not idempotent, such as a POST that
	// creates something. It is retried only when the platform certainly
	// did not act: a 429, a throttled answer, or a connection that was
	// never made. A 5xx, a timeout or a broken answer may come after the
	// platform acted, so the call fails at once and the caller, which
	// can look first whether its earlier attempt landed, decides.
	Unsafe bool
}

// Response is a successful (2xx) answer, read in full.
type Response struct {
	StatusCode int
	Header     http.Header
	Body       []byte
	Attempts   int // how many attempts the call took
}

// call is the state of one Do, shared by the retry hooks.
type call struct {
	req        Request
	path       string
	attempts   int
	status     int
	body       []byte
	header     http.Header
	wait       time.Duration // server-requested (or throttle) wait for the next retry
	hasWait    bool
	throttled  bool          // the last 2xx answer was a throttle
	retryAfter time.Duration // the last server-requested wait
	tooLong    bool          // the server asked for more than MaxRetryAfter
	next       time.Duration // the wait Backoff chose, slept by PrepareRetry
	failure    string        // why the last attempt failed, for the retry log
}

// reason says why a call is retried, for the log.
func (st *call) reason() string {
	switch {
	case st.throttled:
		return "throttled by the platform"
	case st.status != 0:
		return "answered " + strconv.Itoa(st.status) + " " + http.StatusText(st.status)
	case st.failure != "":
		return st.failure
	}
	return "no answer"
}

// Do sends r with retries and returns the 2xx answer, or an *orderhub.Error
// (see the package comment for the codes) wrapping a *StatusError.
func (c *Client) Do(ctx context.Context, r Request) (*Response, error) {
	u, err := url.Parse(r.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, orderhub.Errorf(orderhub.EInvalid, "%s API: %q is not an absolute http(s) URL", c.o.Platform, c.scrub(r.URL))
	}
	st := &call{req: r, path: u.EscapedPath()}
	if st.path == "" {
		st.path = "/"
	}
	if err := c.pace(ctx); err != nil {
		return nil, c.fail(ctx, st, err)
	}

	rc := &retryablehttp.Client{
		HTTPClient:   c.http,
		RetryWaitMin: c.o.MinBackoff,
		RetryWaitMax: c.o.MaxBackoff,
		RetryMax:     c.maxRetries,
		CheckRetry: func(ctx context.Context, resp *http.Response, err error) (bool, error) {
			return c.checkRetry(ctx, st, resp, err)
		},
		// retryablehttp sleeps on a real timer; we return 0 to it and do
		// the waiting in PrepareRetry through the injectable Sleep.
		Backoff: func(min, max time.Duration, attempt int, resp *http.Response) time.Duration {
			st.next = c.backoff(st, attempt)
			return 0
		},
		PrepareRetry: func(req *http.Request) error {
			c.log.InfoContext(req.Context(), "retrying API call: "+st.reason()+"; next attempt in "+st.next.Round(time.Millisecond).String(),
				"platform", c.o.Platform, "shop", c.o.Shop, "method", r.Method, "path", st.path,
				"status", st.status, "attempt", st.attempts+1, "wait", st.next.Round(time.Millisecond).String(),
				"retry_at", c.o.Now().Add(st.next).UTC().Format(time.RFC3339Nano))
			if err := c.o.Sleep(req.Context(), st.next); err != nil {
				return err
			}
			return c.pace(req.Context())
		},
		RequestLogHook: func(_ retryablehttp.Logger, _ *http.Request, attempt int) {
			st.attempts = attempt + 1
		},
		ErrorHandler: retryablehttp.PassthroughErrorHandler,
	}
	var body any
	if r.Body != nil {
		body = r.Body
	}
	req, err := retryablehttp.NewRequestWithContext(ctx, r.Method, r.URL, body)
	if err != nil {
		return nil, orderhub.WrapError(orderhub.EInvalid, errors.New(c.scrub(err.Error())), "%s API %s %s: cannot build the request", c.o.Platform, r.Method, st.path)
	}
	for k, vs := range r.Header {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	if req.Header.Get("User-Agent") == "" {
		req.Header.Set("User-Agent", c.o.UserAgent)
	}

	resp, err := rc.Do(req)
	if resp != nil && resp.Body != nil {
		resp.Body.Close()
	}
	if err != nil || resp == nil {
		return nil, c.fail(ctx, st, err)
	}
	if st.status >= 200 && st.status < 300 && !st.throttled {
		return &Response{StatusCode: st.status, Header: st.header, Body: st.body, Attempts: st.attempts}, nil
	}
	return nil, c.statusError(st)
}

// checkRetry is the retry policy: it reads the answer, updates pacing, and
// says whether to try again.
func (c *Client) checkRetry(ctx context.Context, st *call, resp *http.Response, err error) (bool, error) {
	if ctx.Err() != nil {
		return false, ctx.Err()
	}
	st.hasWait, st.wait, st.throttled, st.tooLong = false, 0, false, false
	st.failure = ""
	if err != nil {
		st.status, st.body, st.header = 0, nil, nil
		st.failure = c.scrub(err.Error())
		if errors.Is(err, ErrCrossHostRedirect) {
			return false, nil // another answer would only redirect again
		}
		if st.req.Unsafe && !neverSent(err) {
			return false, nil
		}
		// The default policy refuses to retry what cannot succeed: bad
		// schemes, too many redirects, untrusted certificates.
		return retryablehttp.DefaultRetryPolicy(ctx, nil, err)
	}
	b, rerr := io.ReadAll(io.LimitReader(resp.Body, MaxResponseBytes))
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(b))
	st.status, st.body, st.header = resp.StatusCode, b, resp.Header
	c.observe(resp.Header)
	if rerr != nil {
		// The answer broke off midway: like a connection error.
		st.status = 0
		return !st.req.Unsafe, nil
	}
	if st.req.Unsafe && resp.StatusCode >= 500 {
		return false, nil // the platform may have acted before failing
	}
	switch code := resp.StatusCode; {
	case code == http.StatusTooManyRequests, code == http.StatusServiceUnavailable:
		d, ok := c.serverWait(resp.Header, code)
		if ok {
			st.retryAfter = d
			if d > c.o.MaxRetryAfter {
				st.tooLong = true
				return false, nil
			}
			st.wait, st.hasWait = d, true
		}
		return true, nil
	case code == http.StatusNotImplemented:
		return false, nil
	case code >= 500:
		return true, nil
	case code >= 200 && code < 300 && st.req.Throttled != nil:
		d, throttled := st.req.Throttled(&Response{StatusCode: code, Header: resp.Header, Body: b, Attempts: st.attempts})
		if !throttled {
			return false, nil
		}
		st.throttled = true
		if d > c.o.MaxRetryAfter {
			st.retryAfter, st.tooLong = d, true
			return false, nil
		}
		st.retryAfter, st.wait, st.hasWait = d, d, true
		return true, nil
	}
	return false, nil
}

// backoff returns the wait before retry number attempt+1: the server's
// wait when it gave one, else exponential backoff with equal jitter.
func (c *Client) backoff(st *call, attempt int) time.Duration {
	if st.hasWait {
		return st.wait
	}
	d := c.o.MinBackoff
	for i := 0; i < attempt && d < c.o.MaxBackoff; i++ {
		d *= 2
	}
	if d > c.o.MaxBackoff {
		d = c.o.MaxBackoff
	}
	half := d / 2
	return half + c.o.Jitter(d-half+1)
}

// pace waits until the pacing deadline the last answers set, then on the
// limiter.
func (c *Client) pace(ctx context.Context) error {
	c.mu.Lock()
	d := c.notBefore.Sub(c.o.Now())
	c.mu.Unlock()
	if d > 0 {
		c.log.DebugContext(ctx, "pacing API calls", "platform", c.o.Platform, "shop", c.o.Shop, "wait", d)
		if err := c.o.Sleep(ctx, d); err != nil {
			return err
		}
	}
	if c.o.Limiter != nil {
		return c.o.Limiter.Wait(ctx, c.o.LimiterKey)
	}
	return ctx.Err()
}

// slowDown pushes the pacing deadline to at least d from now.
func (c *Client) slowDown(d time.Duration) {
	if d <= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if t := c.o.Now().Add(d); t.After(c.notBefore) {
		c.notBefore = t
	}
}

// observe reads the rate-limit headers of any answer and paces the next
// call when the budget is nearly spent.
func (c *Client) observe(h http.Header) {
	if used, max, ok := ShopifyCallLimit(h); ok {
		threshold := max - max/5
		if used >= threshold {
			units := float64(used - threshold + 1)
			c.slowDown(time.Duration(units / c.o.ShopifyLeakRate * float64(time.Second)))
		}
	}
	if left, ok := headerInt(h, HeaderBCRequestsLeft); ok && left <= 0 {
		if ms, ok := headerInt(h, HeaderBCTimeResetMs); ok {
			c.slowDown(time.Duration(ms) * time.Millisecond)
		}
	}
	if left, ok := headerInt(h, HeaderShipBobRemainingCalls); ok && left <= 0 {
		if d, ok := parseSeconds(h.Get(HeaderShipBobRetryAfter)); ok {
			c.slowDown(d)
		}
	}
}

// serverWait is the wait a 429 or 503 asks for, if it says.
func (c *Client) serverWait(h http.Header, status int) (time.Duration, bool) {
	var best time.Duration
	found := false
	take := func(d time.Duration, ok bool) {
		if ok && (!found || d > best) {
			best, found = d, true
		}
	}
	take(RetryAfter(h, c.o.Now()))
	if status == http.StatusTooManyRequests {
		if ms, ok := headerInt(h, HeaderBCTimeResetMs); ok && ms >= 0 {
			take(time.Duration(ms)*time.Millisecond, true)
		}
		take(parseSeconds(h.Get(HeaderShipBobRetryAfter)))
	}
	return best, found
}

// fail maps a call that got no usable answer: the context ended, the
// limiter refused, or the network failed after the retries.
func (c *Client) fail(ctx context.Context, st *call, err error) error {
	if ctx.Err() != nil {
		return orderhub.WrapError(orderhub.EUnavailable, ctx.Err(), "%s API %s %s: %s", c.o.Platform, st.req.Method, st.path, "gave up: "+ctx.Err().Error())
	}
	var oe *orderhub.Error
	if errors.As(err, &oe) {
		// The limiter (or another hook) refused with its own code.
		return orderhub.WrapError(oe.Code, err, "%s API %s %s", c.o.Platform, st.req.Method, st.path)
	}
	if st.status != 0 && err != nil {
		// A hook failed after an answer came back (a limiter error while
		// preparing a retry): report the answer we had.
		return c.statusError(st)
	}
	msg := "no answer"
	if err != nil {
		msg = c.scrub(err.Error())
	}
	se := &StatusError{Platform: c.o.Platform, Method: st.req.Method, Path: st.path, Attempts: max(st.attempts, 1), Message: msg}
	return &orderhub.Error{
		Code:    orderhub.EUnavailable,
		Message: fmt.Sprintf("%s API %s %s: unreachable after %d attempt(s)", c.o.Platform, st.req.Method, st.path, se.Attempts),
		Err:     se,
	}
}

// statusError maps a final non-2xx (or throttled) answer.
func (c *Client) statusError(st *call) error {
	se := &StatusError{
		Platform:   c.o.Platform,
		Method:     st.req.Method,
		Path:       st.path,
		StatusCode: st.status,
		Message:    c.scrub(PlatformMessage(st.body)),
		Attempts:   max(st.attempts, 1),
	}
	if st.status == http.StatusTooManyRequests || st.throttled || st.tooLong {
		se.RetryAfter = st.retryAfter
	}
	code := CodeForStatus(st.status)
	if st.throttled {
		code = orderhub.ERateLimited
	}
	what := describe(code, se)
	msg := fmt.Sprintf("%s API %s %s: %s", c.o.Platform, st.req.Method, st.path, what)
	if se.Message != "" {
		msg += ": " + se.Message
	}
	return &orderhub.Error{Code: code, Message: msg, Err: se}
}

func describe(code string, se *StatusError) string {
	switch code {
	case orderhub.ENotFound:
		return "not found"
	case orderhub.EUnauthorized:
		return "credentials refused"
	case orderhub.ERateLimited:
		if se.RetryAfter > 0 {
			return fmt.Sprintf("rate limited after %d attempt(s); retry after %s", se.Attempts, se.RetryAfter)
		}
		return fmt.Sprintf("rate limited after %d attempt(s)", se.Attempts)
	case orderhub.EUnavailable:
		return fmt.Sprintf("unavailable after %d attempt(s)", se.Attempts)
	}
	return "request rejected"
}

// DecodeJSON decodes a 2xx answer body into out. An answer that is not the
// JSON expected (a proxy's HTML page, a truncated body) is an EUnavailable
// error: the platform did not really answer, and a later try may work.
func (c *Client) DecodeJSON(r *Response, what string, out any) error {
	dec := json.NewDecoder(bytes.NewReader(r.Body))
	dec.UseNumber()
	if err := dec.Decode(out); err != nil {
		return orderhub.WrapError(orderhub.EUnavailable, err, "%s API: %s: the answer is not the expected JSON", c.o.Platform, what)
	}
	return nil
}

// neverSent reports whether a transport error happened before the request
// could reach the platform: the connection was refused or never dialled.
func neverSent(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

// ErrCrossHostRedirect is the error of a call the remote answered with a
// redirect to another host or a plain-http URL. Every platform authenticates
// with a header (X-Shopify-Access-Token, X-Auth-Token, Authorization), and
// the standard policy forwards all but Authorization to any host, so the
// redirect is refused rather than followed with the shop's credentials.
var ErrCrossHostRedirect = errors.New("refused a redirect to another host")

// sameHostRedirect follows a redirect only to the same scheme and host
// (port included) as the call began with, at most 10 times.
func sameHostRedirect(req *http.Request, via []*http.Request) error {
	if len(via) >= 10 {
		return errors.New("stopped after 10 redirects")
	}
	from := via[0].URL
	if req.URL.Host != from.Host || (from.Scheme == "https" && req.URL.Scheme != "https") {
		return fmt.Errorf("%w: %s://%s to %s://%s", ErrCrossHostRedirect, from.Scheme, from.Host, req.URL.Scheme, req.URL.Host)
	}
	return nil
}
