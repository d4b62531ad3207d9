// Package redislive fans live.Broker events out across orderhub instances
// through Redis pub/sub: every instance publishes to one channel and
// delivers what it hears on it to its own dashboards. It holds no state
// beyond the subscription and must not be used for anything that needs
// delivery guarantees: pub/sub drops messages while a subscriber is away.
package redislive

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync"

	"github.com/redis/go-redis/v9"

	"github.com/orderhub/orderhub/admin/live"
)

// DefaultChannel is the pub/sub channel when none is given.
const DefaultChannel = "orderhub:live"

// Relay is a live.Relay over one Redis pub/sub channel.
type Relay struct {
	client  *redis.Client
	channel string
	ps      *redis.PubSub
	broker  *live.Broker
	done    chan struct{}
	once    sync.Once
}

var _ live.Relay = (*Relay)(nil)

// Start subscribes to channel, delivers every event heard there to broker,
// and makes broker publish through Redis. It returns once the subscription
// is confirmed, so no event published after it returns is missed.
func Start(ctx context.Context, client *redis.Client, channel string, broker *live.Broker, logger *slog.Logger) (*Relay, error) {
	if channel == "" {
		channel = DefaultChannel
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	ps := client.Subscribe(ctx, channel)
	if _, err := ps.Receive(ctx); err != nil {
		_ = ps.Close()
		return nil, fmt.Errorf("subscribe to redis channel %s: %w", channel, err)
	}
	r := &Relay{client: client, channel: channel, ps: ps, broker: broker, done: make(chan struct{})}
	go func() {
		defer close(r.done)
		for msg := range ps.Channel() {
			var e live.Event
			if err := json.Unmarshal([]byte(msg.Payload), &e); err != nil {
				logger.Warn("live event from redis is not valid", "err", err)
				continue
			}
			broker.Deliver(e)
		}
	}()
	broker.SetRelay(r)
	return r, nil
}

// Send implements live.Relay.
func (r *Relay) Send(ctx context.Context, e live.Event) error {
	b, err := json.Marshal(e)
	if err != nil {
		return err
	}
	return r.client.Publish(ctx, r.channel, b).Err()
}

// Close ends the subscription, returns the broker to local delivery and
// waits for the delivery loop to stop.
func (r *Relay) Close() error {
	var err error
	r.once.Do(func() {
		r.broker.SetRelay(nil)
		err = r.ps.Close()
		<-r.done
	})
	return err
}
