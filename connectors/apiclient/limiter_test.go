package apiclient_test

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/orderhub/orderhub"
	"github.com/orderhub/orderhub/connectors/apiclient"
)

func TestTokenBucketPerKey(t *testing.T) {
	clock := newClock()
	b := apiclient.NewTokenBucket(apiclient.TokenBucketOptions{PerSecond: 2, Burst: 2, Now: clock.Now, Sleep: clock.Sleep})
	ctx := context.Background()
	require.NoError(t, b.Wait(ctx, "shopify:a"))
	require.NoError(t, b.Wait(ctx, "shopify:a"))
	require.Empty(t, clock.Sleeps(), "the burst is free")
	require.NoError(t, b.Wait(ctx, "shopify:a"))
	require.Equal(t, []time.Duration{500 * time.Millisecond}, clock.Sleeps(), "then one token every 1/2 s")

	require.NoError(t, b.Wait(ctx, "shopify:b"))
	require.Len(t, clock.Sleeps(), 1, "another shop has its own bucket")
}

func TestTokenBucketRefusesWaitsPastTheDeadline(t *testing.T) {
	clock := newClock()
	b := apiclient.NewTokenBucket(apiclient.TokenBucketOptions{PerSecond: 0.1, Now: clock.Now, Sleep: clock.Sleep})
	require.NoError(t, b.Wait(context.Background(), "k"))
	// The deadline is real time, one second away, whatever the fake clock
	// says; the next token is ten seconds away on the bucket's clock.
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	err := b.Wait(ctx, "k")
	require.Equal(t, orderhub.ERateLimited, orderhub.ErrorCode(err))
	require.Empty(t, clock.Sleeps(), "it does not sleep for nothing")

	cancelled, stop := context.WithCancel(context.Background())
	stop()
	require.ErrorIs(t, b.Wait(cancelled, "k"), context.Canceled)
}

func TestTokenBucketUnlimited(t *testing.T) {
	clock := newClock()
	b := apiclient.NewTokenBucket(apiclient.TokenBucketOptions{Now: clock.Now, Sleep: clock.Sleep})
	for range 100 {
		require.NoError(t, b.Wait(context.Background(), "k"))
	}
	require.Empty(t, clock.Sleeps())
}

func TestTokenBucketRealClockConcurrent(t *testing.T) {
	b := apiclient.NewTokenBucket(apiclient.TokenBucketOptions{PerSecond: 200, Burst: 1})
	start := time.Now()
	var wg sync.WaitGroup
	for range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := b.Wait(context.Background(), "k"); err != nil {
				t.Errorf("wait: %v", err)
			}
		}()
	}
	wg.Wait()
	// 10 calls at 200/s with a burst of 1 take at least 9 × 5 ms.
	require.GreaterOrEqual(t, time.Since(start), 40*time.Millisecond)
}

func TestClientWithTokenBucket(t *testing.T) {
	s := newScript(t, answer(200, `{}`))
	clock := newClock()
	b := apiclient.NewTokenBucket(apiclient.TokenBucketOptions{PerSecond: 4, Burst: 1, Now: clock.Now, Sleep: clock.Sleep})
	c := newClient(clock, apiclient.Options{Limiter: b})
	for range 3 {
		_, err := c.Do(context.Background(), apiclient.Request{Method: http.MethodGet, URL: s.srv.URL})
		require.NoError(t, err)
	}
	require.Equal(t, []time.Duration{250 * time.Millisecond, 250 * time.Millisecond}, clock.Sleeps())
}
