package ratelimit_test

import (
	"context"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/orderhub/orderhub/internal/redistest"
	"github.com/orderhub/orderhub/ratelimit"
)

// checkFailureAllowance drives the throttles in turn, as one client
// spreading its guesses over instances would, on one clock: 3 failures in
// a row, then one a minute, and a client that stops is forgiven.
func checkFailureAllowance(t *testing.T, clock *fakeClock, ths ...*ratelimit.FailureThrottle) {
	t.Helper()
	ctx := context.Background()
	at := func(i int) *ratelimit.FailureThrottle { return ths[i%len(ths)] }
	for i := 0; i < 3; i++ {
		require.Zero(t, at(i).Wait(ctx, "192.0.2.1"), "attempt %d is heard", i+1)
		wait := at(i).Fail(ctx, "192.0.2.1")
		if i < 2 {
			require.Zero(t, wait)
		} else {
			require.Equal(t, time.Minute, wait, "the third failure in a row uses up the allowance")
		}
	}
	for i := range ths {
		require.Equal(t, time.Minute, at(i).Wait(ctx, "192.0.2.1"), "every instance sees the count")
	}
	require.Zero(t, at(1).Wait(ctx, "192.0.2.2"), "another address has its own allowance")

	clock.Sleep(ctx, 59*time.Second)
	require.Equal(t, time.Second, at(1).Wait(ctx, "192.0.2.1"))
	clock.Sleep(ctx, time.Second)
	require.Zero(t, at(0).Wait(ctx, "192.0.2.1"), "one more attempt a minute later")
	require.Equal(t, time.Minute, at(1).Fail(ctx, "192.0.2.1"), "and it fails: wait another minute")

	clock.Sleep(ctx, 4*time.Minute)
	for i := 0; i < 2; i++ {
		require.Zero(t, at(i).Fail(ctx, "192.0.2.1"), "a quiet window restores the whole allowance")
	}
	require.Equal(t, time.Minute, at(2).Fail(ctx, "192.0.2.1"))
}

func TestFailureThrottleInProcess(t *testing.T) {
	clock := newClock()
	th, err := ratelimit.NewFailureThrottle(ratelimit.FailureOptions{Failures: 3, Window: 3 * time.Minute, Now: clock.Now})
	require.NoError(t, err)
	require.False(t, th.Shared())
	checkFailureAllowance(t, clock, th)

	// Two in-process throttles are two instances that share nothing.
	other, err := ratelimit.NewFailureThrottle(ratelimit.FailureOptions{Failures: 3, Window: 3 * time.Minute, Now: clock.Now})
	require.NoError(t, err)
	for i := 0; i < 3; i++ {
		th.Fail(context.Background(), "198.51.100.9")
	}
	require.Positive(t, th.Wait(context.Background(), "198.51.100.9"))
	require.Zero(t, other.Wait(context.Background(), "198.51.100.9"))
}

func TestFailureThrottleSharedThroughRedis(t *testing.T) {
	url := redistest.URL(t)
	prefix := redistest.Unique("orderhub-test:") + ":"
	redistest.DropKeys(t, prefix+"*")
	clock := newClock()
	var ths []*ratelimit.FailureThrottle
	for i := 0; i < 3; i++ {
		th, err := ratelimit.NewFailureThrottle(ratelimit.FailureOptions{RedisURL: url, Prefix: prefix, Failures: 3, Window: 3 * time.Minute, Now: clock.Now})
		require.NoError(t, err)
		t.Cleanup(func() { _ = th.Close() })
		require.True(t, th.Shared())
		ths = append(ths, th)
	}
	checkFailureAllowance(t, clock, ths...)
	for _, th := range ths {
		require.Zero(t, th.Keys(), "the counts live in Redis, not in the process")
	}
}

// TestFailureThrottleWithoutRedisStillThrottles: a Redis that does not
// answer does not open the door; the process counts on its own.
func TestFailureThrottleWithoutRedisStillThrottles(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	clock := newClock()
	th, err := ratelimit.NewFailureThrottle(ratelimit.FailureOptions{RedisURL: "redis://" + addr + "/0", Failures: 3, Window: 3 * time.Minute, Now: clock.Now})
	require.NoError(t, err)
	t.Cleanup(func() { _ = th.Close() })
	checkFailureAllowance(t, clock, th)

	_, err = ratelimit.NewFailureThrottle(ratelimit.FailureOptions{RedisURL: "http://nope"})
	require.Error(t, err)
}

// TestFailureThrottleBoundsItsMemory: many addresses failing once each do
// not grow the in-process counts past MaxKeys, and the addresses that must
// wait are the ones kept.
func TestFailureThrottleBoundsItsMemory(t *testing.T) {
	clock := newClock()
	th, err := ratelimit.NewFailureThrottle(ratelimit.FailureOptions{Failures: 3, Window: 3 * time.Minute, Now: clock.Now, MaxKeys: 100})
	require.NoError(t, err)
	ctx := context.Background()
	for i := 0; i < 3; i++ {
		th.Fail(ctx, "203.0.113.1")
	}
	for i := 0; i < 5000; i++ {
		th.Fail(ctx, fmt.Sprintf("10.%d.%d.%d", i>>16, (i>>8)&255, i&255))
		require.LessOrEqual(t, th.Keys(), 101)
	}
	require.Equal(t, time.Minute, th.Wait(ctx, "203.0.113.1"), "the blocked address is remembered")
}
