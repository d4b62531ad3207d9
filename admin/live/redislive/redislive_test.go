package redislive_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/orderhub/orderhub/admin/live"
	"github.com/orderhub/orderhub/admin/live/redislive"
)

// redisClient connects to ORDERHUB_TEST_REDIS_URL; without it the test
// skips, and under CI=true it fails.
func redisClient(t *testing.T) *redis.Client {
	t.Helper()
	url := os.Getenv("ORDERHUB_TEST_REDIS_URL")
	fail := func(why string) {
		if os.Getenv("CI") == "true" {
			t.Fatalf("Redis tests must run under CI=true: %s", why)
		}
		t.Skipf("skipping Redis test: %s (set ORDERHUB_TEST_REDIS_URL, e.g. redis://127.0.0.1:6379/0)", why)
	}
	if url == "" {
		fail("ORDERHUB_TEST_REDIS_URL is not set")
	}
	opts, err := redis.ParseURL(url)
	require.NoError(t, err)
	c := redis.NewClient(opts)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.Ping(ctx).Err(); err != nil {
		_ = c.Close()
		fail("Redis is unreachable: " + err.Error())
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func uniqueChannel(t *testing.T) string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return "orderhub-test-" + hex.EncodeToString(b[:]) + ":live"
}

func next(t *testing.T, ch <-chan live.Event) live.Event {
	t.Helper()
	select {
	case e := <-ch:
		return e
	case <-time.After(5 * time.Second):
		t.Fatal("no event arrived through Redis")
	}
	return live.Event{}
}

func TestFanOutAcrossInstances(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	channel := uniqueChannel(t)
	// Two instances: each has its own broker and its own Redis connection.
	b1, b2 := live.NewBroker(nil), live.NewBroker(nil)
	r1, err := redislive.Start(ctx, redisClient(t), channel, b1, nil)
	require.NoError(t, err)
	t.Cleanup(func() { _ = r1.Close() })
	r2, err := redislive.Start(ctx, redisClient(t), channel, b2, nil)
	require.NoError(t, err)
	t.Cleanup(func() { _ = r2.Close() })

	s1, stop1 := b1.Subscribe(8)
	defer stop1()
	s2, stop2 := b2.Subscribe(8)
	defer stop2()

	b1.Publish(ctx, live.Event{Type: live.OrderChanged, OrderID: "ord-1", ShopID: "shop-a", Status: "awaiting_fulfillment"})
	got2 := next(t, s2)
	require.Equal(t, "ord-1", got2.OrderID, "the other instance hears the change")
	require.Equal(t, "shop-a", got2.ShopID)
	require.Equal(t, "ord-1", next(t, s1).OrderID, "the publishing instance hears it once, through Redis")

	b2.Publish(ctx, live.Event{Type: live.OrderChanged, OrderID: "ord-2"})
	require.Equal(t, "ord-2", next(t, s1).OrderID)
	require.Equal(t, "ord-2", next(t, s2).OrderID)
	select {
	case e := <-s1:
		t.Fatalf("an event was delivered twice: %+v", e)
	case <-time.After(200 * time.Millisecond):
	}

	// After Close the broker delivers locally again.
	require.NoError(t, r1.Close())
	b1.Publish(ctx, live.Event{Type: live.OrderChanged, OrderID: "ord-3"})
	require.Equal(t, "ord-3", next(t, s1).OrderID)
	select {
	case e := <-s2:
		t.Fatalf("a closed relay still published: %+v", e)
	case <-time.After(200 * time.Millisecond):
	}
}
