package live_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/orderhub/orderhub/admin/live"
)

func receive(t *testing.T, ch <-chan live.Event) live.Event {
	t.Helper()
	select {
	case e := <-ch:
		return e
	case <-time.After(5 * time.Second):
		t.Fatal("no event arrived")
	}
	return live.Event{}
}

func TestBrokerFansOut(t *testing.T) {
	t.Parallel()
	b := live.NewBroker(nil)
	a, stopA := b.Subscribe(4)
	c, stopC := b.Subscribe(4)
	require.Equal(t, 2, b.Subscribers())
	b.Publish(context.Background(), live.Event{Type: live.OrderChanged, OrderID: "o1", ShopID: "shop-a"})
	ea, ec := receive(t, a), receive(t, c)
	require.Equal(t, "o1", ea.OrderID)
	require.Equal(t, "o1", ec.OrderID)
	require.False(t, ea.At.IsZero(), "publish stamps the time")

	stopA()
	stopA() // twice is harmless
	_, open := <-a
	require.False(t, open, "ending a subscription closes its channel")
	require.Equal(t, 1, b.Subscribers())
	stopC()
}

func TestSlowSubscriberDoesNotBlock(t *testing.T) {
	t.Parallel()
	b := live.NewBroker(nil)
	ch, stop := b.Subscribe(1)
	defer stop()
	done := make(chan struct{})
	go func() {
		for i := 0; i < 100; i++ {
			b.Publish(context.Background(), live.Event{Type: live.OrderChanged})
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("a full subscriber blocked the publisher")
	}
	require.Len(t, ch, 1, "the buffer holds what fits; the rest is dropped")
}

type failingRelay struct{ calls int }

func (r *failingRelay) Send(context.Context, live.Event) error {
	r.calls++
	return errors.New("redis is down")
}

func TestRelayFailureFallsBackToLocal(t *testing.T) {
	t.Parallel()
	b := live.NewBroker(nil)
	r := &failingRelay{}
	b.SetRelay(r)
	ch, stop := b.Subscribe(1)
	defer stop()
	b.Publish(context.Background(), live.Event{Type: live.StockChanged})
	require.Equal(t, 1, r.calls)
	require.Equal(t, live.StockChanged, receive(t, ch).Type)
}

func TestCloseEndsSubscriptions(t *testing.T) {
	t.Parallel()
	b := live.NewBroker(nil)
	ch, stop := b.Subscribe(1)
	b.Close()
	_, open := <-ch
	require.False(t, open, "closing the broker ends its streams")
	stop() // after Close, harmless
	late, _ := b.Subscribe(1)
	_, open = <-late
	require.False(t, open)
	require.Zero(t, b.Subscribers())
}
