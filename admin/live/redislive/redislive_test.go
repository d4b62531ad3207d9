package redislive_test

import (
	"context"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/orderhub/orderhub/admin/live"
	"github.com/orderhub/orderhub/admin/live/redislive"
	"github.com/orderhub/orderhub/internal/redistest"
)

// redisClient connects to the test Redis (internal/redistest); without it
// the test skips, and under CI=true it fails.
func redisClient(t *testing.T) *redis.Client { return redistest.Client(t) }

func uniqueChannel(t *testing.T) string { return redistest.Unique("orderhub-test-") + ":live" }

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
