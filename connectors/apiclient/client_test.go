package apiclient_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/orderhub/orderhub"
	"github.com/orderhub/orderhub/connectors/apiclient"
)

// fakeClock is a clock whose Sleep advances time instantly and records
// every wait.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	sleeps []time.Duration
}

func newClock() *fakeClock {
	return &fakeClock{now: time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sleeps = append(c.sleeps, d)
	c.now = c.now.Add(d)
	return nil
}

func (c *fakeClock) Sleeps() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Duration(nil), c.sleeps...)
}

// script is a server that answers each request with the next step, and
// the last step forever after.
type script struct {
	t     *testing.T
	srv   *httptest.Server
	calls atomic.Int32
	steps []func(w http.ResponseWriter, r *http.Request)
}

func newScript(t *testing.T, steps ...func(w http.ResponseWriter, r *http.Request)) *script {
	s := &script{t: t, steps: steps}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := int(s.calls.Add(1)) - 1
		if n >= len(s.steps) {
			n = len(s.steps) - 1
		}
		s.steps[n](w, r)
	}))
	t.Cleanup(s.srv.Close)
	return s
}

func answer(status int, body string, headers ...string) func(http.ResponseWriter, *http.Request) {
	return func(w http.ResponseWriter, r *http.Request) {
		for i := 0; i+1 < len(headers); i += 2 {
			w.Header().Set(headers[i], headers[i+1])
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		w.Write([]byte(body))
	}
}

func newClient(clock *fakeClock, o apiclient.Options) *apiclient.Client {
	o.Platform = "testplatform"
	o.Shop = "shop-1"
	o.Now = clock.Now
	o.Sleep = clock.Sleep
	if o.Jitter == nil {
		o.Jitter = func(n time.Duration) time.Duration { return 0 }
	}
	return apiclient.New(o)
}

func get(t *testing.T, c *apiclient.Client, url string) (*apiclient.Response, error) {
	t.Helper()
	return c.Do(context.Background(), apiclient.Request{Method: http.MethodGet, URL: url})
}

func statusErr(t *testing.T, err error) *apiclient.StatusError {
	t.Helper()
	var se *apiclient.StatusError
	require.ErrorAs(t, err, &se)
	return se
}

func TestDoSuccess(t *testing.T) {
	var gotUA, gotBody, gotAuth string
	s := newScript(t, func(w http.ResponseWriter, r *http.Request) {
		gotUA, gotAuth = r.UserAgent(), r.Header.Get("X-Token")
		b := new(bytes.Buffer)
		b.ReadFrom(r.Body)
		gotBody = b.String()
		answer(201, `{"ok":true}`, "X-Thing", "1")(w, r)
	})
	clock := newClock()
	c := newClient(clock, apiclient.Options{})
	resp, err := c.Do(context.Background(), apiclient.Request{
		Method: http.MethodPost, URL: s.srv.URL + "/things", Body: []byte(`{"a":1}`),
		Header: http.Header{"X-Token": {"tok"}},
	})
	require.NoError(t, err)
	require.Equal(t, 201, resp.StatusCode)
	require.JSONEq(t, `{"ok":true}`, string(resp.Body))
	require.Equal(t, "1", resp.Header.Get("X-Thing"))
	require.Equal(t, 1, resp.Attempts)
	require.Equal(t, "orderhub", gotUA)
	require.Equal(t, "tok", gotAuth)
	require.Equal(t, `{"a":1}`, gotBody)
	require.Empty(t, clock.Sleeps())
}

func TestRetries5xxThenSucceeds(t *testing.T) {
	var bodies []string
	var mu sync.Mutex
	record := func(next func(http.ResponseWriter, *http.Request)) func(http.ResponseWriter, *http.Request) {
		return func(w http.ResponseWriter, r *http.Request) {
			b := new(bytes.Buffer)
			b.ReadFrom(r.Body)
			mu.Lock()
			bodies = append(bodies, b.String())
			mu.Unlock()
			next(w, r)
		}
	}
	s := newScript(t, record(answer(500, `{"errors":"boom"}`)), record(answer(502, `bad gateway`)), record(answer(200, `{}`)))
	clock := newClock()
	c := newClient(clock, apiclient.Options{MinBackoff: 100 * time.Millisecond, MaxBackoff: time.Second})
	resp, err := c.Do(context.Background(), apiclient.Request{Method: http.MethodPost, URL: s.srv.URL, Body: []byte("payload")})
	require.NoError(t, err)
	require.Equal(t, 3, resp.Attempts)
	require.Equal(t, []string{"payload", "payload", "payload"}, bodies, "the body is re-sent on every attempt")
	// Equal jitter with a zero random part: half of 100ms, then of 200ms.
	require.Equal(t, []time.Duration{50 * time.Millisecond, 100 * time.Millisecond}, clock.Sleeps())
}

func TestBackoffIsExponentialWithJitterAndCapped(t *testing.T) {
	s := newScript(t, answer(503, `{"message":"down"}`))
	clock := newClock()
	c := newClient(clock, apiclient.Options{
		MaxRetries: 5, MinBackoff: 100 * time.Millisecond, MaxBackoff: 400 * time.Millisecond,
		Jitter: func(n time.Duration) time.Duration { return n - 1 }, // the top of the range
	})
	_, err := get(t, c, s.srv.URL)
	require.Equal(t, orderhub.EUnavailable, orderhub.ErrorCode(err))
	require.Equal(t, []time.Duration{
		100 * time.Millisecond, 200 * time.Millisecond, 400 * time.Millisecond,
		400 * time.Millisecond, 400 * time.Millisecond,
	}, clock.Sleeps())
	require.EqualValues(t, 6, s.calls.Load())
}

func TestServerErrorsExhaustRetries(t *testing.T) {
	s := newScript(t, answer(503, `{"code":"maintenance","message":"Store is in maintenance"}`))
	clock := newClock()
	c := newClient(clock, apiclient.Options{MaxRetries: 2})
	_, err := get(t, c, s.srv.URL+"/orders?x=secretquery")
	require.Error(t, err)
	require.Equal(t, orderhub.EUnavailable, orderhub.ErrorCode(err))
	se := statusErr(t, err)
	require.Equal(t, 503, se.StatusCode)
	require.Equal(t, 3, se.Attempts)
	require.Equal(t, "/orders", se.Path)
	require.Equal(t, "Store is in maintenance", se.Message)
	require.EqualValues(t, 3, s.calls.Load())
	require.Contains(t, orderhub.ErrorMessage(err), "testplatform API GET /orders: unavailable after 3 attempt(s): Store is in maintenance")
	require.NotContains(t, err.Error(), "secretquery", "the query never reaches an error")
}

func TestNoRetryOn4xx(t *testing.T) {
	cases := []struct {
		status int
		body   string
		code   string
		msg    string
	}{
		{400, `{"errors":{"line_items":["is invalid"],"email":["can't be blank"]}}`, orderhub.EInvalid, "email: can't be blank; line_items: is invalid"},
		{401, `{"errors":"[API] Invalid API key or access token"}`, orderhub.EUnauthorized, "[API] Invalid API key or access token"},
		{403, `{"code":"woocommerce_rest_cannot_view","message":"Sorry, you cannot list resources.","data":{"status":403}}`, orderhub.EUnauthorized, "Sorry, you cannot list resources."},
		{404, `[{"status":404,"message":"The requested resource was not found."}]`, orderhub.ENotFound, "The requested resource was not found."},
		{409, `{"status":409,"title":"Conflict","type":"x","detail":"already exists"}`, orderhub.EInvalid, "Conflict: already exists"},
		{422, `{"status":422,"title":"Hook exists","errors":{"destination":"taken"}}`, orderhub.EInvalid, "Hook exists: destination: taken"},
		{501, `not implemented`, orderhub.EUnavailable, "not implemented"},
	}
	for _, tc := range cases {
		t.Run(http.StatusText(tc.status), func(t *testing.T) {
			s := newScript(t, answer(tc.status, tc.body))
			clock := newClock()
			c := newClient(clock, apiclient.Options{})
			_, err := get(t, c, s.srv.URL+"/x")
			require.Equal(t, tc.code, orderhub.ErrorCode(err))
			se := statusErr(t, err)
			require.Equal(t, tc.status, se.StatusCode)
			require.Equal(t, tc.msg, se.Message)
			require.Contains(t, orderhub.ErrorMessage(err), tc.msg)
			require.EqualValues(t, 1, s.calls.Load(), "never retried")
			require.Empty(t, clock.Sleeps())
		})
	}
}

func TestRateLimitWaitsWhatTheServerSays(t *testing.T) {
	clock := newClock()
	date := clock.Now().Add(7 * time.Second).Format(http.TimeFormat)
	cases := []struct {
		name    string
		headers []string
		want    time.Duration
	}{
		{"Retry-After seconds", []string{"Retry-After", "3"}, 3 * time.Second},
		{"Retry-After Shopify float", []string{"Retry-After", "2.0"}, 2 * time.Second},
		{"Retry-After HTTP date", []string{"Retry-After", date}, 7 * time.Second},
		{"BigCommerce reset ms", []string{"X-Rate-Limit-Time-Reset-Ms", "1500", "X-Rate-Limit-Requests-Left", "0"}, 1500 * time.Millisecond},
		{"ShipBob x-retry-after", []string{"x-retry-after", "25"}, 25 * time.Second},
		{"longest wins", []string{"Retry-After", "1", "X-Rate-Limit-Time-Reset-Ms", "4000"}, 4 * time.Second},
		{"Retry-After zero", []string{"Retry-After", "0"}, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := newScript(t, answer(429, `{"errors":"Exceeded 2 calls per second"}`, tc.headers...), answer(200, `{"ok":1}`))
			clock := newClock()
			c := newClient(clock, apiclient.Options{MinBackoff: time.Hour}) // backoff would show
			resp, err := get(t, c, s.srv.URL)
			require.NoError(t, err)
			require.Equal(t, 2, resp.Attempts)
			sleeps := clock.Sleeps()
			require.NotEmpty(t, sleeps)
			require.Equal(t, tc.want, sleeps[0])
		})
	}
}

func TestRateLimitWithoutHintBacksOff(t *testing.T) {
	s := newScript(t, answer(429, ``), answer(200, `{}`))
	clock := newClock()
	c := newClient(clock, apiclient.Options{MinBackoff: 300 * time.Millisecond})
	_, err := get(t, c, s.srv.URL)
	require.NoError(t, err)
	require.Equal(t, []time.Duration{150 * time.Millisecond}, clock.Sleeps())
}

func TestRateLimitExhausted(t *testing.T) {
	s := newScript(t, answer(429, `{"errors":"Exceeded 2 calls per second for api client."}`, "Retry-After", "1"))
	clock := newClock()
	c := newClient(clock, apiclient.Options{MaxRetries: 3})
	_, err := get(t, c, s.srv.URL)
	require.Equal(t, orderhub.ERateLimited, orderhub.ErrorCode(err))
	se := statusErr(t, err)
	require.Equal(t, 4, se.Attempts)
	require.Equal(t, time.Second, se.RetryAfter)
	require.EqualValues(t, 4, s.calls.Load())
	require.Equal(t, []time.Duration{time.Second, time.Second, time.Second}, clock.Sleeps())
}

func TestRetryAfterBeyondTheCapFailsAtOnce(t *testing.T) {
	s := newScript(t, answer(429, `{}`, "Retry-After", "3600"))
	clock := newClock()
	c := newClient(clock, apiclient.Options{MaxRetryAfter: time.Minute})
	_, err := get(t, c, s.srv.URL)
	require.Equal(t, orderhub.ERateLimited, orderhub.ErrorCode(err))
	require.Equal(t, time.Hour, statusErr(t, err).RetryAfter, "the job layer can reschedule by it")
	require.EqualValues(t, 1, s.calls.Load())
	require.Empty(t, clock.Sleeps())
}

func TestNoRetriesWhenNegative(t *testing.T) {
	s := newScript(t, answer(500, `{}`))
	c := newClient(newClock(), apiclient.Options{MaxRetries: -1})
	_, err := get(t, c, s.srv.URL)
	require.Equal(t, orderhub.EUnavailable, orderhub.ErrorCode(err))
	require.EqualValues(t, 1, s.calls.Load())
}

func TestConnectionErrorsAreRetriedThenUnavailable(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close() // nothing listens there any more
	clock := newClock()
	c := newClient(clock, apiclient.Options{MaxRetries: 2})
	_, err := get(t, c, url+"/x")
	require.Equal(t, orderhub.EUnavailable, orderhub.ErrorCode(err))
	se := statusErr(t, err)
	require.Equal(t, 0, se.StatusCode)
	require.Equal(t, 3, se.Attempts)
	require.Len(t, clock.Sleeps(), 2)
	require.Contains(t, orderhub.ErrorMessage(err), "unreachable after 3 attempt(s)")
}

func TestShopifyCallLimitSlowsTheNextCall(t *testing.T) {
	s := newScript(t,
		answer(200, `{}`, "X-Shopify-Shop-Api-Call-Limit", "10/40"),
		answer(200, `{}`, "X-Shopify-Shop-Api-Call-Limit", "39/40"),
		answer(200, `{}`, "X-Shopify-Shop-Api-Call-Limit", "12/40"),
	)
	clock := newClock()
	c := newClient(clock, apiclient.Options{})
	_, err := get(t, c, s.srv.URL)
	require.NoError(t, err)
	_, err = get(t, c, s.srv.URL)
	require.NoError(t, err)
	require.Empty(t, clock.Sleeps(), "10/40 and the call that returned 39/40 were not delayed")
	_, err = get(t, c, s.srv.URL)
	require.NoError(t, err)
	// 39/40 is 8 calls over the 32 mark; at 2 calls/s that is 4 s.
	require.Equal(t, []time.Duration{4 * time.Second}, clock.Sleeps())
	_, err = get(t, c, s.srv.URL)
	require.NoError(t, err)
	require.Len(t, clock.Sleeps(), 1, "12/40 needs no pause")
}

func TestBigCommerceRequestsLeftZeroWaitsForReset(t *testing.T) {
	s := newScript(t,
		answer(200, `{}`, "X-Rate-Limit-Requests-Left", "0", "X-Rate-Limit-Time-Reset-Ms", "700", "X-Rate-Limit-Requests-Quota", "150"),
		answer(200, `{}`, "X-Rate-Limit-Requests-Left", "149", "X-Rate-Limit-Time-Reset-Ms", "30000"),
	)
	clock := newClock()
	c := newClient(clock, apiclient.Options{})
	_, err := get(t, c, s.srv.URL)
	require.NoError(t, err)
	require.Empty(t, clock.Sleeps())
	_, err = get(t, c, s.srv.URL)
	require.NoError(t, err)
	require.Equal(t, []time.Duration{700 * time.Millisecond}, clock.Sleeps())
	_, err = get(t, c, s.srv.URL)
	require.NoError(t, err)
	require.Len(t, clock.Sleeps(), 1, "149 left needs no pause")
}

func TestThrottledHookRetries(t *testing.T) {
	s := newScript(t, answer(200, `{"errors":[{"extensions":{"code":"THROTTLED"}}]}`), answer(200, `{"data":{}}`))
	clock := newClock()
	c := newClient(clock, apiclient.Options{})
	var seen int
	resp, err := c.Do(context.Background(), apiclient.Request{
		Method: http.MethodPost, URL: s.srv.URL,
		Throttled: func(r *apiclient.Response) (time.Duration, bool) {
			seen++
			return 250 * time.Millisecond, strings.Contains(string(r.Body), "THROTTLED")
		},
	})
	require.NoError(t, err)
	require.JSONEq(t, `{"data":{}}`, string(resp.Body))
	require.Equal(t, 2, seen)
	require.Equal(t, []time.Duration{250 * time.Millisecond}, clock.Sleeps())

	// Throttled for good: rate limited.
	s2 := newScript(t, answer(200, `THROTTLED`))
	_, err = c.Do(context.Background(), apiclient.Request{
		Method: http.MethodPost, URL: s2.srv.URL,
		Throttled: func(r *apiclient.Response) (time.Duration, bool) { return time.Millisecond, true },
	})
	require.Equal(t, orderhub.ERateLimited, orderhub.ErrorCode(err))
	require.EqualValues(t, apiclient.DefaultMaxRetries+1, s2.calls.Load())
}

func TestContextCancelledWhileWaiting(t *testing.T) {
	s := newScript(t, answer(503, `{}`))
	ctx, cancel := context.WithCancel(context.Background())
	c := apiclient.New(apiclient.Options{
		Platform: "testplatform",
		Sleep: func(ctx context.Context, d time.Duration) error {
			cancel()
			return ctx.Err()
		},
	})
	_, err := c.Do(ctx, apiclient.Request{Method: http.MethodGet, URL: s.srv.URL})
	require.Error(t, err)
	require.ErrorIs(t, err, context.Canceled)
	require.Equal(t, orderhub.EUnavailable, orderhub.ErrorCode(err))
	require.EqualValues(t, 1, s.calls.Load())
}

func TestRealSleepIsShortForRetryAfterZero(t *testing.T) {
	// The default Sleep, for real: Retry-After: 0 retries at once.
	s := newScript(t, answer(429, `{}`, "Retry-After", "0"), answer(200, `{}`))
	c := apiclient.New(apiclient.Options{Platform: "testplatform"})
	start := time.Now()
	resp, err := c.Do(context.Background(), apiclient.Request{Method: http.MethodGet, URL: s.srv.URL})
	require.NoError(t, err)
	require.Equal(t, 2, resp.Attempts)
	require.Less(t, time.Since(start), 5*time.Second)
}

func TestSecretsNeverReachErrorsOrLogs(t *testing.T) {
	const token = "shpat_supersecret_token_123"
	s := newScript(t,
		answer(500, `{"errors":"token `+token+` is bad"}`),
		answer(400, `{"message":"key `+token+` rejected"}`),
	)
	var logs bytes.Buffer
	clock := newClock()
	c := newClient(clock, apiclient.Options{
		Secrets: []string{token},
		Logger:  slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	_, err := c.Do(context.Background(), apiclient.Request{
		Method: http.MethodGet, URL: s.srv.URL + "/orders",
		Header: http.Header{"X-Shopify-Access-Token": {token}},
	})
	require.Equal(t, orderhub.EInvalid, orderhub.ErrorCode(err))
	require.NotContains(t, err.Error(), token)
	require.Contains(t, err.Error(), "key [redacted] rejected")
	require.Contains(t, logs.String(), "retrying API call")
	require.Contains(t, logs.String(), "shop=shop-1")
	require.NotContains(t, logs.String(), token)
}

func TestBadURL(t *testing.T) {
	c := apiclient.New(apiclient.Options{})
	_, err := c.Do(context.Background(), apiclient.Request{Method: http.MethodGet, URL: "ftp://x/y"})
	require.Equal(t, orderhub.EInvalid, orderhub.ErrorCode(err))
}

func TestLimiterIsWaitedBeforeEveryAttempt(t *testing.T) {
	s := newScript(t, answer(500, `{}`), answer(200, `{}`))
	var keys []string
	lim := limiterFunc(func(ctx context.Context, key string) error {
		keys = append(keys, key)
		return nil
	})
	c := newClient(newClock(), apiclient.Options{Limiter: lim})
	_, err := get(t, c, s.srv.URL)
	require.NoError(t, err)
	require.Equal(t, []string{"testplatform:shop-1", "testplatform:shop-1"}, keys)

	refuse := limiterFunc(func(ctx context.Context, key string) error {
		return orderhub.Errorf(orderhub.ERateLimited, "budget spent")
	})
	c = newClient(newClock(), apiclient.Options{Limiter: refuse})
	_, err = get(t, c, s.srv.URL)
	require.Equal(t, orderhub.ERateLimited, orderhub.ErrorCode(err))
	require.Contains(t, err.Error(), "budget spent")
}

type limiterFunc func(ctx context.Context, key string) error

func (f limiterFunc) Wait(ctx context.Context, key string) error { return f(ctx, key) }

func TestDecodeJSON(t *testing.T) {
	c := apiclient.New(apiclient.Options{Platform: "p"})
	var v struct{ ID int64 }
	require.NoError(t, c.DecodeJSON(&apiclient.Response{Body: []byte(`{"ID": 820982911946154508}`)}, "x", &v))
	require.EqualValues(t, 820982911946154508, v.ID)
	err := c.DecodeJSON(&apiclient.Response{Body: []byte(`<html>`)}, "orders", &v)
	require.Equal(t, orderhub.EUnavailable, orderhub.ErrorCode(err))
}
