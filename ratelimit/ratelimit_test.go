package ratelimit_test

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/orderhub/orderhub"
	"github.com/orderhub/orderhub/internal/redistest"
	"github.com/orderhub/orderhub/ratelimit"
)

// fakeClock is a clock whose Sleep advances it, so pacing tests never
// sleep for real.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *fakeClock { return &fakeClock{now: time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	if d > 0 {
		c.mu.Lock()
		c.now = c.now.Add(d)
		c.mu.Unlock()
	}
	return ctx.Err()
}

// maxInWindow is the largest number of grants inside any window of width w.
func maxInWindow(grants []time.Time, w time.Duration) int {
	sort.Slice(grants, func(i, j int) bool { return grants[i].Before(grants[j]) })
	best := 0
	for i := range grants {
		n := 0
		for j := i; j < len(grants) && grants[j].Sub(grants[i]) < w; j++ {
			n++
		}
		best = max(best, n)
	}
	return best
}

func TestInProcessBucketPacesPerKey(t *testing.T) {
	clock := newClock()
	l, err := ratelimit.New(ratelimit.Options{Rate: ratelimit.Rate{PerSecond: 5, Burst: 2}, Now: clock.Now, Sleep: clock.Sleep,
		Rates: map[string]ratelimit.Rate{"bigcommerce": {PerSecond: 1, Burst: 1}, "bigcommerce:plus": {PerSecond: 10, Burst: 1}}})
	require.NoError(t, err)
	require.False(t, l.Shared())
	ctx := context.Background()
	start := clock.Now()
	var grants []time.Time
	for range 12 {
		require.NoError(t, l.Wait(ctx, "shopify:acme"))
		grants = append(grants, clock.Now())
	}
	// 2 at once, then one every 200 ms.
	require.Equal(t, 2000*time.Millisecond, clock.Now().Sub(start))
	require.LessOrEqual(t, maxInWindow(grants, time.Second), 2+5)

	// Another shop of the same platform has its own bucket.
	before := clock.Now()
	require.NoError(t, l.Wait(ctx, "shopify:other"))
	require.NoError(t, l.Wait(ctx, "shopify:other"))
	require.Equal(t, before, clock.Now(), "another key's burst is untouched")

	// A platform with its own rate.
	require.NoError(t, l.Wait(ctx, "bigcommerce:store"))
	before = clock.Now()
	require.NoError(t, l.Wait(ctx, "bigcommerce:store"))
	require.Equal(t, time.Second, clock.Now().Sub(before))

	// A shop with its own rate.
	require.NoError(t, l.Wait(ctx, "bigcommerce:plus"))
	before = clock.Now()
	require.NoError(t, l.Wait(ctx, "bigcommerce:plus"))
	require.Equal(t, 100*time.Millisecond, clock.Now().Sub(before))
}

func TestPauseHoldsEveryCallOfTheKey(t *testing.T) {
	clock := newClock()
	l, err := ratelimit.New(ratelimit.Options{Now: clock.Now, Sleep: clock.Sleep})
	require.NoError(t, err)
	ctx := context.Background()
	l.Pause(ctx, "woocommerce:shop", 3*time.Second)
	l.Pause(ctx, "woocommerce:shop", time.Second) // a shorter pause never cuts a longer one
	start := clock.Now()
	require.NoError(t, l.Wait(ctx, "woocommerce:other"))
	require.Equal(t, start, clock.Now(), "other shops are not paused")
	require.NoError(t, l.Wait(ctx, "woocommerce:shop"))
	require.Equal(t, 3*time.Second, clock.Now().Sub(start))
	require.NoError(t, l.Wait(ctx, "woocommerce:shop"))
	require.Equal(t, 3*time.Second, clock.Now().Sub(start), "the pause is over")
}

func TestWaitPastTheDeadlineFailsAtOnce(t *testing.T) {
	l, err := ratelimit.New(ratelimit.Options{Rate: ratelimit.Rate{PerSecond: 0.1, Burst: 1}})
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	require.NoError(t, l.Wait(ctx, "shopify:acme"))
	began := time.Now()
	err = l.Wait(ctx, "shopify:acme")
	require.Equal(t, orderhub.ERateLimited, orderhub.ErrorCode(err))
	require.Less(t, time.Since(began), time.Second, "it does not sleep first")

	l.Pause(ctx, "shopify:paused", time.Hour)
	err = l.Wait(ctx, "shopify:paused")
	require.Equal(t, orderhub.ERateLimited, orderhub.ErrorCode(err))
}

func TestTransportPausesOnRetryAfter(t *testing.T) {
	for _, tc := range []struct {
		name   string
		status int
		header map[string]string
		want   time.Duration
	}{
		{"Retry-After seconds", 429, map[string]string{"Retry-After": "2.0"}, 2 * time.Second},
		{"BigCommerce reset", 429, map[string]string{"X-Rate-Limit-Time-Reset-Ms": "1500", "X-Rate-Limit-Requests-Left": "0"}, 1500 * time.Millisecond},
		{"ShipBob x-retry-after", 429, map[string]string{"X-Retry-After": "4"}, 4 * time.Second},
		{"503 with Retry-After", 503, map[string]string{"Retry-After": "1"}, time.Second},
		{"429 without a wait", 429, nil, 0},
		{"500", 500, map[string]string{"Retry-After": "9"}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				for k, v := range tc.header {
					w.Header().Set(k, v)
				}
				w.WriteHeader(tc.status)
			}))
			defer srv.Close()
			clock := newClock()
			l, err := ratelimit.New(ratelimit.Options{Now: clock.Now, Sleep: clock.Sleep})
			require.NoError(t, err)
			c := ratelimit.HTTPClient(nil, l, "shopify:acme")
			resp, err := c.Get(srv.URL)
			require.NoError(t, err)
			resp.Body.Close()
			require.Equal(t, tc.status, resp.StatusCode, "the answer passes through unchanged")
			start := clock.Now()
			require.NoError(t, l.Wait(context.Background(), "shopify:acme"))
			require.Equal(t, tc.want, clock.Now().Sub(start))
		})
	}
}

func TestBadRedisURL(t *testing.T) {
	_, err := ratelimit.New(ratelimit.Options{RedisURL: "http://user:hunter2@example.com"})
	require.Equal(t, orderhub.EInvalid, orderhub.ErrorCode(err))
	require.NotContains(t, err.Error(), "hunter2")
}

func TestUnreachableRedisFallsBackInProcess(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	clock := newClock()
	l, err := ratelimit.New(ratelimit.Options{RedisURL: "redis://" + addr + "/0", Rate: ratelimit.Rate{PerSecond: 2, Burst: 1}, Now: clock.Now, Sleep: clock.Sleep})
	require.NoError(t, err)
	defer l.Close()
	require.True(t, l.Shared())
	ctx := context.Background() // the fake clock would make any deadline look past
	start := clock.Now()
	for range 3 {
		require.NoError(t, l.Wait(ctx, "shopify:acme"))
	}
	require.Equal(t, time.Second, clock.Now().Sub(start), "the in-process bucket still paces")
}

// redisPrefix returns a key prefix of its own for this test and deletes
// every key under it when the test ends.
func redisPrefix(t *testing.T, url string) string {
	t.Helper()
	prefix := redistest.Unique("orderhub-test:") + ":"
	redistest.DropKeys(t, prefix+"*")
	return prefix
}

func TestRedisLimitersShareOneBucket(t *testing.T) {
	url := redistest.URL(t)
	prefix := redisPrefix(t, url)
	const perSecond, burst = 20.0, 3
	var limiters []*ratelimit.Limiter
	for range 2 { // two instances, each with its own connection
		l, err := ratelimit.New(ratelimit.Options{RedisURL: url, Prefix: prefix, Rate: ratelimit.Rate{PerSecond: perSecond, Burst: burst}})
		require.NoError(t, err)
		t.Cleanup(func() { l.Close() })
		require.True(t, l.Shared())
		limiters = append(limiters, l)
	}
	ctx := context.Background()
	start := time.Now()
	stop := start.Add(1200 * time.Millisecond)
	var mu sync.Mutex
	var grants []time.Time
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			l := limiters[i%2]
			for time.Now().Before(stop) {
				if err := l.Wait(ctx, "shopify:acme"); err != nil {
					errs <- err
					return
				}
				at := time.Now()
				mu.Lock()
				grants = append(grants, at)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	elapsed := grants[len(grants)-1].Sub(start)
	for _, g := range grants {
		elapsed = max(elapsed, g.Sub(start))
	}
	limit := burst + int(perSecond*elapsed.Seconds())
	require.LessOrEqual(t, len(grants), limit+1, "%d calls in %s: together over the shared rate", len(grants), elapsed)
	require.GreaterOrEqual(t, float64(len(grants)), 0.6*perSecond*elapsed.Seconds(), "the shared bucket still grants at its rate")
	// Within any half second: the burst plus the rate, give or take one
	// for the time each grant takes to reach its caller.
	require.LessOrEqual(t, maxInWindow(grants, 500*time.Millisecond), burst+int(perSecond/2)+1)
}

func TestRedisPauseReachesEveryInstance(t *testing.T) {
	url := redistest.URL(t)
	prefix := redisPrefix(t, url)
	a, err := ratelimit.New(ratelimit.Options{RedisURL: url, Prefix: prefix})
	require.NoError(t, err)
	defer a.Close()
	b, err := ratelimit.New(ratelimit.Options{RedisURL: url, Prefix: prefix})
	require.NoError(t, err)
	defer b.Close()
	ctx := context.Background()
	a.Pause(ctx, "bigcommerce:abc", 400*time.Millisecond)
	start := time.Now()
	require.NoError(t, b.Wait(ctx, "bigcommerce:other"))
	require.Less(t, time.Since(start), 200*time.Millisecond, "another shop is not paused")
	require.NoError(t, b.Wait(ctx, "bigcommerce:abc"))
	require.GreaterOrEqual(t, time.Since(start), 350*time.Millisecond, "instance b waits out the pause a set")
}
